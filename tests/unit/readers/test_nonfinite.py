"""RFC 8259 has no NaN / Infinity: raw reader JSON holding one is refused (``reader_invalid``,
the member and the constant named), never read as a float."""

from __future__ import annotations

import pytest

from traceability.readers import ReaderError, iter_json

ONE = '{"timestamp": "2025-06-01T08:00:00Z", "peakRssiCdbm": %s}'


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize(
    ("template", "field"),
    [
        (ONE, "payload.peakRssiCdbm"),
        ("[" + ONE + "]", "payload[0].peakRssiCdbm"),
        ('{"a": 1}\n' + ONE + "\n", "payload.peakRssiCdbm"),  # newline-delimited: line 2
    ],
)
def test_raw_reader_json_with_a_json_constant_is_reader_invalid(
    constant: str, template: str, field: str
) -> None:
    with pytest.raises(ReaderError) as info:
        list(iter_json((template % constant).encode()))
    assert (info.value.code, info.value.field, info.value.value) == (
        "reader_invalid",
        field,
        constant,
    )
    assert constant in info.value.message
