"""tmuxorch.client."""
