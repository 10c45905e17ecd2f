"""Checkpoint notes (c2sp.org/tlog-checkpoint): ``<origin>\\n<size>\\n<base64 root>\\n`` signed as
a C2SP note. Pure text handling (no database), shared by the signer and the offline verifier."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from traceability.ledger import merkle, note
from traceability.ledger.errors import NoteError

__all__ = ["Checkpoint", "body", "parse"]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    note: str  # the signed note, with any cosignature lines

    @property
    def text(self) -> str:
        return body(self.origin, self.size, self.root)


def body(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def parse(note_text: str) -> Checkpoint:
    """The checkpoint a note carries (its signatures are not checked here); NoteError if it is
    not one: origin, a decimal size without leading zeroes, a canonical base64 32-byte root."""
    text, _ = note.split(note_text)
    lines = text.split("\n")
    if len(lines) < 4:
        raise NoteError("not a checkpoint (origin, size, root)", field="checkpoint")
    origin, digits, root_text = lines[0], lines[1], lines[2]
    ok = digits.isascii() and digits.isdigit() and len(digits) <= 19
    if not ok or str(int(digits)) != digits:
        raise NoteError("checkpoint size is not a decimal", field="checkpoint", computed=digits)
    try:
        root = base64.b64decode(root_text, validate=True)
    except (ValueError, binascii.Error):
        raise NoteError("checkpoint root is not base64", field="checkpoint") from None
    if not origin or len(root) != merkle.HASH_SIZE or base64.b64encode(root).decode() != root_text:
        raise NoteError("malformed checkpoint", field="checkpoint", computed=text)
    return Checkpoint(origin, int(digits), root, note_text)
