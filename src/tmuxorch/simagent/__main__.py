"""`python -m tmuxorch.simagent`: run the simulated agent."""

from tmuxorch.simagent.main import main

raise SystemExit(main())
