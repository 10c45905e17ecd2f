"""What the console's pages show, gathered from the domain services (no SQL of its own beyond
what those services offer): the trace graph of a code, recall-affected ids, the ledger status and
the last audit's result (kept in ``<data_dir>/console/last-audit.json``)."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from traceability.console.svg import Graph, Node, layout, short_id
from traceability.errors import TraceError
from traceability.identifiers import parse_epc_urn
from traceability.identifiers.errors import IdentifierError
from traceability.ledger import checkpoint
from traceability.ledger import store as ledger_store
from traceability.ledger.note import Verifier
from traceability.recall import service as recalls
from traceability.registry.models import Party, Product
from traceability.trace import places
from traceability.trace import service as trace
from traceability.trace.resolve import lot_ids

AUDIT_FILE = Path("console") / "last-audit.json"
MAX_RECALLS_MARKED = 200


def affected_ids(session: Session) -> set[str]:
    """The ids named by the recalls (their lots' class and serial ids, their items)."""
    out: set[str] = set()
    for row in recalls.list_recalls(session, limit=MAX_RECALLS_MARKED):
        scope = row.scope or {}
        for lot in scope.get("lots") or []:
            out.update(lot_ids(session, gtin=str(lot.get("gtin")), lot=str(lot.get("lot"))))
        out.update(str(i) for i in scope.get("items") or [])
    return out


def _kind(node: str, mode: str | None) -> str:
    if node.startswith("urn:epc:id:pgln:"):
        return "party"
    if node.startswith("urn:epc:id:sgln:"):
        return "location"
    if node.startswith("urn:epc:id:sscc:") or mode == "container":
        return "container"
    return "item"


def _brand_owner(session: Session, urn: str, cache: dict[str, Any]) -> dict[str, Any] | None:
    """The party a GTIN-keyed id's product is registered to (its brand owner), if known."""
    try:
        gtin = dict(parse_epc_urn(urn).elements).get("01")
    except IdentifierError:
        return None
    if not gtin:
        return None
    if gtin not in cache:
        product = session.get(Product, gtin)
        party = session.get(Party, product.party_id) if product is not None else None
        cache[gtin] = places.party_info(party)
    found: dict[str, Any] | None = cache[gtin]
    return found


def graph_of(
    session: Session, result: dict[str, Any], *, affected: set[str], max_nodes: int
) -> Graph:
    """A laid-out graph of one trace (``TraceResult.to_dict()``)."""
    g = Graph(truncated=bool(result.get("truncated")))
    modes = {i["id"]: i.get("mode") for i in result.get("items", [])}
    firsts: dict[str, str] = {}
    home: dict[str, str] = {}  # item -> the place it was first observed at
    for s in result.get("steps", []):
        for n in (s["src"], s["dst"]):
            firsts[n] = min(firsts.get(n, s["event_time"]), s["event_time"])
        g.edges.append((s["src"], s["dst"], s["kind"]))
        if s["kind"] == "observed":
            home.setdefault(s["src"], s["dst"])
    ids = set(firsts) | set(modes)
    info = places.describe(session, ids)
    owners: dict[str, Any] = {}
    for n in sorted(ids):
        d = info.get(n) or {}
        party = d.get("party") or (info.get(home.get(n, ""), {}) or {}).get("party")
        if party is None and n.startswith(("urn:epc:id:sgtin:", "urn:epc:class:lgtin:")):
            party = _brand_owner(session, n, owners)
        label = d.get("name") or short_id(n)
        g.nodes[n] = Node(
            id=n,
            kind=_kind(n, modes.get(n)),
            label=str(label),
            party_id=party.get("id") if party else None,
            party_name=party.get("name") if party else None,
            affected=n in affected,
            first=firsts.get(n, ""),
        )
    return layout(g, max_nodes=max_nodes)


def trace_graphs(
    session: Session, *, text: str, max_nodes: int
) -> tuple[list[str], dict[str, Graph], dict[str, Any]]:
    """The resolved ids and the forward and backward graphs of a code (raises the trace's
    InvalidInputError / NotFoundError for a malformed or unknown code)."""
    affected = affected_ids(session)
    graphs: dict[str, Graph] = {}
    raw: dict[str, Any] = {}
    ids: list[str] = []
    for direction in ("backward", "forward"):
        found, res = trace.trace_id(session, direction=direction, text=text, max_nodes=5000)
        ids = found.ids
        raw[direction] = res.to_dict()
        graphs[direction] = graph_of(
            session, raw[direction], affected=affected, max_nodes=max_nodes
        )
    return ids, graphs, raw


def ledger_status(session: Session, *, witnesses: list[Verifier] | None) -> dict[str, Any]:
    """The ledger's size, the latest checkpoint note and its witness cosignature lines."""
    out: dict[str, Any] = {"size": ledger_store.size(session), "checkpoint": None}
    try:
        cp = checkpoint.latest_checkpoint(session, witnesses=witnesses)
    except TraceError as exc:
        out["checkpoint_error"] = exc.message
        return out
    text, _, sigs = cp.note.partition("\n\n")
    lines = [x for x in sigs.splitlines() if x.startswith("— ")]
    out["checkpoint"] = {"origin": cp.origin, "size": cp.size, "note": cp.note, "text": text}
    out["signatures"] = [x.split(" ")[1] for x in lines]
    return out


def record_audit(data_dir: Path, report: dict[str, Any]) -> dict[str, Any]:
    """Keep an audit's result as the console's "last audit" (written atomically)."""
    path = data_dir / AUDIT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **report}
    tmp = path.with_suffix(f".{os.getpid()}.{time.time_ns()}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, default=str))
    tmp.replace(path)
    return doc


def last_audit(data_dir: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads((data_dir / AUDIT_FILE).read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None
