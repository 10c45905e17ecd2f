"""GS1 keys, check digits, YYMMDD dates, element-string separators and Digital Link."""

from __future__ import annotations

import calendar
import datetime as dt
import string

GS = "\x1d"
STEM = "https://id.gs1.org"

# --------------------------------------------------------------------------- GS1 basics


def mod10(body: str) -> str:
    """GS1 check digit for ``body`` (all digits but the check digit)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def with_check(body: str) -> str:
    return body + mod10(body)


def wrong_check(body: str) -> str:
    return body + str((int(mod10(body)) + 7) % 10)


def full_year(yy: int, today: dt.date) -> int:
    """GS1 GenSpecs 7.12 century determination."""
    cur = today.year % 100
    century = today.year - cur
    diff = yy - cur
    if 51 <= diff <= 99:
        century -= 100
    elif -99 <= diff <= -50:
        century += 100
    return century + yy


def gs1_date(value: str, today: dt.date, *, day_zero: bool) -> dt.date | None:
    """YYMMDD -> date, None if not a date."""
    if len(value) != 6 or not value.isdigit():
        return None
    yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:])
    if not 1 <= mm <= 12:
        return None
    year = full_year(yy, today)
    last = calendar.monthrange(year, mm)[1]
    if dd == 0:
        return dt.date(year, mm, last) if day_zero else None
    if dd > last:
        return None
    return dt.date(year, mm, dd)


# Predefined-length AIs (GS1 GenSpecs figure 7.8.5-2): no FNC1 needed after them.
_PREDEFINED = {
    "00", "01", "02", "03", "04", "11", "12", "13", "14", "15", "16", "17", "18", "19",
    "20", "31", "32", "33", "34", "35", "36", "41",
}  # fmt: skip


def needs_gs(ai: str) -> bool:
    return ai[:2] not in _PREDEFINED


DL_UNRESERVED = set(string.ascii_letters + string.digits + "-._~")


def dl_escape(value: str) -> str:
    return "".join(c if c in DL_UNRESERVED else f"%{ord(c):02X}" for c in value)


# GS1 Digital Link: primary keys and their qualifier sequence.
DL_QUALIFIERS: dict[str, tuple[str, ...]] = {
    "01": ("22", "10", "21"),
    "8006": ("22", "10", "21"),
    "414": ("254",),
    "00": (),
    "253": (),
    "8003": (),
    "8004": (),
}


def canonical_dl(elements: list[tuple[str, str]]) -> str:
    """Canonical Digital Link for GS1 data whose first element is the primary key."""
    primary, key = elements[0]
    if primary == "01":
        key = key.zfill(14)
    quals = DL_QUALIFIERS[primary]
    data = dict(elements[1:])
    path = f"{STEM}/{primary}/{dl_escape(key)}"
    for q in quals:
        if q in data:
            path += f"/{q}/{dl_escape(data[q])}"
    attrs = [(ai, v) for ai, v in elements[1:] if ai not in quals]
    if attrs:
        path += "?" + "&".join(f"{ai}={dl_escape(v)}" for ai, v in attrs)
    return path


def gs1_normalized(elements: list[tuple[str, str]], today: dt.date) -> dict[str, str]:
    data = dict(elements)
    out: dict[str, str] = {}
    if "01" in data:
        out["gtin"] = data["01"].zfill(14)
    for ai, name in (("21", "serial"), ("10", "lot"), ("00", "sscc"), ("414", "gln")):
        if ai in data:
            out[name] = data[ai]
    if "17" in data:
        d = gs1_date(data["17"], today, day_zero=True)
        assert d is not None
        out["expiry"] = d.isoformat()
    out["digital_link"] = canonical_dl(elements)
    return out


def epc_keys(elements: list[tuple[str, str]]) -> dict[str, str] | None:
    """The GS1 keys an EPC pure identity of these elements would carry."""
    data = dict(elements)
    if "01" in data and "21" in data:
        return {"01": data["01"].zfill(14), "21": data["21"]}
    if "00" in data:
        return {"00": data["00"]}
    if "414" in data:
        return {"414": data["414"], "254": data.get("254", "0")}
    if "8004" in data:
        return {"8004": data["8004"]}
    return None
