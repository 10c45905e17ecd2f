"""``tracectl serve``: the API against the configured store."""

from __future__ import annotations

import typer

from traceability.config import get_settings


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: str = typer.Option(None, help="bind address (default: TRACE_API_HOST)"),
        port: int = typer.Option(None, help="port (default: TRACE_API_PORT)"),
    ) -> None:
        """Run the HTTP API (registry, devices, ledger, dead letters, metrics)."""
        import uvicorn

        from api.main import create_app
        from traceability.cli.failures import require_free_port
        from traceability.store.engine import upgrade

        settings = get_settings()
        bind_host, bind_port = host or settings.api_host, port or settings.api_port
        require_free_port(bind_host, bind_port)
        upgrade(url=settings.effective_database_url)
        from traceability.cli.db_cmd import baseline_registry

        baseline_registry(url=settings.effective_database_url, data_dir=settings.data_dir)
        uvicorn.run(create_app(settings), host=bind_host, port=bind_port, log_level="info")
