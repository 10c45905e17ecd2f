"""The case generator's state and helpers."""

from __future__ import annotations

import calendar
import datetime as dt
import random
import string

from .case import Case
from .china import equipment_valid, uscc_valid
from .gs1 import full_year, mod10


class GenBase:
    """Random source, clock and collected cases shared by the case families."""

    def __init__(self, seed: int, today: dt.date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.cases: list[Case] = []

    # helpers ---------------------------------------------------------------------------
    def digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    def text(self, lo: int, hi: int, extra: str = "") -> str:
        alphabet = string.ascii_letters + string.digits + extra
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(lo, hi)))

    def date(self, *, day_zero: bool = False) -> str:
        yy = self.rng.randint(0, 99)
        mm = self.rng.randint(1, 12)
        last = calendar.monthrange(full_year(yy, self.today), mm)[1]
        dd = 0 if day_zero else self.rng.randint(1, last)
        return f"{yy:02d}{mm:02d}{dd:02d}"

    def add(self, case: Case) -> None:
        self.cases.append(case)

    def kinds_18(self, code: str) -> tuple[frozenset[str], bool]:
        """Valid kinds of an 18-character string, and whether that is fully determined."""
        kinds = set()
        if code.isdigit() and code[-1] == mod10(code[:-1]):
            kinds.add("sscc")
        if uscc_valid(code):
            kinds.add("uscc")
        eq = equipment_valid(code, self.today)
        if eq:
            kinds.add("cn_equipment_code")
        return frozenset(kinds), eq is not None
