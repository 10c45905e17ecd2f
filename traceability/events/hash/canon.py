"""Step 3 of the event hash: canonical values (timestamps, CBV URNs, numbers, GS1 identifiers).

See :mod:`traceability.events.hashing` for the whole algorithm. Both functions are cached: the
same readPoint, bizStep or product class recurs in almost every event.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Final

from traceability.events import _dl

__all__ = ["canonical_value", "normalise_timestamp"]

_TS = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?\Z"
)


_OFFSETS: dict[str, timedelta] = {}


def _offset(tz: str) -> timedelta:
    found = _OFFSETS.get(tz)
    if found is None:
        digits = tz[1:].replace(":", "")
        found = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        if tz[0] == "-":
            found = -found
        if len(_OFFSETS) < 4096:
            _OFFSETS[tz] = found
    return found


@lru_cache(maxsize=16384)
def normalise_timestamp(text: str) -> str:
    """UTC, millisecond precision (half-up), ``Z``; unparseable text is returned unchanged."""
    m = _TS.match(text)
    if m is None:
        return text
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    try:
        dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0))
        if tz and tz not in ("Z", "z"):
            dt -= _offset(tz)
        millis = 0
        if frac:
            millis = int(frac[:3].ljust(3, "0"))
            if len(frac) > 3 and frac[3] >= "5":
                millis += 1
                if millis == 1000:
                    dt += timedelta(seconds=1)
                    millis = 0
    except (ValueError, OverflowError):  # not a date, or out of datetime's range
        return text
    if dt.year < 1000:  # strftime's %Y, whatever the platform pads it to
        return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}Z"
    return (
        f"{dt.year}-{dt.month:02d}-{dt.day:02d}T"
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}.{millis:03d}Z"
    )


_URN_VOCAB: Final = (
    ("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"),
    ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
    ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
    ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
    ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
)


@lru_cache(maxsize=65536)
def canonical_value(text: str) -> str:
    """CBV URN → Web URI; numbers without redundant zeros; GS1 identifiers → canonical DL."""
    if "urn:epcglobal:cbv:" in text:
        for urn, web in _URN_VOCAB:
            text = text.replace(urn, web)
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        with contextlib.suppress(ValueError, OverflowError):
            text = str(int(number)) if int(number) == number else str(number)
    return _dl.normalise(text) or text
