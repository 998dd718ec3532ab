"""Allow `python -m tmuxorch`."""

from tmuxorch.cli.main import entry

raise SystemExit(entry())
