"""The base of core's immutable models: frozen dataclasses, with pydantic's schema on demand.

A one-shot command (`status --json`, `capture`, `send`) builds a few hundred of these and prints
them; importing pydantic and defining our models with it cost such a process more than all its
tmux work (issue 17). So the models are dataclasses (by the rules of the stdlib's, made by
core/fields.py without its machinery): built, copied and walked to JSON by plain Python here,
and validated by pydantic only where a peer's or a file's data comes in (the protocol, the
server and the client), which imports pydantic on first use through
`__get_pydantic_core_schema__`. There they validate as pydantic models did: unknown keys are
refused, except under the LENIENT context, where a newer peer's additions are dropped.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Mapping
from functools import cached_property

from tmuxorch.core.fields import (
    as_dataclass,
    field,
    fields,
    frozen_model,
    frozen_record,
    give_annotation_names,
)

__all__ = ["LENIENT", "Frozen", "field", "frozen_model", "frozen_record"]

TYPE_CHECKING = False  # typing is imported on a model's first walk (a status-bar read has none)
if TYPE_CHECKING:
    from typing import Any, Literal, Self

    from pydantic import GetCoreSchemaHandler, TypeAdapter
    from pydantic_core import CoreSchema, core_schema

LENIENT = "tmuxorch.lenient"
"""A validation context key: `model_validate(data, context={LENIENT: True})` drops keys a model
does not know instead of refusing them. Only a client reading a (possibly newer) server passes
it; everything else (fixtures, requests from clients) keeps the strict refusal."""


class _Shape:
    """What the walks need of one model class, worked out once: its field names in order, a
    getter of all their values at once, the fields that may hold a model or a container (the
    others are JSON scalars, copied as they are), and the float ones (a float field given an
    int keeps its JSON float, as pydantic dumps it). Those two read the fields' types, on the
    first walk: comparing and hashing need only the names (and a record's types may name
    what its module imports only for type checking)."""

    def __init__(self, cls: type[Frozen]) -> None:
        self.cls = cls
        self.names = tuple(spec.name for spec in fields(cls))
        self.known = frozenset(self.names)
        self.values: Callable[[Frozen], tuple[Any, ...]]
        if len(self.names) > 1:
            self.values = operator.attrgetter(*self.names)
        else:
            self.values = lambda model: tuple(getattr(model, name) for name in self.names)

    @cached_property
    def walked(self) -> tuple[str, ...]:
        from typing import get_type_hints

        give_annotation_names(self.cls)
        hints = get_type_hints(self.cls)
        return tuple(name for name in self.names if not _is_scalar(hints[name]))

    @cached_property
    def floats(self) -> tuple[str, ...]:
        from typing import get_args, get_type_hints

        give_annotation_names(self.cls)
        hints = get_type_hints(self.cls)
        return tuple(
            name for name in self.names if hints[name] is float or float in get_args(hints[name])
        )


_SCALARS = (str, int, float, bool, type(None))


def _is_scalar(hint: Any) -> bool:
    """Whether a field of this type holds only JSON scalars (no model, no container)."""
    from types import UnionType
    from typing import Literal, Union, get_args, get_origin

    if hint in _SCALARS or get_origin(hint) is Literal:
        return True
    return get_origin(hint) in (Union, UnionType) and all(_is_scalar(a) for a in get_args(hint))


_SHAPES: dict[type[Frozen], _Shape] = {}
_set_field = object.__setattr__  # what a frozen dataclass's own __init__ sets fields with
_ADAPTERS: dict[type[Frozen], TypeAdapter[Any]] = {}


def _shape(cls: type[Frozen]) -> _Shape:
    shape = _SHAPES.get(cls)
    if shape is None:
        shape = _SHAPES[cls] = _Shape(cls)
    return shape


class Frozen:
    """Base for immutable models, each made by `@frozen_model` (or `@frozen_record`): equal
    when of one class with equal fields, hashed by them, refusing assignment
    (dataclasses.FrozenInstanceError); the `model_*` methods keep the names the callers used
    with pydantic."""

    __pydantic_config__ = {"extra": "forbid"}  # noqa: RUF012  # read only
    """Read by pydantic: unknown keys are refused (by `_lenient_filter`, before the dataclass
    sees them), so typos in fixtures fail loudly, and the JSON schema says so. Not annotated:
    `get_type_hints` of every model would evaluate the annotation (typing is not imported)."""

    if TYPE_CHECKING:

        def __init__(self, **values: Any) -> None: ...

    def __setattr__(self, name: str, value: Any) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        values = _shape(type(self)).values
        return bool(values(self) == values(other))

    def __hash__(self) -> int:
        return hash(_shape(type(self)).values(self))

    def __repr__(self) -> str:
        shape = _shape(type(self))
        fields = ", ".join(
            f"{name}={value!r}" for name, value in zip(shape.names, shape.values(self), strict=True)
        )
        return f"{type(self).__qualname__}({fields})"

    @classmethod
    def model_construct(cls, **values: Any) -> Self:
        """A model of trusted values (the engine's own): a dataclass checks nothing anyway."""
        return cls(**values)

    def model_copy(self, *, update: Mapping[str, Any]) -> Self:
        """A copy with `update`'s fields replaced (cached lookups are not carried over). Set
        field by field, as pydantic's copy was, rather than through `__init__` again (the
        tracker copies panes every sweep: half the time of `dataclasses.replace`)."""
        shape = _shape(type(self))
        if not shape.known.issuperset(update):
            raise TypeError(
                f"{type(self).__name__} has no field {sorted(set(update) - shape.known)}"
            )
        copy = object.__new__(type(self))
        for name in shape.names:
            _set_field(copy, name, getattr(self, name))
        for name, value in update.items():
            _set_field(copy, name, value)
        return copy

    def plain(self) -> dict[str, Any]:
        """The model as JSON values, as pydantic's `model_dump(mode="json")` gives it (a test
        holds the two together): these models hold only JSON values, containers of them and
        other models. What one-shot commands print, with no pydantic loaded."""
        shape = _shape(type(self))
        dumped = dict(zip(shape.names, shape.values(self), strict=True))
        for name in shape.walked:
            dumped[name] = _json_value(dumped[name])
        for name in shape.floats:
            if type(dumped[name]) is int:
                dumped[name] = float(dumped[name])
        return dumped

    def model_dump(
        self,
        *,
        mode: Literal["python", "json"] = "python",
        exclude: Collection[str] = (),
        exclude_none: bool = False,
    ) -> dict[str, Any]:
        """The fields as a dict, nested models as dicts too; in "json" mode, as `plain()`.
        `exclude` leaves out top-level fields, `exclude_none` those that are None."""
        if mode == "json":
            dumped = self.plain()
        else:
            shape = _shape(type(self))
            dumped = dict(zip(shape.names, shape.values(self), strict=True))
            for name in shape.walked:
                dumped[name] = _python_value(dumped[name])
        if exclude or exclude_none:
            return {
                name: value
                for name, value in dumped.items()
                if name not in exclude and (value is not None or not exclude_none)
            }
        return dumped

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The model's fields, in order (pydantic's `model_fields` keys)."""
        return _shape(cls).names

    @classmethod
    def model_validate(cls, data: Any, *, context: dict[str, Any] | None = None) -> Self:
        """`data` (a dict, say from JSON) validated by pydantic into this model: pydantic's
        ValidationError when it does not fit; under LENIENT, unknown keys are dropped."""
        adapter = _ADAPTERS.get(cls)
        if adapter is None:
            from pydantic import TypeAdapter

            adapter = _ADAPTERS[cls] = TypeAdapter(cls)
        model: Self = adapter.validate_python(data, context=context)
        return model

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """pydantic's own schema of this dataclass, its fields' validation wrapped in the
        LENIENT key filter (inside, so errors and the JSON schema still name the class)."""
        from pydantic_core import core_schema

        as_dataclass(cls)
        schema = handler(source)
        if schema["type"] != "dataclass":  # only a subclass without @dataclass gets here
            raise TypeError(f"{cls.__name__} is not a dataclass")
        from typing import cast

        schema = cast("core_schema.DataclassSchema", schema)
        schema["schema"] = core_schema.with_info_wrap_validator_function(
            _lenient_filter(cls), schema["schema"]
        )
        return schema


def _lenient_filter(
    cls: type[Frozen],
) -> Callable[[Any, core_schema.ValidatorFunctionWrapHandler, core_schema.ValidationInfo], Any]:
    """The validator that runs before a model's fields are: keys the model does not know are
    dropped under LENIENT, else refused as pydantic refuses them for a model (`extra_forbidden`,
    after the known keys' own errors), where a plain dataclass would say "Unexpected keyword
    argument"."""
    known = _shape(cls).known

    def validate(
        data: Any,
        handler: core_schema.ValidatorFunctionWrapHandler,
        info: core_schema.ValidationInfo,
    ) -> Any:
        if not isinstance(data, dict) or known.issuperset(data):
            return handler(data)
        given = {key: value for key, value in data.items() if key in known}
        if info.context is not None and info.context.get(LENIENT):
            return handler(given)
        from pydantic_core import ValidationError

        problems: list[Any] = []
        try:
            handler(given)
        except ValidationError as error:
            problems = [_as_init_detail(problem) for problem in error.errors()]
        problems += [
            {"type": "extra_forbidden", "loc": (key,), "input": value}
            for key, value in data.items()
            if key not in known
        ]
        raise ValidationError.from_exception_data(cls.__name__, problems)

    return validate


def _as_init_detail(problem: Any) -> dict[str, Any]:
    """One of `ValidationError.errors()` in the form `from_exception_data` takes back."""
    detail = {"type": problem["type"], "loc": problem["loc"], "input": problem["input"]}
    if "ctx" in problem:
        detail["ctx"] = problem["ctx"]
    return detail


def _json_value(value: Any) -> Any:
    if isinstance(value, Frozen):
        return value.plain()
    if isinstance(value, tuple | list):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    return value


def _python_value(value: Any) -> Any:
    if isinstance(value, Frozen):
        return value.model_dump()
    if isinstance(value, list):
        return [_python_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_python_value(item) for item in value)
    if isinstance(value, dict):
        return {key: _python_value(item) for key, item in value.items()}
    return value
