"""tmuxorch.cli."""
