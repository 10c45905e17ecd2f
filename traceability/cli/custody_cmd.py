"""``tracectl custody ID``: who held an item or lot, where, signed by which device; anomalies."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer

from traceability.cli._readside import emit, fail, run, session


def _print(doc: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    con.print(f"[bold]custody of {doc['id']}[/bold] ({doc['kind']}: {', '.join(doc['ids'])})")
    t = Table("#", "time", "step", "place", "party (USCC, credit)", "device", "signature")
    for s in doc["steps"]:
        party = (s["device"] or {}).get("party") or {}
        flag = " [red]SERIOUS VIOLATION[/red]" if party.get("serious_violation") else ""
        place = s["location"] or {}
        t.add_row(
            str(s["ledger_index"]),
            s["event_time"][:19],
            f"{s['biz_step'] or s['type']}/{s['disposition'] or ''}",
            str(place.get("name") or place.get("id") or ""),
            f"{party.get('name', '')} ({party.get('uscc') or '-'}, "
            f"{party.get('credit_status', '-')}){flag}",
            str((s["device"] or {}).get("device") or ""),
            s["signature"],
        )
    con.print(t)
    if doc["anomalies"]:
        for a in doc["anomalies"]:
            con.print(
                f"[yellow]anomaly[/yellow] {a['code']} at {a['ledger_index']}: {a['message']}"
            )
    else:
        con.print("no anomalies")


def register(app: typer.Typer) -> None:
    @app.command("custody")
    def custody_cmd(
        ident: Annotated[str, typer.Argument(metavar="ID", help="item, container or lot")],
        proof: Annotated[bool, typer.Option("--proof", help="inclusion proof per step")] = False,
        threshold_hours: Annotated[
            float, typer.Option(help="shipped but not received after this many hours")
        ] = 72.0,
        as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
    ) -> None:
        """The custody timeline of an item or lot: each step's party (name, USCC, credit status,
        serious-violation flag), place, device, signature state and ledger index; anomalies."""
        from traceability.trace.custody import Options, timeline

        if not 0 < threshold_hours < 1e6:
            raise fail("threshold-hours must be between 0 and 1000000", 2)
        opts = Options(threshold=timedelta(hours=threshold_hours), with_proof=proof)
        with session() as s:
            doc = run(lambda: timeline(s, text=ident, options=opts))
        if as_json:
            emit(doc)
        else:
            _print(doc)
