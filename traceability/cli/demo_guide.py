"""What ``tracectl demo`` tells a newcomer to try next, with the values the run just made."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

from traceability.config import Settings

DEFAULT_DATA_DIR = Path("./.suyuan")


def next_steps(
    summary: dict[str, Any], *, settings: Settings, token: str | None, serving: bool
) -> list[str]:
    """Lines of copy-paste commands: the offline receipt check always; the API's URLs only when
    ``serving`` (the server answers), with the bearer token the protected ones need."""
    env = _env_prefix(settings)
    prog = program()
    receipt = summary.get("receipt") or {}
    samples = summary.get("samples") or {}
    lines = ["Try next:"]
    if receipt.get("file") and receipt.get("log_key"):
        lines += [
            "  # verify the sample event's receipt offline (no database, no network):",
            f"  {prog} ledger verify-receipt {shlex.quote(receipt['file'])} "
            f"--log-key {shlex.quote(receipt['log_key'])}",
        ]
    if samples.get("event_id"):
        lines += [
            "  # a receipt for any stored event:",
            f"  {env}{prog} ledger receipt {shlex.quote(samples['event_id'])} "
            "--out receipt.tlog-proof",
        ]
    lines += ["  # audit the whole ledger and every item chain:", f"  {env}{prog} verify"]
    if not serving:
        lines += ["  # serve the API on this data (Ctrl-C to stop):", f"  {env}{prog} serve"]
        return lines
    base = settings.base_url
    lot = samples.get("recalled_lot") or {}
    lines += [
        "  # public (no token):",
        f"  curl {base}/ledger/checkpoint",
        f"  curl '{base}/products/{samples.get('product_gtin', '')}'",
        f"  curl '{base}/lots?gtin={lot.get('gtin', '')}'   # lot {lot.get('lot', '')} recalled",
        f"  open {base}/docs",
    ]
    if token:
        auth = f"-H {shlex.quote('Authorization: Bearer ' + token)}"
        lines += [
            "  # protected (this run's admin token; TRACE_ADMIN_TOKEN sets your own):",
            f"  curl {auth} {base}/deadletters",
            f"  curl {auth} {base}/parties",
            f"  curl {auth} {base}/metrics",
        ]
    return lines


def program() -> str:
    """How to call ``tracectl`` from here: the name when it is on PATH, else the path it was
    started by (``make demo`` runs ``.venv/bin/tracectl``)."""
    started = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if started is None or started.name != "tracectl":
        return "tracectl"
    found = shutil.which("tracectl")
    if found is not None and Path(found).resolve() == started.resolve():
        return "tracectl"
    return shlex.quote(str(started))


def _env_prefix(settings: Settings) -> str:
    """``TRACE_DATA_DIR=… `` when the run did not use the default data folder (so the commands
    find the same store and log key), else nothing."""
    if settings.data_dir != DEFAULT_DATA_DIR:
        return f"TRACE_DATA_DIR={shlex.quote(str(settings.data_dir.resolve()))} "
    return ""
