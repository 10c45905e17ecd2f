"""Ledger endpoints: checkpoint (text note), proofs, entries, receipts. Thin: logic is in
``traceability.ledger``.

Receipts: ``GET /ledger/receipt?event_id=<event hash>`` or ``GET /ledger/receipt/<event hash>``
with the ``?`` of ``?ver=CBV2.0`` percent-encoded (``%3F``); unencoded, it starts the query
string, the path holds a truncated id and the answer is 404.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from sqlmodel import Session

from api.jsonbody import StrictJSONRoute
from traceability.config import Settings
from traceability.ledger import checkpoint, receipt, records, store
from traceability.store.engine import get_engine

router = APIRouter(route_class=StrictJSONRoute, prefix="/ledger", tags=["ledger"])


def _session(request: Request) -> Iterator[Session]:
    settings: Settings = request.app.state.settings
    with Session(get_engine(settings.effective_database_url)) as s:
        yield s


def _b64(items: list[bytes]) -> list[str]:
    return [base64.b64encode(x).decode() for x in items]


@router.get("/checkpoint", response_class=PlainTextResponse)
def get_checkpoint(request: Request, s: Session = Depends(_session)) -> PlainTextResponse:
    """The latest signed checkpoint with its witness cosignatures (a C2SP signed note): only
    cosignature lines that verify against ``TRACE_WITNESS_KEYS`` when those are configured."""
    witnesses = checkpoint.configured_witnesses(request.app.state.settings)
    return PlainTextResponse(
        checkpoint.latest_checkpoint(s, witnesses=witnesses).note,
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/proof/inclusion")
def get_inclusion(
    index: int = Query(ge=0), size: int = Query(ge=1), s: Session = Depends(_session)
) -> dict[str, Any]:
    return {
        "index": index,
        "size": size,
        "proof": _b64(store.inclusion_proof(s, index=index, size=size)),
    }


@router.get("/proof/consistency")
def get_consistency(
    old: int = Query(ge=1), new: int = Query(ge=1), s: Session = Depends(_session)
) -> dict[str, Any]:
    return {"old": old, "new": new, "proof": _b64(store.consistency_proof(s, old=old, new=new))}


@router.get("/entries/{index}")
def get_entry(index: int, s: Session = Depends(_session)) -> dict[str, Any]:
    row = store.get_record(s, index=index)
    return {
        "index": row.idx,
        "kind": row.kind,
        "leaf_hash": row.leaf_hash.hex(),
        "record": records.parse_record(bytes(row.record)),
        "record_b64": base64.b64encode(bytes(row.record)).decode(),
    }


@router.get("/receipt", response_class=PlainTextResponse)
def get_receipt_query(
    request: Request,
    event_id: str = Query(min_length=1, description="the event hash, ni:///sha-256;…?ver=CBV2.0"),
    s: Session = Depends(_session),
) -> PlainTextResponse:
    """A c2sp.org/tlog-proof@v1 receipt for the event against the latest checkpoint.

    ``GET /ledger/receipt?event_id=<event hash>`` (query-encoded, e.g. ``?`` as ``%3F``); the
    same as ``GET /ledger/receipt/<event hash>``, where the ``?`` of ``?ver=CBV2.0`` must be
    percent-encoded (``%3F``) or it starts the query string and the id is not found.
    """
    return _receipt(request, s, event_id)


@router.get("/receipt/{event_id:path}", response_class=PlainTextResponse)
def get_receipt(
    event_id: str, request: Request, s: Session = Depends(_session)
) -> PlainTextResponse:
    """A c2sp.org/tlog-proof@v1 receipt for the event against the latest checkpoint.

    The event hash is the path, its ``?`` percent-encoded (``ni:///sha-256;<hex>%3Fver=CBV2.0``);
    ``GET /ledger/receipt?event_id=…`` takes it as a query parameter instead.
    """
    return _receipt(request, s, event_id)


def _receipt(request: Request, s: Session, event_id: str) -> PlainTextResponse:
    witnesses = checkpoint.configured_witnesses(request.app.state.settings)
    return PlainTextResponse(receipt.build_receipt(s, event_hash=event_id, witnesses=witnesses))
