"""RFC 8259 JSON only, for every parse of untrusted input; no non-finite number ever written.

Python's :func:`json.loads` reads ``NaN``, ``Infinity`` and ``-Infinity`` by default (RFC 8259
has no such tokens), and orjson writes a non-finite float as ``null``: together they let an
envelope signed with ``null`` be changed to ``NaN`` after signing and still verify. So:

* :func:`loads` is :func:`json.loads` (same results, same errors) except that those constants
  raise :class:`NonFiniteNumberError`, naming the member (``events[0].quantity``), the
  constant and where it stands in the text;
* :func:`nonfinite_path` / :func:`check_finite` find a non-finite float in a parsed value,
  for serialisers that would otherwise write something else (RFC 8785 forbids them too);
* :func:`unstorable_path` / :func:`check_storable` find what a store cannot hold exactly:
  U+0000 or a lone surrogate in any string (member names too: PostgreSQL's text and jsonb
  refuse U+0000, UTF-8 has no surrogates), a non-finite float, an integer outside int64, a
  number literal that is not zero but reads as ``0.0`` (``1e-400`` underflows a double:
  :func:`loads` keeps it as a :class:`TinyNumber` that equals 0.0 and remembers its text).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from traceability.errors import InvalidInputError

__all__ = [
    "CONSTANTS",
    "INT64_MAX",
    "INT64_MIN",
    "NonFiniteNumberError",
    "TinyNumber",
    "UnstorableValueError",
    "check_finite",
    "check_storable",
    "loads",
    "nonfinite_path",
    "unstorable_path",
]

CONSTANTS = ("NaN", "Infinity", "-Infinity")
# a JSON string (skipped) or one of the constants outside strings
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)', re.DOTALL)


class NonFiniteNumberError(InvalidInputError, ValueError):
    """JSON with ``NaN`` / ``Infinity`` / ``-Infinity``, or a non-finite float to serialise.

    ``field`` is the path of the member (``""`` for the top level, ``None`` if unknown),
    ``value`` the constant as written (``"NaN"``...) and ``pos`` its character offset in the
    parsed text (``None`` when serialising)."""

    code = "malformed"

    def __init__(
        self, message: str, *, field: str | None = None, value: Any = None, pos: int | None = None
    ) -> None:
        super().__init__(message, field=field, value=value)
        self.pos = pos


class _Seen(Exception):  # noqa: N818 - internal control flow, never escapes
    pass


class _Constant:
    """Stands in for a constant while the error path locates it."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def _refuse(name: str) -> Any:
    raise _Seen(name)


class TinyNumber(float):
    """A JSON number literal that is not zero but underflows a double to ``0.0`` (``1e-400``):
    equal to 0.0, with its ``text``; :func:`unstorable_path` names it."""

    __slots__ = ("text",)
    text: str


_NONZERO_MANTISSA = re.compile(r"[^eE]*[1-9]")


def _float(text: str) -> float:
    value = float(text)
    if value == 0.0 and _NONZERO_MANTISSA.match(text):
        tiny = TinyNumber(value)
        tiny.text = text
        return tiny
    return value


def loads(data: str | bytes | bytearray) -> Any:
    """:func:`json.loads`, refusing ``NaN``, ``Infinity`` and ``-Infinity``; a literal that
    underflows to 0.0 is read as a :class:`TinyNumber`."""
    try:
        return json.loads(data, parse_constant=_refuse, parse_float=_float)
    except _Seen as seen:
        raise _located(data, str(seen.args[0])) from None


def _located(data: str | bytes | bytearray, name: str) -> NonFiniteNumberError:
    text = data if isinstance(data, str) else bytes(data).decode("utf-8", "replace")
    pos = next((m.start(1) for m in _TOKEN.finditer(text) if m.group(1)), None)
    try:
        marked = json.loads(data, parse_constant=_Constant)
    except ValueError:  # a later syntax error: the constant is still the first problem
        path = None
    else:
        found = _find(marked, "", lambda v: isinstance(v, _Constant))
        path = found[0] if found else None
    where = f" at {path}" if path else ""
    if pos is not None:
        line = text.count("\n", 0, pos) + 1
        col = pos - text.rfind("\n", 0, pos)
        where += f" (line {line} column {col})"
    return NonFiniteNumberError(
        f"JSON has the non-standard constant {name}{where}: RFC 8259 has no NaN or Infinity",
        field=path,
        value=name,
        pos=pos,
    )


