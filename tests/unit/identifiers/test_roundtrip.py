"""Round trips compared with the naive reference in naive.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.identifiers import naive
from traceability.identifiers import (
    digital_link_to_epc_urn,
    epc_urn_from_hex,
    epc_urn_to_digital_link,
    epc_urn_to_element_string,
    epc_urn_to_hex,
    gtin_check_digit,
    parse_digital_link,
    parse_element_string,
    to_digital_link,
)
from traceability.identifiers.ai import CS82

SETTINGS = settings(max_examples=150, deadline=None)
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

cs82 = st.text(alphabet=sorted(CS82), min_size=1, max_size=20)


@st.composite
def gtin14s(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet="0123456789", min_size=13, max_size=13))
    return body + naive.check_digit(body)


@st.composite
def sgtins(draw: st.DrawFn) -> tuple[int, str, str, int]:
    cp_len = draw(st.integers(6, 12))
    cp = draw(st.text(alphabet="0123456789", min_size=cp_len, max_size=cp_len))
    ir = draw(st.text(alphabet="0123456789", min_size=13 - cp_len, max_size=13 - cp_len))
    return draw(st.integers(0, 7)), cp, ir, draw(st.integers(0, 2**38 - 1))


@SETTINGS
@given(st.text(alphabet="0123456789", min_size=1, max_size=17))
def test_check_digit_matches_naive(body: str) -> None:
    assert gtin_check_digit(body) == naive.check_digit(body)


@SETTINGS
@given(sgtins())
def test_sgtin96_hex_round_trip(t: tuple[int, str, str, int]) -> None:
    filt, cp, ir, serial = t
    urn = f"urn:epc:id:sgtin:{cp}.{ir}.{serial}"
    expected_hex = naive.sgtin96_encode(filt, cp, ir, serial)
    assert epc_urn_to_hex(urn, filter_value=filt) == expected_hex
    assert epc_urn_from_hex(expected_hex) == urn
    assert naive.sgtin96_decode(expected_hex) == (filt, urn)


@SETTINGS
@given(gtin14s(), cs82, st.integers(6, 12))
def test_digital_link_urn_element_string(gtin: str, serial: str, cp_len: int) -> None:
    urn = naive.gtin_serial_to_sgtin_urn(gtin, serial, cp_len)
    dl = naive.digital_link(gtin, serial=serial)
    es = naive.element_string(gtin, serial=serial)
    # DL -> URN (with the company prefix length given) equals the naive URN
    assert digital_link_to_epc_urn(dl, company_prefix_length=cp_len) == urn
    # URN -> DL and URN -> element string
    assert epc_urn_to_digital_link(urn) == dl
    assert epc_urn_to_element_string(urn) == es
    assert naive.sgtin_urn_to_gtin_serial(urn) == (gtin, serial)
    # element string -> DL, and DL parse gives the same data back
    parsed = parse_element_string(es)
    assert to_digital_link(parsed) == dl
    assert parse_digital_link(dl).elements == (("01", gtin), ("21", serial))


@SETTINGS
@given(gtin14s(), cs82, cs82)
def test_lot_and_serial_order_and_gs_form(gtin: str, lot: str, serial: str) -> None:
    dl = to_digital_link({"21": serial, "01": gtin, "10": lot})
    assert dl == naive.digital_link(gtin, serial=serial, lot=lot)
    es = parse_element_string(naive.element_string(gtin, serial=serial, lot=lot))
    assert parse_element_string(es.gs_form).elements == es.elements
    assert parse_element_string("]d2" + es.gs_form).as_dict() == {
        "01": gtin,
        "10": lot,
        "21": serial,
    }
