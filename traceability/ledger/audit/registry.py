"""Audit step 10: the registry rows that carry authority against their ledgered entries.

The entries (``registry.device``, ``registry.product``, ``registry.party``; written by
:mod:`traceability.registry.ledgered`) are replayed in log order by the runner
(:meth:`RegistryState.apply`): each one's platform signature must verify with the platform
device's key valid at its ``recorded_at`` (the key state of step 3), and its body must be
readable. After the log, :func:`check_registry` compares every current ``device`` (location_id,
party_id, status), ``product`` (party_id) and ``party`` (credit_status) row with the latest
valid entry of its subject, and names each mismatch: step 10, the subject, the field and the
ledger index of the entry it differs from. A subject in the ledger whose row is gone is named
too. A row no entry names at all (inserted by a tool that bypasses the platform, such as the
benchmark loaders) is not compared: every row that existed when the platform first signed and
every row created or changed through the platform since has an entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel import Session

from traceability.ledger.audit.keys import KeyState
from traceability.ledger.audit.recall import PLATFORM_DEVICE
from traceability.ledger.records import parse_time, record_bytes
from traceability.signing.ed25519 import b64url_decode, verify

STEP: Final = 10
DEVICE: Final = "registry.device"
PRODUCT: Final = "registry.product"
PARTY: Final = "registry.party"
KINDS: Final = (DEVICE, PRODUCT, PARTY)
FIELDS: Final[dict[str, tuple[str, ...]]] = {
    DEVICE: ("location_id", "party_id", "status"),
    PRODUCT: ("party_id",),
    PARTY: ("credit_status",),
}
# kind -> (table, key column): the rows step 10 reads
TABLES: Final[dict[str, tuple[str, str]]] = {
    DEVICE: ("device", "id"),
    PRODUCT: ("product", "gtin"),
    PARTY: ("party", "id"),
}
Fail = Callable[[int, int | None, str, Any, Any], None]


def signed_message(kind: str, body: dict[str, Any]) -> bytes:
    """The bytes an entry's ``sig`` signs: ``{"kind": kind, **body}`` without ``sig``, RFC 8785."""
    return record_bytes({"kind": kind, **{k: v for k, v in body.items() if k != "sig"}})


@dataclass
class RegistryState:
    """kind -> subject -> (ledger index, fields) of the latest entry whose signature verified."""

    latest: dict[str, dict[str, tuple[int, dict[str, str]]]] = field(
        default_factory=lambda: {k: {} for k in KINDS}
    )

    def apply(self, idx: int, rec: dict[str, Any], keys: KeyState, fail: Fail) -> None:
        kind, body = rec.get("kind"), rec.get("body")
        if kind not in KINDS:
            return
        kind = str(kind)
        why = _unreadable(kind, body)
        if why is not None:
            fail(STEP, idx, f"{kind} entry: {why}", "a readable registry entry", None)
            return
        assert isinstance(body, dict)
        subject, key = body["subject"], body["key"]
        try:
            when = parse_time(str(rec.get("recorded_at")))
            sig = b64url_decode(str(body.get("sig")))
        except ValueError:
            fail(STEP, idx, f"{kind} {subject}: recorded_at or sig unreadable", "readable", None)
            return
        pub = keys.valid_key(PLATFORM_DEVICE, key, when)
        if pub is None:
            fail(STEP, idx, f"{kind} {subject}: no valid platform key {key}", key, None)
            return
        if not verify(public_key=pub, message=signed_message(kind, body), signature=sig):
            fail(STEP, idx, f"{kind} {subject}: platform signature", "valid", "invalid")
            return
        self.latest[kind][subject] = (idx, dict(body["fields"]))


def _unreadable(kind: str, body: Any) -> str | None:
    if not isinstance(body, dict):
        return "no body object"
    if not isinstance(body.get("subject"), str) or not isinstance(body.get("key"), str):
        return "no subject or key"
    fields = body.get("fields")
    if not isinstance(fields, dict) or set(fields) != set(FIELDS[kind]):
        return f"fields must be exactly {', '.join(FIELDS[kind])}"
    if not all(isinstance(v, str) for v in fields.values()):
        return "field values must be strings"
    return None


def _rows(session: Session, kind: str) -> dict[str, dict[str, str | None]]:
    table, key = TABLES[kind]
    cols = ", ".join(FIELDS[kind])
    found = session.connection().execute(sa.text(f"select {key}, {cols} from {table}"))
    return {
        str(r[0]): {
            f: None if v is None else str(v) for f, v in zip(FIELDS[kind], r[1:], strict=True)
        }
        for r in found
    }


def check_registry(session: Session, state: RegistryState, fail: Fail) -> None:
    """Step 10: each row against the latest entry of its subject (see the module docstring)."""
    for kind in KINDS:
        table = TABLES[kind][0]
        rows = _rows(session, kind)
        for subject, (idx, want) in sorted(state.latest[kind].items()):
            got = rows.get(subject)
            if got is None:
                fail(
                    STEP, idx, f"{table} {subject} in the ledger has no {table} row", subject, None
                )
                continue
            for name in FIELDS[kind]:
                if got[name] != want[name]:
                    fail(
                        STEP,
                        idx,
                        f"{table} {subject}: {name} differs from the ledger (entry {idx})",
                        want[name],
                        got[name],
                    )
