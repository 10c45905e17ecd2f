"""``tracectl witness``: run a witness that cosigns checkpoints (c2sp.org/tlog-witness)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from traceability.ledger import note
from traceability.ledger.keyfile import read_private
from traceability.ledger.witness import Witness, serve
from traceability.signing.ed25519 import generate_keypair

app = typer.Typer(no_args_is_help=True)


@app.command("keygen")
def keygen_cmd(
    name: str = typer.Option(..., "--name", help="the witness name, e.g. regulator.example/w1"),
    key: Path = typer.Option(..., "--key", help="where to write the private key (mode 0600)"),
) -> None:
    """Create a witness key; prints its cosignature verifier key."""
    seed, _ = generate_keypair()
    signer = note.Signer(name, seed, note.COSIGNATURE_V1)
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(signer.private_key() + "\n")
    typer.echo(signer.verifier.vkey())


@app.command("serve")
def serve_cmd(
    key: Path = typer.Option(..., "--key", exists=True, help="the witness private key file"),
    state: Path = typer.Option(..., "--state", help="the witness state file (JSON)"),
    log_key: list[str] = typer.Option(..., "--log-key", help="trusted log verifier keys"),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(7380, "--port"),
) -> None:
    """Serve POST /add-checkpoint until interrupted."""
    signer = note.Signer.parse(read_private(key))
    w = Witness(signer=signer, logs=[note.Verifier.parse(k) for k in log_key], state_file=state)
    server = serve(w, host=host, port=port)
    typer.echo(
        f"witness {w.signer.verifier.vkey()} on http://{host}:{server.server_port}", err=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
