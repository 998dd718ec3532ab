"""How a Frozen class (core/frozen.py) gets its fields: `@frozen_model`, `@frozen_record`,
`field`, and its `__init__`, all without the stdlib's dataclass machinery on the way.

Core's ~60 model classes were frozen dataclasses. The decorator compiles every method it
writes at import (~0.1 ms apiece), and `dataclasses` imports `inspect` (with ast, dis and
tokenize): ~7 ms of every one-shot command, more than its tmux work (issue 17). So the fields
are read here, by the dataclass's rules (annotations in order, a base's fields first, ClassVar
left out, the default a class attribute or `field(default_factory=...)`), `__init__` sets
them field by field for a class's first instances and is compiled once it makes many (most
classes of a one-shot command make a handful), and the class becomes a stdlib dataclass too
only when pydantic asks for its schema (`as_dataclass`: pydantic builds it from the
dataclass's fields).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable

TYPE_CHECKING = False  # typing is imported by the type checker only (a status-bar read has none)
if TYPE_CHECKING:
    from typing import Any, TypeVar, dataclass_transform

    _M = TypeVar("_M")
    _T = TypeVar("_T")
else:

    def dataclass_transform(**_: object) -> Callable[[object], object]:
        """What tells a type checker the decorators make dataclasses; nothing at run time."""
        return lambda decorator: decorator


MISSING = object()
"""A field without a default (or a factory's field not given)."""
FIELDS = "__frozen_fields__"
"""The attribute of a decorated class holding its fields (inherited ones included), in order."""
_set_field = object.__setattr__  # what a frozen dataclass's own __init__ sets fields with


class Field:
    """One field: its name, its default or its default's factory, whether it is keyword-only."""

    __slots__ = ("default", "factory", "kw_only", "name")

    def __init__(self, name: str, default: object, factory: object, kw_only: bool) -> None:
        self.name, self.default, self.factory, self.kw_only = name, default, factory, kw_only


class _Factory:
    __slots__ = ("factory",)

    def __init__(self, factory: Callable[[], object]) -> None:
        self.factory = factory


def field(*, default_factory: Callable[[], _T]) -> _T:
    """A field whose default is made afresh for each instance, as `dataclasses.field` does."""
    return _Factory(default_factory)  # type: ignore[return-value]


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(field,))
def frozen_model(cls: type[_M]) -> type[_M]:
    """Makes a Frozen subclass a frozen, keyword-only dataclass, for a tenth of what the
    dataclass decorator costs (~30 us instead of ~300-450). Frozen supplies `__eq__`,
    `__hash__` and `__repr__` once for all and refuses assignment as a frozen dataclass does."""
    return _made(cls, kw_only=True)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen_record(cls: type[_M]) -> type[_M]:
    """`frozen_model` whose fields may be given by position too, in order, as a plain frozen
    dataclass's are: for core's own values (a report, a command's result), built positionally
    where they are made and never validated."""
    return _made(cls, kw_only=False)


def fields(cls: type) -> tuple[Field, ...]:
    """A decorated class's fields, in order."""
    found: tuple[Field, ...] = getattr(cls, FIELDS)
    return found


def _made(cls: type[_M], *, kw_only: bool) -> type[_M]:
    found: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        if FIELDS in base.__dict__:
            found.update((f.name, f) for f in base.__dict__[FIELDS])
    for name, annotation in _own_annotations(cls).items():
        if _is_class_var(annotation):
            continue
        default, factory = cls.__dict__.get(name, MISSING), MISSING
        if isinstance(default, _Factory):
            factory = default.factory
            default = MISSING
            delattr(cls, name)  # as a dataclass leaves no class attribute for it
        elif type(default).__module__ == "dataclasses":
            raise TypeError(f"{cls.__name__}.{name}: use tmuxorch.core.fields.field")
        found[name] = Field(name, default, factory, kw_only)
    positional = [f for f in found.values() if not f.kw_only]
    for before, after in itertools.pairwise(positional):
        if _has_default(before) and not _has_default(after):
            raise TypeError(f"non-default argument {after.name!r} follows default argument")
    setattr(cls, FIELDS, tuple(found.values()))
    if "__match_args__" not in cls.__dict__:
        setattr(cls, "__match_args__", tuple(f.name for f in positional))  # noqa: B010
    cls.__init__ = _first_init(cls)  # type: ignore[method-assign]
    return cls


