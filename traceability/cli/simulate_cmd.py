"""``tracectl simulate SCENARIO``: stream a seeded site scenario to a broker (or print it)."""

from __future__ import annotations

import json

import typer

from traceability.config import get_settings

app = typer.Typer(
    no_args_is_help=True, help="Site simulators and scenarios: produce, drug, equipment, all."
)


@app.callback()
def _root() -> None:
    """Site simulators: ``tracectl simulate SCENARIO --seed N --rate R --duration S``."""


def simulate(
    scenario: str,
    *,
    seed: int,
    rate: float,
    duration: float | None,
    broker: str | None,
    scale: int,
    register: bool,
    mqtt311: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Generate SCENARIO deterministically from --seed and publish it at --rate."""
    from devices.simulators import NAMES, build_scenario

    if scenario not in NAMES:
        typer.echo(
            f"error: unknown scenario {scenario!r}; choose one of {', '.join(NAMES)}", err=True
        )
        raise typer.Exit(2)
    settings = get_settings()
    built = build_scenario(scenario, seed=seed, scale=scale)
    if dry_run:
        for b in built.batches:
            typer.echo(
                json.dumps(
                    {
                        "device": b.device_id,
                        "at": b.at.isoformat(),
                        "reply": b.reply,
                        "note": b.note,
                        "events": b.events,
                    },
                    ensure_ascii=False,
                )
            )
        raise typer.Exit(0)
    url = broker or settings.mqtt_url
    if url == "embedded":
        typer.echo(
            "error: give --broker mqtt://host:port (the embedded broker lives inside "
            "`tracectl demo`), or use --dry-run",
            err=True,
        )
        raise typer.Exit(2)
    from traceability.cli.failures import require_broker

    require_broker(url)
    if register:
        from devices.simulators import register_world
        from traceability.store.engine import get_engine, session_scope

        with session_scope(engine=get_engine(settings.effective_database_url)) as session:
            reg = register_world(session, built.world, data_dir=settings.data_dir)
        if not as_json:
            typer.echo(f"registered: {reg.created or 'nothing new'}")
    from devices.simulators import publish_scenario
    from traceability.errors import TraceError

    try:
        report = publish_scenario(
            built,
            broker_url=url,
            data_dir=settings.data_dir / "devices",
            rate=rate or None,
            duration=duration,
            protocol=4 if mqtt311 else 5,
        )
    except TraceError as exc:
        typer.echo(f"error: {exc.code}: {exc.message}", err=True)
        raise typer.Exit(1) from None
    summary = {
        "scenario": scenario,
        "seed": seed,
        "envelopes": report.envelopes,
        "events": report.events,
        "of_events": built.event_count,
        "seconds": round(report.seconds, 2),
        "drained": report.drained,
        "verdicts": len(report.verdicts),
    }
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(
            f"{scenario} (seed {seed}): {report.envelopes} envelopes, {report.events} "
            f"events in {report.seconds:.1f}s; queues drained: {report.drained}"
        )
    raise typer.Exit(0 if report.drained else 1)


def _command_for(name: str) -> None:
    def command(
        seed: int = typer.Option(1, "--seed", help="Same seed, same events."),
        rate: float = typer.Option(50.0, "--rate", help="Envelopes per second (0: unthrottled)."),
        duration: float | None = typer.Option(None, "--duration", help="Stop after S seconds."),
        broker: str | None = typer.Option(
            None, "--broker", help="mqtt://host:port; default TRACE_MQTT_URL"
        ),
        scale: int = typer.Option(1, "--scale", min=1, help="Multiply item counts."),
        register: bool = typer.Option(
            False, "--register", help="Register the world in the configured store first."
        ),
        mqtt311: bool = typer.Option(False, "--mqtt311", help="Speak MQTT 3.1.1."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the batches as JSON lines."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON summary."),
    ) -> None:
        simulate(
            name,
            seed=seed,
            rate=rate,
            duration=duration,
            broker=broker,
            scale=scale,
            register=register,
            mqtt311=mqtt311,
            dry_run=dry_run,
            as_json=as_json,
        )

    command.__doc__ = f"Generate the {name} scenario from --seed and publish it at --rate."
    app.command(name)(command)


for _name in ("produce", "drug", "equipment", "all"):
    _command_for(_name)
