"""tmuxorch.core.agents."""
