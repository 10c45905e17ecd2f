"""Periodic checkpoints (docs/architecture.md, step 5): the API process signs the ledger when it
has grown.

A background thread wakes every ``checkpoint_interval_s``; when the log is larger than the
latest signed checkpoint it signs a new one (which also collects witness cosignatures). A
failure is logged and retried at the next tick; it never stops the API.
"""

from __future__ import annotations

import logging
import threading

from traceability.config import Settings
from traceability.ledger import store as ledger_store
from traceability.ledger.checkpoint import latest_checkpoint, sign_checkpoint
from traceability.ledger.errors import NoteError
from traceability.store.engine import get_engine, session_scope

log = logging.getLogger(__name__)


def sign_if_grown(settings: Settings) -> int | None:
    """Sign a checkpoint when the log grew since the last one; the new size, else None."""
    with session_scope(engine=get_engine(settings.effective_database_url)) as session:
        size = ledger_store.size(session)
        try:
            signed = latest_checkpoint(session).size
        except NoteError:
            signed = 0
        if size <= signed:
            return None
        return sign_checkpoint(session, settings=settings).size


class Checkpointer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Checkpointer:
        if self.settings.checkpoint_interval_s > 0:
            self._thread = threading.Thread(target=self._run, name="checkpointer", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.settings.checkpoint_interval_s):
            try:
                size = sign_if_grown(self.settings)
                if size is not None:
                    log.info("signed checkpoint of size %d", size)
            except Exception:  # logged and retried next tick; the API keeps serving
                log.exception("periodic checkpoint failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
