"""A print request, checked field by field before anything is allocated.

:func:`check_request` raises :class:`~label_printing.errors.LabelInputError` naming the first
bad field (``gtin``, ``lot``, ``expiry``, ``count``, ``format``, ``serial_mode``, ``symbol``,
``dpi``, ``resolver``, ``label_size``); the GS1 rules are the identifier core's
(:mod:`traceability.identifiers`): GTIN check digit, AI (10) length and character set 82, AI (17)
as a real date in the GS1 two-digit-year window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, cast
from urllib.parse import urlsplit

from label_printing.errors import LabelInputError
from traceability.identifiers import validate_gtin
from traceability.identifiers.ai import century_year, validate_ai_value
from traceability.identifiers.errors import IdentifierError

Format = Literal["png", "svg", "pdf", "zpl"]
SerialMode = Literal["random", "sequential"]
Symbol = Literal["qr", "datamatrix"]
FORMATS: tuple[Format, ...] = ("png", "svg", "pdf", "zpl")
SERIAL_MODES: tuple[SerialMode, ...] = ("random", "sequential")
SYMBOLS: tuple[Symbol, ...] = ("qr", "datamatrix")
DPIS = (203, 300)


@dataclass(frozen=True, slots=True)
class LabelRequest:
    """A checked request: ``gtin`` as GTIN-14, ``expiry`` a date."""

    gtin: str
    lot: str
    expiry: dt.date
    count: int
    format: Format
    serial_mode: SerialMode = "random"
    symbol: Symbol = "qr"
    dpi: int = 203
    resolver: str = "https://id.gs1.org"
    product_name: str = ""
    label_width_mm: float = 70.0
    label_height_mm: float = 37.0


def _one_line(text: str) -> str:
    return text.replace("\n", " ").replace("\r", " ")


def _fail(field: str, message: str, value: object) -> LabelInputError:
    shown = value if isinstance(value, (int, float)) else _one_line(repr(value))[:80]
    return LabelInputError(f"{field}: {_one_line(message)}", field=field, value=shown)


def check_gtin(value: str) -> str:
    try:
        return validate_gtin(str(value).strip(), field="gtin")
    except IdentifierError as exc:
        raise _fail("gtin", exc.message, value) from None


def check_lot(value: str) -> str:
    if not value:
        raise _fail("lot", "AI (10) lot must have 1-20 characters, got 0", value)
    try:
        validate_ai_value("10", value)
    except IdentifierError as exc:
        raise _fail("lot", exc.message, value) from None
    return value


def check_expiry(value: str | dt.date, *, today: dt.date | None = None) -> dt.date:
    """A real ``YYYY-MM-DD`` date that AI (17)'s two-digit year can carry unambiguously."""
    if isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip()
        try:
            if len(text) != 10:
                raise ValueError(text)
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise _fail("expiry", "must be a date YYYY-MM-DD", value) from None
    if century_year(day.year % 100, today) != day.year:
        raise _fail(
            "expiry",
            f"year {day.year} is outside the GS1 two-digit-year window (AI 17 YYMMDD)",
            str(value),
        )
    return day


def check_count(value: int, *, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail("count", "must be an integer", value)
    if not 1 <= value <= maximum:
        raise _fail("count", f"must be 1..{maximum}, got {value}", value)
    return value


def _choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _fail(field, f"must be one of {', '.join(allowed)}", value)
    return value


def parse_label_size(value: str) -> tuple[float, float]:
    """``"70x37"`` (millimetres, width x height) -> (70.0, 37.0)."""
    w, sep, h = str(value).lower().partition("x")
    try:
        if not sep:
            raise ValueError(value)
        size = (float(w), float(h))
    except ValueError:
        raise _fail("label_size", "must be WIDTHxHEIGHT in mm, e.g. 70x37", value) from None
    if not all(x == x and abs(x) != float("inf") for x in size):
        raise _fail("label_size", "must be WIDTHxHEIGHT in mm, e.g. 70x37", value)
    return size


def check_resolver(value: str) -> str:
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or any(c.isspace() or ord(c) < 32 for c in value)
    ):
        raise _fail("resolver", "must be an http(s) URL without query or fragment", value)
    return value.rstrip("/")


def check_request(
    *,
    gtin: str,
    lot: str,
    expiry: str | dt.date,
    count: int,
    format: str,
    max_count: int,
    serial_mode: str = "random",
    symbol: str = "qr",
    dpi: int = 203,
    resolver: str = "https://id.gs1.org",
    product_name: str = "",
    label_width_mm: float = 70.0,
    label_height_mm: float = 37.0,
) -> LabelRequest:
    """Check every field (in this order) and return the request; nothing is allocated here."""
    g = check_gtin(gtin)
    lot_ok = check_lot(lot)
    day = check_expiry(expiry)
    n = check_count(count, maximum=max_count)
    fmt = cast(Format, _choice("format", format, FORMATS))
    mode = cast(SerialMode, _choice("serial_mode", serial_mode, SERIAL_MODES))
    sym = cast(Symbol, _choice("symbol", symbol, SYMBOLS))
    if dpi not in DPIS:
        raise _fail("dpi", "must be 203 or 300", dpi)
    res = check_resolver(resolver)
    if not (
        isinstance(label_width_mm, (int, float))
        and isinstance(label_height_mm, (int, float))
        and 20 <= label_width_mm <= 200
        and 15 <= label_height_mm <= 280
    ):
        raise _fail(
            "label_size",
            "width must be 20-200 mm and height 15-280 mm",
            f"{label_width_mm}x{label_height_mm}",
        )
    name = _one_line(product_name)[:80]
    if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise _fail("product_name", "has control or surrogate characters", product_name)
    return LabelRequest(
        gtin=g,
        lot=lot_ok,
        expiry=day,
        count=n,
        format=fmt,
        serial_mode=mode,
        symbol=sym,
        dpi=dpi,
        resolver=res,
        product_name=name,
        label_width_mm=float(label_width_mm),
        label_height_mm=float(label_height_mm),
    )
