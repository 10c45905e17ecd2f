"""Request bodies are RFC 8259 JSON that every store can keep exactly.

Starlette reads a JSON body with :func:`json.loads`, which accepts ``NaN``/``Infinity``, turns
``1e400`` into ``inf``, gives lone surrogates (``"\\ud800"``) and recurses into any depth. Every
router uses :class:`StrictJSONRoute`, whose requests parse with
:func:`traceability.strict_json.loads` and then refuse, naming the member:

* non-finite numbers (the constants, and literals such as ``1e400`` that overflow), and
  literals such as ``1e-400`` that underflow to 0 (``unstorable_value`` in the gateway);
* integers outside the signed 64-bit range (what PostgreSQL ``bigint`` and SQLite keep);
* NUL and lone surrogates in any string or member name (PostgreSQL cannot store NUL; no
  UTF-8 form exists for a lone surrogate);
* nesting deeper than :data:`MAX_DEPTH`.

Each is a 422 ``{"error": {"code": "json_invalid", "message", "field"}}`` before any model
validation sees the body.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from traceability import strict_json

MAX_DEPTH = 64
INT_LIMIT = 2**63
_BAD_TEXT = re.compile(r"[\x00\ud800-\udfff]")


class BodyError(HTTPException):
    """A body refused before validation; rendered by :mod:`api.errors` as ``error``."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(status_code=422, detail=message)
        self.error: dict[str, Any] = {"code": "json_invalid", "message": message}
        if field:
            self.error["field"] = field


def _where(path: str) -> str:
    return f"body.{path}" if path else "body"


def body_problem(value: Any) -> tuple[str, str] | None:
    """(field, message) of the first member a store could not keep exactly, or None."""
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        path, v, depth = stack.pop()
        if depth > MAX_DEPTH:
            return _where(path), f"JSON nested deeper than {MAX_DEPTH} levels"
        if isinstance(v, str):
            if _BAD_TEXT.search(v):
                return _where(path), "a string has a NUL (U+0000) or a lone surrogate"
        elif isinstance(v, bool) or v is None:
            continue
        elif isinstance(v, int):
            if not -INT_LIMIT <= v < INT_LIMIT:
                return _where(path), "integer outside the signed 64-bit range"
        elif isinstance(v, float):
            if not math.isfinite(v):
                return _where(path), "number too large for a 64-bit float (e.g. 1e400)"
            if isinstance(v, strict_json.TinyNumber):
                return _where(path), f"number {v.text} underflows to 0 in a 64-bit float"
        elif isinstance(v, dict):
            for k, item in reversed(list(v.items())):
                sub = f"{path}.{k}" if path else str(k)
                if _BAD_TEXT.search(k):
                    return _where(path), "a member name has a NUL or a lone surrogate"
                stack.append((sub, item, depth + 1))
        elif isinstance(v, list):
            for i, item in reversed(list(enumerate(v))):
                stack.append((f"{path}[{i}]", item, depth + 1))
    return None


def parse_body(body: bytes) -> Any:
    """Parse a request body strictly or raise :class:`BodyError`."""
    try:
        value = strict_json.loads(body)
    except strict_json.NonFiniteNumberError as exc:
        raise BodyError(exc.message, field=_where(exc.field or "")) from None
    except json.JSONDecodeError as exc:
        raise BodyError(
            f"request body is not valid JSON: {exc.msg} at character {exc.pos}"
        ) from None
    except RecursionError:
        raise BodyError(f"JSON nested deeper than {MAX_DEPTH} levels", field="body") from None
    except ValueError as exc:  # not UTF-8, or an integer of more than 4300 digits
        raise BodyError(f"request body is not valid JSON text: {str(exc)[:120]}") from None
    problem = body_problem(value)
    if problem is not None:
        field, message = problem
        raise BodyError(message, field=field)
    return value


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_body(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict
