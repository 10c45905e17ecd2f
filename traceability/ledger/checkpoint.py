"""Checkpoints (c2sp.org/tlog-checkpoint) signed as C2SP notes with the log's Ed25519 key.

Body: ``<origin>\\n<size>\\n<base64 root>\\n``. The log key (a ``PRIVATE+KEY+...``
signer key, name = origin) lives in ``Settings.effective_log_key_file``, created on first use
with mode 0600 (refused when others may read or write it). The signer refuses a checkpoint
inconsistent with the last one it signed: the last signed one is read both from
``ledger_checkpoint`` and from a state file beside the key (``<key file>.last``, mode 0600, see
:mod:`traceability.ledger.keyfile`); it refuses to sign at all when that state is missing but
the store holds checkpoints (a rolled-back store would be signed as a fork).

Cosignatures: :func:`collect_cosignatures` asks each ``TRACE_WITNESS_URLS`` endpoint and stores
a returned line only when it verifies (cosignature/v1 over this checkpoint, its time, the key
id) against one of ``TRACE_WITNESS_KEYS`` (any configured key from any URL); everything else is
logged and dropped, and a line carrying the log's own name is never stored or served.
"""

from __future__ import annotations

import base64
import logging
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from traceability.config import Settings, get_settings
from traceability.ledger import bulk, merkle, note, store
from traceability.ledger.checkpoint_note import Checkpoint, body, parse
from traceability.ledger.errors import InconsistentCheckpointError, NoteError, ProofError
from traceability.ledger.keyfile import SignerState, read_private, read_state, write_private
from traceability.ledger.models import LedgerCheckpoint, LedgerCosignature
from traceability.signing.ed25519 import generate_keypair

__all__ = ["Checkpoint", "body", "latest_checkpoint", "load_log_signer", "parse", "sign_checkpoint"]

log = logging.getLogger(__name__)
_C = LedgerCheckpoint.__table__  # type: ignore[attr-defined]
_W = LedgerCosignature.__table__  # type: ignore[attr-defined]


def load_log_signer(settings: Settings | None = None) -> note.Signer:
    """The log's signer key, generated (mode 0600) on first use; refused when others may read
    or write the file (:mod:`traceability.ledger.keyfile`)."""
    settings = settings or get_settings()
    path = Path(settings.effective_log_key_file)
    if path.exists():
        return note.Signer.parse(read_private(path))
    seed, _ = generate_keypair()
    signer = note.Signer(settings.log_origin, seed)
    write_private(path, signer.private_key() + "\n")
    return signer


def state_path(settings: Settings) -> Path:
    """The signer state file beside the log key (:class:`keyfile.SignerState`)."""
    return Path(str(settings.effective_log_key_file) + ".last")


def signer_state(settings: Settings) -> SignerState | None:
    return read_state(state_path(settings))


def _check_consistent(session: Session, size: int, root: bytes, last: tuple[int, bytes]) -> None:
    old, old_root = last
    if size < old:
        raise InconsistentCheckpointError(
            f"log shrank from {old} to {size}", field="size", value=size
        )
    if size == old:
        if root != old_root:
            raise InconsistentCheckpointError("same size, different root", field="root")
        return
    if old == 0:
        return
    proof = store.consistency_proof(session, old=old, new=size)
    try:
        merkle.verify_consistency(old, size, old_root, root, proof)
    except ProofError as exc:
        raise InconsistentCheckpointError(
            f"not consistent with size {old}: {exc.message}", field="root"
        ) from None


def _stored_latest(session: Session, v: note.Verifier) -> Checkpoint | None:
    row = (
        session.connection()
        .execute(sa.select(_C.c.note).order_by(_C.c.size.desc()).limit(1))
        .first()
    )
    if row is None:
        return None
    note.verified_by(row[0], v)
    return parse(row[0])


def _last_signed(
    session: Session, settings: Settings, v: note.Verifier, *, trust_store: bool
) -> list[tuple[int, bytes]]:
    """The last signed checkpoints the new one must extend: the store's latest and the signer
    state's. A missing state while the store holds checkpoints is refused (a restored or
    rolled-back store would otherwise be signed as a fork) unless ``trust_store``."""
    out: list[tuple[int, bytes]] = []
    latest = _stored_latest(session, v)
    if latest is not None:
        out.append((latest.size, latest.root))
    state = signer_state(settings)
    if state is not None:
        out.append((state.size, state.root))
    elif latest is not None and not trust_store:
        path = state_path(settings)
        raise InconsistentCheckpointError(
            f"refusing to sign: the signer state {path} is missing but the store holds "
            f"checkpoints up to size {latest.size}; restore {path} from a backup, or if "
            "`tracectl verify` passes, run `tracectl ledger checkpoint --trust-store`",
            code="signer_state_missing",
            field="state",
            value=str(path),
        )
    return out