def _find(value: Any, path: str, hit: Any) -> tuple[str, Any] | None:
    """The path and value of the first member (document order) for which ``hit`` holds."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, v = stack.pop()
        if hit(v):
            return where, v
        if isinstance(v, dict):
            stack.extend(
                (f"{where}.{k}" if where else str(k), item) for k, item in reversed(v.items())
            )
        elif isinstance(v, list | tuple):
            stack.extend((f"{where}[{i}]", item) for i, item in reversed(list(enumerate(v))))
    return None


def _nonfinite(v: Any) -> bool:
    return isinstance(v, float) and not math.isfinite(v)


def nonfinite_path(value: Any, path: str = "") -> tuple[str, float] | None:
    """The path and value of the first non-finite float in ``value``, or ``None``."""
    return _find(value, path, _nonfinite)


def check_finite(value: Any, path: str = "") -> None:
    """Raise :class:`NonFiniteNumberError` if ``value`` holds a NaN or infinite float: no JSON
    (RFC 8259) or RFC 8785 form exists, and writing ``null`` or text would be another value."""
    found = nonfinite_path(value, path)
    if found is not None:
        where, number = found
        raise NonFiniteNumberError(
            f"{number} at {where or 'the top level'} has no JSON form (RFC 8259, RFC 8785)",
            field=where,
            value=str(number),
        )


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class UnstorableValueError(InvalidInputError, ValueError):
    """A value no store keeps exactly; ``field`` is its path, ``value`` a printable form."""

    code = "unstorable_value"


def _printable(text: str) -> str:
    """``text`` with U+0000, lone surrogates and other unprintables escaped (``\\x00``)."""
    return text if text.isprintable() else repr(text)[1:-1]


def _bad_string(s: str) -> str | None:
    if "\x00" in s:
        return "U+0000 (NUL)"
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate"
    return None


def _why(v: Any) -> str | None:
    if isinstance(v, str):
        return _bad_string(v)
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return None if INT64_MIN <= v <= INT64_MAX else "an integer outside int64"
    if isinstance(v, float) and not math.isfinite(v):
        return "a non-finite number"
    if isinstance(v, TinyNumber):
        return "a number that underflows to 0 (no 64-bit float keeps it)"
    return None


def unstorable_path(value: Any, path: str = "") -> tuple[str, Any, str] | None:
    """(path, value, why) of the first value (document order) no store keeps exactly."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, v = stack.pop()
        if isinstance(v, dict):
            items = list(v.items())
            for k, _ in items:
                why = _bad_string(k) if isinstance(k, str) else None
                if why is not None:
                    return (where or "(top level)", k, f"{why} in a member name")
            stack.extend(
                (f"{where}.{_printable(str(k))}" if where else _printable(str(k)), item)
                for k, item in reversed(items)
            )
        elif isinstance(v, list | tuple):
            stack.extend((f"{where}[{i}]", item) for i, item in reversed(list(enumerate(v))))
        else:
            why = _why(v)
            if why is not None:
                return where, v, why
    return None


def check_storable(value: Any, path: str = "") -> None:
    """Raise :class:`UnstorableValueError` (``unstorable_value``) naming the member and value
    if ``value`` holds something a store cannot keep exactly (see :func:`unstorable_path`)."""
    found = unstorable_path(value, path)
    if found is not None:
        where, bad, why = found
        text = bad.text if isinstance(bad, TinyNumber) else str(bad)
        shown = _printable(bad if isinstance(bad, str) else text)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        raise UnstorableValueError(
            f"{where or 'the top level'} holds {why} ('{shown}'), which no store keeps exactly",
            field=where or None,
            value=shown,
        )
