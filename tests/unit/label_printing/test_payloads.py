"""Payloads agree with the identifier core's parsers (one GS1 parser, used both ways)."""

from __future__ import annotations

import datetime as dt

import pytest

from label_printing.payloads import (
    LabelData,
    bracketed,
    digital_link,
    digital_link_fast,
    element_string,
    hri_lines,
    link_prefix,
)
from traceability.identifiers import parse_digital_link, parse_element_string

DATA = LabelData(gtin="09506000134352", lot="L/7%a", expiry=dt.date(2027, 1, 31), serial="A-1")


@pytest.mark.parametrize("resolver", ["https://id.gs1.org", "https://dl.example.cn/p/"])
def test_digital_link_parses_back(resolver: str) -> None:
    uri = digital_link(DATA, resolver=resolver)
    assert uri.startswith(resolver.rstrip("/") + "/01/09506000134352/10/")
    dl = parse_digital_link(uri)
    assert dl.primary == ("01", DATA.gtin)
    assert dl.qualifiers == (("10", "L/7%a"), ("21", "A-1"))
    assert dl.attributes == (("17", "270131"),)
    assert dl.canonical == digital_link(DATA, resolver="https://id.gs1.org")
    prefix = link_prefix(gtin=DATA.gtin, lot=DATA.lot, resolver=resolver)
    assert digital_link_fast(DATA, prefix=prefix) == uri


def test_element_string_has_gs_after_variable_ai() -> None:
    text = element_string(DATA)
    assert text == "01095060001343521727013110L/7%a\x1d21A-1"
    parsed = parse_element_string("]d2" + text)
    assert parsed.as_dict() == {"01": DATA.gtin, "17": "270131", "10": "L/7%a", "21": "A-1"}
    assert bracketed(DATA) == "(01)09506000134352(17)270131(10)L/7%a(21)A-1"


def test_human_readable_lines() -> None:
    lines = hri_lines(DATA, product_name="Apples")
    assert lines[0] == "Apples"
    assert "(01) 09506000134352" in lines
    assert "(21) A-1" in lines
    assert any("2027-01-31" in line for line in lines)


CS82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


def test_any_set_82_lot_and_serial_round_trip_and_decode() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from PIL import Image

    from label_printing.payloads import zint_gs1
    from label_printing.symbols import datamatrix_matrix, matrix_image, qr_matrix
    from tests.support.barcodes import decode_image

    text = st.text(alphabet=CS82, min_size=1, max_size=20)

    @settings(max_examples=40, deadline=None)
    @given(lot=text, serial=text)
    def check(lot: str, serial: str) -> None:
        d = LabelData(gtin=DATA.gtin, lot=lot, expiry=DATA.expiry, serial=serial)
        uri = digital_link(d, resolver="https://id.gs1.org")
        dl = parse_digital_link(uri)
        assert dl.qualifiers == (("10", lot), ("21", serial))
        assert parse_element_string(element_string(d)).as_dict()["21"] == serial
        qr = matrix_image(qr_matrix(uri), module_px=3, quiet=4)
        dm = matrix_image(datamatrix_matrix(zint_gs1(d)), module_px=3, quiet=2)
        assert decode_image(qr) == [("QRCode", uri)]
        assert decode_image(dm) == [("DataMatrix", bracketed(d))]
        assert isinstance(qr, Image.Image)

    check()
