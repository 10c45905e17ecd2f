"""Benchmark of the events package on a typical one-EPC ObjectEvent (one core).

Run: ``.venv/bin/python -m bench.events [--json] [--n N] [--repeat R]``. Every measurement gets
its own fresh events (own EPC serials and times), so the caches of normalised identifiers and
timestamps do not flatter the figures; only the values that really recur (readPoint, bizStep...)
hit them. Each figure is the best of R runs (the machine is shared with the broker, the
database and the load generator; the best run is the least disturbed one).

Besides the production paths it times the slow paths they replaced, in the same run:
``validate_jsonschema_us_per_event`` (schema check by jsonschema alone, the former hot path and
still the path that lists the issues of a rejected event) and ``hash_tree_walk_us_per_event`` (the
generic pre-hash walk, still used for events with extensions, ilmd or sensor data).
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from traceability.events import event_hash, parse_event, validate_event
from traceability.events._schema import fast_validator
from traceability.events.hash.tree import ctx_for
from traceability.events.hashing import tree_prehash
from traceability.events.shapes import ShapeCache
from traceability.events.validation import _event_validator

TARGET_HASH_PER_S = 40_000
_SERIALS = itertools.count(100_000)


def make_events(n: int) -> list[dict[str, Any]]:
    """``n`` events never made before in this process (fresh serials and times)."""
    out = []
    for _ in range(n):
        i = next(_SERIALS)
        out.append(
            {
                "type": "ObjectEvent",
                "eventTime": f"2026-11-27T{8 + i // 3_600_000 % 10:02d}:{i // 60_000 % 60:02d}:"
                f"{i // 1000 % 60:02d}.{i % 1000:03d}+08:00",
                "eventTimeZoneOffset": "+08:00",
                "epcList": [f"urn:epc:id:sgtin:0614141.107346.{i}"],
                "action": "OBSERVE",
                "bizStep": "shipping",
                "disposition": "in_transit",
                "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
            }
        )
    return out


REPEAT = 3


def _us(fn: Callable[[dict[str, Any]], object], n: int, repeat: int = REPEAT) -> float:
    """µs per event of ``fn`` over ``n`` fresh events: best of ``repeat`` runs (a shared box)."""
    best = float("inf")
    for _ in range(repeat):
        events = make_events(n)
        start = time.perf_counter()
        for event in events:
            fn(event)
        best = min(best, (time.perf_counter() - start) / n * 1e6)
    return best


def _tree_hash(event: dict[str, Any]) -> str:
    pre = tree_prehash(event, ctx_for(event, None, ()))
    return hashlib.sha256(pre.encode()).hexdigest()


def _invalid(event: dict[str, Any]) -> object:
    return validate_event({**event, "eventTimeZoneOffset": "+25:00"})


def _gateway_reference(event: dict[str, Any]) -> object:
    return validate_event(event, check_times=False), event_hash(event)


def _shape_check() -> Callable[[dict[str, Any]], object]:
    cache = ShapeCache()
    cache.check(make_events(1)[0])  # the shape is known: what a stream of such events costs
    return cache.check


def _rs_us(n: int, repeat: int) -> float | None:
    """The schema check by ``jsonschema_rs`` (a test-only package here, via schemathesis) on
    the same prepared schema, for comparison with ``validate_fast_path_us``; None without it."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    from traceability.events._schema import RFC3339, _prepared

    validator = jsonschema_rs.Draft7Validator(
        _prepared("ObjectEvent"),
        formats={"date-time": lambda s: RFC3339.match(s) is not None},
        validate_formats=True,
    )
    return round(_us(validator.is_valid, max(n, 1), repeat), 2)


def run(n: int, repeat: int = REPEAT) -> dict[str, Any]:
    def us(fn: Callable[[dict[str, Any]], object], count: int = n) -> float:
        return round(_us(fn, max(count, 1), repeat), 1)

    start = time.perf_counter()
    fast = fast_validator("ObjectEvent")  # first use: generate (or load cached) code
    first_use_ms = (time.perf_counter() - start) * 1e3
    jsonschema_validator = _event_validator("ObjectEvent")
    for e in make_events(50):  # warm the remaining lazy state
        validate_event(e)
        event_hash(e)
        _invalid(e)
    hash_us = us(event_hash)
    validate_us = us(validate_event)
    result: dict[str, Any] = {
        "bench": "events",
        "events": n,
        "repeat": repeat,
        "event": "ObjectEvent, 1 SGTIN, OBSERVE, bizStep, disposition, readPoint",
        "hash_per_s": round(1e6 / hash_us),
        "hash_us_per_event": hash_us,
        "hash_tree_walk_us_per_event": us(_tree_hash),
        "parse_per_s": round(1e6 / us(parse_event)),
        "validate_per_s": round(1e6 / validate_us),
        "validate_us_per_event": validate_us,
        "validate_fast_path_us": us(fast),
        "validate_jsonschema_us_per_event": us(jsonschema_validator.is_valid, n // 10),
        "validate_invalid_us_per_event": us(_invalid, n // 10),
        "semantic_only_us_per_event": us(lambda e: validate_event(e, schema_check=False)),
        "validate_and_hash_us_per_event": us(lambda e: (validate_event(e), event_hash(e))),
        # the gateway's path: times judged apart (check_times=False), the reference vs per shape
        "gateway_validate_and_hash_reference_us_per_event": us(_gateway_reference),
        "gateway_validate_and_hash_per_shape_us_per_event": us(_shape_check()),
        "validate_jsonschema_rs_us_per_event": _rs_us(n, repeat),
        "schema_first_use_ms": round(first_use_ms, 1),
        "target_hash_per_s": TARGET_HASH_PER_S,
        "meets_target": 1e6 / hash_us >= TARGET_HASH_PER_S,
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--n", type=int, default=20_000, help="events per measurement")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs per figure (best)")
    args = parser.parse_args()
    result = run(args.n, max(args.repeat, 1))
    if not args.json:
        for key, value in result.items():
            print(f"{key:>33}: {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
