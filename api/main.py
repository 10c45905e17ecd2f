"""The FastAPI application: routers from ``api/routes``, error mapping from ``api/errors``,
request checks from ``api/guard`` (body size, path and query text), tokens parsed once."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from traceability.config import Settings, get_settings

ROUTE_MODULES = (
    "registry",
    "ledger",
    "deadletters",
    "metrics",
    "devices",
    "labels",
    "equipment",
    "trace",
    "resolver",
    "epcis",
    "apikeys",
    "console",
    "console_producer",
    "notices",
    "consumer",
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        from api.checkpointer import Checkpointer

        checkpointer = Checkpointer(settings).start()
        try:
            yield
        finally:
            checkpointer.stop()

    app = FastAPI(
        title="Suyuan traceability API",
        version="0.1.0",
        description="Registry and device enrolment, the custody ledger (signed checkpoints, "
        "inclusion/consistency proofs, offline receipts), dead letters and metrics.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    from api.deps import token_table
    from api.errors import install as install_error_handlers
    from api.guard import RequestGuard

    app.state.tokens = token_table(settings)
    from api.pages import ConsumerLimits

    app.state.consumer = ConsumerLimits(settings)  # per-client buckets and the scan salt
    install_error_handlers(app)
    app.add_middleware(RequestGuard, max_body=settings.api_max_body_bytes)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for name in ROUTE_MODULES:
        module = importlib.import_module(f"api.routes.{name}")
        app.include_router(module.router)
    return app
