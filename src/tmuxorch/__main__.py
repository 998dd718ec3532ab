"""Allow `python -m tmuxorch`."""

from tmuxorch.cli import main

raise SystemExit(main())