def sign_checkpoint(
    session: Session,
    *,
    settings: Settings | None = None,
    collect: bool = True,
    trust_store: bool = False,
) -> Checkpoint:
    """Sign the current tree (in the caller's transaction) and optionally collect cosignatures.

    ``trust_store``: sign although the signer state file is missing (it is written anew)."""
    settings = settings or get_settings()
    key = Path(settings.effective_log_key_file)
    conn = session.connection()
    if not key.exists() and conn.execute(sa.select(_C.c.size).limit(1)).first() is not None:
        raise InconsistentCheckpointError(  # a new key would start another log's history
            f"refusing to sign: the log key {key} is missing but the store holds checkpoints "
            f"signed by it; restore {key} and {state_path(settings)} from a backup",
            code="log_key_missing",
            field="log_key",
            value=str(key),
        )
    signer = load_log_signer(settings)
    size = store.size(session)
    root = store.root(session, size)
    for last in _last_signed(session, settings, signer.verifier, trust_store=trust_store):
        _check_consistent(session, size, root, last)
    existing = conn.execute(sa.select(_C.c.note).where(_C.c.size == size)).scalar()
    if existing is None:
        text = body(signer.name, size, root)
        signed = text + "\n" + signer.sign(text)
        bulk.insert(
            session,
            "ledger_checkpoint",
            ("size", "root", "note", "created_at"),
            [(size, root, signed, datetime.now(UTC))],
        )
    if existing is None or signer_state(settings) is None:
        count = conn.execute(
            sa.select(sa.func.count()).select_from(_C).where(_C.c.size <= size)
        ).scalar_one()
        state = SignerState(size, root, int(count))
        write_private(state_path(settings), state.line(), replace=True)
    witnesses = configured_witnesses(settings)
    if collect and settings.witness_urls.strip():
        if witnesses:
            collect_cosignatures(
                session,
                size=size,
                urls=_urls(settings.witness_urls),
                witnesses=witnesses,
                max_skew=settings.clock_skew_s,
            )
        else:
            log.warning("witness URLs without TRACE_WITNESS_KEYS: no cosignatures collected")
    return latest_checkpoint(
        session, size=size, witnesses=witnesses, max_skew=settings.clock_skew_s
    )


def configured_witnesses(settings: Settings) -> list[note.Verifier] | None:
    """``TRACE_WITNESS_KEYS`` parsed, or None when none are configured."""
    keys = note.witness_verifiers(settings.witness_keys, log_origin=settings.log_origin)
    return keys or None


def _urls(text: str) -> list[str]:
    return [u.strip().rstrip("/") for u in text.split(",") if u.strip()]


def latest_checkpoint(
    session: Session,
    *,
    size: int | None = None,
    witnesses: list[note.Verifier] | None = None,
    max_skew: int = 300,
) -> Checkpoint:
    """The latest signed checkpoint (or the one at ``size``) with its cosignature lines.

    Stored lines are served only when well formed and not carrying the log's name (so a bad
    row cannot break the note); with ``witnesses``, only those that verify by one of them (and
    are dated at most ``max_skew`` seconds ahead); one line per key.
    """
    q = sa.select(_C.c.note, _C.c.size)
    q = q.where(_C.c.size == size) if size is not None else q.order_by(_C.c.size.desc()).limit(1)
    row = session.connection().execute(q).first()
    if row is None:
        raise NoteError(
            "no checkpoint has been signed yet", code="no_checkpoint", field="checkpoint"
        )
    lines = (
        session.connection()
        .execute(sa.select(_W.c.line).where(_W.c.size == row[1]).order_by(_W.c.id))
        .scalars()
        .all()
    )
    cp = parse(row[0])
    have = {s.line for s in note.split(row[0])[1]}
    keys = {s.payload[:4] for s in note.split(row[0])[1]}
    extra: list[str] = []
    for line in lines:
        try:
            sig = note.parse_line(line)
            if witnesses is not None:
                limit = int(time.time()) + max_skew
                cosignature_time(cp.text, line, witnesses, origin=cp.origin, max_time=limit)
        except NoteError:
            continue
        if line in have or sig.name == cp.origin or sig.payload[:4] in keys:
            continue
        keys.add(sig.payload[:4])
        extra.append(line)
    return Checkpoint(cp.origin, cp.size, cp.root, row[0] + "".join(extra))


