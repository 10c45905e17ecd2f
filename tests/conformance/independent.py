"""Identifier cases computed from the published rules, without the implementation.

Nothing here imports ``traceability``: every expected value is derived from the rules as
published, so that the implementation can be checked against a second reading of them.

Rules relied on
---------------
* GS1 General Specifications: mod-10 check digit (weights 3,1,3,... from the right, excluding
  the check digit); GTIN-8/12/13/14, GLN-13, SSCC-18; YYMMDD dates with the century rule of
  section 7.12 (YY - current YY in 51..99: previous century, in -99..-50: next century);
  day 00 permitted in the date AIs 11-17 (normalised here as the last day of the month);
  FNC1/GS (0x1D) after a variable-length element unless it is the last; the predefined-length
  AI prefixes (00-04, 11-20, 31-36, 41) need no separator.
* GS1 Digital Link URI syntax 1.x: ``{stem}/{primary AI}/{key}[/{qualifier AI}/{value}...]
  [?{attribute AI}={value}&...]``; qualifier order 01 -> 22, 10, 21 (each optional, in this
  order), 414 -> 254, 8006 -> 22, 10, 21; data attributes (e.g. 17) only in the query string;
  non-numeric query parameters are not GS1 data and are ignored. Canonical form: stem
  ``https://id.gs1.org``, numeric AIs, GTIN as 14 digits, qualifiers in the prescribed order,
  attributes kept in their order, every value character outside ``A-Za-z0-9-._~`` percent-
  encoded with upper-case hex (as GS1's own syntax engine does).
* EPC Tag Data Standard 2.x: EPC pure identity URNs for SGTIN, SSCC, SGLN, GRAI, GIAI and the
  96-bit encodings SGTIN-96 (0x30), SSCC-96 (0x31), SGLN-96 (0x32), GRAI-96 (0x33), GIAI-96
  (0x34): header 8, filter 3, partition 3, then the partitioned company prefix / reference
  fields and the serial, with the partition tables below.
* GB 32100-2015 unified social credit code: 18 characters of ``0-9 A-H J-N P-R T U W-Y``;
  positions 9-17 are the GB 11714-1997 organisation code (8 characters + check, weights
  3,7,9,10,5,8,4,2, check = 11 - sum mod 11, 10 -> X, 11 -> 0); the 18th is the check
  character with weights 3^(i-1) mod 31, check = (31 - sum mod 31) mod 31.
* Special-equipment code (TSG catalogue): variety (4) + manufacturer (5) + year (4) +
  sequence (5), variety's first character a catalogue top class (1-9 or F).
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import string
from dataclasses import dataclass, field

GS = "\x1d"
STEM = "https://id.gs1.org"


@dataclass(frozen=True)
class Case:
    """One input and what the published rules say about it.

    ``kinds``: for a valid input, every kind it is validly (the CLI's ``kind`` plus
    ``alternatives`` must equal it); for an invalid one, the kinds the CLI may name
    (empty: not checked). ``normalized``: values that must be present and equal.
    ``epc_gs1``: for GS1 inputs, the GS1 keys (AI -> value) that an ``epc_urn`` the CLI
    offers must encode (the company prefix length is not in the key, so only consistency
    can be checked).
    """

    input: str
    valid: bool
    kinds: frozenset[str]
    normalized: dict[str, str] = field(default_factory=dict)
    epc_gs1: dict[str, str] | None = None
    note: str = ""


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


# --------------------------------------------------------------------------- EPC (TDS 2.x)

# partition -> (company prefix bits, digits, other field bits, digits)
SGTIN_PARTITIONS = [
    (40, 12, 4, 1), (37, 11, 7, 2), (34, 10, 10, 3), (30, 9, 14, 4),
    (27, 8, 17, 5), (24, 7, 20, 6), (20, 6, 24, 7),
]  # fmt: skip
SSCC_PARTITIONS = [
    (40, 12, 18, 5), (37, 11, 21, 6), (34, 10, 24, 7), (30, 9, 28, 8),
    (27, 8, 31, 9), (24, 7, 34, 10), (20, 6, 38, 11),
]  # fmt: skip
SGLN_PARTITIONS = [
    (40, 12, 1, 0), (37, 11, 4, 1), (34, 10, 7, 2), (30, 9, 11, 3),
    (27, 8, 14, 4), (24, 7, 17, 5), (20, 6, 21, 6),
]  # fmt: skip
GRAI_PARTITIONS = [
    (40, 12, 4, 0), (37, 11, 7, 1), (34, 10, 10, 2), (30, 9, 14, 3),
    (27, 8, 17, 4), (24, 7, 20, 5), (20, 6, 24, 6),
]  # fmt: skip
GIAI_PARTITIONS = [
    (40, 12, 42, 13), (37, 11, 45, 14), (34, 10, 48, 15), (30, 9, 52, 16),
    (27, 8, 55, 17), (24, 7, 58, 18), (20, 6, 62, 19),
]  # fmt: skip

# scheme -> (header, table, width of the field after the partitioned pair)
EPC96: dict[str, tuple[int, list[tuple[int, int, int, int]], int]] = {
    "sgtin": (0x30, SGTIN_PARTITIONS, 38),
    "sscc": (0x31, SSCC_PARTITIONS, 24),
    "sgln": (0x32, SGLN_PARTITIONS, 41),
    "grai": (0x33, GRAI_PARTITIONS, 38),
    "giai": (0x34, GIAI_PARTITIONS, 0),
}


def epc96_hex(scheme: str, filt: int, partition: int, cp: int, ref: int, tail: int) -> str:
    """Pack a 96-bit EPC; ``tail`` is the serial / extension (0 for SSCC's reserved bits)."""
    header, table, tail_bits = EPC96[scheme]
    p = table[partition if partition < len(table) else 0]
    cp_bits, _, ref_bits, _ = p
    value = header
    for width, v in ((3, filt), (3, partition), (cp_bits, cp), (ref_bits, ref)):
        value = (value << width) | v
    if tail_bits:
        value = (value << tail_bits) | tail
    assert value.bit_length() <= 96
    return f"{value:024X}"


# Characters TDS requires to be %-escaped in EPC URN serial components.
_URN_ESCAPE = set('"%&/<>?')


def urn_escape(value: str) -> str:
    return "".join(f"%{ord(c):02X}" if c in _URN_ESCAPE else c for c in value)


@dataclass(frozen=True)
class Epc:
    urn: str
    elements: list[tuple[str, str]]


def sgtin(cp: str, ir: str, serial: str) -> Epc:
    gtin = with_check(ir[0] + cp + ir[1:])
    return Epc(f"urn:epc:id:sgtin:{cp}.{ir}.{urn_escape(serial)}", [("01", gtin), ("21", serial)])


def sscc(cp: str, sr: str) -> Epc:
    code = with_check(sr[0] + cp + sr[1:])
    return Epc(f"urn:epc:id:sscc:{cp}.{sr}", [("00", code)])


def sgln(cp: str, lr: str, ext: str) -> Epc:
    gln = with_check(cp + lr)
    els = [("414", gln)] + ([("254", ext)] if ext != "0" else [])
    return Epc(f"urn:epc:id:sgln:{cp}.{lr}.{urn_escape(ext)}", els)


def grai(cp: str, at: str, serial: str) -> Epc:
    value = with_check("0" + cp + at) + serial
    return Epc(f"urn:epc:id:grai:{cp}.{at}.{urn_escape(serial)}", [("8003", value)])


def giai(cp: str, iar: str) -> Epc:
    return Epc(f"urn:epc:id:giai:{cp}.{urn_escape(iar)}", [("8004", cp + iar)])


def epc_normalized(epc: Epc, today: dt.date) -> dict[str, str]:
    out = gs1_normalized(epc.elements, today)
    out["epc_urn"] = epc.urn
    return out


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


# --------------------------------------------------------------------------- generation


class Gen:
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

    # Digital Link ----------------------------------------------------------------------
    STEMS = (
        "https://id.gs1.org",
        "https://example.com",
        "https://example.com/some/prefix",
        "http://brand.example.cn/p",
        "https://id.example.org/a/b/c",
    )

    def digital_links(self, n: int) -> None:
        made = 0
        while made < n:
            els = self.gs1_data()
            primary = els[0][0]
            if primary not in DL_QUALIFIERS or (primary == "00" and len(els) > 1):
                continue
            quals = DL_QUALIFIERS[primary]
            data = dict(els[1:])
            stem = self.rng.choice(self.STEMS)
            key = els[0][1]
            path = f"{stem}/{primary}/{dl_escape(key)}"
            for q in quals:
                if q in data:
                    v = data[q]
                    enc = dl_escape(v)
                    if self.rng.random() < 0.3:
                        enc = self.mixed_escape(v)
                    path += f"/{q}/{enc}"
            attrs = [(ai, v) for ai, v in els[1:] if ai not in quals]
            params = [f"{ai}={dl_escape(v)}" for ai, v in attrs]
            if self.rng.random() < 0.3:
                params.insert(self.rng.randint(0, len(params)), "linkType=gs1:pip")
            uri = path + ("?" + "&".join(params) if params else "")
            ordered = [els[0], *[(q, data[q]) for q in quals if q in data], *attrs]
            norm = gs1_normalized(ordered, self.today)
            self.add(
                Case(uri, True, frozenset({"digital_link"}), norm, epc_keys(ordered), note="DL")
            )
            made += 1

    def mixed_escape(self, v: str) -> str:
        """Escape some unreserved characters too, in lower-case hex (still the same value)."""
        out = ""
        for c in v:
            if c not in DL_UNRESERVED or self.rng.random() < 0.3:
                out += f"%{ord(c):02x}"
            else:
                out += c
        return out

    def digital_link_edges(self) -> None:
        t = self.today
        g = "09506000134352"
        good: list[tuple[str, list[tuple[str, str]]]] = [
            (f"https://example.com/01/{g}/10/AB%2F1/21/x?17=251231",
             [("01", g), ("10", "AB/1"), ("21", "x"), ("17", "251231")]),
            (f"https://example.com/shop/en/01/{g}/22/2A/10/L1/21/S1?17=291200&11=240101",
             [("01", g), ("22", "2A"), ("10", "L1"), ("21", "S1"), ("17", "291200"),
              ("11", "240101")]),
            (f"https://example.com/01/{g}/21/A+B",
             [("01", g), ("21", "A+B")]),
            (f"https://id.gs1.org/01/{g}?linkType=all&17=300101",
             [("01", g), ("17", "300101")]),
            ("https://example.com/01/9506000134352/21/1",
             [("01", g), ("21", "1")]),
            ("https://example.com/414/9520123456788/254/32a%2Fb",
             [("414", "9520123456788"), ("254", "32a/b")]),
            ("https://example.com/00/106141412345678908",
             [("00", "106141412345678908")]),
            (f"HTTPS://EXAMPLE.COM/01/{g}/10/%41%62c",
             [("01", g), ("10", "Abc")]),
            (f"https://example.com/01/{g}/21/A1#fragment",
             [("01", g), ("21", "A1")]),
            ("https://example.com/01/614141000005?linkType=gs1:pip",
             [("01", "00614141000005")]),
            ("https://example.com/01/96385074/10/X",
             [("01", "00000096385074"), ("10", "X")]),
            ("https://example.com/00/106141412345678908?02=09506000134352&37=25&10=ABC123",
             [("00", "106141412345678908"), ("02", g), ("37", "25"), ("10", "ABC123")]),
        ]  # fmt: skip
        for uri, els in good:
            self.add(
                Case(uri, True, frozenset({"digital_link"}), gs1_normalized(els, t),
                     epc_keys(els), note="DL edge")
            )  # fmt: skip
        bad = [
            (f"https://example.com/01/{g}/21/S1/10/L1", "qualifier order 21 before 10"),
            (f"https://example.com/01/{g}/10/L1/22/C1", "qualifier order 10 before 22"),
            (f"https://example.com/01/{g}/17/251231", "17 is not a qualifier of 01"),
            (f"https://example.com/01/{g}/10/L1?17=251301", "month 13"),
            (f"https://example.com/01/{g}?17=250230", "Feb 30"),
            ("https://example.com/01/09506000134353", "GTIN check digit"),
            (f"https://example.com/01/{g}/10/L1/10/L2", "repeated qualifier"),
            ("https://example.com/414/9520123456789", "GLN check digit"),
            ("https://example.com/00/106141412345678909", "SSCC check digit"),
            (f"https://example.com/01/{g}/21/", "empty serial"),
            (f"https://example.com/01/{g}?10=ABC", "qualifier 10 in the query"),
            (f"https://example.com/01/{g}?17=251231&17=251130", "repeated attribute"),
            (f"https://example.com/01/{g}/254/XYZ", "254 is not a qualifier of 01"),
            ("https://example.com/00/106141412345678908?37=5", "37 without 02"),
            (f"https://example.com/01/{g}?37=5", "01 with 37"),
            ("https://example.com/21/ABC", "21 is not a primary key"),
            ("https://example.com/products/123", "no GS1 primary key"),
        ]
        for uri, note in bad:
            self.add(Case(uri, False, frozenset({"digital_link"}), note=f"DL {note}"))

    # EPC -------------------------------------------------------------------------------
    def epcs(self, per_partition: int) -> None:
        t = self.today
        for scheme, (_header, table, _tail) in EPC96.items():
            for part, (cp_bits, cp_digits, ref_bits, ref_digits) in enumerate(table):
                for _ in range(per_partition):
                    cp = self.digits(cp_digits)
                    ref = self.digits(ref_digits)
                    filt = self.rng.randint(0, 7)
                    if scheme == "sgtin":
                        serial_n = self.rng.choice([0, 1, self.rng.randint(0, 2**38 - 1)])
                        epc = sgtin(cp, ref, str(serial_n))
                        hx = epc96_hex(scheme, filt, part, int(cp), int(ref), serial_n)
                    elif scheme == "sscc":
                        epc = sscc(cp, ref)
                        hx = epc96_hex(scheme, filt, part, int(cp), int(ref), 0)
                    elif scheme == "sgln":
                        ext_n = self.rng.choice([0, self.rng.randint(1, 2**41 - 1)])
                        epc = sgln(cp, ref, str(ext_n))
                        hx = epc96_hex(scheme, filt, part, int(cp), int(ref or "0"), ext_n)
                    elif scheme == "grai":
                        serial_n = self.rng.randint(0, 2**38 - 1)
                        epc = grai(cp, ref, str(serial_n))
                        hx = epc96_hex(scheme, filt, part, int(cp), int(ref or "0"), serial_n)
                    else:
                        iar_n = self.rng.randint(0, min(2**ref_bits - 1, 10 ** (30 - cp_digits)))
                        epc = giai(cp, str(iar_n))
                        hx = epc96_hex(scheme, filt, part, int(cp), iar_n, 0)
                    norm = epc_normalized(epc, t)
                    self.add(Case(epc.urn, True, frozenset({"epc_urn"}), norm, note=scheme))
                    hx_in = hx if self.rng.random() < 0.8 else hx.lower()
                    self.add(Case(hx_in, True, frozenset({"epc_hex"}), norm, note=f"{scheme}-96"))
                # a company prefix value that does not fit its digits
                if cp_digits < 12:
                    over = 10**cp_digits
                    if over < 2**cp_bits:
                        hx = epc96_hex(scheme, 1, part, over, 0, 0)
                        self.add(
                            Case(hx, False, frozenset({"epc_hex"}), note=f"{scheme} cp overflow")
                        )
            # a reference value that does not fit its digits
            if scheme in ("sgtin", "sscc") and 10 ** table[3][3] < 2 ** table[3][2]:
                hx = epc96_hex(scheme, 1, 3, 614141, 10 ** table[3][3], 0)
                self.add(Case(hx, False, frozenset({"epc_hex"}), note=f"{scheme} ref overflow"))
            if scheme == "sgln":
                # partition 0: the location reference has 0 digits, so its one bit must be 0
                hx = epc96_hex(scheme, 1, 0, 614141000001, 1, 0)
                self.add(Case(hx, False, frozenset({"epc_hex"}), note="sgln p0 ref bit"))
            # partition 7 is reserved
            header = EPC96[scheme][0]
            value = (header << 88) | (1 << 85) | (7 << 82) | 12345
            self.add(Case(f"{value:024X}", False, frozenset({"epc_hex"}), note="partition 7"))
        # the DESIGN example and other fixed points
        els = [("01", "80614141123458"), ("21", "6789")]
        norm = gs1_normalized(els, t) | {"epc_urn": "urn:epc:id:sgtin:0614141.812345.6789"}
        self.add(Case("3074257BF7194E4000001A85", True, frozenset({"epc_hex"}), norm))
        # unknown header (0x35 is GID? no: GID-96 is 0x35; 0xE2 is not an EPC header)
        self.add(Case("E2801160600002054E6BA4B4", False, frozenset({"epc_hex"}), note="hdr"))
        # URNs with escaped characters and alphanumeric serials
        for epc in (
            sgtin("0614141", "112345", "A%/B"),
            sgtin("4012345", "011111", "987"),
            sgln("0614141", "12345", "ab-1"),
            grai("0614141", "12345", "Z9"),
            giai("0614141", "ABC-1"),
            sscc("0614141", "1234567890"),
        ):
            self.add(Case(epc.urn, True, frozenset({"epc_urn"}), epc_normalized(epc, t)))
        for urn, note in (
            ("urn:epc:id:sgtin:0614141.81234.6789", "cp+ir must be 13 digits"),
            ("urn:epc:id:sscc:0614141.123456789", "cp+sr must be 17 digits"),
            ("urn:epc:id:sgln:0614141.1234.0", "cp+lr must be 12 digits"),
            ("urn:epc:id:sgtin:061414.1812345.6789", "6-digit prefix is fine"),
            ("urn:epc:id:sgtin:0614141.812345.", "empty serial"),
            ("urn:epc:id:foo:0614141.812345.1", "unknown scheme"),
        ):
            if note == "6-digit prefix is fine":
                e = sgtin("061414", "1812345", "6789")
                self.add(Case(urn, True, frozenset({"epc_urn"}), epc_normalized(e, t)))
            else:
                self.add(Case(urn, False, frozenset({"epc_urn"}), note=note))

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


def generate(seed: int = 20240603, today: dt.date | None = None) -> list[Case]:
    """All cases; deterministic for a given seed and day."""
    g = Gen(seed, today or dt.date.today())
    g.gs1_keys(60)
    g.ssccs(25)
    g.element_strings(120)
    g.element_string_edges()
    g.digital_links(80)
    g.digital_link_edges()
    g.epcs(2)
    g.usccs(25)
    g.both_sscc_and_uscc(5)
    g.equipment(15)
    return g.cases
