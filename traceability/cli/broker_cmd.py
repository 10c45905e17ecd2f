"""``tracectl broker config --out DIR``: Mosquitto password/ACL files from the registry.

With ``--every SECONDS`` it keeps them in step with the registry: the files are rewritten
whenever the set of active devices changes, so a device enrolled in the store reaches the
broker without hand work (docker-compose's ``broker-sync`` service; the broker reloads them
on SIGHUP, see gateway/mosquitto/run-mosquitto.sh).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("config")
def config_cmd(
    out: Annotated[Path, typer.Option(help="directory for passwd, acl, secrets.json")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
    every: Annotated[
        float | None,
        typer.Option(
            min=1.0,
            help="keep running: re-read the registry this often (seconds), rewrite on change",
        ),
    ] = None,
) -> None:
    """Write passwd (PBKDF2-SHA512), acl (%u patterns) and secrets.json (0600) into OUT.

    The gateway's password is TRACE_MQTT_PASSWORD, the same setting the gateway connects with
    (required in production mode, so the two cannot disagree)."""
    from gateway.broker_config import active_devices, write_config
    from traceability.cli.failures import UsageError
    from traceability.config import get_settings
    from traceability.store.engine import get_engine

    settings = get_settings()
    if settings.mode == "production" and not settings.mqtt_password:
        raise UsageError(
            "set TRACE_MQTT_PASSWORD: it is the gateway's broker password, written here and "
            "used by `tracectl gateway`",
            field="mqtt_password",
        )
    engine = get_engine(settings.effective_database_url)
    written: list[str] | None = None
    while True:
        devices = active_devices(engine)
        if devices != written:
            passwords = write_config(out, devices=devices, gateway_password=settings.mqtt_password)
            written = devices
            summary = {
                "out": str(out),
                "files": ["passwd", "acl", "secrets.json"],
                "users": len(passwords),
                "devices": len(devices),
            }
            typer.echo(
                json.dumps(summary)
                if as_json
                else f"wrote {out}/passwd, acl, secrets.json for {len(devices)} devices + gateway"
            )
        if every is None:
            return
        time.sleep(every)
