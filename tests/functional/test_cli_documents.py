"""The CLI's JSON documents are walked from the models (`Frozen.plain`) rather than dumped by
pydantic's serializer, which a one-shot command would import and build first (issue 17): they
must stay byte for byte what pydantic's `dump_python(mode="json")` of the same model gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.models import STATUS_SCHEMA, AgentInfo, Receipt

from ..conftest import TmuxFixture
from ..simfleet import start_agent


def same_json(ours: object, pydantic_s: object) -> None:
    assert json.dumps(ours, ensure_ascii=False) == json.dumps(pydantic_s, ensure_ascii=False)


def pydantics_dump(model: Any) -> Any:
    return TypeAdapter(type(model)).dump_python(model, mode="json")


async def test_the_status_document_is_pydantics_dump(
    running_tmux: TmuxFixture, engine: Engine, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path)
    snapshot = await engine.fleet()
    pane = snapshot.panes_by_id[agent.pane]
    assert pane.agent is not None
    assert snapshot.sessions[0].windows  # there is a tree to walk
    same_json(
        snapshot.to_status_document(),
        {"schema": STATUS_SCHEMA, **pydantics_dump(snapshot)},
    )


async def test_receipts_are_pydantics_dump(running_tmux: TmuxFixture, engine: Engine) -> None:
    snapshot = await engine.snapshot()
    receipts = await LocalBackend(engine).send([snapshot.panes()[0].id], "x", enter=False)
    assert receipts
    for receipt in [*receipts, Receipt(target="%9", status="failed", detail="gone")]:
        same_json(receipt.plain(), pydantics_dump(receipt))


def test_a_float_field_holding_an_int_is_a_json_float() -> None:
    info = AgentInfo.model_construct(kind="sim", state="idle", since=5, source="screen", reason="")
    assert json.dumps(info.plain()) == json.dumps(pydantics_dump(info))
    assert info.plain()["since"] == 5.0
    assert isinstance(info.plain()["since"], float)
