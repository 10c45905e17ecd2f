"""``GET /metrics``: this process's counters in the Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from gateway.metrics import CONTENT_TYPE, REGISTRY

router = APIRouter(tags=["observability"])


@router.get("/metrics", response_class=PlainTextResponse)
def metrics() -> PlainTextResponse:
    return PlainTextResponse(REGISTRY.render(), media_type=CONTENT_TYPE)
