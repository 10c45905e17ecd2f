"""C2SP signed notes (c2sp.org/signed-note), Ed25519 only, plus cosignature/v1 lines.

- key id = SHA-256(name || 0x0A || type || public key)[:4]; type 0x01 = Ed25519 note signature,
  0x04 = Ed25519 cosignature/v1 (c2sp.org/tlog-cosignature).
- verifier key = ``<name>+<hex key id>+<base64(type || public key)>``.
- a note is its text (lines, each ending in "\\n"), a blank line, then signature lines
  ``— <name> <base64(key id || signature)>``; a signature covers the text. The signature block
  starts after the LAST blank line (``\\n\\n``), as in the spec and Go's ``sumdb/note``.
- a note is accepted for a key when a line by that key (name and key id) verifies, and rejected
  when ANY line by that key does not verify (a known key's bad signature is never outvoted).
- a cosignature's payload is key id || timestamp (u64, big-endian) || signature over
  ``cosignature/v1\\ntime <timestamp>\\n`` + the checkpoint text.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from traceability.errors import ConfigError
from traceability.ledger.errors import NoteError
from traceability.signing import ed25519 as signing

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
DASH = "\u2014"


def _canonical_b64(text: str) -> bytes | None:
    """Standard base64 with its padding and zero padding bits (one spelling per value), else
    None."""
    if not text.isascii():
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    return raw if base64.b64encode(raw).decode() == text else None


def key_hash(name: str, alg: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c in name for c in " +\n\t") or not name.isprintable():
        raise NoteError(f"bad key name {name!r}", field="name", computed=name)


@dataclass(frozen=True, slots=True)
class Verifier:
    name: str
    alg: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_hash(self.name, self.alg, self.public_key)

    def vkey(self) -> str:
        return (
            f"{self.name}+{self.key_id.hex()}+"
            f"{base64.b64encode(bytes([self.alg]) + self.public_key).decode()}"
        )

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key is name+keyid+key", field="vkey", computed=vkey)
        name, hexid, b64 = parts
        _check_name(name)
        raw = _canonical_b64(b64)
        try:
            kid = bytes.fromhex(hexid) if len(hexid) == 8 else b""
        except ValueError:
            kid = b""
        if raw is None or not kid:
            raise NoteError("verifier key is not hex/base64", field="vkey", computed=vkey)
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1) or len(kid) != 4:
            raise NoteError(
                "only Ed25519 verifier keys (type 0x01/0x04) are supported",
                field="vkey",
                computed=vkey,
            )
        v = cls(name, raw[0], raw[1:])
        if v.key_id != kid:
            raise NoteError(
                "verifier key id does not match its key",
                field="vkey",
                expected=v.key_id,
                computed=kid,
            )
        return v


@dataclass(frozen=True, slots=True)
class Signer:
    name: str
    seed: bytes
    alg: int = ED25519

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.alg, signing.public_key_from_seed(seed=self.seed))

    def sign(self, text: str) -> str:
        """A note signature line over ``text`` (type 0x01)."""
        sig = signing.sign(seed=self.seed, message=text.encode())
        return _line(self.name, self.verifier.key_id + sig)

    def cosign(self, text: str, timestamp: int) -> str:
        """A cosignature/v1 line over checkpoint ``text`` (type 0x04)."""
        msg = cosigned_message(text, timestamp)
        sig = signing.sign(seed=self.seed, message=msg)
        return _line(self.name, self.verifier.key_id + struct.pack(">Q", timestamp) + sig)

    def private_key(self) -> str:
        raw = base64.b64encode(bytes([self.alg]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{raw}"

    @classmethod
    def parse(cls, text: str) -> Signer:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a signer key is PRIVATE+KEY+name+keyid+key", field="key")
        try:
            raw = base64.b64decode(parts[4], validate=True)
        except ValueError:
            raise NoteError("a signer key's key is not base64", field="key") from None
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
            raise NoteError("only Ed25519 signer keys are supported", field="key")
        return cls(parts[2], raw[1:], raw[0])


def cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def _line(name: str, payload: bytes) -> str:
    return f"{DASH} {name} {base64.b64encode(payload).decode()}\n"


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    payload: bytes
    line: str


def parse_line(line: str) -> Signature:
    """One signature line ``— <name> <base64(key id || signature)>\\n``; NoteError if malformed."""
    parts = line.rstrip("\n").split(" ")
    if len(parts) != 3 or parts[0] != DASH or not line.endswith("\n") or "\n" in line[:-1]:
        raise NoteError("malformed signature line", field="note", computed=line)
    _check_name(parts[1])
    payload = _canonical_b64(parts[2])
    if payload is None:
        raise NoteError("signature is not canonical base64", field="note", computed=line)
    if len(payload) < 5:
        raise NoteError("signature too short for a key id", field="note", computed=line)
    return Signature(parts[1], payload, line)


def split(note: str) -> tuple[str, list[Signature]]:
    """The note text (with its final newline) and its parsed signature lines.

    The signatures follow the last blank line; the text before it may itself hold blank lines.
    """
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("a signed note is text, a blank line and signature lines", field="note")
    text, rest = note[: cut + 1], note[cut + 2 :]
    sigs = [parse_line(line) for line in rest.splitlines(keepends=True)]
    if not sigs:
        raise NoteError("note has no signatures", field="note")
    return text, sigs


def verify(text: str, sig: Signature, v: Verifier) -> int | None:
    """True-ish when ``sig`` is ``v``'s valid signature: the cosignature time, or 0 for 0x01."""
    if sig.name != v.name or sig.payload[:4] != v.key_id:
        return None
    if v.alg == ED25519:
        ok = len(sig.payload) == 68 and signing.verify(
            public_key=v.public_key, message=text.encode(), signature=sig.payload[4:]
        )
        return 0 if ok else None
    if len(sig.payload) != 76:
        return None
    (ts,) = struct.unpack(">Q", sig.payload[4:12])
    ok = ts < 2**63 and signing.verify(
        public_key=v.public_key, message=cosigned_message(text, ts), signature=sig.payload[12:]
    )
    return ts if ok else None


