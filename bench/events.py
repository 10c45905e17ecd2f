"""Benchmark of the events package on a typical one-EPC ObjectEvent (one core).

Run: ``.venv/bin/python -m bench.events [--json] [--n N]``. Every event has its own EPC serial
and time (so caches of normalised identifiers and timestamps do not flatter the figures).
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from traceability.events import event_hash, parse_event, validate_event

TARGET_HASH_PER_S = 10_000


def make_events(n: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "ObjectEvent",
            "eventTime": f"2026-11-27T{8 + i // 3_600_000 % 10:02d}:{i // 60_000 % 60:02d}:"
            f"{i // 1000 % 60:02d}.{i % 1000:03d}+08:00",
            "eventTimeZoneOffset": "+08:00",
            "epcList": [f"urn:epc:id:sgtin:0614141.107346.{100000 + i}"],
            "action": "OBSERVE",
            "bizStep": "shipping",
            "disposition": "in_transit",
            "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
        }
        for i in range(n)
    ]


def _rate(fn: Callable[[dict[str, Any]], object], events: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    for event in events:
        fn(event)
    return len(events) / (time.perf_counter() - start)


def run(n: int) -> dict[str, Any]:
    warm = make_events(50)
    for e in warm:  # compile the schema validators, fill nothing else that matters
        validate_event(e)
        event_hash(e)
    events = make_events(n)
    hash_rate = _rate(event_hash, make_events(n))
    parse_rate = _rate(parse_event, events)
    validate_rate = _rate(validate_event, events[: max(n // 4, 1)])
    schema_free = _rate(lambda e: validate_event(e, schema_check=False), events)
    return {
        "bench": "events",
        "events": n,
        "event": "ObjectEvent, 1 SGTIN, OBSERVE, bizStep, disposition, readPoint",
        "hash_per_s": round(hash_rate),
        "hash_us_per_event": round(1e6 / hash_rate, 1),
        "parse_per_s": round(parse_rate),
        "validate_per_s": round(validate_rate),
        "validate_us_per_event": round(1e6 / validate_rate, 1),
        "semantic_only_us_per_event": round(1e6 / schema_free, 1),
        "target_hash_per_s": TARGET_HASH_PER_S,
        "meets_target": hash_rate >= TARGET_HASH_PER_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--n", type=int, default=20_000, help="events per measurement")
    args = parser.parse_args()
    result = run(args.n)
    if not args.json:
        for key, value in result.items():
            print(f"{key:>28}: {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
