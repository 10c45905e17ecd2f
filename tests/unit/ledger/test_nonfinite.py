"""Ledger records and receipts are RFC 8259 / RFC 8785: a NaN or infinite number is never
serialised (no ``NaN`` text, no ``null``) and the JSON constants are never parsed."""

from __future__ import annotations

import base64
import math

import pytest
import rfc8785

from traceability.ledger import records
from traceability.ledger.audit import chunk as audit_chunk
from traceability.ledger.errors import ReceiptError
from traceability.ledger.receipt import HEADER, verify_receipt
from traceability.strict_json import NonFiniteNumberError

CONSTANTS = ("NaN", "Infinity", "-Infinity")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_record_serialisers_refuse_a_nonfinite_float(value: float) -> None:
    rec = {"body": {"x": value}, "index": 1, "kind": "key.register", "v": 1}
    with pytest.raises(ValueError):
        records.fast_canonical(rec)
    with pytest.raises(rfc8785.CanonicalizationError):
        records.record_bytes(rec)


@pytest.mark.parametrize("constant", CONSTANTS)
def test_records_with_a_json_constant_are_not_parsed(constant: str) -> None:
    data = b'{"body":{"x":' + constant.encode() + b'},"index":1,"kind":"key.register","v":1}'
    for parse in (records.parse_record, audit_chunk._parse_record):
        with pytest.raises(NonFiniteNumberError) as info:
            parse(data)
        assert (info.value.field, info.value.value) == ("body.x", constant)


@pytest.mark.parametrize("constant", CONSTANTS)
def test_receipt_extra_with_a_json_constant_is_refused(constant: str) -> None:
    extra = base64.b64encode(b'{"record":"","envelope":"","key":' + constant.encode() + b"}")
    text = f"{HEADER}\nextra {extra.decode()}\nindex 0\n\nnote"
    with pytest.raises(ReceiptError) as info:
        verify_receipt(text, log_key="unused")
    assert info.value.field == "extra" and constant in info.value.message
