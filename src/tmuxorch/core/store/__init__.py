"""tmuxorch.core.store."""