def add_checkpoint_request(old: int, proof: list[bytes], signed_note: str) -> bytes:
    lines = [f"old {old}\n", *(base64.b64encode(p).decode() + "\n" for p in proof), "\n"]
    return ("".join(lines) + signed_note).encode()


def cosignature_time(
    cp_text: str, line: str, witnesses: list[note.Verifier], *, origin: str, max_time: int
) -> int:
    """The time of ``line`` if it is a valid cosignature/v1 of checkpoint ``cp_text`` by one of
    ``witnesses`` (name, key id, signature over ``cosignature/v1``, ``time``, the text), dated
    no later than ``max_time``; else NoteError. A line with the log's own name never is."""
    sig = note.parse_line(line)
    if sig.name == origin:
        raise NoteError("a cosignature line carries the log's own name", field="cosignature")
    for w in witnesses:
        if w.alg == note.COSIGNATURE_V1 and (w.name, w.key_id) == (sig.name, sig.payload[:4]):
            ts = note.verify(cp_text, sig, w)
            if ts is None:
                raise NoteError(
                    f"cosignature by {w.name} does not verify", field="cosignature", computed=line
                )
            if ts > max_time:
                raise NoteError(
                    f"cosignature by {w.name} is dated in the future",
                    field="cosignature",
                    expected=max_time,
                    computed=ts,
                )
            return ts
    raise NoteError(f"cosignature by an unknown key ({sig.name})", field="cosignature")


def collect_cosignatures(
    session: Session,
    *,
    size: int,
    urls: list[str],
    witnesses: list[note.Verifier],
    timeout: float = 10.0,
    max_skew: int = 300,
) -> list[str]:
    """Ask each witness (c2sp.org/tlog-witness add-checkpoint) to cosign checkpoint ``size``.

    Starts from ``old 0``; on 409 retries once from the size the witness reports. Failures
    are skipped (a witness being down must not stop the log). Only lines that verify as
    cosignature/v1 of this checkpoint by one of ``witnesses`` (any key from any URL) are stored;
    malformed lines, unknown keys, bad signatures, future times (beyond ``max_skew`` seconds)
    and lines carrying the log's name are logged and dropped. Returns the lines stored.
    """
    signed = latest_checkpoint(session, size=size)
    text, sigs = note.split(signed.note)
    base_note = text + "\n" + sigs[0].line
    got: list[str] = []
    have: set[bytes] = set()  # one cosignature per witness key
    for url in urls:
        old = 0
        for _ in range(2):
            proof = store.consistency_proof(session, old=old, new=size) if old else []
            req = urllib.request.Request(
                f"{url}/add-checkpoint",
                method="POST",
                data=add_checkpoint_request(old, proof, base_note),
            )
            try:
                with urllib.request.urlopen(req, timeout=timeout) as resp:
                    reply = resp.read().decode()
            except urllib.error.HTTPError as exc:
                if exc.code == 409 and exc.headers.get_content_type() == "text/x.tlog.size":
                    old = int(exc.read().decode().strip())
                    if old <= size:
                        continue
                break
            except (OSError, UnicodeDecodeError, ValueError):
                break
            lines: list[str] = []
            max_time = int(time.time()) + max_skew
            for ln in reply.splitlines():
                line = ln + "\n"
                try:
                    cosignature_time(text, line, witnesses, origin=signed.origin, max_time=max_time)
                except NoteError as exc:
                    log.warning("witness %s: dropped %r: %s", url, ln[:200], exc.message)
                    continue
                kid = note.parse_line(line).payload[:4]
                if kid not in have:
                    have.add(kid)
                    lines.append(line)
            now = datetime.now(UTC)
            bulk.insert(
                session,
                "ledger_cosignature",
                ("size", "witness", "line", "received_at"),
                [(size, ln.split(" ")[1], ln, now) for ln in lines],
            )
            got.extend(lines)
            break
    return got
