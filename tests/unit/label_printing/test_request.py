"""Bad print requests: one error naming the field, before anything is allocated."""

from __future__ import annotations

import datetime as dt

import pytest

from label_printing import LabelInputError, check_request

GOOD = {
    "gtin": "09506000134352",
    "lot": "LOT-1",
    "expiry": "2027-01-31",
    "count": 3,
    "format": "png",
    "max_count": 1000,
}


def test_good_request_is_normalised() -> None:
    req = check_request(**{**GOOD, "gtin": "9506000134352"})  # GTIN-13 -> GTIN-14
    assert req.gtin == "09506000134352"
    assert req.expiry == dt.date(2027, 1, 31)
    assert req.serial_mode == "random"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("gtin", "09506000134353", "check digit"),
        ("gtin", "12345", "digits"),
        ("gtin", "0950600013435X", "digits"),
        ("gtin", "", "empty"),
        ("lot", "A B", "character set 82"),
        ("lot", "ABCDEFGHIJKLMNOPQRSTU", "1-20"),
        ("lot", "", "1-20"),
        ("lot", "a\x00b", "character set 82"),
        ("lot", "\ud800", "character set 82"),
        ("lot", "批次", "character set 82"),
        ("expiry", "2027-02-30", "YYYY-MM-DD"),
        ("expiry", "tomorrow", "YYYY-MM-DD"),
        ("expiry", "27-01-31", "YYYY-MM-DD"),
        ("expiry", "0001-01-01", "window"),
        ("expiry", "9999-12-31", "window"),
        ("count", 0, "1..1000"),
        ("count", 1001, "1..1000"),
        ("count", 10**30, "1..1000"),
        ("count", -1, "1..1000"),
        ("format", "gif", "png, svg, pdf, zpl"),
        ("format", "", "png, svg, pdf, zpl"),
    ],
)
def test_bad_field_is_named(field: str, value: object, words: str) -> None:
    with pytest.raises(LabelInputError) as info:
        check_request(**{**GOOD, field: value})  # type: ignore[arg-type]
    err = info.value
    assert err.field == field
    assert err.message.startswith(f"{field}: ")
    assert words in err.message
    assert "\n" not in err.message
    assert err.code == "label_input"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("serial_mode", "guess"),
        ("symbol", "aztec"),
        ("dpi", 600),
        ("resolver", "ftp://x.example"),
        ("resolver", "https://x.example/?q=1"),
        ("resolver", "https://x.example/a b"),
    ],
)
def test_bad_option_is_named(field: str, value: object) -> None:
    with pytest.raises(LabelInputError) as info:
        check_request(**{**GOOD, field: value})  # type: ignore[arg-type]
    assert info.value.field == field


@pytest.mark.parametrize("text", ["70", "axb", "nanxnan", "infx30", "70x", ""])
def test_label_size_must_be_w_x_h(text: str) -> None:
    from label_printing import parse_label_size

    with pytest.raises(LabelInputError) as info:
        parse_label_size(text)
    assert info.value.field == "label_size"


@pytest.mark.parametrize("size", [(10.0, 37.0), (70.0, 500.0), (1e300, 37.0)])
def test_label_size_range(size: tuple[float, float]) -> None:
    with pytest.raises(LabelInputError) as info:
        check_request(**GOOD, label_width_mm=size[0], label_height_mm=size[1])  # type: ignore[arg-type]
    assert info.value.field == "label_size"


def test_label_size_sets_the_sheet_grid() -> None:
    from label_printing import parse_label_size
    from label_printing.render_pdf import SheetLayout

    w, h = parse_label_size("50x30")
    assert SheetLayout(label_w=w, label_h=h).per_page == 4 * 9
    assert SheetLayout().per_page == 24  # 70 x 37 mm: the classic A4 24-up sheet
