"""Key entries as the audit replays them (step 3): any body, however tampered, is applied or
named, never a KeyError / TypeError / ValueError."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from traceability.ledger.audit.keys import KeyState

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "key_id": st.text(max_size=10) | _JSON,
        "device": st.text(max_size=10) | _JSON,
        "public_key": st.just(base64.b64encode(b"k" * 32).decode()) | _JSON,
        "valid_from": st.sampled_from(
            ["2026-01-01T00:00:00Z", "0001-01-01T00:00:00+08:00", "not a time", ""]
        )
        | _JSON,
        "revoked_at": st.sampled_from(["2026-01-02T00:00:00Z", "9999-12-31T23:59:59-08:00"])
        | _JSON,
        "retired": st.lists(st.text(max_size=5)) | _JSON,
    },
)


@given(
    kind=st.sampled_from(["key.register", "key.rotate", "key.revoke", "other"]),
    body=_FIELDS | _JSON,
)
def test_apply_never_raises(kind: str, body: Any) -> None:
    keys = KeyState()
    why = keys.apply({"kind": kind, "body": body})
    assert why is None or (isinstance(why, str) and why)
    assert all(len(k.public_key) == 32 for k in keys.keys.values())


def test_a_key_entry_without_valid_from_is_named() -> None:
    body = {"key_id": "k1", "device": "d", "public_key": base64.b64encode(b"k" * 32).decode()}
    why = KeyState().apply({"kind": "key.register", "body": body})
    assert why == "key.register of k1: valid_from None is not a time"
