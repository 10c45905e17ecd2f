"""Signed notes (c2sp.org/signed-note): where the signature block starts, known-key failures."""

from __future__ import annotations

import base64

import pytest

from traceability.ledger import note
from traceability.ledger.errors import NoteError
from traceability.signing import ed25519 as signing

TEXT = "log.example\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"


def _signer(name: str = "log.example", alg: int = note.ED25519) -> note.Signer:
    return note.Signer(name, signing.generate_keypair()[0], alg)


def test_signatures_start_after_the_last_blank_line() -> None:
    s = _signer()
    text = "first paragraph\n\nsecond paragraph\n"
    signed = text + "\n" + s.sign(text)
    body, sigs = note.split(signed)
    assert body == text
    assert [x.name for x in sigs] == ["log.example"]
    assert note.verified_by(signed, s.verifier) == 0


def test_split_rejects_malformed_lines() -> None:
    s = _signer()
    good = TEXT + "\n" + s.sign(TEXT)
    for bad in (
        good + "not a signature\n",
        good + f"{note.DASH} log.example !!!\n",
        good + f"{note.DASH} log.example {base64.b64encode(b'abcd').decode()}\n",  # < 5 bytes
        good + f"{note.DASH} bad+name {base64.b64encode(bytes(68)).decode()}\n",
        good.rstrip("\n"),
    ):
        with pytest.raises(NoteError):
            note.split(bad)


def test_a_known_key_whose_signature_fails_rejects_the_note() -> None:
    s = _signer()
    good = s.sign(TEXT)
    raw = bytearray(base64.b64decode(good.split(" ")[2]))
    raw[-1] ^= 1
    broken = f"{note.DASH} {s.name} {base64.b64encode(bytes(raw)).decode()}\n"
    assert note.verified_by(TEXT + "\n" + good, s.verifier) == 0
    for lines in (good + broken, broken + good, broken):
        with pytest.raises(NoteError):
            note.verified_by(TEXT + "\n" + lines, s.verifier)


def test_unknown_keys_lines_are_ignored() -> None:
    s, other = _signer(), _signer()  # same name, another key id
    stranger = _signer("w.example", note.COSIGNATURE_V1)
    junk = f"{note.DASH} w.example {base64.b64encode(bytes(76)).decode()}\n"  # unknown id
    signed = TEXT + "\n" + s.sign(TEXT) + other.sign(TEXT) + junk
    assert note.verified_by(signed, s.verifier) == 0
    with pytest.raises(NoteError):
        note.verified_by(signed, stranger.verifier)


def test_cosignature_lines() -> None:
    log, w = _signer(), _signer("w.example", note.COSIGNATURE_V1)
    line = w.cosign(TEXT, 1_700_000_000)
    signed = TEXT + "\n" + log.sign(TEXT) + line
    assert note.verified_by(signed, w.verifier) == 1_700_000_000
    bad = w.cosign(TEXT.replace("5", "6"), 1_700_000_000)  # over another checkpoint
    with pytest.raises(NoteError):
        note.verified_by(signed + bad, w.verifier)
