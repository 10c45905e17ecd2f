"""The fast canonical path is byte-identical to RFC 8785 for the record shape."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from traceability.ledger import records

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
ints = st.integers(-(2**53) + 1, 2**53 - 1)
links = st.lists(st.fixed_dictionaries({"item": text, "prev": ints, "prev_hash": text}), max_size=4)


@settings(max_examples=300, deadline=None)
@given(idx=ints, pos=ints, s=st.lists(text, min_size=5, max_size=5), items=links)
def test_fast_canonical_is_rfc8785(
    idx: int, pos: int, s: list[str], items: list[dict[str, object]]
) -> None:
    rec = records.event_record(
        index=idx,
        recorded_at=s[0],
        event_hash=s[1],
        envelope_digest=s[2],
        device=s[3],
        key=s[4],
        sig=s[0] + s[1],
        pos=pos,
        items=items,
    )
    assert records.fast_canonical(rec) == rfc8785.dumps(rec)
    assert records.record_bytes(rec) == rfc8785.dumps(rec)
    direct = records.event_record_bytes(
        index=idx,
        recorded_at=s[0],
        event_hash=s[1],
        envelope_digest=s[2],
        device=s[3],
        key=s[4],
        sig=s[0] + s[1],
        pos=pos,
        items=[(str(x["item"]), int(str(x["prev"])), str(x["prev_hash"])) for x in items],
    )
    assert direct == rfc8785.dumps(rec)


@given(body=st.dictionaries(text, st.one_of(text, ints, st.booleans(), st.none()), max_size=5))
def test_record_bytes_general(body: dict[str, object]) -> None:
    rec = records.entry_record(index=1, recorded_at="t", kind="key.register", body=body)
    assert records.record_bytes(rec) == rfc8785.dumps(rec)
