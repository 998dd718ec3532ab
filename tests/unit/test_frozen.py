"""Core's models are frozen dataclasses that keep the pydantic manners their callers relied on
(core/frozen.py, issue 17): equal by value, hashable, refusing assignment, copied with an
update, walked to JSON, and validated by pydantic only on demand (strict, or lenient for a
newer peer)."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import FrozenInstanceError
from typing import ClassVar

import pytest
from pydantic import ValidationError

from tmuxorch.core.events import EVENT_TYPES, PaneChanged
from tmuxorch.core.fields import COMPILE_AFTER, give_annotation_names
from tmuxorch.core.frozen import LENIENT, Frozen, field, frozen_model, frozen_record
from tmuxorch.core.models import AgentInfo, Pane, Snapshot, TmuxInfo


def pane(**changes: object) -> Pane:
    fields: dict[str, object] = {
        "id": "%1", "index": 0, "active": True, "pid": 7, "command": "sh", "cwd": "/",
        "dead": False, "width": 80, "height": 24, "window_id": "@1", "session_id": "$1",
    }  # fmt: skip
    return Pane(**{**fields, **changes})  # type: ignore[arg-type]


def test_models_are_values_that_refuse_assignment() -> None:
    assert pane() == pane()
    assert hash(pane()) == hash(pane())
    assert pane() != pane(width=81)
    with pytest.raises(FrozenInstanceError):
        pane().width = 3  # type: ignore[misc]


def test_init_is_a_keyword_only_dataclass_init_compiled_once_a_class_makes_many() -> None:
    @frozen_model
    class Made(Frozen):
        name: str
        tags: list[str] = field(default_factory=list)
        size: int = 1

        def __post_init__(self) -> None:
            if self.size < 0:
                raise ValueError("negative")

    def check_init() -> None:
        made = Made(name="a")
        assert (made.name, made.tags, made.size) == ("a", [], 1)
        assert Made(name="b").tags is not made.tags  # a fresh value of the factory each time
        assert Made(name="a", tags=["x"], size=2).tags == ["x"]
        with pytest.raises(TypeError, match="positional"):
            Made("a")  # type: ignore[misc]
        with pytest.raises(TypeError, match="required keyword-only argument: 'name'"):
            Made()  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="unexpected keyword argument 'nmae'"):
            Made(name="a", nmae="b")  # type: ignore[call-arg]
        with pytest.raises(ValueError, match="negative"):
            Made(name="a", size=-1)
        with pytest.raises(FrozenInstanceError):
            del made.name

    check_init()  # the generic __init__: nothing compiled yet
    assert Made.__init__.__qualname__.startswith("_first_init")
    for _ in range(COMPILE_AFTER):
        Made(name="c")
    assert Made.__init__.__qualname__.endswith("Made.__init__")  # compiled
    check_init()


def test_a_record_takes_its_fields_by_position_too() -> None:
    @frozen_record
    class Made(Frozen):
        name: str
        size: int = 1

    assert Made("a") == Made(name="a", size=1)
    assert Made("a", 2).size == 2
    assert Made.__match_args__ == ("name", "size")
    assert (
        repr(Made("a"))
        == "test_a_record_takes_its_fields_by_position_too.<locals>.Made(name='a', size=1)"
    )
    with pytest.raises(FrozenInstanceError):
        Made("a").size = 3  # type: ignore[misc]


def test_fields_follow_the_dataclass_rules_and_pydantic_gets_a_stdlib_dataclass() -> None:
    @frozen_model
    class Base(Frozen):
        kind: str
        shared: ClassVar[int] = 3
        size: int = 1

    @frozen_model
    class Made(Base):
        size: int = 2  # keeps its place, takes the new default
        tags: list[str] = field(default_factory=list)

    assert Made.field_names() == ("kind", "size", "tags")
    assert Made(kind="a").size == 2
    assert not hasattr(Made, "tags")  # as a dataclass leaves no class attribute for it
    assert Made.model_validate({"kind": "a", "tags": ["x"]}) == Made(kind="a", tags=["x"])
    assert [f.name for f in dataclasses.fields(Made)] == ["kind", "size", "tags"]  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"use tmuxorch\.core\.fields\.field"):

        @frozen_model
        class Stdlib(Frozen):
            tags: list[str] = dataclasses.field(default_factory=list)

    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @frozen_record
        class Order(Frozen):
            a: int = 0
            b: int


def test_a_class_variable_is_told_by_its_annotation_however_it_is_spelled() -> None:
    @frozen_model
    class Made(Frozen):
        a: ClassVar[int] = 1
        b: typing.ClassVar[int] = 2
        classvars: int = 4
        d: ClassVarious = 5  # type: ignore[valid-type]  # noqa: F821

    assert Made.field_names() == ("classvars", "d")


def test_a_copy_takes_its_update_and_refuses_an_unknown_field() -> None:
    info = AgentInfo(kind="sim", state="idle")
    copy = pane().model_copy(update={"agent": info})
    assert copy == pane(agent=info)
    assert copy.agent is info
    with pytest.raises(TypeError, match=r"Pane has no field \['agnet'\]"):
        pane().model_copy(update={"agnet": info})


def test_a_copied_snapshot_does_not_carry_the_lookups_of_the_original() -> None:
    snapshot = Snapshot(
        tmux=TmuxInfo(socket="s", version=None, running=False), sessions=(), taken_at=1.0
    )
    assert snapshot.panes_by_id == {}
    copy = snapshot.model_copy(update={"taken_at": 2.0})
    assert "panes_by_id" not in vars(copy)
    assert copy.taken_at == 2.0


def test_json_walk_and_python_dump() -> None:
    info = AgentInfo(kind="sim", since=5)
    assert info.plain() == {
        "kind": "sim", "state": "unknown", "since": 5.0, "source": "screen", "reason": ""
    }  # fmt: skip
    assert type(info.plain()["since"]) is float
    assert type(info.model_dump()["since"]) is int
    assert info.model_dump(exclude=("reason",), exclude_none=True) == {
        "kind": "sim", "state": "unknown", "since": 5, "source": "screen"
    }  # fmt: skip


def test_pydantic_validates_strictly_unless_lenient() -> None:
    data = {**pane().plain(), "future": 1}
    with pytest.raises(
        ValidationError, match="1 validation error for Pane\nfuture\n  Extra inputs"
    ):
        Pane.model_validate(data)
    assert Pane.model_validate(data, context={LENIENT: True}) == pane()
    nested = {"pane_id": "%1", "window_id": "@1", "session_id": "$1", "pane": data}
    with pytest.raises(ValidationError, match=r"pane\.future"):
        PaneChanged.model_validate(nested)
    assert PaneChanged.model_validate(nested, context={LENIENT: True}).pane == pane()
    assert EVENT_TYPES["pane_changed"] is PaneChanged


def test_the_models_value_tuples_are_their_aliases_and_annotations_resolve() -> None:
    """Core's aliases are made with typing only when annotations are read (core/fields.py
    ANNOTATION_NAMES); each runtime tuple of values says what its alias says."""
    from typing import get_args, get_type_hints

    from tmuxorch.core import models
    from tmuxorch.core.agents.kindfile import KindFile
    from tmuxorch.core.store.config import NotifyConfig, Settings

    for alias, values in [
        (models.AgentState, models.AGENT_STATES),
        (models.WindowKind, models.WINDOW_KINDS),
        (models.StateSource, models.STATE_SOURCES),
        (models.ReceiptStatus, models.RECEIPT_STATUSES),
        (models.Confirmation, models.CONFIRMATIONS),
    ]:
        assert get_args(alias) == values
    for cls in (Pane, AgentInfo, NotifyConfig, Settings, KindFile, PaneChanged):
        give_annotation_names(cls)  # what pydantic's schema and the walks do first
        hints = get_type_hints(cls, include_extras=True)
        assert set(cls.field_names()) <= set(hints), cls
    assert NotifyConfig.model_validate({"states": ["busy"]}).states == ["busy"]
    with pytest.raises(ValidationError):
        NotifyConfig.model_validate({"states": ["sleeping"]})
