"""``tracectl export fsma204|epcis``: what a regulator asks for, as files."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from traceability.cli._readside import emit, run, session

app = typer.Typer(no_args_is_help=True)
Gtin = Annotated[str, typer.Option("--gtin", help="the lot's GTIN")]
Lot = Annotated[str, typer.Option("--lot", help="the traceability lot code")]
Json = Annotated[bool, typer.Option("--json", help="one JSON document")]


@contextmanager
def _progress(what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on a terminal (stderr), nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(what, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@app.command("fsma204")
def fsma204_cmd(
    gtin: Gtin,
    lot: Lot,
    out: Annotated[Path, typer.Option("--out", help="directory for the CSVs and the XLSX")],
    since: Annotated[datetime | None, typer.Option("--from", help="events from this date")] = None,
    until: Annotated[datetime | None, typer.Option("--to", help="events up to this date")] = None,
    as_json: Json = False,
) -> None:
    """FDA FSMA 204 sortable spreadsheet of a lot: one CSV per CTE sheet and fsma204.xlsx."""
    from traceability.exports import fsma204

    with session() as s, _progress("FSMA 204 export") as progress:
        result = run(
            lambda: fsma204.export(
                s,
                gtin=gtin,
                lot=lot,
                since=since.date() if since else None,
                until=until.date() if until else None,
                progress=progress,
            )
        )
    files = run(lambda: fsma204.write(result, out_dir=out))
    doc = {
        "gtin": gtin,
        "lot": lot,
        "sheets": result.counts(),
        "files": [str(f) for f in files],
        "truncated": result.truncated,
        "ledger_indexes": len(result.ledger_indexes),
    }
    if as_json:
        emit(doc)
        return
    for name, n in result.counts().items():
        typer.echo(f"{name}: {n} rows")
    typer.echo(f"wrote {len(files)} files to {out}" + (" (truncated)" if result.truncated else ""))


@app.command("epcis")
def epcis_cmd(
    gtin: Gtin,
    lot: Lot,
    out: Annotated[Path, typer.Option("--out", help="the EPCIS 2.0 JSON-LD file to write")],
    as_json: Json = False,
) -> None:
    """An EPCIS 2.0 JSON-LD document of the lot's trace (every event used, as recorded)."""
    from traceability.exports.epcis_doc import lot_document

    with session() as s:
        doc, truncated = run(lambda: lot_document(s, gtin=gtin, lot=lot))
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    run(lambda: out.write_text(text, encoding="utf-8"))
    summary = {
        "file": str(out),
        "events": len(doc["epcisBody"]["eventList"]),
        "truncated": truncated,
    }
    if as_json:
        emit(summary)
    else:
        typer.echo(
            f"wrote {summary['events']} events to {out}" + (" (truncated)" if truncated else "")
        )
