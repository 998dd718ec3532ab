"""tmuxorch: see, understand and drive a fleet of AI coding agents running in tmux."""

__version__ = "0.1.0"
