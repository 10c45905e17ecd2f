"""Party API keys: created (shown once), listed, revoked; hashed at rest.

A key is ``sy_<id>_<secret>``: ``id`` is 12 hex digits (visible, the row's key, shown in
listings and logs), ``secret`` 32 random bytes in base64url (256 bits, ``secrets``). The table
keeps the SHA-256 of the whole key; a presented key is found by its id and compared with
:func:`hmac.compare_digest` (a digest is computed and compared even when no row has the id,
so timing does not say whether an id exists). A revoked key authenticates nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from traceability.epcis.models import PartyApiKey
from traceability.errors import ConflictError, InvalidInputError, NotFoundError
from traceability.registry.models import Party

KEY_RE = re.compile(r"sy_([0-9a-f]{12})_([A-Za-z0-9_-]{43})\Z")
ID_RE = re.compile(r"[0-9a-f]{12}\Z")
_DUMMY = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True, slots=True)
class KeyOwner:
    key_id: str
    party_id: str


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def looks_like_key(token: str) -> bool:
    return token.startswith("sy_")


def create_key(session: Session, *, party_id: str, name: str = "") -> tuple[PartyApiKey, str]:
    """A new key of ``party_id``: (its row, the key itself -- shown to the caller once)."""
    if session.get(Party, party_id) is None:
        raise NotFoundError(f"party {party_id!r} is not registered", field="party", value=party_id)
    if len(name) > 100 or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise InvalidInputError(
            "name: at most 100 printable characters", field="name", value=name[:40]
        )
    key_id = secrets.token_hex(6)
    if session.get(PartyApiKey, key_id) is not None:  # 2^-48 per pair; refuse, never overwrite
        raise ConflictError("key id collision; try again", field="id", value=key_id)
    key = f"sy_{key_id}_{secrets.token_urlsafe(32)}"
    row = PartyApiKey(id=key_id, party_id=party_id, name=name, digest=_digest(key))
    session.add(row)
    session.flush()
    return row, key


def list_keys(session: Session, *, party_id: str | None = None) -> list[PartyApiKey]:
    q = select(PartyApiKey).order_by(col(PartyApiKey.created_at), col(PartyApiKey.id))
    if party_id is not None:
        q = q.where(PartyApiKey.party_id == party_id)
    return list(session.exec(q).all())


def get_key(session: Session, *, key_id: str) -> PartyApiKey:
    if not ID_RE.match(key_id):
        raise InvalidInputError(
            "a key id is 12 lower-case hex digits", field="key_id", value=key_id[:40]
        )
    row = session.get(PartyApiKey, key_id)
    if row is None:
        raise NotFoundError(f"no API key {key_id}", field="key_id", value=key_id)
    return row


def revoke_key(session: Session, *, key_id: str, at: datetime | None = None) -> PartyApiKey:
    """Revoke a key (idempotent: a revoked key keeps its first revocation time)."""
    row = get_key(session, key_id=key_id)
    if row.revoked_at is None:
        row.revoked_at = (at or datetime.now(UTC)).astimezone(UTC)
        session.add(row)
        session.flush()
    return row


def authenticate_key(session: Session, *, key: str) -> KeyOwner | None:
    """The owner of a valid, unrevoked key, else None (constant-time digest comparison)."""
    m = KEY_RE.match(key)
    row = session.get(PartyApiKey, m.group(1)) if m else None
    known = row.digest if row is not None else _DUMMY
    ok = hmac.compare_digest(_digest(key), known)
    if row is None or not ok or row.revoked_at is not None:
        return None
    return KeyOwner(row.id, row.party_id)


def key_public(row: PartyApiKey) -> dict[str, object]:
    return {
        "id": row.id,
        "party_id": row.party_id,
        "name": row.name,
        "prefix": f"sy_{row.id}_",
        "created_at": row.created_at.isoformat().replace("+00:00", "Z"),
        "revoked_at": row.revoked_at.isoformat().replace("+00:00", "Z") if row.revoked_at else None,
    }