def _own_annotations(cls: type) -> dict[str, object]:
    """The class's own annotations (not its bases'), read without `inspect`."""
    own: dict[str, object] = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
    return own


def _has_default(spec: Field) -> bool:
    return spec.default is not MISSING or spec.factory is not MISSING


def _is_class_var(annotation: object) -> bool:
    if isinstance(annotation, str):  # `ClassVar[...]` or `typing.ClassVar[...]`, read without re
        if "ClassVar" not in annotation:
            return False
        head = annotation.lstrip()
        module, dot, rest = head.partition(".")
        if dot and module.strip().isidentifier():
            head = rest.lstrip()
        after = head[len("ClassVar") : len("ClassVar") + 1]
        return head.startswith("ClassVar") and not (after.isalnum() or after == "_")
    typing = sys.modules.get("typing")  # an annotation object of typing's: typing is loaded
    return typing is not None and (
        annotation is typing.ClassVar or getattr(annotation, "__origin__", None) is typing.ClassVar
    )


COMPILE_AFTER = 32
"""Instances a class makes with the generic `__init__` before it compiles its own: compiling one
costs ~0.1-0.2 ms, about what 30 generic ones cost more: most classes of a one-shot command
make a few instances (its settings) or a few dozen (the kinds' rules), and a listing's panes
make hundreds (they are worth compiling for)."""


def _first_init(cls: type) -> Callable[..., None]:
    """A stand-in `__init__` that sets the fields the generic way for the class's first
    COMPILE_AFTER instances, then compiles the class's own, puts it in its place, and runs it:
    a process pays a compile only for the classes it builds many of."""
    made = 0

    def __init__(self: object, *args: Any, **values: Any) -> None:
        nonlocal made
        made += 1
        if made <= COMPILE_AFTER:
            _generic_init(cls, self, args, values)
            return
        init = _compiled_init(cls)
        cls.__init__ = init  # type: ignore[misc]
        init(self, *args, **values)

    return __init__


def _generic_init(cls: type, self: object, args: tuple[Any, ...], values: dict[str, Any]) -> None:
    """What the compiled `__init__` does (below), field by field, with the same TypeErrors."""
    specs = fields(cls)
    positional = [spec.name for spec in specs if not spec.kw_only]
    name = f"{cls.__qualname__}.__init__()"
    if len(args) > len(positional):
        given_count, takes = len(args) + 1, len(positional) + 1
        raise TypeError(f"{name} takes {takes} positional arguments but {given_count} were given")
    given = dict(zip(positional, args, strict=False))
    for key, value in values.items():
        if key in given:
            raise TypeError(f"{name} got multiple values for argument {key!r}")
        given[key] = value
    if unknown := given.keys() - {spec.name for spec in specs}:
        raise TypeError(f"{name} got an unexpected keyword argument {min(unknown)!r}")
    for spec in specs:
        if spec.name in given:
            value = given[spec.name]
        elif spec.default is not MISSING:
            value = spec.default
        elif spec.factory is not MISSING:
            value = spec.factory()  # type: ignore[operator]
        else:
            kind = "keyword-only " if spec.kw_only else "positional "
            raise TypeError(f"{name} missing 1 required {kind}argument: {spec.name!r}")
        _set_field(self, spec.name, value)
    if hasattr(cls, "__post_init__"):
        self.__post_init__()  # type: ignore[attr-defined]


