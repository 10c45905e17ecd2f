"""One place that turns an error into the one line ``tracectl`` prints, and its exit status.

Exit status (docs/cli.md): 0 success; 1 the thing checked is invalid, a check failed, or the
command could not do its work (a file, the store or the broker); 2 a usage error: a bad
argument, option or setting (``TRACE_*``). No command prints a traceback for these; an error
that is not listed here is a bug and keeps its traceback so it can be reported.

:class:`HandledGroup` is the root command's class, so the console script and ``CliRunner``
(the tests) take the same path.
"""

from __future__ import annotations

import errno
import functools
import os
import socket
import sys
from pathlib import Path
from typing import Any

import typer
from typer._click.exceptions import NoArgsIsHelpError
from typer._click.exceptions import UsageError as UsageError_
from typer.core import TyperGroup

from traceability.errors import ConfigError, TraceError

USAGE = 2
FAILED = 1


class UsageError(TraceError):
    """A command's arguments or options do not make sense together (exit 2)."""

    code = "usage"


class HandledGroup(TyperGroup):
    """The root group: a known error becomes ``error: …`` on stderr and exit 1 or 2; a usage
    error (bad option or argument) one line too, naming the command's ``--help``."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError_ as exc:
            if isinstance(exc, NoArgsIsHelpError):  # `tracectl ledger` alone: its help
                raise
            where = exc.ctx.command_path if exc.ctx is not None else "tracectl"
            typer.echo(f"error: {exc.format_message()} (see `{where} --help`)", err=True)
            raise typer.Exit(USAGE) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except BrokenPipeError:
            if _stdout_closed():  # `tracectl … | head`: the reader has gone, as for any tool
                raise typer.Exit(FAILED) from None
            raise
        except Exception as exc:
            explained = explain(exc)
            if explained is None:
                raise
            message, status = explained
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(status) from None


def _stdout_closed() -> bool:
    """Whether standard output's reader has gone; if so, standard output is pointed at
    /dev/null so that the interpreter's last flush does not fail again."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return True
    return False


def explain(exc: BaseException) -> tuple[str, int] | None:
    """``(one line saying what went wrong and what to do, exit status)``, or None if unknown."""
    for kind, describe in _handlers():
        if isinstance(exc, kind):
            found = describe(exc)
            if found is not None:
                message, status = found
                return " ".join(message.split()), status
    return None


def _trace_error(exc: BaseException) -> tuple[str, int]:
    assert isinstance(exc, TraceError)
    status = USAGE if isinstance(exc, (ConfigError, UsageError)) else FAILED
    return f"{exc.code}: {exc.message}", status


def _validation(exc: BaseException) -> tuple[str, int]:
    from pydantic import ValidationError

    assert isinstance(exc, ValidationError)
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ())) or exc.title
        value = err.get("input")
        shown = f" (got {value!r})" if isinstance(value, (str, int, float)) else ""
        parts.append(f"{where}: {err.get('msg', 'invalid')}{shown}")
    more = exc.error_count() - len(parts)
    tail = f"; and {more} more" if more > 0 else ""
    return f"invalid {exc.title}: {'; '.join(parts)}{tail}", USAGE


def _file(exc: BaseException) -> tuple[str, int] | None:
    assert isinstance(exc, OSError)
    name = exc.filename
    if name is None:
        return None
    if isinstance(exc, FileExistsError):
        return (
            f"{name} already exists; refusing to overwrite it (remove it or choose another path)",
            FAILED,
        )
    if isinstance(exc, FileNotFoundError):
        return (
            f"{name}: no such file or folder (create the folder first or give another path)",
            FAILED,
        )
    if isinstance(exc, IsADirectoryError):
        return f"{name} is a folder; give a file path (e.g. {name}/receipt.txt)", FAILED
    if isinstance(exc, NotADirectoryError):
        return f"{name}: a part of this path is a file, not a folder", FAILED
    if isinstance(exc, PermissionError):
        return (
            f"{name}: permission denied (check its owner and mode, or choose another path)",
            FAILED,
        )
    return f"{name}: {exc.strerror or exc}", FAILED


def _network(exc: BaseException) -> tuple[str, int] | None:
    assert isinstance(exc, OSError)
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve a host name ({exc}); check the host in the URL", FAILED
    if isinstance(exc, ConnectionError) or exc.errno in (
        errno.ECONNREFUSED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ETIMEDOUT,
    ):
        return (
            f"cannot connect: {exc.strerror or exc} (is the broker or server running at the "
            "URL you gave? see TRACE_MQTT_URL / --broker)",
            FAILED,
        )
    if isinstance(exc, TimeoutError):
        return f"timed out: {exc}", FAILED
    return None


