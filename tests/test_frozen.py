"""``@frozen`` (mockflow/format/frozen.py) makes classes that behave as
``@dataclass(frozen=True, slots=True)`` makes them.

Every ``@frozen`` class of the format package is compared with its twin made by the
standard library from the same fields: the signature, the fields and their flags, and, on
every instance that checking the shipped interviews and the test cases builds (and on
instances made from defaults), repr, equality, hash, the errors of assigning and
deleting, pickling, copying and ``dataclasses.replace``/``asdict``.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pickle
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

import mockflow.format
from mockflow.format.frozen import frozen
from mockflow.format.validate import check_file

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*(ROOT / "interviews").glob("*.yaml"), *(ROOT / "tests" / "cases").rglob("*.yaml")])


def _frozen_classes() -> list[type]:
    found: dict[str, type] = {}
    for info in pkgutil.iter_modules(mockflow.format.__path__, "mockflow.format."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (isinstance(value, type) and value.__module__ == info.name
                    and getattr(value.__setattr__, "__module__", "") == frozen.__module__):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[k] for k in sorted(found)]


CLASSES = _frozen_classes()


def _twin(cls: type) -> type:
    """The class ``@dataclass(frozen=True, slots=True)`` makes from the same fields."""
    specs = []
    for f in dataclasses.fields(cls):
        kwargs: dict[str, Any] = {"compare": f.compare, "hash": f.hash, "repr": f.repr}
        if f.default is not dataclasses.MISSING:
            kwargs["default"] = f.default
        if f.default_factory is not dataclasses.MISSING:
            kwargs["default_factory"] = f.default_factory
        specs.append((f.name, f.type, dataclasses.field(**kwargs)))
    twin = dataclasses.make_dataclass(cls.__name__, specs, frozen=True, slots=True,
                                      namespace={"__qualname__": cls.__qualname__})
    twin.__module__ = cls.__module__
    return twin


TWINS = {cls: _twin(cls) for cls in CLASSES}


def _instances(value: Any, seen: set[int]) -> Iterator[Any]:
    if id(value) in seen:
        return
    seen.add(id(value))
    if type(value) in TWINS:
        yield value
        for f in dataclasses.fields(value):
            yield from _instances(getattr(value, f.name), seen)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _instances(item, seen)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _instances(item, seen)


def _as_twin(value: Any) -> Any:
    """The same value, every ``@frozen`` instance in it made again as its twin."""
    if type(value) in TWINS:
        return TWINS[type(value)](*(_as_twin(getattr(value, f.name))
                                    for f in dataclasses.fields(value)))
    if isinstance(value, dict):
        return {k: _as_twin(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_as_twin(v) for v in value)
    if isinstance(value, list):
        return [_as_twin(v) for v in value]
    return value


def _hash(value: Any) -> int | str:
    """The hash, or the error hashing raised (a field holding a dict, say)."""
    try:
        return hash(value)
    except TypeError as exc:
        return f"TypeError: {exc}"


def _try(action: Any) -> Any:
    try:
        return action()
    except Exception as exc:  # the same error from both is the same behaviour
        return f"{type(exc).__name__}: {exc}"


def _observed(item: Any) -> list[Any]:
    """What can be seen of an instance from outside (the same for a class and its twin)."""
    field = dataclasses.fields(item)[0].name if dataclasses.fields(item) else "other"
    return [
        repr(item), _hash(item),
        item == copy.copy(item), _try(lambda: item == copy.deepcopy(item)),
        item == dataclasses.replace(item), item == None,  # noqa: E711 - another type
        list(dataclasses.asdict(item)),
        _try(lambda: setattr(item, field, None)), _try(lambda: delattr(item, field)),
    ]


def _built() -> dict[type, list[Any]]:
    by_class: dict[type, list[Any]] = {}
    seen: set[int] = set()
    for path in FILES:
        result = check_file(str(path))
        for root in (result.compiled, result.interview, result.problems):
            for item in _instances(root, seen):
                by_class.setdefault(type(item), []).append(item)
    for cls in CLASSES:  # and what defaults alone make
        if all(f.default is not dataclasses.MISSING or f.default_factory is not
               dataclasses.MISSING for f in dataclasses.fields(cls)):
            by_class.setdefault(cls, []).append(cls())
    return by_class


BUILT = _built()


def test_the_format_package_uses_frozen_for_its_frozen_classes() -> None:
    assert len(CLASSES) >= 40
    assert len(BUILT) >= 30  # most of them are compared on real instances below


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__qualname__)
def test_a_frozen_class_looks_like_its_dataclass_twin(cls: Any) -> None:
    twin: Any = TWINS[cls]
    assert str(inspect.signature(cls)) == str(inspect.signature(twin))
    assert cls.__match_args__ == twin.__match_args__
    assert cls.__slots__ == twin.__slots__
    assert repr(cls.__dataclass_params__) == repr(twin.__dataclass_params__)
    assert [(f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.hash,
             f.compare) for f in dataclasses.fields(cls)] == [
        (f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.hash, f.compare)
        for f in dataclasses.fields(twin)]
    assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"
    if cls.__hash__ is None:
        assert twin.__hash__ is None


@pytest.mark.parametrize("cls", [c for c in CLASSES if c in BUILT],
                         ids=lambda c: c.__qualname__)
def test_a_frozen_instance_behaves_as_its_dataclass_twin(cls: type) -> None:
    items = BUILT[cls]
    twins = [_as_twin(item) for item in items]
    for item, twin in zip(items, twins, strict=True):
        assert _observed(item) == _observed(twin)
        # the twin can't be pickled (its name is the real class's); a copy made the way
        # pickle makes it is equal as a deep copy is
        assert _try(lambda i=item: i == pickle.loads(pickle.dumps(i))) == _try(
            lambda i=item: i == copy.deepcopy(i))
    for a, ta in zip(items[:20], twins[:20], strict=True):  # equality between instances
        assert [a == b for b in items[:20]] == [ta == tb for tb in twins[:20]]


def test_what_a_class_writes_itself_is_kept_as_dataclass_keeps_it() -> None:
    @frozen
    class Loose:
        """Equal to anything with the same name."""

        name: str
        size: int = 0
        notes: list[str] = dataclasses.field(default_factory=list, compare=False, repr=False)

        def __eq__(self, other: object) -> bool:
            return getattr(other, "name", None) == self.name

        def __repr__(self) -> str:
            return f"<{self.name}>"

    made = Loose("a", 2)
    assert made == Loose("a", 3) and repr(made) == "<a>" and made.notes == []
    assert Loose("a").notes is not Loose("a").notes
    assert hash(made) == hash(("a", 2))  # __eq__ written, __hash__ made from the fields

    @frozen
    class Shown:
        """Without a repr of its own."""

        name: str
        notes: list[str] = dataclasses.field(default_factory=list, repr=False, hash=False)
        counter: ClassVar[int] = 0

    assert repr(Shown("x")).endswith(".<locals>.Shown(name='x')")

    @frozen
    class Plain:
        name: str
        size: int = 0

    assert Plain.__doc__ == "Plain(name: 'str', size: 'int' = 0)"
    assert Shown.__match_args__ == ("name", "notes")


def test_what_frozen_does_not_support_is_refused_when_the_class_is_made() -> None:
    with pytest.raises(TypeError, match="cannot define __post_init__"):
        @frozen
        class Late:
            """A post-init hook."""

            name: str

            def __post_init__(self) -> None:
                pass

    with pytest.raises(TypeError, match="kw_only"):
        @frozen
        class Keyword:
            """A keyword-only field."""

            name: str = dataclasses.field(kw_only=True)

    @frozen
    class Base:
        """A base."""

        name: str

    with pytest.raises(TypeError, match="cannot inherit from a dataclass"):
        @frozen
        class Derived(Base):
            """Derived from a dataclass."""

            size: int = 0
