"""Signing errors: a key refused at registration, or a signature that does not verify."""

from __future__ import annotations

from traceability.errors import InvalidInputError, VerificationError


class WeakKeyError(InvalidInputError):
    """A public key that must never be accepted (wrong length, not on the curve, small order)."""

    code = "weak_key"


class BadSignatureError(VerificationError):
    code = "bad_signature"
