"""``tracectl demo``: the main job on the embedded default (SQLite + in-process broker)."""

from __future__ import annotations

import json
import logging
from typing import Any

import typer
from rich.console import Console

from traceability.config import get_settings


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        once: bool = typer.Option(False, "--once", help="run the scenario, summarise, exit"),
        as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
        seed: int = typer.Option(7, help="scenario seed (runs are reproducible)"),
    ) -> None:
        """Simulated farm, pharmacy and elevator sites feed the gateway; a lot is recalled;
        the ledger signs a checkpoint. Serves the API until Ctrl-C unless --once."""
        from traceability.cli.demo_run import run

        logging.basicConfig(level=logging.WARNING)
        err = Console(stderr=True, soft_wrap=True)
        settings = get_settings()
        with err.status("starting…") as status:

            def step(message: str) -> None:
                status.update(message)
                err.print(f"[green]✓[/green] {message}")

            result = run(settings, seed=seed, step=step)
        try:
            summary = result.summary()
            if not once:
                _serve(settings, result, err)
            if as_json:
                typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
            else:
                _print(summary, err)
        finally:
            result.stop()


def _print(summary: dict[str, Any], err: Console) -> None:
    out = Console(soft_wrap=True)
    out.print(f"[bold]Suyuan demo[/bold] — store {summary['store']}, broker {summary['broker']}")
    for key in ("registered", "published", "stored", "verdicts", "devices_by_site"):
        out.print(f"  {key:16} {json.dumps(summary.get(key), ensure_ascii=False)}")
    out.print(f"  ledger_size      {summary['ledger_size']}")
    out.print(f"  samples          {json.dumps(summary['samples'], ensure_ascii=False)}")
    out.print(
        "  checkpoint:\n"
        + "\n".join("    " + ln for ln in (summary["checkpoint"] or "").splitlines())
    )
    for name, url in summary["urls"].items():
        out.print(f"  {name:16} {url}")
    del err


def _serve(settings: Any, result: Any, err: Console) -> None:
    import uvicorn

    from api.main import create_app

    config = uvicorn.Config(
        create_app(settings), host=settings.api_host, port=settings.api_port, log_level="warning"
    )
    server = uvicorn.Server(config)
    _print(result.summary(), err)
    err.print(f"[bold]serving[/bold] {settings.base_url} — Ctrl-C to stop")
    try:
        server.run()  # returns on SIGTERM; uvicorn re-raises Ctrl-C after shutting down
    except KeyboardInterrupt:
        err.print("stopped")
