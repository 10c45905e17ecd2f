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

    def apply(self, rec: dict[str, Any]) -> None:
        kind, body = rec.get("kind"), rec.get("body") or {}
        if kind in ("key.register", "key.rotate"):
            start = parse_time(body["valid_from"])
            if kind == "key.rotate":
                for old in body.get("retired", []):
                    if old in self.keys:
                        self.keys[old].valid_until = start
            self.keys[body["key_id"]] = _Key(
                body["device"], base64.b64decode(body["public_key"]), start
            )
        elif kind == "key.revoke" and body.get("key_id") in self.keys:
            self.keys[body["key_id"]].revoked_at = parse_time(body["revoked_at"])

    def valid_key(self, device: str, key_id: str, at: datetime) -> bytes | None:
        k = self.keys.get(key_id)
        if k is None or k.device != device or at < k.valid_from:
            return None
        if k.valid_until is not None and at >= k.valid_until:
            return None
        if k.revoked_at is not None and at >= k.revoked_at:
            return None
        return k.public_key


def _t(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        v = parse_time(v.replace(" ", "T") + ("" if "+" in v else "Z"))
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