def _alembic(exc: BaseException) -> tuple[str, int]:
    return (
        f"migration: {exc} (give `head` or a revision listed by `tracectl db status`)",
        USAGE,
    )


def _database(exc: BaseException) -> tuple[str, int]:
    from sqlalchemy.exc import DBAPIError, OperationalError

    assert isinstance(exc, DBAPIError)
    first = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    where = _database_url()
    if isinstance(exc, OperationalError) and _looks_unreachable(first):
        return (
            f"cannot reach the database {where}: {first} (start it, e.g. `make services` or "
            "`docker compose up -d db`, or set TRACE_DATABASE_URL)",
            FAILED,
        )
    if "no such table" in first or ("relation" in first and "does not exist" in first):
        return f"the store {where} is not set up: {first} (run `tracectl db upgrade`)", FAILED
    return f"database {where}: {first}", FAILED


def _looks_unreachable(text: str) -> bool:
    lowered = text.lower()
    return any(
        word in lowered
        for word in (
            "connection",
            "could not connect",
            "unable to open database",
            "timeout",
            "name or service not known",
            "could not translate host",
            "password authentication failed",
            "does not exist",
        )
    )


def _database_url() -> str:
    try:
        from traceability.config import get_settings
        from traceability.store.engine import redact

        return redact(get_settings().effective_database_url)
    except Exception:  # the settings themselves may be what is broken
        return "(TRACE_DATABASE_URL)"


@functools.cache
def _handlers() -> list[tuple[type[BaseException], Any]]:
    """Imported on the first error only: start-up stays as fast as the command allows."""
    out: list[tuple[type[BaseException], Any]] = [(TraceError, _trace_error)]
    try:
        from pydantic import ValidationError

        out.append((ValidationError, _validation))
    except ImportError:  # pragma: no cover - pydantic is a dependency
        pass
    try:
        from alembic.util.exc import CommandError

        out.append((CommandError, _alembic))
    except ImportError:  # pragma: no cover - alembic is a dependency
        pass
    try:
        from sqlalchemy.exc import DBAPIError

        out.append((DBAPIError, _database))
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency
        pass
    out += [(OSError, _network), (OSError, _file)]
    return out


class UnreachableError(TraceError):
    """A service the command needs (broker, API port) cannot be reached or bound (exit 1)."""

    code = "unreachable"


def require_broker(url: str, *, timeout: float = 3.0) -> None:
    """Connect to the broker of ``url`` (``mqtt://host:port``) once, at once, so an unreachable
    broker is an error now instead of a silent retry loop; the real client connects after."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme not in ("mqtt", "mqtts", "tcp") or not parsed.hostname:
        raise UsageError(f"broker URL {url!r} is not mqtt://host:port", field="broker", value=url)
    port = parsed.port or (8883 if parsed.scheme == "mqtts" else 1883)
    shown = f"{parsed.scheme}://{parsed.hostname}:{port}"
    try:
        socket.create_connection((parsed.hostname, port), timeout=timeout).close()
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise UnreachableError(
            f"cannot connect to {shown}: {reason} (start the broker, e.g. `make services` or "
            "`docker compose up -d broker`, or give its URL with --broker / TRACE_MQTT_URL)",
            field="broker",
            value=shown,
        ) from None


def check_output_file(path: Path, *, option: str) -> None:
    """Refuse, before any work, an output path that is a folder or whose folder is missing."""
    if path.is_dir():
        raise UsageError(
            f"{option} {path} is a folder; give a file path (e.g. {path}/receipt.txt)",
            field=option,
            value=str(path),
        )
    if not path.parent.is_dir():
        raise UsageError(
            f"{option} {path}: the folder {path.parent} does not exist (create it first)",
            field=option,
            value=str(path),
        )


def require_store(url: str) -> None:
    """Connect to the store once and check it is migrated (a service must not start, subscribe
    and then fail every message because the database is down or empty)."""
    from traceability.store.engine import current_revision, get_engine, redact

    revision = current_revision(engine=get_engine(url))  # unreachable: OperationalError
    if revision is None:
        raise TraceError(
            f"the store {redact(url)} has no tables yet (run `tracectl db upgrade`)",
            code="store_not_set_up",
        )


def require_free_port(host: str, port: int, *, option: str = "--port") -> None:
    """Refuse at once when ``host:port`` cannot be bound (another server holds it)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            s.bind((host, port))
        except OSError as exc:
            raise UnreachableError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc} (another program uses "
                f"it: stop it, or choose another port with {option} or TRACE_API_PORT)",
                field="port",
                value=port,
            ) from None
