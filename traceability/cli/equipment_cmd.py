"""``tracectl equipment overdue|show``: special equipment late for maintenance or inspection."""

from __future__ import annotations

from typing import Annotated

import typer

from traceability.cli._readside import emit, run, session

app = typer.Typer(no_args_is_help=True)
Interval = Annotated[
    list[str],
    typer.Option("--interval", help="VARIETY:KIND=DAYS, e.g. 3110:maintenance=10 (repeatable)"),
]


@app.command("overdue")
def overdue_cmd(
    interval: Interval = [],  # noqa: B006
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> None:
    """Units overdue for maintenance (elevators: 15 days) or periodic inspection (yearly), with
    the accountable maintenance company and its USCC. Exit 0 whether or not any is overdue."""
    from traceability.equipment.service import overdue, parse_intervals

    table = run(lambda: parse_intervals(interval))
    with session() as s:
        rows = run(lambda: overdue(s, intervals=table))
    if as_json:
        emit({"overdue": rows})
        return
    if not rows:
        typer.echo("no unit is overdue")
    for u in rows:
        company = u["maintenance_company"] or {}
        late = ", ".join(
            f"{c['kind']} {c['days_overdue']} days late (due {c['due'][:10]})"
            for c in u["compliance"]
            if c["overdue"]
        )
        place = (u["location"] or {}).get("name") or ""
        typer.echo(
            f"{u['equipment_code']}  {place}  {late}; maintenance company: "
            f"{company.get('name', '-')} (USCC {company.get('uscc') or '-'})"
        )


@app.command("show")
def show_cmd(
    code: Annotated[str, typer.Argument(metavar="CODE", help="18-character equipment code")],
    interval: Interval = [],  # noqa: B006
) -> None:
    """One unit's lifecycle and compliance (JSON)."""
    from traceability.equipment.service import parse_intervals, status

    table = run(lambda: parse_intervals(interval))
    with session() as s:
        emit(run(lambda: status(s, intervals=table, code=code))[0])
