"""``@frozen``: the format's frozen, slotted dataclasses, made without generating code.

``@dataclass(frozen=True, slots=True)`` writes and compiles six methods per class when the
module is imported (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``,
``__delattr__``): about half a millisecond a class, and ``mockflow validate`` imports 40 of
them, a fifth of its start-up beyond the libraries it needs (docs/performance.md
"Start-up"). ``@frozen`` makes the same class: the standard library still builds the
fields, ``__slots__`` and ``__match_args__`` (so ``dataclasses.fields``, ``replace`` and
``asdict`` work on it), only ``__init__`` is compiled, and the other methods are shared
functions that read the class's field names; they behave as the generated ones do
(tests/test_frozen.py compares every model class with its ``@dataclass`` twin).

What it supports is what the format uses: fields with defaults and default factories,
``field(compare=..., hash=..., repr=...)``, methods and properties. ``InitVar``,
``kw_only``, ``__post_init__`` and inheritance between these classes are refused when the
class is made, so nothing behaves differently unseen.
"""

from __future__ import annotations

import dataclasses
from _thread import get_ident
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")

_FrozenError = dataclasses.FrozenInstanceError
_MISSING = dataclasses.MISSING
_set = object.__setattr__


class _HasFactory:
    """Marker default of a parameter whose field has a default factory."""

    def __repr__(self) -> str:
        return "<factory>"


_HAS_FACTORY = _HasFactory()


def _key(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of the named attributes (what the generated methods compare and hash)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        get = attrgetter(names[0])
        return lambda self: (get(self),)
    return lambda self: ()


def _init(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
    """``__init__``: the one method that is compiled (its parameters are the fields)."""
    params: list[str] = []
    body: list[str] = []
    namespace: dict[str, Any] = {"__mf_set": _set, "__mf_factory": _HAS_FACTORY}
    for f in fields:
        name = f.name
        if f.default is not _MISSING:
            namespace[f"__mf_default_{name}"] = f.default
            value = name
            params.append(f"{name}=__mf_default_{name}")
        elif f.default_factory is not _MISSING:
            namespace[f"__mf_factory_{name}"] = f.default_factory
            value = f"__mf_factory_{name}() if {name} is __mf_factory else {name}"
            params.append(f"{name}=__mf_factory")
        else:
            value = name
            params.append(name)
        body.append(f" __mf_set(self, {name!r}, {value})\n")
    source = f"def __init__(self, {', '.join(params)}):\n{''.join(body) or ' pass'}"
    exec(source, namespace)  # noqa: S102 - the source is built from field names only
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = {**{f.name: f.type for f in fields}, "return": None}
    return init


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(cls: type[T]) -> type[T]:
    """Make ``cls`` a frozen, slotted dataclass (see the module's docstring)."""
    name = cls.__qualname__
    for method in ("__init__", "__setattr__", "__delattr__", "__post_init__"):
        if method in cls.__dict__:
            raise TypeError(f"@frozen class {name} cannot define {method}")
    if any(dataclasses.is_dataclass(base) for base in cls.__mro__[1:]):
        raise TypeError(f"@frozen class {name} cannot inherit from a dataclass")
    documented = cls.__doc__ is not None
    if not documented:  # written below: @dataclass would describe object's signature
        cls.__doc__ = name
    made: Any = dataclasses.dataclass(init=False, repr=False, eq=False, slots=True)(cls)
    fields = dataclasses.fields(made)
    for f in made.__dataclass_fields__.values():
        if f.kw_only is True or not f.init or (f not in fields and "InitVar" in str(f.type)):
            raise TypeError(f"@frozen class {name}: field {f.name} is InitVar, kw_only or"
                            " init=False, which @frozen does not support")
    names = tuple(f.name for f in fields)
    compared = _key(tuple(f.name for f in fields if f.compare))
    hashed = _key(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
    shown = tuple(f.name for f in fields if f.repr)
    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        key = (id(self), get_ident())
        if key in running:  # as @dataclass's: a value that contains itself
            return "..."
        running.add(key)
        try:
            inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in shown)
        finally:
            running.discard(key)
        return f"{self.__class__.__qualname__}({inner})"

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    def __setattr__(self: Any, attr: str, value: Any) -> None:
        if type(self) is made or attr in names:
            raise _FrozenError(f"cannot assign to field {attr!r}")
        super(made, self).__setattr__(attr, value)

    def __delattr__(self: Any, attr: str) -> None:
        if type(self) is made or attr in names:
            raise _FrozenError(f"cannot delete field {attr!r}")
        super(made, self).__delattr__(attr)

    def __getstate__(self: Any) -> list[Any]:
        return [getattr(self, n) for n in names]

    def __setstate__(self: Any, state: list[Any]) -> None:
        for attr, value in zip(names, state, strict=False):
            _set(self, attr, value)

    own = made.__dict__
    methods: dict[str, Any] = {"__init__": _init(made, fields), "__setattr__": __setattr__,
                               "__delattr__": __delattr__}
    # as @dataclass does: what the class writes itself is kept (and __hash__, unless
    # Python set it to None because the class writes __eq__)
    for method, function in (("__repr__", __repr__), ("__eq__", __eq__),
                             ("__getstate__", __getstate__), ("__setstate__", __setstate__)):
        if method not in own:
            methods[method] = function
    explicit_hash = own.get("__hash__", _MISSING)
    if explicit_hash is _MISSING or (explicit_hash is None and "__eq__" in own):
        methods["__hash__"] = __hash__
    for method, function in methods.items():
        function.__qualname__ = f"{name}.{method}"
        setattr(made, method, function)
    params = made.__dataclass_params__
    params.init = params.repr = params.eq = params.frozen = True
    if not documented:  # as @dataclass writes it
        import inspect

        made.__doc__ = f"{made.__name__}{inspect.signature(made)}".replace(" -> None", "")
    result: type[T] = made
    return result
