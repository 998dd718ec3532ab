"""The layer rule of DESIGN.md: core imports neither textual nor websockets."""

from __future__ import annotations

import subprocess
import sys


def test_core_imports_no_ui_or_network_library() -> None:
    code = (
        "import sys, pkgutil, importlib, tmuxorch.core as c\n"
        "for m in pkgutil.walk_packages(c.__path__, 'tmuxorch.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'websockets'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
