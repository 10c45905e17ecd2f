"""Parsing helpers shared by the vendor formats: timestamps, numbers, EPC hex, JSON streams.

Numbers are judged by value, never by JSON spelling: the ledger stores the envelope as RFC 8785
bytes, where ``1.0`` becomes ``1``, and the audit re-derives from those bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from traceability import strict_json
from traceability.identifiers import epc_urn_from_hex
from traceability.identifiers.errors import IdentifierError
from traceability.readers.errors import ReaderError

__all__ = ["as_int", "as_number", "epc_urn", "iter_json", "parse_time"]

_FRACTION = re.compile(r"\.(\d+)")
_OFFSET_NO_COLON = re.compile(r"([+-]\d\d)(\d\d)\Z")
_HEX = re.compile(r"^[0-9A-Fa-f]{4,128}\Z")


def as_number(value: Any) -> float | int | None:
    """A JSON number (not a boolean), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def as_int(value: Any) -> int | None:
    """A non-negative integral number or decimal string (``1``, ``1.0``, ``"1"``), else None."""
    if isinstance(value, str):
        return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None
    number = as_number(value)
    if number is None or number != number or number < 0 or number >= 1e9 or number % 1:
        return None
    return int(number)


def parse_time(value: Any, *, field: str) -> datetime:
    """RFC 3339 with any fraction length (Impinj sends nanoseconds), ``Z``, ``+0000``, or
    epoch milliseconds/microseconds as a number."""
    number = as_number(value)
    if number is not None:
        scale = 1_000_000 if number > 1e14 else 1000 if number > 1e11 else 1
        seconds = number / scale
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise ReaderError(
                f"{field} is not a timestamp: {value!r}", field=field, value=value
            ) from None
    if not isinstance(value, str) or not value:
        raise ReaderError(f"{field} must be a timestamp", field=field, value=value)
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
    text = _OFFSET_NO_COLON.sub(r"\1:\2", text)
    try:
        when = datetime.fromisoformat(text)
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ReaderError(
            f"{field} is not a timestamp: {value!r}", field=field, value=value
        ) from None


def epc_urn(epc_hex: Any, *, field: str) -> str:
    """The EPC URN of a tag's EPC bank in hex; a ReaderError naming ``field`` otherwise."""
    if not isinstance(epc_hex, str) or not _HEX.match(epc_hex):
        raise ReaderError(
            f"{field} must be 4-128 hexadecimal digits, got {epc_hex!r}", field=field, value=epc_hex
        )
    try:
        return epc_urn_from_hex(epc_hex.upper())
    except IdentifierError as exc:
        raise ReaderError(f"{field}: {exc.message}", field=field, value=epc_hex) from None


def _loads(text: str, *, line: int | None = None) -> Any:
    """RFC 8259 JSON: ``NaN`` / ``Infinity`` / ``-Infinity`` are a :class:`ReaderError`."""
    try:
        return strict_json.loads(text)
    except strict_json.NonFiniteNumberError as exc:
        where = f"line {line}: " if line is not None else ""
        path = exc.field or ""
        raise ReaderError(
            where + exc.message,
            field="payload" + ("" if not path or path[0] == "[" else ".") + path,
            value=exc.value,
        ) from None


def iter_json(payload: bytes | str | dict[str, Any] | list[Any]) -> Iterator[dict[str, Any]]:
    """A JSON object, a JSON array of objects, or newline-delimited JSON (an HTTP stream)."""
    if isinstance(payload, dict):
        yield payload
        return
    if isinstance(payload, list):
        for n, item in enumerate(payload):
            if not isinstance(item, (dict, list, str, bytes)):
                raise ReaderError(
                    f"item {n} is not a JSON object", field=f"messages[{n}]", value=item
                )
            yield from iter_json(item)
        return
    text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    text = text.strip()
    if not text:
        return
    try:
        doc = _loads(text)
    except json.JSONDecodeError:
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    yield from iter_json(_loads(line, line=n))
                except json.JSONDecodeError as exc:
                    raise ReaderError(
                        f"line {n} is not JSON: {exc.msg}", field="payload", value=n
                    ) from None
        return
    if not isinstance(doc, (dict, list)):
        raise ReaderError("reader payload must be JSON objects", field="payload")
    yield from iter_json(doc)