def _compiled_init(cls: type) -> Callable[..., None]:
    """The `__init__` a frozen dataclass writes: each field a parameter (keyword-only ones after
    a `*`) with its default, or a factory's value when not given, set past `__setattr__`; then
    `__post_init__` if the class has one."""
    scope: dict[str, Any] = {"__set": _set_field, "__missing": MISSING}
    positional, keywords, lines = ["self"], ["*"], []
    for spec in fields(cls):
        name = spec.name
        value, param = name, name
        if spec.default is not MISSING:
            scope[f"__default_{name}"] = spec.default
            param = f"{name}=__default_{name}"
        elif spec.factory is not MISSING:
            scope[f"__factory_{name}"] = spec.factory
            param = f"{name}=__missing"
            value = f"__factory_{name}() if {name} is __missing else {name}"
        (keywords if spec.kw_only else positional).append(param)
        lines.append(f"__set(self, {name!r}, {value})")
    if hasattr(cls, "__post_init__"):
        lines.append("self.__post_init__()")
    params = ", ".join(positional + (keywords if len(keywords) > 1 else []))
    source = f"def __init__({params}):\n " + "\n ".join(lines or ["pass"])
    exec(source, scope)  # as dataclasses does: our fields' names, no input
    init: Callable[..., None] = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


ANNOTATION_NAMES = "__annotation_names__"
"""A module's function that returns the names its classes' annotations use and it imports only
for the type checker (typing's `Literal`, the aliases made with it), for `give_annotation_names`."""


def give_annotation_names(cls: type) -> None:
    """Before `cls`'s annotations are evaluated (pydantic's schema, `get_type_hints`): the names
    they use that its module, and each base's, defines only for the type checker, from the
    module's ANNOTATION_NAMES function, given once. Why: the aliases are made with typing's
    `Literal` and `Annotated`, and importing typing cost every one-shot command ~2.5 ms
    (issue 17), which never evaluates an annotation."""
    for base in cls.__mro__:
        if (module := sys.modules.get(base.__module__)) is not None:
            _give(module.__dict__)


def annotation_names_getattr(module_name: str) -> Callable[[str], object]:
    """A module's `__getattr__` (PEP 562) that gives its ANNOTATION_NAMES on a first ask: a
    `from tmuxorch.core.models import AgentState` off the one-shot paths (the TUI, the server)
    still works, typing imported then."""

    def __getattr__(name: str) -> object:
        namespace = sys.modules[module_name].__dict__
        if not name.startswith("__"):  # `__path__` is asked by every from-import: not ours
            _give(namespace)
            if name in namespace:
                return namespace[name]
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__


def _give(namespace: dict[str, object]) -> None:
    """A module's ANNOTATION_NAMES into its namespace (what it defines stays), once: the
    function goes after, so a second thread meanwhile gives the same values again."""
    give = namespace.get(ANNOTATION_NAMES)
    if callable(give):
        for name, value in give().items():
            namespace.setdefault(name, value)
        namespace.pop(ANNOTATION_NAMES, None)


def as_dataclass(cls: type) -> None:
    """Make a decorated class a stdlib dataclass as well (bases first), once: pydantic builds
    its schema from `__dataclass_fields__`. Methods and `__init__` stay ours. A class without a
    docstring keeps none: the dataclass would write its signature there, and pydantic's JSON
    schema leaves such a docstring out anyway."""
    if "__dataclass_fields__" in cls.__dict__ or FIELDS not in cls.__dict__:
        return
    give_annotation_names(cls)
    import dataclasses

    for base in reversed(cls.__mro__[1:]):
        as_dataclass(base)
    own = _own_annotations(cls)
    kw_only = False
    for spec in fields(cls):
        if spec.name in own:
            kw_only = spec.kw_only
            if spec.factory is not MISSING:
                setattr(cls, spec.name, dataclasses.field(default_factory=spec.factory))  # type: ignore[call-overload]
    docless = cls.__doc__ is None
    if docless:
        cls.__doc__ = "-"
    dataclasses.dataclass(kw_only=kw_only, init=False, eq=False, repr=False)(cls)
    if docless:
        cls.__doc__ = None
