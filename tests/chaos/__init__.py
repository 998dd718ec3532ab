"""Faults against a real tmux server: stopped, killed and restarted, our processes killed."""
