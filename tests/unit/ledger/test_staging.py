"""``stage``: what an append needs that does not depend on the log."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from tests.support.ledger import event, submissions
from traceability.events.edges import derive_edges, items_of
from traceability.ledger import records
from traceability.ledger.errors import SubmissionError
from traceability.ledger.staging import stage
from traceability.signing import ed25519 as signing


def test_stage_matches_the_per_event_functions() -> None:
    seed, pub = signing.generate_keypair()
    kid = signing.key_id(pub)
    subs = submissions(seed, kid, [event(i) for i in range(4)]) + submissions(
        seed, kid, [event(9)], seq=2
    )
    batch = stage(subs)
    assert batch.submissions == subs
    for k, sub in enumerate(subs):
        # new records are version 2: items by their one key
        assert batch.items[k] == items_of(sub.event, keyed=True)
        assert all(i.startswith("https://id.gs1.org/") for i in batch.items[k])
        assert batch.edges[k] == [
            (e.kind, e.src, e.dst, e.item) for e in derive_edges(sub.event, keyed=True)
        ]
        assert batch.columns[k] == records.event_columns(sub.event)
        assert batch.positions[k] == sub.envelope.events.index(sub.event)
    first, second = subs[0].envelope, subs[-1].envelope
    want = [hashlib.sha256(e.signing_bytes()).hexdigest() for e in (first, second)]
    assert batch.digests == [want[0]] * 4 + [want[1]]
    assert list(batch.envelopes) == want  # one entry per envelope
    device, key, sig, body, b64 = batch.envelopes[want[1]]
    assert (device, key, sig, body, b64) == (
        "dev-1",
        kid,
        second.sig,
        second.signing_bytes(),
        signing.b64url(second.sig),
    )


def test_stage_refuses_a_submission_whose_ids_are_not_its_envelopes() -> None:
    seed, pub = signing.generate_keypair()
    kid = signing.key_id(pub)
    (sub,) = submissions(seed, kid, [event(1)])
    with pytest.raises(SubmissionError):
        stage([dataclasses.replace(sub, device_id="dev-2")])
    with pytest.raises(SubmissionError):
        stage([dataclasses.replace(sub, position=5)])
