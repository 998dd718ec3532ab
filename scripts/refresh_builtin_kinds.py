"""Rewrite src/tmuxorch/core/agents/kinds/builtin.json from the kind files next to it (after
changing one: `python scripts/refresh_builtin_kinds.py`). A run reads the JSON, not the TOML."""

from pathlib import Path

from tmuxorch.core.agents.catalog import BUILTIN_JSON, builtin_folder, builtin_json

(Path(builtin_folder()) / BUILTIN_JSON).write_text(builtin_json(), encoding="utf-8")
