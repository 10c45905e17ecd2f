"""Shared plumbing of the read-side commands (trace, custody, recall, export, equipment):
a session on the configured store, and one mapping of errors to exit codes -- a malformed
argument exits 2 naming the field, an unknown id exits 1 naming what was looked up."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
import typer
from sqlmodel import Session

from traceability.errors import ConfigError, InvalidInputError, NotFoundError, TraceError

T = TypeVar("T")


@contextmanager
def session(*, write: bool = False) -> Iterator[Session]:
    from traceability.config import get_settings
    from traceability.store.engine import get_engine, session_scope

    engine = get_engine(get_settings().effective_database_url)
    if write:
        with session_scope(engine=engine) as s:
            yield s
    else:
        with Session(engine) as s:
            yield s


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def run(fn: Callable[[], T]) -> T:
    """Call ``fn``; turn the errors it raises into one-line messages and exit codes."""
    try:
        return fn()
    except InvalidInputError as exc:
        where = f"{exc.field}: " if exc.field and not exc.message.startswith(exc.field) else ""
        raise fail(f"{where}{exc.message}", 2) from None
    except ConfigError as exc:
        raise fail(exc.message, 2) from None
    except NotFoundError as exc:
        raise fail(f"not found: {exc.message}", 1) from None
    except TraceError as exc:
        raise fail(exc.message, 1) from None
    except sa.exc.OperationalError as exc:
        raise fail(
            f"the store cannot be read ({str(exc.orig).splitlines()[0]}); "
            "run `tracectl db upgrade` first",
            1,
        ) from None
    except OSError as exc:
        raise fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), 1) from None


def emit(doc: Any) -> None:
    typer.echo(json.dumps(doc, ensure_ascii=False, default=str))
