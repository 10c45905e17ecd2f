"""Step 8 of :mod:`traceability.ledger.audit`: every stored checkpoint, and the largest size ever
signed against the log's size (a rolled-back tail).

Checked for each ``ledger_checkpoint`` row: the note parses, carries a valid signature by the
log key and names the log's origin; its size is the row's ``size``; the row's ``root`` column is
the signed root; the signed root equals the tree recomputed from the leaves at that size.

The largest size ever signed is taken from the checkpoint rows, the stored cosignatures
(``ledger_cosignature``), the signer's state file (:class:`keyfile.SignerState`) and, when
witnesses are configured, what each witness says it last cosigned (:func:`witness_sizes`). A
log smaller than any of them lost its tail: named at the first missing index. A checkpoint the
signer state or a cosignature names that has no row, and fewer rows up to the state's size than
the state counted, are missing checkpoint rows.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from traceability.ledger import note
from traceability.ledger.checkpoint_note import parse
from traceability.ledger.errors import NoteError
from traceability.ledger.keyfile import SignerState

Fail = Callable[[int, int | None, str, Any, Any], None]

__all__ = ["StoredCheckpoints", "check_checkpoints", "witness_sizes"]


class StoredCheckpoints:
    """The checkpoint and cosignature rows, read before the leaves are walked (so the walk
    knows at which sizes to keep the root)."""

    def __init__(self, conn: sa.Connection, signed: SignerState | None) -> None:
        self.rows: dict[int, tuple[bytes, str]] = {
            int(size): (bytes(root), str(text))
            for size, root, text in conn.execute(
                sa.text("select size, root, note from ledger_checkpoint order by size")
            )
        }
        self.cosigned: dict[int, str] = {}
        for size, witness in conn.execute(
            sa.text("select size, witness from ledger_cosignature order by size, id")
        ):
            self.cosigned.setdefault(int(size), str(witness))
        self.signed = signed
        self.sizes = {*self.rows, *self.cosigned, *([signed.size] if signed else [])}


def check_checkpoints(
    fail: Fail,
    stored: StoredCheckpoints,
    roots: dict[int, bytes],
    n: int,
    log_key: note.Verifier | None,
    witnessed: dict[str, int],
) -> int | None:
    """Step 8 (see the module doc); returns the largest checkpoint that checks out."""
    best: int | None = None
    for size, (root_col, text) in stored.rows.items():
        at = max(size - 1, 0)
        try:
            cp = parse(text)
            if log_key is not None:
                note.verified_by(text, log_key)
                if cp.origin != log_key.name:
                    raise NoteError(f"origin {cp.origin!r} is not the log's {log_key.name!r}")
        except NoteError as exc:
            fail(8, at, f"checkpoint {size} does not verify: {exc.message}", "signed", None)
            continue
        if cp.size != size:
            fail(8, at, f"checkpoint row {size} holds a note of size {cp.size}", size, cp.size)
            continue
        if root_col != cp.root:
            fail(
                8,
                at,
                f"checkpoint {size}: root column differs from the signed root",
                cp.root,
                root_col,
            )
        if size > n:
            continue  # named below, as a rolled-back tail
        if roots.get(size) != cp.root:
            fail(8, at, f"root at checkpoint {size}", _b64(cp.root), _b64(roots.get(size)))
            continue
        best = size
    _check_rollback(fail, stored, n, witnessed)
    _check_missing(fail, stored, roots, n)
    return best


def _check_rollback(
    fail: Fail, stored: StoredCheckpoints, n: int, witnessed: dict[str, int]
) -> None:
    claims = [(size, f"checkpoint row {size}") for size in stored.rows]
    claims += [
        (size, f"a cosignature by {w} of size {size}") for size, w in stored.cosigned.items()
    ]
    if stored.signed is not None:
        claims.append((stored.signed.size, f"the signer state (size {stored.signed.size})"))
    claims += [(size, f"witness {w} (cosigned size {size})") for w, size in witnessed.items()]
    for size, source in sorted(claims, reverse=True):
        if size > n:
            fail(
                8,
                n,
                f"log rolled back: {source} was signed, the log has {n} entries",
                f">= {size} entries",
                n,
            )


def _check_missing(fail: Fail, stored: StoredCheckpoints, roots: dict[int, bytes], n: int) -> None:
    for size, witness in stored.cosigned.items():
        if size not in stored.rows:
            fail(
                8,
                max(size - 1, 0),
                f"checkpoint row {size} missing ({witness} cosigned it)",
                size,
                None,
            )
    st = stored.signed
    if st is None:
        return
    if st.size not in stored.rows:
        fail(
            8,
            max(st.size - 1, 0),
            f"checkpoint row {st.size} missing (the signer state names it)",
            st.size,
            None,
        )
    if st.size <= n and roots.get(st.size) != st.root:
        fail(
            8,
            max(st.size - 1, 0),
            f"root at the signer state's size {st.size}",
            _b64(st.root),
            _b64(roots.get(st.size)),
        )
    held = sum(1 for size in stored.rows if size <= st.size)
    if st.count is not None and held < st.count:
        fail(
            8,
            None,
            f"checkpoint rows missing: the signer signed {st.count} up to size {st.size}, "
            f"the store holds {held}",
            st.count,
            held,
        )


def _b64(root: bytes | None) -> str | None:
    return None if root is None else base64.b64encode(root).decode()


def witness_sizes(
    latest_note: str | None, urls: list[str], *, timeout: float = 10.0
) -> dict[str, int | str]:
    """What each witness last cosigned for this log: its size (c2sp.org/tlog-witness answers
    an ``old 0`` request with 409 and its size when it holds a later state), or why it cannot
    be told. ``latest_note``: the latest stored checkpoint, with the log's signature."""
    out: dict[str, int | str] = {}
    if latest_note is None:
        return {url: "no stored checkpoint to present" for url in urls}
    text, sigs = note.split(latest_note)
    body = ("old 0\n\n" + text + "\n" + sigs[0].line).encode()
    for url in urls:
        req = urllib.request.Request(f"{url}/add-checkpoint", method="POST", data=body)
        try:
            with urllib.request.urlopen(req, timeout=timeout):
                out[url] = parse(latest_note).size  # it had no state: now it has this one
        except urllib.error.HTTPError as exc:
            got = exc.read().decode(errors="replace").strip()
            if exc.code == 409 and got.isascii() and got.isdigit() and len(got) <= 19:
                out[url] = int(got)
            else:
                out[url] = f"HTTP {exc.code}: {got[:100]}"
        except (OSError, ValueError) as exc:
            out[url] = f"unreachable: {exc}"
    return out
