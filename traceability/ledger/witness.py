"""A witness (c2sp.org/tlog-witness) a regulator runs with its own key and state file.

:meth:`Witness.add_checkpoint` is the library function; :func:`serve` exposes it over HTTP as
``POST /add-checkpoint``. It cosigns (cosignature/v1) a checkpoint only with a valid consistency
proof from the last one it cosigned for that origin: 404 unknown origin, 403 no valid signature
by a trusted log key, 400 old size larger than the checkpoint or a malformed body, 409 old size
differing from its state (body: its size, ``text/x.tlog.size``) or same size with another root,
422 bad proof, 503 a state file it cannot read. The check and the state update are atomic (a
lock around both, the state file written by rename before answering). The key and the state
file are mode 0600 and refused when others may read or write them
(:mod:`traceability.ledger.keyfile`).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from traceability.errors import ConfigError
from traceability.ledger import checkpoint, merkle, note
from traceability.ledger.errors import NoteError, ProofError
from traceability.ledger.keyfile import check_private, read_private, write_private

MAX_PROOF_LINES = 63
MAX_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    content_type: str
    body: str


class Witness:
    def __init__(self, *, signer: note.Signer, logs: list[note.Verifier], state_file: Path):
        self.signer = note.Signer(signer.name, signer.seed, note.COSIGNATURE_V1)
        self.logs = logs
        self.state_file = state_file
        self._lock = threading.Lock()
        if state_file.exists():
            check_private(state_file)  # refuse a state others may read or write, at start
            self._state()

    def _state(self) -> dict[str, dict[str, str | int]]:
        if not self.state_file.exists():
            return {}
        try:
            data = json.loads(read_private(self.state_file))
            if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
                raise ValueError("not an object of per-origin objects")
        except ValueError as exc:
            raise ConfigError(
                f"witness state {self.state_file} is malformed ({exc}); restore it from a backup",
                code="witness_state",
                field="state",
            ) from None
        return data

    def _save(self, state: dict[str, dict[str, str | int]]) -> None:
        write_private(self.state_file, json.dumps(state, indent=1, sort_keys=True), replace=True)

    def add_checkpoint(self, body: bytes) -> Response:
        try:
            text = body.decode()
            head, sep, cp_note = text.partition("\n\n")
            lines = head.split("\n")
            if not sep or not lines[0].startswith("old ") or len(lines) - 1 > MAX_PROOF_LINES:
                raise ValueError("bad request")
            old_text = lines[0][4:]
            if not old_text.isdigit() or (old_text != "0" and old_text.startswith("0")):
                raise ValueError("bad old size")
            old = int(old_text)
            proof = [base64.b64decode(x, validate=True) for x in lines[1:]]
            cp = checkpoint.parse(cp_note)
        except (ValueError, UnicodeDecodeError, NoteError):
            return Response(400, "text/plain", "malformed add-checkpoint request\n")
        trusted = [v for v in self.logs if v.name == cp.origin]
        if not trusted:
            return Response(404, "text/plain", "unknown log origin\n")
        if not any(_signed_by(cp_note, v) for v in trusted):
            return Response(403, "text/plain", "no valid signature by a known log key\n")
        if old > cp.size:
            return Response(400, "text/plain", "old size exceeds the checkpoint size\n")
        with self._lock:
            try:
                state = self._state()
                mine = state.get(cp.origin, {"size": 0, "root": ""})
                have = int(mine["size"])
            except (ConfigError, KeyError, TypeError, ValueError) as exc:
                why = exc.message if isinstance(exc, ConfigError) else "malformed entry"
                return Response(503, "text/plain", f"witness state unavailable: {why}\n")
            if old != have:
                return Response(409, "text/x.tlog.size", f"{have}\n")
            if old == cp.size:
                if base64.b64decode(str(mine["root"])) != cp.root and old:
                    return Response(409, "text/plain", "same size, different root\n")
            elif old == 0:
                if proof:
                    return Response(422, "text/plain", "proof must be empty from size 0\n")
            else:
                try:
                    merkle.verify_consistency(
                        old, cp.size, base64.b64decode(str(mine["root"])), cp.root, proof
                    )
                except ProofError as exc:
                    return Response(422, "text/plain", f"bad consistency proof: {exc}\n")
            state[cp.origin] = {"size": cp.size, "root": base64.b64encode(cp.root).decode()}
            self._save(state)
        return Response(200, "text/plain", self.signer.cosign(cp.text, int(time.time())))


def _signed_by(cp_note: str, v: note.Verifier) -> bool:
    try:
        note.verified_by(cp_note, v)
    except NoteError:
        return False
    return True


def serve(witness: Witness, *, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server for ``witness`` (call ``serve_forever`` or run it in a thread)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            text = self.headers.get("Content-Length") or "0"
            length = int(text) if text.isascii() and text.isdigit() else -1
            if length < 0:
                resp = Response(400, "text/plain", "bad Content-Length\n")
            elif self.path.rstrip("/") != "/add-checkpoint" or length > MAX_BODY:
                resp = Response(404 if length <= MAX_BODY else 413, "text/plain", "no\n")
            else:
                resp = witness.add_checkpoint(self.rfile.read(length))
            data = resp.body.encode()
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return

    return ThreadingHTTPServer((host, port), Handler)
