"""Rewrite src/tmuxorch/core/agents/builtin_kinds.py from the kind files in core/agents/kinds/
(after changing one: `python scripts/refresh_builtin_kinds.py`). A run reads the module, not the
TOML."""

from pathlib import Path

from tmuxorch.core.agents.catalog import BUILTIN_MODULE, builtin_source

Path(BUILTIN_MODULE).write_text(builtin_source(), encoding="utf-8")
