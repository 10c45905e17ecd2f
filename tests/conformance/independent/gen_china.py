"""Cases for USCCs and special-equipment codes."""

from __future__ import annotations

import string

from .case import Case
from .china import USCC_CHARS, org_check, uscc_check
from .gen_base import GenBase
from .gs1 import mod10


class ChinaCases(GenBase):
    # USCC / equipment ------------------------------------------------------------------
    ADMIN = ("110000", "110105", "310115", "350100", "440300", "330106", "510104", "120116")
    RA_TYPES = (("9", "1"), ("9", "2"), ("9", "3"), ("1", "1"), ("5", "1"), ("5", "3"), ("Y", "1"))

    def org_body(self) -> str:
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        while True:
            body = "".join(self.rng.choice(alphabet) for _ in range(8))
            if org_check(body) in USCC_CHARS:
                return body

    def usccs(self, n: int) -> None:
        for _ in range(n):
            ra, et = self.rng.choice(self.RA_TYPES)
            org = self.org_body()
            body = ra + et + self.rng.choice(self.ADMIN) + org + org_check(org)
            code = body + uscc_check(body)
            kinds, sure = self.kinds_18(code)
            if not sure:
                continue
            norm = {"uscc": code} if kinds == {"uscc"} else {}
            self.add(Case(code, True, kinds, norm, note="USCC"))
            # wrong final check
            alt = USCC_CHARS[(USCC_CHARS.index(code[17]) + 1) % 31]
            bad = body + alt
            bk, sure = self.kinds_18(bad)
            if sure:
                self.add(Case(bad, bool(bk), bk or frozenset({"uscc"}), note="USCC bad check"))
            # wrong org-code check, final check recomputed so only GB 11714 fails
            oc = org_check(org)
            wrong_oc = next(c for c in "0123456789" if c != oc)
            body2 = body[:16] + wrong_oc
            bad2 = body2 + uscc_check(body2)
            bk, sure = self.kinds_18(bad2)
            if sure:
                self.add(Case(bad2, bool(bk), bk or frozenset({"uscc"}), note="USCC bad org"))
        self.add(
            Case("91350100M000100Y43", True, frozenset({"uscc"}), {"uscc": "91350100M000100Y43"})
        )
        self.add(Case("91350100M000100Y44", False, frozenset({"uscc"}), note="DESIGN example +1"))
        self.add(Case("91350100M000100I43", False, frozenset({"uscc"}), note="I not allowed"))
        self.add(Case("91350100M000100Y4", False, frozenset(), note="17 characters"))

    def both_sscc_and_uscc(self, n: int) -> None:
        made = 0
        while made < n:
            ra, et = self.rng.choice([("9", "1"), ("1", "1"), ("5", "1")])
            org = self.digits(8)
            oc = org_check(org)
            if not oc.isdigit():
                continue
            body = ra + et + self.rng.choice(self.ADMIN) + org + oc
            chk = uscc_check(body)
            code = body + chk
            if not chk.isdigit() or mod10(code[:-1]) != chk:
                continue
            kinds, sure = self.kinds_18(code)
            if not sure:
                continue
            assert {"sscc", "uscc"} <= kinds
            self.add(Case(code, True, kinds, note="SSCC and USCC"))
            made += 1

    def equipment(self, n: int) -> None:
        varieties = ("3110", "3120", "3210", "1100", "2110", "4110", "4170", "6110", "8100", "F220")
        for _ in range(n):
            v = self.rng.choice(varieties)
            maker = "".join(
                self.rng.choice(string.ascii_uppercase + string.digits) for _ in "12345"
            )
            year = str(self.rng.randint(1990, self.today.year))
            code = v + maker + year + self.digits(5)
            kinds, sure = self.kinds_18(code)
            if not sure or "cn_equipment_code" not in kinds:
                continue
            norm = {"cn_equipment_code": code} if kinds == {"cn_equipment_code"} else {}
            self.add(Case(code, True, kinds, norm, note="equipment"))
        for code, note in (
            ("3110A1B2C2999" + "00001", "year in the future"),
            ("0110A1B2C2015" + "00001", "variety 0xxx not a class"),
            ("3110A1B2C20X5" + "00001", "year not digits"),
            ("3110A1B2C2015" + "0001", "17 characters"),
        ):
            kinds, _ = self.kinds_18(code)
            self.add(Case(code, bool(kinds), kinds or frozenset(), note=note))
