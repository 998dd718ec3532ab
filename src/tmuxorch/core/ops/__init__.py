"""tmuxorch.core.ops."""
