"""Checks every HTTP request passes before any route sees it (so new routes get them too).

:class:`RequestGuard` is an ASGI middleware installed by :func:`api.main.create_app`:

* the body is limited to ``TRACE_API_MAX_BODY_BYTES``: a larger ``Content-Length`` is answered
  413 at once, and a body without one (chunked) is counted as it arrives and refused with 413
  the moment it passes the limit -- nothing larger is ever buffered or parsed;
* the path and the query string must be UTF-8 text without NUL or other control characters
  (PostgreSQL cannot store NUL, and no identifier here has control characters): 400, naming
  ``path`` or the query parameter (``query.<name>``).

JSON bodies are checked further by :mod:`api.jsonbody`; integer parameters are bounded by the
types in :mod:`api.deps`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def target_problem(scope: Scope) -> dict[str, Any] | None:
    """Why the request's path or query string is refused, or None."""
    path = scope.get("path", "")
    if _CONTROL.search(path):
        return {
            "code": "invalid_characters",
            "message": "the path has a NUL, another control character or a lone surrogate",
            "field": "path",
        }
    raw: bytes = scope.get("query_string", b"")
    for pair in raw.split(b"&") if raw else ():
        name_raw, _, value_raw = pair.partition(b"=")
        name_bytes = unquote_to_bytes(name_raw.replace(b"+", b" "))
        value = unquote_to_bytes(value_raw.replace(b"+", b" "))
        name = name_bytes.decode("utf-8", "replace")
        field = f"query.{name}" if name and not _CONTROL.search(name) else "query"
        try:
            text = name_bytes.decode("utf-8") + value.decode("utf-8")
        except UnicodeDecodeError:
            return {
                "code": "invalid_characters",
                "message": f"{field}: not UTF-8 once percent-decoded",
                "field": field,
            }
        if _CONTROL.search(text):
            return {
                "code": "invalid_characters",
                "message": f"{field}: has a NUL or another control character",
                "field": field,
            }
    return None


def _too_large(limit: int) -> dict[str, Any]:
    return {
        "code": "too_large",
        "message": f"request body is larger than {limit} bytes (TRACE_API_MAX_BODY_BYTES)",
        "field": "body",
        "limit": limit,
    }


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = target_problem(scope)
        if problem is not None:
            await error_response(400, problem)(scope, receive, send)
            return
        length = dict(scope.get("headers", ())).get(b"content-length")
        if length is not None:
            if not length.isdigit() or len(length) > 18:
                err = {"code": "bad_request", "message": "Content-Length is not a number"}
                await error_response(400, err)(scope, receive, send)
                return
            if int(length) > self.max_body:
                await error_response(413, _too_large(self.max_body))(scope, receive, send)
                return
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_body:
                await error_response(413, _too_large(self.max_body))(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