def verified_by(note: str, v: Verifier) -> int:
    """Raise unless ``note`` carries a valid signature by ``v``; returns its time (0 for 0x01).

    Every line by ``v`` (its name and key id) must verify: one that does not rejects the note
    even when another line by ``v`` verifies (c2sp.org/signed-note).
    """
    text, sigs = split(note)
    found: int | None = None
    for s in sigs:
        if s.name != v.name or s.payload[:4] != v.key_id:
            continue
        ts = verify(text, s, v)
        if ts is None:
            raise NoteError(
                f"invalid signature by known key {v.name} ({v.key_id.hex()})",
                field="signature",
                expected=v.vkey(),
                computed=s.line,
            )
        if found is None:
            found = ts
    if found is not None:
        return found
    raise NoteError(
        f"no valid signature by {v.name} ({v.key_id.hex()})",
        field="signature",
        expected=v.vkey(),
        computed="none",
    )


def witness_verifiers(text: str, *, log_origin: str) -> list[Verifier]:
    """The witness keys of ``TRACE_WITNESS_KEYS`` (comma-separated cosignature/v1 verifier keys).

    ConfigError when one is malformed, not a type 0x04 key, or named like the log itself (a
    line with the log's name is never taken as a cosignature).
    """
    out: list[Verifier] = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        try:
            v = Verifier.parse(item)
        except NoteError as exc:
            raise ConfigError(
                f"TRACE_WITNESS_KEYS: {exc.message}", code="witness_keys", field="witness_keys"
            ) from None
        if v.alg != COSIGNATURE_V1 or v.name == log_origin:
            raise ConfigError(
                f"TRACE_WITNESS_KEYS: {v.name} is not a witness's cosignature/v1 (type 0x04) key",
                code="witness_keys",
                field="witness_keys",
            )
        out.append(v)
    return out
