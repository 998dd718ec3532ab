"""tmuxorch.core.tmux."""
