"""``tracectl gateway``: run an MQTT ingest worker against the configured store and broker."""

from __future__ import annotations

import signal
import threading
from dataclasses import replace
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``tracectl gateway``."""

    @app.command("gateway")
    def gateway(
        mqtt_url: Annotated[str | None, typer.Option(help="mqtt://host:port or 'embedded'")] = None,
        client_id: Annotated[str | None, typer.Option(help="stable MQTT client id")] = None,
        metrics_port: Annotated[int | None, typer.Option(help="serve /metrics")] = None,
        batch_size: Annotated[int | None, typer.Option(help="events per batch")] = None,
        batch_ms: Annotated[int | None, typer.Option(help="max batch age in ms")] = None,
        log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING")] = "INFO",
    ) -> None:
        """Run an ingest worker: verify, validate, append, ack after commit, dead-letter."""
        from gateway import logs
        from gateway.app import Gateway
        from gateway.config import GatewayConfig
        from traceability.config import get_settings
        from traceability.metrics.prometheus import serve

        logs.setup(log_level)
        config = GatewayConfig.from_settings(get_settings(), mqtt_url=mqtt_url, client_id=client_id)
        if batch_size is not None:
            config = replace(config, batch_size=batch_size)
        if batch_ms is not None:
            config = replace(config, batch_ms=batch_ms)
        broker = None
        if config.embedded:
            from gateway.embedded_broker import EmbeddedBroker

            broker = EmbeddedBroker().start()
            config = replace(config, mqtt_port=broker.port)
        server = serve(metrics_port) if metrics_port else None
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        gw = Gateway(config).start()
        try:
            stop.wait()
        finally:
            gw.stop()
            if server is not None:
                server.shutdown()
            if broker is not None:
                broker.stop()
