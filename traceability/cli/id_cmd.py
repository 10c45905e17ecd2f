"""``tracectl id``: identify and validate codes (GS1, EPC, Chinese registries)."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from traceability.identifiers.identify import check as check_code

app = typer.Typer(
    no_args_is_help=True,
    help="Identify and validate identifiers: GTIN/GLN/SSCC, GS1 element strings, Digital Link, "
    "EPC URN/hex, unified social credit code, drug traceability and equipment codes.",
)


@app.callback()
def _root() -> None:
    """Identifier tools."""


@app.command("check")
def check(
    code: str = typer.Argument(..., help="The code to identify and validate."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Identify CODE and validate it. Exit 0 if valid, 1 if not."""
    result = check_code(code)
    if as_json:
        typer.echo(json.dumps(result.to_json_dict(), ensure_ascii=False))
    else:
        console = Console()
        status = "[green]valid[/green]" if result.valid else "[red]INVALID[/red]"
        console.print(f"{status}  kind: [bold]{result.kind or 'unrecognised'}[/bold]")
        if result.alternatives:
            console.print("also valid as: " + ", ".join(result.alternatives))
        if result.normalized or result.parts:
            table = Table(show_header=False, box=None)
            for key, value in {**result.normalized, **result.parts}.items():
                table.add_row(key, value, style=None)
            console.print(table, markup=False)
        for err in result.errors:
            where = f" [{err.field}]" if err.field else ""
            console.print(f"{err.severity}: {err.code}{where}: {err.message}", markup=False)
        if result.kind == "uscc":  # the flags POST /parties gives (one rule)
            console.print(
                f"uscc_checksum_valid: {str(result.uscc_checksum_valid).lower()}", markup=False
            )
            if result.uscc_warning:
                console.print(f"uscc_warning: {result.uscc_warning}", markup=False)
        for note in result.notes:
            console.print(f"note: {note}", markup=False)
    raise typer.Exit(0 if result.valid else 1)
