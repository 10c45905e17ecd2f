"""What the writer decides about a batch that did not commit: whether the failure is the
store's (retry unchanged) or the content's (split, dead-letter the envelope the store refuses),
and how the halves' results are put back together. Used by :mod:`gateway.pipeline`."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from gateway.decode import Accepted, Refused
from gateway.store import BatchResult

__all__ = ["merge", "store_rejected", "transient"]


# exception classes (by name: SQLAlchemy's, and psycopg's or sqlite3's raised raw from COPY or
# pipeline mode) that say the store is unreachable or unavailable, not that the data is bad
_TRANSIENT = frozenset(
    {"OperationalError", "InterfaceError", "DisconnectionError", "TimeoutError", "TransientError"}
)


def transient(exc: BaseException) -> bool:
    """Whether a failed commit may succeed unchanged later: the store is unreachable or
    unavailable (connection lost or refused, a timeout, a lock or serialisation conflict: an
    OperationalError in psycopg, sqlite3 and SQLAlchemy alike), or the registry is
    (:class:`TransientError`). Anything else (DataError, IntegrityError, a bug on one
    envelope's path) is about the batch's content."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OSError):
        return True
    return any(c.__name__ in _TRANSIENT for c in type(exc).__mro__)


def store_rejected(acc: Accepted, exc: BaseException) -> Refused:
    """The dead letter of an envelope the store refused on its own (its message kept)."""
    message = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    text = (message[0] if message else "") or exc.__class__.__name__
    text = text if text.isprintable() else repr(text)[1:-1]
    return Refused(
        acc.topic,
        acc.payload,
        "store_rejected",
        acc.envelope.device,
        None,
        f"the store refused {acc.envelope.device}/{acc.envelope.seq}: "
        f"{exc.__class__.__name__}: {text}"[:2000],
        acc.received_at,
    )


def merge(a: BatchResult, b: BatchResult) -> BatchResult:
    return BatchResult(
        stored=a.stored + b.stored,
        duplicates=a.duplicates + b.duplicates,
        refused=a.refused + b.refused,
        events_stored=a.events_stored + b.events_stored,
        events_duplicate=a.events_duplicate + b.events_duplicate,
    )
