"""Console sessions: a signed cookie value, its expiry, and the CSRF tokens of its forms.

No web framework here: :mod:`api.routes.console` sets and reads the cookie; this module makes
and checks its value. A session is ``base64url(JSON) "." base64url(HMAC-SHA256)`` over
``{"r": role, "p": party, "t": token fingerprint, "e": expiry, "n": nonce}`` with a 32-byte key
kept in ``<data_dir>/console/session.key`` (mode 0600, created on first use). The token
fingerprint ties the session to the token that opened it: remove that token from the settings
and its sessions end at the next request (:func:`read_session` takes the configured tokens).

CSRF: every form carries ``HMAC(key, "csrf:" + nonce)``; a POST whose token does not match its
session's is refused. The sign-in form, made before any session, uses the nonce of a short-lived
pre-session cookie the same way (:func:`login_csrf`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from traceability.config import ApiToken
from traceability.errors import ConfigError

SESSION_SECONDS = 8 * 3600
LOGIN_SECONDS = 600
KEY_FILE = Path("console") / "session.key"
REVOKED_FILE = Path("console") / "signed-out"
MAX_COOKIE = 1024


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    role: str
    party_id: str | None
    expires: int
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=8)
def _key_at(path: str) -> bytes:
    p = Path(path)
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
        except FileExistsError:
            pass  # another worker made it first: read theirs
    if p.stat().st_mode & 0o077:
        raise ConfigError(f"{p} is readable by others (want mode 0600)", field="session_key")
    try:
        key = bytes.fromhex(p.read_text("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) != 32:
        raise ConfigError(f"{p} does not hold a 32-byte hex key", field="session_key")
    return key


def session_key(data_dir: Path) -> bytes:
    """The console's HMAC key (created on first use, mode 0600)."""
    return _key_at(str((data_dir / KEY_FILE).resolve()))


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32]


def _mac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def make_session(
    key: bytes, *, token: ApiToken, now: float | None = None, seconds: int = SESSION_SECONDS
) -> str:
    """The cookie value of a new session for ``token``."""
    body = {
        "r": token.role,
        "p": token.party_id,
        "t": fingerprint(token.token),
        "e": int((now if now is not None else time.time()) + seconds),
        "n": secrets.token_urlsafe(16),
    }
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(raw)}.{_b64(_mac(key, b'session:' + raw))}"


def read_session(
    key: bytes,
    value: str | None,
    *,
    tokens: tuple[ApiToken, ...],
    now: float | None = None,
    signed_out: frozenset[str] = frozenset(),
) -> ConsoleSession | None:
    """The session a cookie value carries, or None (missing, forged, expired, signed out --
    its nonce in ``signed_out`` -- or its token no longer configured with the same role and
    party)."""
    if not value or len(value) > MAX_COOKIE or value.count(".") != 1:
        return None
    head, sig = value.split(".")
    try:
        raw, mac = _unb64(head), _unb64(sig)
    except (ValueError, UnicodeEncodeError):
        return None
    if not hmac.compare_digest(mac, _mac(key, b"session:" + raw)):
        return None
    try:
        body = json.loads(raw)
        role, party, fp = body["r"], body["p"], body["t"]
        expires, nonce = int(body["e"]), str(body["n"])
    except (ValueError, KeyError, TypeError):
        return None
    if expires <= (now if now is not None else time.time()) or nonce in signed_out:
        return None
    live = any(
        hmac.compare_digest(fingerprint(t.token), str(fp))
        and t.role == role
        and t.party_id == party
        for t in tokens
    )
    if not live:
        return None
    return ConsoleSession(role=str(role), party_id=party, expires=expires, nonce=nonce)


def csrf_token(key: bytes, session: ConsoleSession) -> str:
    return _b64(_mac(key, f"csrf:{session.nonce}".encode()))[:32]


def login_csrf(key: bytes, nonce: str) -> str:
    return _b64(_mac(key, f"login:{nonce}".encode()))[:32]


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def same(a: str | None, b: str) -> bool:
    """Constant-time equality of a submitted token with the expected one."""
    if not a:
        return False
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode())


def find_token(tokens: tuple[ApiToken, ...], text: str) -> ApiToken | None:
    """The configured token equal to ``text`` (every entry compared, in constant time)."""
    digest = hashlib.sha256(text.encode("utf-8", "replace")).digest()
    found: ApiToken | None = None
    for t in tokens:
        if hmac.compare_digest(digest, hashlib.sha256(t.token.encode()).digest()) and not found:
            found = t
    return found


def sign_out(data_dir: Path, session: ConsoleSession) -> None:
    """Record that ``session`` ended: its cookie, even if kept, opens nothing any more (the
    list keeps each nonce until its session would have expired anyway)."""
    path = data_dir / REVOKED_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    now = int(time.time())
    keep = [f"{n} {e}" for n, e in _signed_out_at(str(path)).items() if e > now]
    tmp = path.with_suffix(f".{os.getpid()}.{time.time_ns()}.tmp")
    tmp.write_text("\n".join([*keep, f"{session.nonce} {session.expires}"]) + "\n")
    tmp.replace(path)


def _signed_out_at(path: str) -> dict[str, int]:
    try:
        lines = Path(path).read_text("ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    out: dict[str, int] = {}
    for line in lines:
        nonce, _, exp = line.partition(" ")
        if exp.isdigit():
            out[nonce] = int(exp)
    return out


def signed_out(data_dir: Path) -> frozenset[str]:
    """The nonces of sessions signed out before they expired."""
    return frozenset(_signed_out_at(str(data_dir / REVOKED_FILE)))
