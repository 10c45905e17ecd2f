"""``tracectl ledger``: checkpoints, proofs, receipts and the log's verifier key.

``verify-receipt`` stands alone: this module imports the database layer only inside the
commands that use it, so verifying a receipt loads no database or web library.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from traceability.config import get_settings
from traceability.errors import TraceError
from traceability.ledger import verify_offline
from traceability.ledger.errors import ReceiptError

if TYPE_CHECKING:
    from sqlmodel import Session

app = typer.Typer(no_args_is_help=True)


def _session() -> Session:
    from sqlmodel import Session

    from traceability.store.engine import get_engine

    return Session(get_engine(get_settings().effective_database_url), expire_on_commit=False)


def _fail(exc: TraceError, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"valid": False, "error": exc.to_dict()}))
    else:
        typer.echo(f"error: {exc.message}", err=True)
    raise typer.Exit(1)


@app.command("key")
def key_cmd() -> None:
    """Print the log's verifier key (C2SP signed-note vkey); creates the key on first use."""
    from traceability.ledger import checkpoint

    typer.echo(checkpoint.load_log_signer(get_settings()).verifier.vkey())


@app.command("checkpoint")
def checkpoint_cmd(
    no_witness: bool = typer.Option(False, "--no-witness", help="do not collect cosignatures"),
    trust_store: bool = typer.Option(
        False,
        "--trust-store",
        help="sign although the signer state file (log.key.last) is missing, taking the "
        "store's latest checkpoint as the last signed one; only after `tracectl verify` passes",
    ),
) -> None:
    """Sign a checkpoint of the current tree now and collect witness cosignatures."""
    from traceability.ledger import checkpoint

    with _session() as s:
        try:
            cp = checkpoint.sign_checkpoint(
                s, settings=get_settings(), collect=not no_witness, trust_store=trust_store
            )
            s.commit()
        except TraceError as exc:
            _fail(exc, False)
    typer.echo(cp.note, nl=False)


@app.command("prove")
def prove_cmd(
    index: int | None = typer.Option(None, "--index"),
    size: int | None = typer.Option(None, "--size"),
    old: int | None = typer.Option(None, "--old"),
    new: int | None = typer.Option(None, "--new"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """An inclusion proof (--index/--size) or a consistency proof (--old/--new), base64 lines."""
    from traceability.ledger import store

    with _session() as s:
        try:
            if index is not None and size is not None:
                proof = store.inclusion_proof(s, index=index, size=size)
            elif old is not None and new is not None:
                proof = store.consistency_proof(s, old=old, new=new)
            else:
                typer.echo("give --index and --size, or --old and --new", err=True)
                raise typer.Exit(2)
        except TraceError as exc:
            _fail(exc, as_json)
    hashes = [base64.b64encode(p).decode() for p in proof]
    if as_json:
        typer.echo(
            json.dumps({"index": index, "size": size, "old": old, "new": new, "proof": hashes})
        )
    else:
        for h in hashes:
            typer.echo(h)


@app.command("receipt")
def receipt_cmd(
    event_id: str = typer.Argument(..., help="the event hash (ni:///sha-256;...)"),
    out: Path | None = typer.Option(None, "--out", help="write the .tlog-proof here"),
) -> None:
    """Write an offline receipt (c2sp.org/tlog-proof@v1) for one event."""
    from traceability.ledger import checkpoint, receipt, store

    with _session() as s:
        try:
            entry = store.entry_for_event(s, event_hash=event_id)
            try:
                witnesses = checkpoint.configured_witnesses(get_settings())
                cp = checkpoint.latest_checkpoint(s, witnesses=witnesses)
            except TraceError:
                cp = None
            if cp is None or cp.size <= entry.idx:
                cp = checkpoint.sign_checkpoint(s, settings=get_settings())
                s.commit()
            text = receipt.build_receipt(s, event_hash=event_id, cp=cp)
        except TraceError as exc:
            _fail(exc, False)
    if out:
        out.write_text(text)
        typer.echo(f"wrote {out}")
    else:
        typer.echo(text, nl=False)


@app.command("verify-receipt")
def verify_receipt_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False),
    log_key: str = typer.Option(..., "--log-key", help="the log's verifier key"),
    witness_key: list[str] = typer.Option([], "--witness-key", help="required witness vkeys"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Verify a receipt with no database and no network; exit 1 when it does not verify."""
    try:
        try:
            text = file.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ReceiptError(f"cannot read {file}: {exc}", field="receipt") from None
        result = verify_offline.verify_receipt(text, log_key=log_key, witness_keys=witness_key)
    except TraceError as exc:  # verify_receipt raises ReceiptError only
        _fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        typer.echo(
            f"valid: entry {result.index} of {result.origin} (size {result.size}), "
            f"event {result.record.get('event_hash')}, witnesses: "
            f"{', '.join(result.witnesses) or 'none'}"
        )
