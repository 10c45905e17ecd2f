"""The regulator's pages: search, an item's or lot's trace graph and custody timeline, recalls,
dead letters, the ledger's status, overdue special equipment and the serious-violation list.
Each function returns a whole HTML page; every value is escaped (:func:`html.e`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from traceability.console import svg
from traceability.console.html import document, e, field, form, ledger_link, link, q, select, table
from traceability.notices.models import ViolationDecision
from traceability.recall.service import LEVELS
from traceability.registry.models import Party
from traceability.registry.schemas import PartyPublic

ROLE = "regulator"


def search(csrf: str, *, text: str = "", error: str | None = None) -> str:
    problem = f'<section class="bad"><p>{e(error)}</p></section>' if error else ""
    body = (
        f"{problem}<section><p>Any code: GTIN + lot or serial as an element string "
        "(<code>(01)…(10)…</code>), a GS1 Digital Link, an EPC URN or an SSCC.</p>"
        + form(
            "/console/item",
            csrf,
            field("code", "Code", value=text, extra=' size="60" required'),
            "Look up",
            method="get",
        )
        + "</section>"
    )
    return document("Search any code", body, role=ROLE, csrf=csrf)


def _graph_section(name: str, g: svg.Graph, cols: svg.Colours) -> str:
    note = ""
    if g.truncated:
        note = (
            f'<p class="notice"><strong>Truncated:</strong> showing {len(g.nodes)} of '
            f"{g.total_nodes} nodes (or the trace itself stopped at its node limit); ask for "
            "more with <code>&amp;nodes=</code> (up to 300).</p>"
        )
    title = f"{name} trace: {len(g.nodes)} nodes, {len(g.edges)} steps"
    return (
        f"<section><h2>{e(title)}</h2>{note}{svg.legend(cols)}"
        f'<div style="overflow-x:auto">{svg.render(g, title=title, cols=cols)}</div></section>'
    )


def _party(place: dict[str, Any] | None) -> str:
    if not place:
        return ""
    party = place.get("party") or {}
    flag = " ⚠ serious violation" if party.get("serious_violation") else ""
    return f"{e(place.get('name') or place.get('id'))}<br>{e(party.get('name'))}{e(flag)}"


def item(
    csrf: str,
    *,
    text: str,
    ids: Sequence[str],
    graphs: dict[str, svg.Graph],
    custody: dict[str, Any],
    ledger_size: int,
) -> str:
    recalled = any(n.affected for g in graphs.values() for n in g.nodes.values())
    cols = svg.colours(*graphs.values())
    banner = (
        '<section class="bad"><h2>RECALLED</h2><p>Items or lots in this trace are named by a '
        f"recall: see {link('/console/recalls', 'recalls')}.</p></section>"
        if recalled
        else ""
    )
    rows = []
    for s in custody.get("steps", []):
        idx = int(s["ledger_index"])
        proof = f"/ledger/proof/inclusion?index={idx}&size={max(ledger_size, idx + 1)}"
        rows.append(
            [
                e(s["event_time"]),
                e(" / ".join(x for x in (s.get("type"), s.get("biz_step")) if x)),
                _party(s.get("location")),
                _party(s.get("source"))
                + (" → " + _party(s.get("destination")) if s.get("destination") else ""),
                e(s.get("signature")),
                f"{ledger_link(idx)}<br>{link(proof, 'inclusion proof')}<br>"
                f"{link(f'/console/receipt/{idx}', 'receipt (.tlog-proof)')}",
            ]
        )
    anomalies = "".join(
        f"<li><strong>{e(a.get('code'))}</strong>: {e(a.get('message'))}</li>"
        for a in custody.get("anomalies", [])
    )
    body = (
        f"{banner}<section><p>Code <code>{e(text)}</code> ({e(custody.get('kind'))}) resolves "
        f"to {len(ids)} id(s): "
        + ", ".join(f"<code>{e(i)}</code>" for i in list(ids)[:12])
        + (" …" if len(ids) > 12 else "")
        + "</p></section>"
        + _graph_section("Backward", graphs["backward"], cols)
        + _graph_section("Forward", graphs["forward"], cols)
        + "<section><h2>Custody timeline</h2>"
        + (f"<p>Anomalies:</p><ul>{anomalies}</ul>" if anomalies else "")
        + ('<p class="notice">Truncated: more steps exist.</p>' if custody.get("truncated") else "")
        + table(["Time", "Event", "Where", "Custody", "Signature", "Proof"], rows)
        + "</section>"
    )
    return document(f"Trace of {text[:80]}", body, role=ROLE, csrf=csrf)


def recalls(csrf: str, rows: Sequence[dict[str, Any]]) -> str:
    listing = table(
        ["Recall", "Level", "Reason", "Opened", "Start by", "Scope", "Ledger"],
        [
            [
                link(f"/console/recalls/{q(r['id'])}", r["id"]),
                e(r["level"]),
                e(r["reason"]),
                e(r["opened_at"]),
                e(r["start_by"]),
                e(
                    "; ".join(f"{x['gtin']} lot {x['lot']}" for x in r["scope"].get("lots", []))
                    + (
                        f"; {len(r['scope'].get('items', []))} items"
                        if r["scope"].get("items")
                        else ""
                    )
                ),
                ledger_link(r["ledger_index"]),
            ]
            for r in rows
        ],
        empty="No recalls.",
    )
    opener = form(
        "/console/recalls",
        csrf,
        "<p>One lot per line as <code>GTIN LOT</code>, and/or one item code per line.</p>"
        '<label>Lots <textarea name="lots" rows="3" cols="50"></textarea></label>'
        '<label>Items <textarea name="items" rows="2" cols="50"></textarea></label>'
        + select("level", "Level", list(LEVELS), "CN-I")
        + field("reason", "Reason", extra=' size="60" required maxlength="400"')
        + field("opened_by", "Opened by (authority)", extra=' required maxlength="64"'),
        "Open the recall",
    )
    body = f"<section>{listing}</section><section><h2>Open a recall</h2>{opener}</section>"
    return document("Recalls", body, role=ROLE, csrf=csrf)


def recall_report(csrf: str, doc: dict[str, Any]) -> str:
    r, m, aff = doc["recall"], doc["mass_balance"], doc["affected"]
    rid = q(r["id"])
    downloads = [
        link(f"/console/recalls/{rid}/report.csv", "holders (CSV)"),
        link(f"/console/recalls/{rid}/report.html", "report (HTML)"),
    ] + [
        link(
            f"/console/recalls/{rid}/fsma204/{q(x['gtin'])}/{q(x['lot'])}",
            f"FSMA 204 workbook: {x['gtin']} lot {x['lot']} (XLSX)",
        )
        for x in r["scope"].get("lots", [])
    ]
    holders = table(
        ["Place", "Party", "Quantity on hand"],
        [
            [
                e(h.get("name") or h.get("place")),
                e((h.get("party") or {}).get("name")),
                e(h.get("quantity")),
            ]
            for h in aff.get("holders", [])
        ],
    )
    body = (
        f'<section class="bad"><p><strong>{e(r["id"])}</strong> ({e(r["level"])}): '
        f"{e(r['reason'])}</p><p>Opened {e(r['opened_at'])} by {e(r['opened_by'])}; start by "
        f"{e(r['start_by'])}; proof {ledger_link(r['ledger_index'])}</p></section>"
        f"<section><h2>Downloads</h2><ul>{''.join(f'<li>{d}</li>' for d in downloads)}</ul>"
        f"</section><section><h2>Affected</h2><p>{len(aff.get('items', []))} items, "
        f"{len(aff.get('containers', []))} containers; mass balance: "
        + e(", ".join(f"{k} {v}" for k, v in m.items()))
        + f"</p>{holders}</section>"
    )
    return document(f"Recall {r['id']}", body, role=ROLE, csrf=csrf)


def dead_letters(csrf: str, rows: Sequence[dict[str, Any]]) -> str:
    listing = table(
        ["#", "Received", "Reason", "Device", "Field", "Detail", "Bytes"],
        [
            [
                e(r["id"]),
                e(r["received_at"]),
                e(r["reason"]),
                e(r["device"]),
                e(r["field"]),
                e(r["detail"]),
                e(r["size"]),
            ]
            for r in rows
        ],
        empty="No dead letters.",
    )
    return document("Dead letters", f"<section>{listing}</section>", role=ROLE, csrf=csrf)


def ledger(csrf: str, status: dict[str, Any], audit: dict[str, Any] | None) -> str:
    cp = status.get("checkpoint")
    if cp is None:
        head = f'<section class="notice"><p>{e(status.get("checkpoint_error"))}</p></section>'
    else:
        sigs = "".join(f"<li>{e(s)}</li>" for s in status.get("signatures", []))
        head = (
            f"<section><h2>Latest checkpoint</h2><p>Origin {e(cp['origin'])}, tree size "
            f"{e(cp['size'])} (ledger size {e(status['size'])}). "
            + link("/ledger/checkpoint", "signed note")
            + f"</p><pre>{e(cp['note'])}</pre><p>Signed by (log key and witnesses):</p>"
            f"<ul>{sigs}</ul></section>"
        )
    if audit is None:
        last = '<p class="muted">No audit recorded yet: run <code>tracectl verify</code>.</p>'
    else:
        ok = bool(audit.get("ok"))
        first = audit.get("first_failure") or {}
        last = (
            f'<div class="{"ok" if ok else "bad"}"><p><strong>{"PASSED" if ok else "FAILED"}'
            f"</strong> at {e(audit.get('at'))}: {e(audit.get('size'))} entries, checkpoint "
            f"{e(audit.get('checkpoint_size'))}, {e(audit.get('signatures_checked'))} device "
            "signatures"
            + (
                ""
                if ok
                else f"; first failure at index {e(first.get('index'))}: "
                f"{e(first.get('message'))} ({e(audit.get('failure_count'))} failures)"
            )
            + "</p></div>"
        )
    body = f"{head}<section><h2>Last audit</h2>{last}</section>"
    return document("Ledger status", body, role=ROLE, csrf=csrf)


def equipment(csrf: str, units: Sequence[dict[str, Any]]) -> str:
    rows = []
    for u in units:
        loc = u.get("location") or {}
        company = u.get("maintenance_company") or {}
        late = "; ".join(
            f"{c['kind']}: due {c['due']} ({c['days_overdue']} days overdue)"
            for c in u.get("compliance", [])
            if c.get("overdue")
        )
        rows.append(
            [
                f"<code>{e(u.get('equipment_code'))}</code>",
                e(loc.get("name")),
                e((loc.get("party") or {}).get("name")),
                e(f"{company.get('name', '')} (USCC {company.get('uscc', '')})"),
                e(late),
            ]
        )
    listing = table(
        ["Unit", "Where", "User", "Maintenance company", "Overdue"], rows, empty="None overdue."
    )
    return document(
        "Overdue special equipment", f"<section>{listing}</section>", role=ROLE, csrf=csrf
    )


def violations(
    csrf: str,
    *,
    listed: Sequence[Party],
    decisions: Sequence[ViolationDecision],
    parties: Sequence[PartyPublic],
) -> str:
    now = table(
        ["Party", "USCC", "Since"],
        [[e(f"{p.name} ({p.id})"), e(p.uscc), e(p.created_at.date())] for p in listed],
        empty="No party is on the list.",
    )
    done = table(
        ["Decision", "Party", "Text", "By", "At", "Proof"],
        [
            [
                link(f"/notices#{d.id}", d.id),
                e(d.party_name),
                e(d.decision),
                e(d.decided_by),
                e(d.decided_at.isoformat(timespec="seconds")),
                ledger_link(d.ledger_index),
            ]
            for d in decisions
        ],
        empty="No decisions recorded here yet.",
    )
    record = form(
        "/console/violations",
        csrf,
        select("party_id", "Party", [p.id for p in parties])
        + '<label>Decision <textarea name="decision" rows="3" cols="60" maxlength="1000" '
        "required></textarea></label>"
        + field("decided_by", "Decided by (authority)", extra=' required maxlength="64"'),
        "Record and publish",
    )
    body = (
        f"<section><h2>On the list now</h2>{now}</section><section><h2>Decisions</h2>{done}"
        "</section><section><h2>Record a decision</h2><p>Recorded in the ledger and published "
        f"at once on {link('/notices', 'the public notices')}.</p>{record}</section>"
    )
    return document("Serious violations (严重违法失信)", body, role=ROLE, csrf=csrf)
