"""``tracectl recall create|show|list``: recalls, recorded in the ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from traceability.cli._readside import emit, fail, run, session

app = typer.Typer(no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="one JSON document")]


@app.command("create")
def create_cmd(
    gtin: Annotated[
        list[str], typer.Option("--gtin", help="GTIN of a lot (repeat with --lot)")
    ] = [],  # noqa: B006
    lot: Annotated[list[str], typer.Option("--lot", help="lot code, paired with --gtin")] = [],  # noqa: B006
    item: Annotated[list[str], typer.Option("--item", help="an item in any identifier form")] = [],  # noqa: B006
    level: Annotated[str, typer.Option(help="CN-I|CN-II|CN-III|FDA-I|FDA-II|FDA-III")] = "CN-I",
    reason: Annotated[str, typer.Option(help="why")] = "",
    opened_by: Annotated[str, typer.Option(help="the regulator or producer opening it")] = "",
    as_json: Json = False,
) -> None:
    """Open a recall: one platform-signed ledger event; the lots are marked recalled at once."""
    from traceability.config import get_settings
    from traceability.recall.service import open_recall, recall_public

    if len(gtin) != len(lot):
        raise fail("give --gtin and --lot in pairs", 2)
    data_dir = get_settings().data_dir
    with session(write=True) as s:
        row = run(
            lambda: open_recall(
                s,
                data_dir=data_dir,
                lots=list(zip(gtin, lot, strict=True)),
                items=item,
                level=level,
                reason=reason,
                opened_by=opened_by,
            )
        )
        doc = recall_public(row)
    if as_json:
        emit(doc)
    else:
        typer.echo(
            f"recall {doc['id']} opened ({doc['level']}), ledger index "
            f"{doc['ledger_index']}; start by {doc['start_by'] or '-'}"
        )


@app.command("show")
def show_cmd(
    recall_id: Annotated[str, typer.Argument(metavar="RECALL_ID")],
    html: Annotated[Path | None, typer.Option(help="also write the report as HTML here")] = None,
    csv: Annotated[Path | None, typer.Option(help="also write the affected holders as CSV")] = None,
    as_json: Json = False,
) -> None:
    """The recall report: affected set, holders, mass balance, consignees, time to report."""
    from traceability.recall.render import write_csv, write_html
    from traceability.recall.report import build_report
    from traceability.recall.service import get_recall

    with session() as s:
        doc = run(lambda: build_report(s, row=get_recall(s, recall_id=recall_id)))
    if html is not None:
        run(lambda: write_html(doc, html))
    if csv is not None:
        run(lambda: write_csv(doc, csv))
    if as_json:
        emit(doc)
        return
    m = doc["mass_balance"]
    typer.echo(
        f"recall {doc['recall']['id']} ({doc['recall']['level']}): {doc['recall']['reason']}"
    )
    typer.echo(
        f"affected: {len(doc['affected']['items'])} items/lots, "
        f"{len(doc['affected']['containers'])} containers"
        + (" (truncated)" if doc["truncated"] else "")
    )
    for h in doc["affected"]["holders"]:
        party = h.get("party") or {}
        typer.echo(
            f"  holder {h.get('name') or h['place']} ({party.get('name', '-')}): {h['quantity']:g}"
        )
    typer.echo(
        f"mass balance: produced {m['produced']:g}, shipped {m['shipped']:g}, on hand "
        f"{m['on_hand']:g}, sold/dispensed {m['sold_or_dispensed']:g} "
        f"({m['accounted_pct']}% accounted)"
    )
    for c in doc["consignees"]:
        party = c.get("party") or {}
        typer.echo(f"  notify {party.get('name') or c['id']} (USCC {party.get('uscc') or '-'})")
    typer.echo(f"request to report: {doc['request_to_report_s']} s")


@app.command("list")
def list_cmd(
    limit: Annotated[int, typer.Option(help="at most this many, newest first")] = 100,
    as_json: Json = False,
) -> None:
    """Recalls, newest first."""
    from traceability.recall.service import list_recalls, recall_public

    with session() as s:
        rows = [recall_public(r) for r in run(lambda: list_recalls(s, limit=limit))]
    if as_json:
        emit({"recalls": rows})
        return
    for r in rows:
        typer.echo(f"{r['id']}  {r['level']:7}  {r['opened_at']}  {r['reason']}")
