"""``tracectl demo``: the main job on the embedded default (SQLite + in-process broker)."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from typing import Any

import typer
from rich.console import Console

from traceability.config import Settings, get_settings

MIN_TOKEN_CHARS = 32


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        once: bool = typer.Option(False, "--once", help="run the scenario, summarise, exit"),
        as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
        seed: int = typer.Option(7, help="scenario seed (runs are reproducible)"),
        port: int | None = typer.Option(
            None, "--port", min=1, max=65535, help="API port (default: TRACE_API_PORT, 8000)"
        ),
    ) -> None:
        """Simulated farm, pharmacy and elevator sites feed the gateway; a lot is recalled;
        the ledger signs a checkpoint. Serves the API until Ctrl-C unless --once."""
        from traceability.cli.demo_run import run
        from traceability.cli.failures import require_free_port

        logging.basicConfig(level=logging.WARNING)
        err = Console(stderr=True, soft_wrap=True)
        settings = get_settings()
        if port is not None:
            settings = settings.model_copy(update={"api_port": port})
        if not once:  # before the run, not after a minute of it
            require_free_port(settings.api_host, settings.api_port)
            settings = _with_token(settings)
        with err.status("starting…") as status:

            def step(message: str) -> None:
                status.update(message)
                err.print(f"[green]✓[/green] {message}")

            result = run(settings, seed=seed, step=step)
        try:
            if not once:
                _serve(settings, result, err, as_json=as_json)
            summary = result.summary()
            if as_json:
                typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
            elif once:
                _print(summary, settings, serving=False)
        finally:
            result.stop()


def _with_token(settings: Settings) -> Settings:
    """The demo serves with the configured admin token, or, when that is a short development
    default, a fresh one for this run (printed with the URLs that need it)."""
    if len(settings.admin_token) >= MIN_TOKEN_CHARS:
        return settings
    return settings.model_copy(update={"admin_token": secrets.token_urlsafe(32)})


def _print(summary: dict[str, Any], settings: Settings, *, serving: bool) -> None:
    from traceability.cli.demo_guide import next_steps

    out = Console(soft_wrap=True, highlight=False)
    out.print(f"[bold]Suyuan demo[/bold] — store {summary['store']}, broker {summary['broker']}")
    for key in ("registered", "published", "stored", "verdicts", "devices_by_site"):
        out.print(f"  {key:16} {json.dumps(summary.get(key), ensure_ascii=False)}")
    out.print(f"  ledger_size      {summary['ledger_size']}")
    out.print(f"  samples          {json.dumps(summary['samples'], ensure_ascii=False)}")
    out.print(
        "  checkpoint:\n"
        + "\n".join("    " + ln for ln in (summary["checkpoint"] or "").splitlines())
    )
    for name, url in summary.get("urls", {}).items():
        out.print(f"  {name:16} {url}")
    token = settings.admin_token if serving else None
    for line in next_steps(summary, settings=settings, token=token, serving=serving):
        out.print(line, markup=False)


def _serve(settings: Settings, result: Any, err: Console, *, as_json: bool) -> None:
    import uvicorn

    from api.main import create_app

    config = uvicorn.Config(
        create_app(settings), host=settings.api_host, port=settings.api_port, log_level="warning"
    )
    server = uvicorn.Server(config)

    def announce() -> None:  # the URLs only once the server answers
        deadline = time.monotonic() + 30
        while not server.started and not server.should_exit and time.monotonic() < deadline:
            time.sleep(0.05)
        if not server.started:
            return
        if not as_json:
            _print(result.summary(serving=True), settings, serving=True)
        err.print(f"[bold]serving[/bold] {settings.base_url} — Ctrl-C to stop")

    threading.Thread(target=announce, name="demo-announce", daemon=True).start()
    try:
        server.run()  # returns on SIGTERM; uvicorn re-raises Ctrl-C after shutting down
    except KeyboardInterrupt:
        err.print("stopped")
    except SystemExit:  # uvicorn exits (status 3) when it cannot bind
        if server.started:
            raise
    if not server.started:
        from traceability.cli.failures import UnreachableError

        raise UnreachableError(
            f"the API could not start on {settings.api_host}:{settings.api_port} (choose "
            "another port with --port or TRACE_API_PORT)",
            field="port",
            value=settings.api_port,
        )
