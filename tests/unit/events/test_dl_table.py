"""``events._dl._epc`` (a table of EPC schemes) gives what the if-chain it replaced gave, on
random URNs of every scheme (issue 13 item 4); the chain is kept as the oracle in
``tests/unit/events/dl_epc_reference.py``."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.unit.events.dl_epc_reference import epc_before
from traceability.events import _dl

KINDS = [("id", s) for s in ("sgtin", "upui", "sscc", "gsrn", "gsrnp", "gsin", "sgln", "pgln")]
KINDS += [("id", s) for s in ("grai", "gdti", "sgcn", "giai", "ginc", "cpi", "itip", "x")]
KINDS += [("class", "lgtin"), ("class", "sgtin"), ("idpat", "sgtin"), ("idpat", "upui")]
KINDS += [("idpat", s) for s in ("grai", "gdti", "sgcn", "cpi", "itip", "sscc")]
# the digits of company prefix + reference per scheme (TDS), missed by one now and then
TOTAL = {
    "sscc": 17,
    "gsrn": 17,
    "gsrnp": 17,
    "gsin": 16,
    "sgtin": 13,
    "upui": 13,
    "lgtin": 13,
    "itip": 13,
}
VALID = [*"0123456789AZaz!'()*+,-.:;=_", "%21", "%2F", "%41"]
SERIAL = st.sampled_from([*VALID * 8, "%zz", "#", "/", "é", "٣", "\n", "\0", "*"])


def _digits(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=lo, max_size=hi)


@st.composite
def urns(draw: st.DrawFn) -> tuple[str, str, str]:
    """Near-valid bodies of every scheme: a company prefix of 5-13 digits, a reference that
    makes (or just misses) the scheme's digit total, serials around the length limits."""
    kind, scheme = draw(st.sampled_from(KINDS))
    k = draw(st.sampled_from([5, 6, 7, 7, 8, 9, 10, 11, 12, 12, 13]))
    cp = draw(_digits(k, k))
    total = TOTAL.get(scheme, 12) + draw(st.sampled_from([-1, 0, 0, 0, 0, 0, 1]))
    n = max(0, total - len(cp))
    ref = draw(_digits(n, n) | _digits(n, n) | st.text(alphabet="0123456789AZ-#/%", max_size=8))
    size = draw(st.sampled_from([0, 1, 5, 12, 13, 16, 17, 18, 19, 20, 21, 22, 24, 28, 29, 31]))
    size = max(0, size + draw(st.integers(-1, 1)))
    serial = draw(st.lists(SERIAL, min_size=size, max_size=size).map("".join))
    if draw(st.booleans()):
        d = draw(st.sampled_from([0, 1, 4, 11, 12, 13]))
        serial = "*" if kind == "idpat" else draw(_digits(d, d))
    piece = draw(st.sampled_from(["12.34.", "12.34.", "1.34.", ""])) if scheme == "itip" else ""
    tail = draw(st.sampled_from([f".{piece}{serial}"] * 4 + ["", ".0", ".."]))
    return kind, scheme, draw(st.sampled_from([f"{cp}.{ref}{tail}"] * 3 + [f"{cp}.{serial}"]))


@settings(max_examples=3000, deadline=None)
@given(urns())
@example(("id", "grai", "0614141.12345." + "A" * 16))  # the serial length limits
@example(("id", "grai", "0614141.12345." + "A" * 17))
@example(("id", "gdti", "0614141.12345." + "7" * 20))
@example(("id", "sgtin", "0614141.812345." + "x" * 21))
@example(("id", "upui", "0614141.812345." + "x" * 29))
@example(("id", "gsin", "0614141.1234567890"))  # one digit too many
@example(("id", "sscc", "0614141.123456789"))  # one too few
@example(("id", "cpi", "0614141." + "1" * 23 + ".5"))  # 30 characters, then 31
@example(("id", "cpi", "0614141." + "1" * 24 + ".5"))
@example(("id", "giai", "0614141." + "A" * 23))
@example(("id", "giai", "0614141." + "A" * 24))
@example(("id", "sgln", "0614141.12345.0"))  # no extension
def test_table_gives_what_the_chain_gave(urn: tuple[str, str, str]) -> None:
    """(``_dl._EPC`` admits only the kinds id, class, idpat: the chain read any other as idpat.)"""
    kind, scheme, body = urn
    assert _dl._epc(kind, scheme, body) == epc_before(kind, scheme, body), (kind, scheme, body)


def test_every_scheme_has_a_link() -> None:
    """One valid URN per table row, so the random test above is not comparing only ``None``s."""
    valid = {
        ("id", "sgtin"): "0614141.812345.6789",
        ("id", "upui"): "0614141.812345.A%2Fb",
        ("id", "sscc"): "0614141.1234567890",
        ("id", "gsrn"): "0614141.1234567890",
        ("id", "gsrnp"): "0614141.1234567890",
        ("id", "gsin"): "0614141.123456789",
        ("id", "sgln"): "0614141.12345.0",
        ("id", "pgln"): "0614141.12345",
        ("id", "grai"): "0614141.12345.400",
        ("id", "gdti"): "0614141.12345.006847",
        ("id", "sgcn"): "4012345.67890.04711",
        ("id", "giai"): "0614141.12345400",
        ("id", "ginc"): "0614141.xyz3311",
        ("id", "cpi"): "0614141.123ABC.123456789",
        ("id", "itip"): "4012345.012345.01.02.987",
        ("class", "lgtin"): "4012345.012345.998877",
        ("idpat", "sgtin"): "0614141.812345.*",
        ("idpat", "upui"): "0614141.812345.*",
        ("idpat", "grai"): "0614141.12345.*",
        ("idpat", "gdti"): "0614141.12345.*",
        ("idpat", "sgcn"): "4012345.67890.*",
        ("idpat", "cpi"): "0614141.123ABC.*",
        ("idpat", "itip"): "4012345.012345.01.02.*",
    }
    assert set(valid) == set(_dl._RULES)
    for (kind, scheme), body in valid.items():
        got = _dl._epc(kind, scheme, body)
        assert got is not None and got.startswith("https://id.gs1.org/"), (kind, scheme)
        assert got == epc_before(kind, scheme, body)
    assert _dl._epc("id", "sgln", "0614141.12345.7") == "https://id.gs1.org/414/0614141123452/254/7"
