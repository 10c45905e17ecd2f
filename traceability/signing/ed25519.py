"""Ed25519 keys, RFC 8785 canonical bytes, and detached signatures (libsodium via PyNaCl).

libsodium is used rather than OpenSSL: it verifies about twice as fast here and it rejects
signatures under small-order public keys, where pyca/cryptography accepts a trivial forgery for
the identity key. Registration additionally refuses such keys outright (:func:`check_public_key`).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import nacl.bindings as sodium
import nacl.exceptions
import nacl.signing
import rfc8785

from traceability.signing.errors import BadSignatureError, WeakKeyError

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


def canonical(obj: Any) -> bytes:
    """RFC 8785 (JCS) canonical UTF-8 bytes of a JSON value."""
    return rfc8785.dumps(obj)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    pad = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + pad)


def generate_keypair() -> tuple[bytes, bytes]:
    """A fresh (seed, public key) pair; the 32-byte seed is the private key."""
    sk = nacl.signing.SigningKey.generate()
    return bytes(sk), bytes(sk.verify_key)


def public_key_from_seed(*, seed: bytes) -> bytes:
    return bytes(nacl.signing.SigningKey(seed).verify_key)


def key_id(public_key: bytes) -> str:
    """Stable id derived from the public key: ``ed25519:`` + first 16 hex of its SHA-256."""
    return "ed25519:" + hashlib.sha256(public_key).hexdigest()[:16]


def check_public_key(public_key: bytes) -> None:
    """Refuse keys a verifier must never trust: wrong length, off-curve, or small order.

    ``crypto_core_ed25519_is_valid_point`` rejects the identity, every point of small order
    and non-canonical encodings.
    """
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise WeakKeyError(
            f"Ed25519 public key must be {PUBLIC_KEY_BYTES} bytes, got {len(public_key)}",
            field="public_key",
            value=public_key.hex(),
        )
    if not sodium.crypto_core_ed25519_is_valid_point(public_key):
        raise WeakKeyError(
            "Ed25519 public key is not a valid prime-order point (identity/small-order refused)",
            field="public_key",
            value=public_key.hex(),
        )


def sign(*, seed: bytes, message: bytes) -> bytes:
    return nacl.signing.SigningKey(seed).sign(message).signature


def verify(*, public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message`` under the key."""
    if len(signature) != SIGNATURE_BYTES or len(public_key) != PUBLIC_KEY_BYTES:
        return False
    try:
        sodium.crypto_sign_open(signature + message, public_key)
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False
    return True


def verify_or_raise(*, public_key: bytes, message: bytes, signature: bytes, what: str) -> None:
    if not verify(public_key=public_key, message=message, signature=signature):
        raise BadSignatureError(
            f"{what}: Ed25519 signature does not verify",
            field="sig",
            expected="valid signature",
            computed=signature,
        )
