"""Device key state replayed from the ledger's key entries (audit steps 3, 4 and 8)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from traceability.ledger.records import format_time, parse_time


@dataclass
class _Key:
    device: str
    public_key: bytes
    valid_from: datetime
    valid_until: datetime | None = None
    revoked_at: datetime | None = None


class KeyState:
    """Keys as the ledger's ``key.register`` / ``key.rotate`` / ``key.revoke`` entries define."""

    def __init__(self) -> None:
        self.keys: dict[str, _Key] = {}

    def apply(self, rec: dict[str, Any]) -> str | None:
        """Apply one key entry; returns why it cannot be read (and leaves the state alone), or
        None. Never raises: a tampered entry is a named failure (step 3), not a crash."""
        kind, body = rec.get("kind"), rec.get("body")
        if kind not in ("key.register", "key.rotate", "key.revoke"):
            return None
        if not isinstance(body, dict):
            return f"{kind} entry has no body object"
        kid = body.get("key_id")
        if not isinstance(kid, str):
            return f"{kind} entry has no key_id"
        if kind == "key.revoke":
            at = _when(body.get("revoked_at"))
            if at is None:
                return f"key.revoke of {kid}: revoked_at {body.get('revoked_at')!r} is not a time"
            if kid in self.keys:
                self.keys[kid].revoked_at = at
            return None
        start = _when(body.get("valid_from"))
        device, retired = body.get("device"), body.get("retired", [])
        if start is None:
            return f"{kind} of {kid}: valid_from {body.get('valid_from')!r} is not a time"
        if not isinstance(device, str):
            return f"{kind} of {kid}: no device"
        if not isinstance(retired, list):
            return f"{kind} of {kid}: retired is not a list"
        try:
            pub = base64.b64decode(str(body.get("public_key")), validate=True)
        except ValueError:
            pub = b""
        if len(pub) != 32:
            return f"{kind} of {kid}: public_key is not 32 bytes of base64"
        for old in retired:
            if isinstance(old, str) and old in self.keys:
                self.keys[old].valid_until = start
        self.keys[kid] = _Key(device, pub, start)
        return None

    def valid_key(self, device: str, key_id: str, at: datetime) -> bytes | None:
        k = self.keys.get(key_id)
        if k is None or k.device != device or at < k.valid_from:
            return None
        if k.valid_until is not None and at >= k.valid_until:
            return None
        if k.revoked_at is not None and at >= k.revoked_at:
            return None
        return k.public_key


def _when(v: Any) -> datetime | None:
    if not isinstance(v, str):
        return None
    try:
        return parse_time(v)
    except ValueError:
        return None


def _t(v: Any) -> str | None:
    """A ``device_key`` time column as the records write times (unreadable text: shown as is)."""
    if v is None:
        return None
    if isinstance(v, str):
        try:
            v = parse_time(v.replace(" ", "T") + ("" if "+" in v else "Z"))
        except ValueError:
            return f"unreadable time {v!r}"
    return format_time(v)


def check_device_keys(session: Session, keys: KeyState, fail: Any) -> None:
    """Every ``device_key`` row must equal the replayed state (a substituted key is caught)."""
    rows = (
        session.connection()
        .execute(
            sa.text(
                "select key_id, device_id, public_key, valid_from, valid_until, revoked_at "
                "from device_key order by key_id"
            )
        )
        .all()
    )
    seen = set()
    for kid, dev, pub, vf, vu, ra in rows:
        seen.add(kid)
        k = keys.keys.get(kid)
        if k is None:
            fail(8, None, f"device key {kid} has no ledger entry", None, kid)
            continue
        want = (k.device, k.public_key.hex(), _t(k.valid_from), _t(k.valid_until), _t(k.revoked_at))
        got = (dev, bytes(pub).hex(), _t(vf), _t(vu), _t(ra))
        if want != got:
            fail(8, None, f"device key {kid} differs from the ledger", want, got)
    for kid in sorted(set(keys.keys) - seen):
        fail(8, None, f"device key {kid} in the ledger is missing from device_key", kid, None)
