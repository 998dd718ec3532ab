"""tmuxorch.protocol."""
