"""Chinese codes: GB 32100 unified social credit code and special-equipment codes."""

from __future__ import annotations

import datetime as dt

# --------------------------------------------------------------------------- China

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]


def uscc_check(body17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def org_check(body8: str) -> str:
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(body8, weights, strict=True))
    r = 11 - total % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def uscc_valid(code: str) -> bool:
    c = code.upper()
    return (
        len(c) == 18
        and all(ch in USCC_CHARS for ch in c)
        and c[2:8].isdigit()
        and c[16] == org_check(c[8:16])
        and c[17] == uscc_check(c[:17])
    )


EQUIPMENT_TOP = set("123456789F")


def equipment_valid(code: str, today: dt.date) -> bool | None:
    """True/False, or None where the published rules leave it open (years before 1950)."""
    c = code.upper()
    if len(c) != 18 or not (c.isascii() and c.isalnum()):
        return False
    variety, year, seq = c[:4], c[9:13], c[13:]
    if not (variety[1:].isdigit() and variety[0] in EQUIPMENT_TOP):
        return False
    if not (year.isdigit() and seq.isdigit()):
        return False
    y = int(year)
    if 1900 <= y < 1950:
        return None
    return 1950 <= y <= today.year + 1
