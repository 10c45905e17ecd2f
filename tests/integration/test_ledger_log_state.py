"""The append's cached log state (item heads, frontier) is used only while it is current.

An item's next record must link to its true latest record even when this process's cache says
otherwise: another writer appended in between, or this process's own append was rolled back.
Each case ends with the full audit (which checks every item-chain link) on SQLite and TimescaleDB.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.support.ledger import T0, event, fill, submissions
from traceability.events.item_key import item_key
from traceability.ledger import audit, log_state, service

ITEM = "urn:epc:id:sgtin:0614141.812345.0"  # event(0) and event(3) touch it


def _prev(session: Session, index: int, item: str) -> int:
    record = json.loads(service.get_record(session, index=index).record)
    links = {link["item"]: link["prev"] for link in record["items"]}
    return int(links[item_key(item)])  # records name items by their key (record v2)


def _append_one(
    session: Session, seed: bytes, kid: str, i: int, seq: int
) -> list[service.AppendResult]:
    subs = submissions(seed, kid, [event(i)], seq=seq)
    return service.append_events(session, submissions=subs, recorded_at=T0 + timedelta(hours=seq))


@pytest.fixture
def clean_cache() -> Iterator[None]:
    log_state._CACHES.clear()
    yield
    log_state._CACHES.clear()


def test_heads_are_read_again_after_another_writer(engine: Engine, clean_cache: None) -> None:
    with Session(engine) as s:
        seed, kid, _ = fill(s, n=3)
    mine: dict[str, Any] = dict(log_state._CACHES)
    assert mine, "the appends left their state behind"
    log_state._CACHES.clear()  # "another process": appends without this process's cache
    with Session(engine) as s:
        (other,) = _append_one(s, seed, kid, 3, seq=50)
        s.commit()
    log_state._CACHES.clear()
    log_state._CACHES.update(mine)  # this process: its cache is now stale
    with Session(engine) as s:
        (next_,) = _append_one(s, seed, kid, 6, seq=60)
        s.commit()
        assert _prev(s, next_.index, ITEM) == other.index
        assert audit.audit(s).ok


def test_heads_after_a_rolled_back_append(engine: Engine, clean_cache: None) -> None:
    with Session(engine) as s:
        seed, kid, first = fill(s, n=3)
        (gone,) = _append_one(s, seed, kid, 3, seq=50)
        s.rollback()
    with Session(engine) as s:
        (kept,) = _append_one(s, seed, kid, 6, seq=60)
        s.commit()
        assert kept.index == gone.index  # the rolled-back index is reused
        assert _prev(s, kept.index, ITEM) == first[0].index
        assert audit.audit(s).ok


def test_cached_heads_answer_without_asking(engine: Engine, clean_cache: None) -> None:
    """The point of the cache: an item this process appended is not looked up again."""
    with Session(engine) as s:
        seed, kid, first = fill(s, n=3)
        asked: list[list[str]] = []
        real = log_state._query

        def spy(*args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
            asked.append(list(args[2]))
            return real(*args, **kwargs)

        log_state._query = spy  # type: ignore[assignment]
        try:
            (nxt,) = _append_one(s, seed, kid, 3, seq=50)
        finally:
            log_state._query = real  # type: ignore[assignment]
        s.commit()
        assert asked == [[]]  # one round trip, no item in it
        assert _prev(s, nxt.index, ITEM) == first[0].index
        assert audit.audit(s).ok
