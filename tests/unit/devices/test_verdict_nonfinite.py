"""A verdict with ``NaN`` / ``Infinity`` (not RFC 8259 JSON) is dropped as undecodable."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from devices.publisher import Publisher
from devices.replies import Verdicts, parse_verdict, stored_seqs


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1"])
def test_verdict_with_a_json_constant_is_dropped(constant: str) -> None:
    got: list[tuple[str, Any]] = []
    fake = SimpleNamespace(
        device="dev-1",
        stored_topic="trace/v1/dev-1/stored",
        verdicts=Verdicts(),
        on_verdict=lambda seq, payload: got.append((seq, payload)),
    )
    msg = SimpleNamespace(
        payload=('{"seq": "7", "score": ' + constant + "}").encode(),
        topic="trace/v1/dev-1/verdicts",
        properties=None,
    )
    Publisher._on_message(fake, None, None, msg)  # type: ignore[arg-type]
    assert got == ([] if constant != "1" else [("7", {"seq": "7", "score": 1})])
    assert fake.verdicts.wait("7", timeout=0) == [p for _, p in got]
    assert (parse_verdict(msg.payload, None) is None) == (constant != "1")


@pytest.mark.parametrize(
    ("payload", "seqs"),
    [
        (b'{"v": 1, "seqs": ["1", "42"]}', [1, 42]),
        (b'{"v": 1, "seqs": ["1", 2, "-3", "x", "4\\n", "\\u0661"]}', [1]),
        (b'{"v": 1, "seqs": [NaN]}', None),
        (b'{"v": 2, "seqs": ["1"]}', None),
        (b'["1"]', None),
        (b"not json", None),
    ],
)
def test_stored_confirmation_is_read_strictly(payload: bytes, seqs: list[int] | None) -> None:
    assert stored_seqs(payload) == seqs
