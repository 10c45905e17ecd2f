"""GS1 Application Identifiers: the table (from biip), value validation, dates."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from traceability.identifiers import errors as ec
from traceability.identifiers.errors import IdentifierError
from traceability.identifiers.gs1 import verify_check_digit

# GS1 General Specifications 7.11, Figure 7.11-1 (character set 82) and 7.11-2 (set 39).
CS82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
CS39 = frozenset("#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
GS = "\x1d"

# AIs whose value is (or starts with) a key carrying a mod-10 check digit: AI -> (start, end).
_CHECKED_KEYS: dict[str, tuple[int, int, str]] = {
    "00": (0, 18, "SSCC"),
    "01": (0, 14, "GTIN"),
    "02": (0, 14, "GTIN"),
    "03": (0, 14, "GTIN"),
    "8006": (0, 14, "GTIN"),
    "8026": (0, 14, "GTIN"),
    "8003": (0, 14, "GRAI"),
    "253": (0, 13, "GDTI"),
    "255": (0, 13, "GCN"),
    "402": (0, 17, "GSIN"),
    "8017": (0, 18, "GSRN"),
    "8018": (0, 18, "GSRN"),
    **{f"41{i}": (0, 13, "GLN") for i in range(8)},
}

# YYMMDD date AIs where DD=00 means "end of month" (GenSpecs 3.4.x notes for AIs 11-17).
DATE_AIS = frozenset({"11", "12", "13", "15", "16", "17"})
# Other date-bearing AIs: AI -> layout of the leading date/time.
DATETIME_AIS: dict[str, str] = {
    "7006": "YYMMDD",
    "7007": "YYMMDD",
    "7003": "YYMMDDHHMM",
    "4324": "YYMMDDHHMM",
    "4325": "YYMMDDHHMM",
    "8008": "YYMMDDHH",
}

_PART = re.compile(r"^\[?([NXYZ])(\d*)(?:\.\.N?(\d+))?\]?\Z")


@dataclass(frozen=True)
class AiSpec:
    ai: str
    title: str
    min_len: int
    max_len: int
    numeric: bool
    predefined_length: bool
    pattern: re.Pattern[str]


@lru_cache(maxsize=1)
def _table() -> dict[str, AiSpec]:
    from biip.gs1_application_identifiers import _GS1_APPLICATION_IDENTIFIERS

    out: dict[str, AiSpec] = {}
    for ai, entry in _GS1_APPLICATION_IDENTIFIERS.items():
        lo = hi = 0
        numeric = True
        for raw in entry.format.replace("[+", "+[").split("+")[1:]:
            optional = raw.startswith("[")
            m = _PART.match(raw)
            if m is None:  # "[-]" style oddities: optional 1 char
                hi += 1
                continue
            kind, fixed, upper = m.group(1), m.group(2), m.group(3)
            numeric = numeric and kind == "N"
            if upper:
                hi += int(upper)
                lo += 0 if optional else 1
            else:
                n = int(fixed or 1)
                hi += n
                lo += 0 if optional else n
        out[ai] = AiSpec(
            ai=ai,
            title=entry.data_title,
            min_len=lo,
            max_len=hi,
            numeric=numeric,
            predefined_length=not entry.separator_required,
            pattern=re.compile(entry.pattern),
        )
    return out


def lookup_ai(ai: str) -> AiSpec | None:
    return _table().get(ai)


def ai_at(data: str, pos: int) -> AiSpec | None:
    """The AI starting at ``data[pos]`` (AIs are prefix-free), or None."""
    table = _table()
    for n in (2, 3, 4):
        spec = table.get(data[pos : pos + n])
        if spec is not None:
            return spec
    return None


def require_ai(ai: str, field: str | None = None) -> AiSpec:
    spec = lookup_ai(ai)
    if spec is None:
        raise IdentifierError(
            f"unknown GS1 Application Identifier ({ai})",
            code=ec.UNKNOWN_AI,
            field=field or ai,
            value=ai,
        )
    return spec


def century_year(yy: int, today: dt.date | None = None) -> int:
    """Full year for a 2-digit GS1 year (GenSpecs 7.12: sliding window -49/+50 years)."""
    current = (today or dt.date.today()).year
    diff = yy - current % 100
    base = current - current % 100
    if diff >= 51:
        base -= 100
    elif diff <= -50:
        base += 100
    return base + yy


def parse_gs1_date(value: str, *, field: str, allow_day_zero: bool) -> dt.date:
    """YYMMDD -> date. Day 00 (when allowed) is the last day of that month."""
    if len(value) < 6 or not value[:6].isdigit():
        raise IdentifierError(
            f"AI ({field}) date must be YYMMDD digits, got {value!r}",
            code=ec.INVALID_DATE,
            field=field,
            value=value,
        )
    yy, mm, dd = int(value[0:2]), int(value[2:4]), int(value[4:6])
    if not 1 <= mm <= 12:
        raise IdentifierError(
            f"AI ({field}) month should be 01-12, got {mm:02d}",
            code=ec.INVALID_DATE,
            field=field,
            value=value,
        )
    year = century_year(yy)
    last = calendar.monthrange(year, mm)[1]
    if dd == 0 and allow_day_zero:
        return dt.date(year, mm, last)
    if not 1 <= dd <= last:
        lowest = "00" if allow_day_zero else "01"
        raise IdentifierError(
            f"AI ({field}) day should be {lowest}-{last:02d} for {year}-{mm:02d}, got {dd:02d}",
            code=ec.INVALID_DATE,
            field=field,
            value=value,
        )
    return dt.date(year, mm, dd)


def _check_time(ai: str, value: str, layout: str) -> None:
    parse_gs1_date(value, field=ai, allow_day_zero=False)
    if "HH" in layout and len(value) >= 8:
        hh = int(value[6:8])
        if hh > 23:
            raise IdentifierError(
                f"AI ({ai}) hour should be 00-23, got {hh:02d}",
                code=ec.INVALID_DATE,
                field=ai,
                value=value,
            )
    if "MM" in layout[8:] and len(value) >= 10:
        mi = int(value[8:10])
        if mi > 59:
            raise IdentifierError(
                f"AI ({ai}) minute should be 00-59, got {mi:02d}",
                code=ec.INVALID_DATE,
                field=ai,
                value=value,
            )


# GS1 General Specifications 4.14 (as encoded in GS1's Barcode Syntax Dictionary): mandatory
# associations (each group: at least one of its AIs must be present) and invalid pairs, for the
# AIs this platform meets. Unlisted AIs are not checked.
_ANY_ITEM = ("01", "02", "8006", "8026")
_REQUIRES: dict[str, tuple[tuple[str, ...], ...]] = {
    "02": (("37",),),
    "10": (_ANY_ITEM,),
    "11": (_ANY_ITEM,),
    "13": (_ANY_ITEM,),
    "15": (_ANY_ITEM,),
    "16": (_ANY_ITEM,),
    "17": (("01", "02", "255", "8006", "8026"),),
    "20": (_ANY_ITEM,),
    "21": (("01", "8006"),),
    "22": (("01",),),
    "235": (("01",),),
    "250": (("01", "8006"), ("21",)),
    "251": (("01", "8006"),),
    "254": (("414",),),
    "30": (("01", "02"),),
    "37": (("00",), ("02", "8026")),
    **{f"310{d}": (("01", "02"),) for d in range(6)},
    **{f"330{d}": (("00", "01"),) for d in range(6)},
    "7003": (("01", "02"),),
    "7006": (("01", "02"),),
    "7007": (("01", "02"),),
    "8011": (("8010",),),
    "8019": (("8017", "8018"),),
}
_EXCLUDES: dict[str, tuple[str, ...]] = {
    "01": ("02", "255", "37"),
    "8006": ("01", "37"),
    "21": ("235",),
    "255": ("01", "02", "8006"),
    "8017": ("8018",),
}


def check_associations(ais: list[str]) -> None:
    """Raise unless the AIs satisfy the mandatory associations and avoid invalid pairs."""
    present = set(ais)
    for ai in ais:
        for group in _REQUIRES.get(ai, ()):
            if present.isdisjoint(group):
                wanted = " or ".join(f"({g})" for g in group)
                raise IdentifierError(
                    f"AI ({ai}) must be used together with {wanted}",
                    code=ec.AI_COMBINATION,
                    field=ai,
                    value=ai,
                )
        for other in _EXCLUDES.get(ai, ()):
            if other in present:
                raise IdentifierError(
                    f"AIs ({ai}) and ({other}) must not be used together",
                    code=ec.AI_COMBINATION,
                    field=ai,
                    value=other,
                )


def validate_ai_value(ai: str, value: str) -> AiSpec:
    """Check one AI's value: known AI, length, character set, format, check digit, date."""
    spec = require_ai(ai)
    if not spec.min_len <= len(value) <= spec.max_len:
        want = (
            f"{spec.min_len}" if spec.min_len == spec.max_len else f"{spec.min_len}-{spec.max_len}"
        )
        raise IdentifierError(
            f"AI ({ai}) {spec.title} should have {want} characters, got {len(value)}",
            code=ec.LENGTH,
            field=ai,
            value=value,
        )
    if spec.numeric and not (value.isascii() and value.isdigit()):
        bad = next(c for c in value if not ("0" <= c <= "9"))
        raise IdentifierError(
            f"AI ({ai}) {spec.title} must be digits, found {bad!r}",
            code=ec.CHARSET,
            field=ai,
            value=value,
        )
    bad_chars = [c for c in value if c not in CS82]
    if bad_chars:
        raise IdentifierError(
            f"AI ({ai}) {spec.title} has {bad_chars[0]!r}, outside GS1 character set 82",
            code=ec.CHARSET,
            field=ai,
            value=value,
        )
    key = _CHECKED_KEYS.get(ai)
    if key is not None:
        verify_check_digit(value[key[0] : key[1]], ai, key[2])
    if ai in DATE_AIS:
        parse_gs1_date(value, field=ai, allow_day_zero=True)
    elif ai in DATETIME_AIS:
        _check_time(ai, value, DATETIME_AIS[ai])
    if spec.pattern.fullmatch(ai + value) is None:
        raise IdentifierError(
            f"AI ({ai}) {spec.title} value {value!r} does not match the GS1 format",
            code=ec.INVALID_VALUE,
            field=ai,
            value=value,
        )
    return spec
