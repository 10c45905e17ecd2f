"""The recall report as HTML (one self-contained page) and CSV (one row per holder)."""

from __future__ import annotations

import csv
from html import escape
from pathlib import Path
from typing import Any, TextIO

CSV_HEADER = (
    "recall_id",
    "level",
    "place",
    "place_name",
    "party",
    "party_uscc",
    "serious_violation",
    "quantity",
)


def write_csv(doc: dict[str, Any], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv_rows(doc, fh)


def csv_rows(doc: dict[str, Any], fh: TextIO) -> None:
    """The holders of a recall report as CSV rows (header first) into ``fh``."""
    w = csv.writer(fh)
    w.writerow(CSV_HEADER)
    for h in doc["affected"]["holders"]:
        party = h.get("party") or {}
        w.writerow(
            [
                doc["recall"]["id"],
                doc["recall"]["level"],
                h["place"],
                h.get("name") or "",
                party.get("name") or "",
                party.get("uscc") or "",
                "yes" if party.get("serious_violation") else "no",
                f"{h['quantity']:g}",
            ]
        )


def _rows(rows: list[list[Any]]) -> str:
    return "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in rows
    )


def render_html(doc: dict[str, Any]) -> str:
    r, m = doc["recall"], doc["mass_balance"]
    holders = [
        [
            h.get("name") or h["place"],
            (h.get("party") or {}).get("name", ""),
            (h.get("party") or {}).get("uscc", ""),
            f"{h['quantity']:g}",
        ]
        for h in doc["affected"]["holders"]
    ]
    consignees = [
        [
            (c.get("party") or {}).get("name") or c["id"],
            (c.get("party") or {}).get("uscc") or "",
            "yes" if (c.get("party") or {}).get("serious_violation") else "no",
        ]
        for c in doc["consignees"]
    ]
    lots = ", ".join(f"{x['gtin']} / {x['lot']}" for x in r["scope"].get("lots", []))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Recall {escape(r["id"])}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:4px 8px}}</style></head><body>
<h1>Recall {escape(r["id"])} ({escape(r["level"])})</h1>
<p>{escape(r["reason"])}</p>
<p>Lots: {escape(lots) or "-"}; items: {len(r["scope"].get("items", []))}.
Opened by {escape(r["opened_by"])} at {escape(r["opened_at"])}; start by
{escape(r["start_by"] or "-")}; ledger index {r["ledger_index"]}.</p>
<h2>Mass balance</h2>
<table><tr><th>produced</th><th>shipped</th><th>on hand</th><th>sold / dispensed</th>
<th>accounted</th></tr><tr><td>{m["produced"]:g}</td><td>{m["shipped"]:g}</td>
<td>{m["on_hand"]:g}</td><td>{m["sold_or_dispensed"]:g}</td><td>{m["accounted_pct"]}%</td></tr>
</table>
<h2>Current holders</h2>
<table><tr><th>place</th><th>party</th><th>USCC</th><th>quantity</th></tr>{_rows(holders)}</table>
<h2>Consignees to notify</h2>
<table><tr><th>party</th><th>USCC</th><th>serious violation</th></tr>{_rows(consignees)}</table>
<p>Affected: {len(doc["affected"]["items"])} items or lots,
{len(doc["affected"]["containers"])} containers{" (truncated)" if doc["truncated"] else ""}.
Report generated {escape(doc["generated_at"])}, {doc["request_to_report_s"]} s after the
request.</p></body></html>
"""


def write_html(doc: dict[str, Any], path: Path) -> None:
    path.write_text(render_html(doc), encoding="utf-8")
