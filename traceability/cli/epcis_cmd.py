"""``tracectl epcis``: hash and validate EPCIS 2.0 JSON / JSON-LD documents.

Exit status: 0 success / valid, 1 invalid document (``validate``), 2 usage error or unreadable
input (missing file, not JSON, no event list).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from traceability.config import get_settings
from traceability.errors import TraceError
from traceability.events import (
    DocumentError,
    document_hashes,
    document_prehashes,
    load_json,
    validate_document,
)
from traceability.events.timing import TimeRule
from traceability.events.validation import RULE_SETS

app = typer.Typer(
    no_args_is_help=True,
    help="EPCIS 2.0 documents: CBV 2.0 event hashes and validation (schema + semantics).",
)


@app.callback()
def _root() -> None:
    """EPCIS tools."""


def _read(file: str) -> dict[str, Any]:
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        return load_json(data)
    except DocumentError as exc:
        typer.echo(f"error: {file}: {exc.message}", err=True)
        raise typer.Exit(2) from exc


@app.command("hash")
def hash_cmd(
    file: str = typer.Argument(..., help="EPCIS document (JSON / JSON-LD); '-' for stdin."),
    prehash: bool = typer.Option(False, "--prehash", help="Print the pre-hash strings instead."),
) -> None:
    """Print the CBV 2.0 event hash of each event, one per line, in document order."""
    doc = _read(file)
    try:
        lines = document_prehashes(doc) if prehash else document_hashes(doc)
    except DocumentError as exc:
        typer.echo(f"error: {file}: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    for line in lines:
        typer.echo(line)


@app.command("validate")
def validate_cmd(
    file: str = typer.Argument(..., help="EPCIS document (JSON / JSON-LD); '-' for stdin."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
    rules: list[str] = typer.Option(
        ["epcis"], "--rules", help=f"Rule sets to apply (repeatable): {', '.join(RULE_SETS)}."
    ),
) -> None:
    """Validate FILE against the EPCIS 2.0 schema and semantic rules. Exit 0 valid, 1 not."""
    unknown = [r for r in rules if r not in RULE_SETS]
    if unknown:
        typer.echo(f"error: unknown rule set(s): {', '.join(unknown)}", err=True)
        raise typer.Exit(2)
    doc = _read(file)
    try:  # the same time rule as the gateway (TRACE_TIME_FLOOR, TRACE_CLOCK_SKEW_S)
        time_rule = TimeRule.from_settings(get_settings())
    except (TraceError, ValueError) as exc:
        typer.echo(f"error: settings: {exc}", err=True)
        raise typer.Exit(2) from None
    issues = validate_document(
        doc,
        rules=tuple(dict.fromkeys(["epcis", *rules])),
        time_rule=time_rule,
        now=datetime.now(UTC),
    )
    if as_json:
        out = {"valid": not issues, "issues": [i.to_dict() for i in issues]}
        typer.echo(json.dumps(out, ensure_ascii=False))
    elif issues:
        for issue in issues:
            typer.echo(str(issue))
        typer.echo(f"{len(issues)} problem(s)")
    else:
        typer.echo("valid")
    raise typer.Exit(1 if issues else 0)
