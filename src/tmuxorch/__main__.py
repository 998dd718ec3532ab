"""Allow `python -m tmuxorch`."""

from tmuxorch.cli.main import main

raise SystemExit(main())
