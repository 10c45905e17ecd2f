"""Fast pickling for slotted dataclasses that cross process boundaries (decode workers).

Python 3.11 pickles a ``slots=True`` dataclass through ``__getstate__`` / ``__setstate__`` that
call :func:`dataclasses.fields` for every object, which dominated the gateway's collector
thread (measured with py-spy while ``bench.ingest`` ran). :func:`fast_pickle` gives the class a
``__reduce__`` with the field names resolved once: every field, ``init=False`` ones included,
is restored as it was, without running ``__init__`` / ``__post_init__`` again.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def _rebuild(cls: type[Any], names: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    obj = object.__new__(cls)
    setter = object.__setattr__  # also for frozen dataclasses
    for name, value in zip(names, values, strict=True):
        setter(obj, name, value)
    return obj


def fast_pickle(cls: type[T]) -> type[T]:
    """Class decorator for a ``slots=True`` dataclass (apply it above ``@dataclass``)."""
    names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    def reduce(self: Any) -> tuple[Any, ...]:
        return (_rebuild, (cls, names, tuple(getattr(self, n) for n in names)))

    cls.__reduce__ = reduce  # type: ignore[method-assign]
    return cls
