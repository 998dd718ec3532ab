"""Checks on a model's fields, declared without pydantic and applied by it when it validates.

The config and the kind files are dataclasses (core/frozen.py) so that a process with no config
file to read, or only the package's own kind files, never imports pydantic (issue 17). Their
fields still carry what a user's file is checked against: these markers sit in `Annotated`
and hand pydantic the same schema its own `Field(ge=...)`, `AfterValidator` and
`PlainValidator` would, so the error messages are pydantic's, as before.
"""

from __future__ import annotations

from collections.abc import Callable

from tmuxorch.core.fields import fields
from tmuxorch.core.frozen import Frozen, frozen_record

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from typing import Any, Literal

    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema


def __annotation_names__() -> dict[str, object]:
    """What its annotations name, for `get_type_hints` (core/fields.py)."""
    from typing import Any, Literal

    return {"Any": Any, "Literal": Literal}


@frozen_record
class Limits(Frozen):
    """Bounds of a number, a string's length or pattern (pydantic's constraints of the same
    names), written into the schema of the type they annotate."""

    gt: float | None = None
    ge: float | None = None
    le: float | None = None
    min_length: int | None = None
    pattern: str | None = None
    allow_inf_nan: bool | None = None

    def __get_pydantic_core_schema__(  # type: ignore[override]  # a marker's, not a model's
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        schema: dict[str, Any] = dict(handler(source))
        for spec in fields(Limits):
            value = getattr(self, spec.name)
            if value is not None:
                schema[spec.name] = value
        return schema


@frozen_record
class Check(Frozen):
    """A function that checks (and may convert) a value; a ValueError it raises is the field's
    error. "after": it gets the value the type's own validation gave; "plain": the raw input,
    in place of the type's validation."""

    function: Callable[[Any], Any]
    mode: Literal["after", "plain"] = "after"

    def __get_pydantic_core_schema__(  # type: ignore[override]  # a marker's, not a model's
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        if self.mode == "plain":
            return core_schema.no_info_plain_validator_function(self.function)
        return core_schema.no_info_after_validator_function(self.function, handler(source))
