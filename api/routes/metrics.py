"""``GET /metrics``: this process's counters in the Prometheus text format, operators only.

Decision: admin (operator) token required (``require_role("admin")``). The counters are not
personal data but they are business data -- ingest volumes, dispensing verdict counts, dead
letters by reason -- and the API is the internet-facing process. Prometheus scrapes it with
``authorization: {credentials: <TRACE_ADMIN_TOKEN>}``. The gateway's own ``--metrics-port``
endpoint stays unauthenticated and binds 127.0.0.1 only (a sidecar/node scrape).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from api.deps import require_role
from api.jsonbody import StrictJSONRoute
from traceability.metrics.prometheus import CONTENT_TYPE, REGISTRY

router = APIRouter(
    route_class=StrictJSONRoute,
    tags=["observability"],
    dependencies=[Depends(require_role("admin"))],
)


@router.get("/metrics", response_class=PlainTextResponse)
def metrics() -> PlainTextResponse:
    return PlainTextResponse(REGISTRY.render(), media_type=CONTENT_TYPE)
