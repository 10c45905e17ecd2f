"""Cases for GS1 Digital Link URIs."""

from __future__ import annotations

from .case import Case
from .gen_base import GenBase
from .gs1 import DL_QUALIFIERS, DL_UNRESERVED, dl_escape, epc_keys, gs1_normalized


class DigitalLinkCases(GenBase):
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
