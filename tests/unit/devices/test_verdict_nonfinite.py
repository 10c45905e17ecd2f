"""A verdict with ``NaN`` / ``Infinity`` (not RFC 8259 JSON) is dropped as undecodable."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from devices.publisher import Publisher


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1"])
def test_verdict_with_a_json_constant_is_dropped(constant: str) -> None:
    got: list[tuple[str, Any]] = []
    fake = SimpleNamespace(
        device="dev-1",
        verdicts=SimpleNamespace(by_seq={}, cond=threading.Condition()),
        on_verdict=lambda seq, payload: got.append((seq, payload)),
    )
    msg = SimpleNamespace(
        payload=('{"seq": "7", "score": ' + constant + "}").encode(),
        topic="trace/v1/dev-1/verdicts",
        properties=None,
    )
    Publisher._on_message(fake, None, None, msg)  # type: ignore[arg-type]
    assert got == ([] if constant != "1" else [("7", {"seq": "7", "score": 1})])
