"""Cases for GS1 keys, SSCCs and element strings."""

from __future__ import annotations

from .case import Case
from .gen_base import GenBase
from .gs1 import (
    DL_QUALIFIERS,
    GS,
    STEM,
    epc_keys,
    gs1_normalized,
    needs_gs,
    with_check,
    wrong_check,
)


class GS1Cases(GenBase):
    # GS1 keys --------------------------------------------------------------------------
    def gs1_keys(self, n: int) -> None:
        for _ in range(n):
            length = self.rng.choice((8, 12, 13, 14))
            body = self.digits(length - 1)
            good = with_check(body)
            kinds = frozenset({"gtin", "gln"}) if length == 13 else frozenset({"gtin"})
            norm = {"gtin": good.zfill(14), "digital_link": f"{STEM}/01/{good.zfill(14)}"}
            if length == 13:
                # a GLN too; the GTIN reading is the documented first choice
                pass
            self.add(Case(good, True, kinds, norm, note=f"GTIN-{length}"))
            bad = wrong_check(body)
            self.add(Case(bad, False, kinds, note=f"GTIN-{length} wrong check digit"))

    def ssccs(self, n: int) -> None:
        made = 0
        while made < n:
            body = self.digits(17)
            code = with_check(body)
            kinds, sure = self.kinds_18(code)
            if not sure:
                continue
            norm = {"sscc": code, "digital_link": f"{STEM}/00/{code}"} if kinds == {"sscc"} else {}
            self.add(Case(code, True, kinds, norm, note="SSCC"))
            bad = wrong_check(body)
            bk, sure = self.kinds_18(bad)
            if sure:
                self.add(Case(bad, bool(bk), bk or frozenset({"sscc", "uscc"}), note="SSCC bad"))
            made += 1

    # element strings -------------------------------------------------------------------
    def gs1_data(self) -> list[tuple[str, str]]:
        """A valid combination of AIs (mandatory associations respected), key first."""
        kind = self.rng.choices(["01", "00", "414", "8004", "253"], [10, 2, 2, 1, 1])[0]
        if kind == "01":
            gtin = with_check(self.digits(13))
            extra: list[tuple[str, str]] = []
            if self.rng.random() < 0.2:
                extra.append(("22", self.text(1, 20, "-._")))
            if self.rng.random() < 0.6:
                extra.append(("10", self.text(1, 20, "-._/")))
            if self.rng.random() < 0.7:
                extra.append(("21", self.text(1, 20, "-._/+")))
            if self.rng.random() < 0.6:
                extra.append(("17", self.date(day_zero=self.rng.random() < 0.15)))
            if self.rng.random() < 0.2:
                extra.append(("11", self.date()))
            if self.rng.random() < 0.15:
                extra.append(("15", self.date()))
            self.rng.shuffle(extra)
            return [("01", gtin), *extra]
        if kind == "00":
            els = [("00", with_check(self.digits(17)))]
            if self.rng.random() < 0.4:
                els += [("02", with_check(self.digits(13))), ("37", str(self.rng.randint(1, 999)))]
            return els
        if kind == "414":
            els = [("414", with_check(self.digits(12)))]
            if self.rng.random() < 0.5:
                els.append(("254", self.text(1, 20)))
            return els
        if kind == "8004":
            return [("8004", self.digits(7) + self.text(1, 20))]
        return [("253", with_check(self.digits(12)) + self.text(0, 17))]

    def encode(self, els: list[tuple[str, str]], form: str) -> str:
        if form == "bracketed":
            return "".join(f"({ai}){v}" for ai, v in els)
        out = ""
        for i, (ai, v) in enumerate(els):
            out += ai + v
            if i < len(els) - 1 and needs_gs(ai):
                out += GS
        return {"d2": "]d2", "q3": "]Q3", "c1": "]C1", "bare": ""}[form] + out

    def element_strings(self, n: int) -> None:
        for _ in range(n):
            els = self.gs1_data()
            if els[0][0] not in DL_QUALIFIERS:
                continue
            form = self.rng.choice(["bracketed", "d2", "q3", "c1", "bare"])
            code = self.encode(els, form)
            norm = gs1_normalized(els, self.today)
            keys = epc_keys(els)
            kinds = {"element_string"}
            if code.isdigit() and len(code) == 20:
                # also a 20-digit Chinese drug traceability code; which reading comes first is
                # not fixed by any rule, so the normalised values are not compared
                kinds.add("cn_drug_code")
                norm, keys = {}, None
            self.add(Case(code, True, frozenset(kinds), norm, keys, note=f"ES {form}"))

    def element_string_edges(self) -> None:
        gtin = "09506000134352"
        t = self.today
        ok = [("01", gtin), ("17", "290229"), ("10", "LOT-1")]  # 2029 is not leap: see below
        bad_dates = {
            "month 13": "251301",
            "Feb 30": "250230",
            "day 32": "250132",
            "Feb 29 (2025 not leap)": "250229",
        }
        for note, d in bad_dates.items():
            for form in ("bracketed", "d2"):
                code = self.encode([("01", gtin), ("17", d), ("10", "ABC")], form)
                self.add(Case(code, False, frozenset({"element_string"}), note=f"ES {note}"))
        # Feb 29 of a leap year, and day 00 (end of month) are fine
        for d in ("280229", "250200", "251200", "240200"):
            els = [("01", gtin), ("17", d), ("10", "ABC")]
            self.add(
                Case(self.encode(els, "d2"), True, frozenset({"element_string"}),
                     gs1_normalized(els, t), note=f"ES expiry {d}")
            )  # fmt: skip
        del ok
        # wrong check digit inside
        bad = "(01)09506000134353(21)X1"
        self.add(Case(bad, False, frozenset({"element_string"}), note="ES bad GTIN check"))
        self.add(Case("]d2" + "0109506000134353" + "21X1", False, frozenset({"element_string"})))
        # GS after a fixed-length AI is tolerated; GS missing after variable AI joins values
        els = [("01", gtin), ("10", "AB"), ("21", "CD")]
        joined = "]d20109506000134352" + "10AB" + GS + "21CD"
        self.add(
            Case(joined, True, frozenset({"element_string"}), gs1_normalized(els, t), note="GS")
        )
        # the DESIGN example
        els = [("01", "80614141123458"), ("21", "6789")]
        self.add(
            Case("(01)80614141123458(21)6789", True, frozenset({"element_string"}),
                 gs1_normalized(els, t), epc_keys(els))
        )  # fmt: skip
        # GTIN-13 in AI 01 is not 14 digits
        self.add(Case("(01)9506000134352", False, frozenset({"element_string"}), note="N14"))
        # GenSpecs 4.14 mandatory associations and invalid pairs
        for code, note in (
            ("(21)ABC", "21 needs 01 or 8006"),
            ("(10)ABC", "10 needs a trade item"),
            ("(17)251231", "17 needs a trade item"),
            ("(254)ABC", "254 needs 414"),
            (f"(01){gtin}(02){gtin}(37)5", "01 and 02 together"),
            (f"(01){gtin}(37)5", "01 and 37 together"),
            ("(00)106141412345678908(02)" + gtin, "02 needs 37"),
            ("(00)106141412345678908(37)5", "37 needs 02"),
        ):
            self.add(Case(code, False, frozenset({"element_string"}), note=f"ES {note}"))
        # other keys and AIs that are no qualifier of the primary key are data attributes
        # (DL URI syntax 4.10 and its example /00/{sscc}?02={gtin}&37=25&10=ABC123)
        els = [("00", "106141412345678908"), ("02", gtin), ("37", "25"), ("10", "ABC123")]
        self.add(
            Case(self.encode(els, "d2"), True, frozenset({"element_string"}),
                 gs1_normalized(els, t), epc_keys(els), note="ES SSCC with content")
        )  # fmt: skip
        # day 00 is allowed in every YYMMDD date AI 11-17, not only in 17
        for ai in ("11", "13", "15", "16"):
            els = [("01", gtin), (ai, "250100")]
            self.add(
                Case(self.encode(els, "bracketed"), True, frozenset({"element_string"}),
                     gs1_normalized(els, t), note=f"ES ({ai}) day 00")
            )  # fmt: skip
        # characters outside GS1 character set 82
        self.add(Case(f"(01){gtin}(10)AB#1", False, frozenset({"element_string"}), note="#"))
        # too-long lot (max 20)
        self.add(Case("(01)09506000134352(10)" + "A" * 21, False, frozenset({"element_string"})))
