"""Request bodies are RFC 8259 JSON: ``NaN``, ``Infinity`` and ``-Infinity`` are refused.

Starlette reads a JSON body with :func:`json.loads`, which accepts those constants. Every
router uses :class:`StrictJSONRoute`, whose requests parse with
:func:`traceability.strict_json.loads`; a constant becomes the same 422 ``json_invalid`` answer
as any other undecodable body, its message naming the member and the constant.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from traceability import strict_json


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = strict_json.loads(body)
            except strict_json.NonFiniteNumberError as exc:
                doc = body.decode("utf-8", "replace")
                raise json.JSONDecodeError(exc.message, doc, exc.pos or 0) from None
        return self._json


class StrictJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict
