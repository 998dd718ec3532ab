"""The kind files ship in the wheel: without them an installed tmuxorch knows no agent."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tmuxorch.core.agents.catalog import builtin_files
from tmuxorch.core.agents.kindfile import parse_kind

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_the_wheel_holds_every_kind_file(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")  # a dev dependency (pyproject.toml)
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT, check=True, capture_output=True, timeout=110,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("tmuxorch-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            Path(name).stem: archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("tmuxorch/core/agents/kinds/") and name.endswith(".toml")
        }
        assert "tmuxorch/core/agents/builtin_kinds.py" in archive.namelist()  # what runs read
    expected = set(builtin_files().kinds) | set(builtin_files().patterns)
    assert set(shipped) == expected
    assert parse_kind(shipped["opencode"], "wheel").interrupt == ["Escape", "Escape"]
