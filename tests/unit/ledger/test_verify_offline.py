"""The offline receipt verifier: total (only ReceiptError), canonical base64 only, and standing
alone (it runs with the database, web and broker libraries blocked).

The receipt is built from a real ledger in a SQLite file (no service needed), with a witness
cosignature added to its checkpoint.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from tests.support.ledger import fill
from traceability.config import Settings
from traceability.ledger import checkpoint, merkle, note, receipt, verify_offline
from traceability.ledger.errors import ProofError, ReceiptError
from traceability.signing import ed25519 as signing
from traceability.store.engine import create_engine, upgrade

REPO = Path(__file__).resolve().parents[3]
BLOCKED = ("sqlalchemy", "sqlmodel", "fastapi", "starlette", "paho", "psycopg", "alembic")


@dataclass(frozen=True)
class Made:
    text: str
    log_key: str
    witness_key: str


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    tmp = tmp_path_factory.mktemp("receipt")
    url = f"sqlite:///{tmp / 'r.db'}"
    upgrade(url=url)
    engine = create_engine(url=url)
    cfg = Settings(data_dir=tmp, database_url=url)
    with Session(engine) as s:
        _, _, results = fill(s, n=9)
        cp = checkpoint.sign_checkpoint(s, settings=cfg, collect=False)
        s.commit()
        w = note.Signer("regulator.example/w1", signing.generate_keypair()[0], 4)
        cosigned = checkpoint.Checkpoint(
            cp.origin, cp.size, cp.root, cp.note + w.cosign(cp.text, int(time.time()))
        )
        text = receipt.build_receipt(s, event_hash=results[5].event_hash, cp=cosigned)
    engine.dispose()
    return Made(text, checkpoint.load_log_signer(cfg).verifier.vkey(), w.verifier.vkey())


def _verify(made: Made, text: str) -> verify_offline.ReceiptResult:
    return verify_offline.verify_receipt(
        text, log_key=made.log_key, witness_keys=[made.witness_key]
    )


def test_the_receipt_verifies(made: Made) -> None:
    result = _verify(made, made.text)
    assert result.index == 6 and result.witnesses == ["regulator.example/w1"]


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _set_extra(text: str, change: dict[str, object]) -> str:
    lines = _lines(text)
    extra = json.loads(base64.b64decode(lines[1][6:]))
    extra.update(change)
    lines[1] = "extra " + base64.b64encode(json.dumps(extra).encode()).decode()
    return "\n".join(lines)


def _key(text: str, **change: object) -> str:
    extra = json.loads(base64.b64decode(_lines(text)[1][6:]))
    return _set_extra(text, {"key": {**extra["key"], **change}})


def _bits(b64: str) -> str:
    """The same bytes with a padding bit set: non-canonical base64 that decoders accept."""
    assert b64.endswith("=")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    head = b64.rstrip("=")
    last = alphabet[alphabet.index(head[-1]) | 1]
    out = head[:-1] + last + b64[len(head) :]
    assert out != b64 and base64.b64decode(out) == base64.b64decode(b64)
    return out


def _malformed(made: Made) -> dict[str, str]:
    text = made.text
    lines = _lines(text)
    proof_at = 3
    extra = lines[1][6:]
    return {
        # each of these raised KeyError, ValueError, TypeError or binascii.Error before
        "extra without key": _set_extra(text, {"key": None}),
        "key without index": _key(text, index=None),
        "key index as text": _key(text, index="1"),
        "key proof not base64": _key(text, proof=["%%%"]),
        "key proof not a list": _key(text, proof="x"),
        "record not base64": _set_extra(text, {"record": "@@"}),
        "record missing": _set_extra(text, {"record": None}),
        "envelope a number": _set_extra(text, {"envelope": 7}),
        "extra a string": _set_extra(text, {}).replace(
            _lines(_set_extra(text, {}))[1], "extra " + base64.b64encode(b'"x"').decode()
        ),
        "index too large": text.replace("\nindex 6\n", "\nindex " + "9" * 30 + "\n"),
        # non-canonical base64 spellings of the same bytes
        "extra without padding": text.replace(extra, extra.rstrip("="))
        if extra.endswith("=")
        else text.replace(extra, extra + "="),
        "proof line with padding bits": "\n".join(
            [*lines[:proof_at], _bits(lines[proof_at]), *lines[proof_at + 1 :]]
        ),
        "proof line without padding": "\n".join(
            [*lines[:proof_at], lines[proof_at].rstrip("="), *lines[proof_at + 1 :]]
        ),
        "extra with padding bits": text.replace(extra, _bits(extra))
        if extra.endswith("=")
        else text.replace(extra, extra + "=="),
    }


@pytest.mark.parametrize(
    "name",
    [
        "extra without key",
        "key without index",
        "key index as text",
        "key proof not base64",
        "key proof not a list",
        "record not base64",
        "record missing",
        "envelope a number",
        "extra a string",
        "index too large",
        "extra without padding",
        "proof line with padding bits",
        "proof line without padding",
        "extra with padding bits",
    ],
)
def test_malformed_receipts_raise_receipt_error(made: Made, name: str) -> None:
    with pytest.raises(ReceiptError):
        _verify(made, _malformed(made)[name])


def test_a_note_signature_with_padding_bits_is_refused(made: Made) -> None:
    cp_note = made.text.partition("\n\n")[2]
    sig = next(ln for ln in cp_note.split("\n") if ln.startswith(note.DASH + " suyuan"))
    payload = sig.split(" ")[2]
    with pytest.raises(ReceiptError) as caught:
        _verify(made, made.text.replace(payload, _bits(payload)))
    assert caught.value.code == "bad_note"


def test_note_and_proof_errors_are_receipt_errors(made: Made) -> None:
    impostor = note.Signer("suyuan.local/ledger", signing.generate_keypair()[0]).verifier
    with pytest.raises(ReceiptError) as caught:
        verify_offline.verify_receipt(made.text, log_key=impostor.vkey())
    assert caught.value.code == "bad_note"
    with pytest.raises(ReceiptError) as caught:
        _verify(made, made.text.replace("\nindex 6\n", "\nindex 7\n"))
    assert caught.value.code in ("bad_proof", "bad_receipt")


def test_consistency_between_checkpoints() -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(7)]
    nodes = {(0, i): h for i, h in enumerate(leaves)}
    nodes.update({(lv, i): h for lv, i, h in merkle.append_leaves(0, [], leaves)[0]})
    old = checkpoint.Checkpoint("o", 3, merkle.range_hash(0, 3, nodes.__getitem__), "")
    new = checkpoint.Checkpoint("o", 7, merkle.range_hash(0, 7, nodes.__getitem__), "")
    proof = [merkle.range_hash(a, b, nodes.__getitem__) for a, b in merkle.consistency_ranges(3, 7)]
    verify_offline.verify_consistency(old, new, proof)
    with pytest.raises(ProofError):
        verify_offline.verify_consistency(old, new, proof[::-1])


_CHARS = st.sampled_from([*'AQgw=+/09az \n-:{}"\\x\u2014', "\x00", "\ud800"])


@st.composite
def _mutations(draw: st.DrawFn, text: str) -> str:
    """A valid receipt with a few random edits: characters replaced, deleted or inserted,
    lines dropped or repeated, or a byte of the decoded extra changed and re-encoded."""
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["replace", "delete", "insert", "line", "dup", "extra"]))
        lines = text.split("\n")
        if kind == "extra" and len(lines) > 1 and lines[1].startswith("extra "):
            try:
                raw = bytearray(base64.b64decode(lines[1][6:], validate=True))
            except ValueError:
                continue  # an earlier edit broke it already
            if not raw:
                continue
            at = draw(st.integers(0, len(raw) - 1))
            raw[at] = draw(st.integers(0, 255))
            lines[1] = "extra " + base64.b64encode(bytes(raw)).decode()
            text = "\n".join(lines)
            continue
        if kind in ("line", "dup", "extra"):
            at = draw(st.integers(0, len(lines) - 1))
            lines[at:at] = [lines[at]] if kind == "dup" else []
            if kind == "line":
                del lines[at]
            text = "\n".join(lines)
            continue
        at = draw(st.integers(0, len(text) - 1))
        ch = draw(_CHARS)
        text = {
            "replace": text[:at] + ch + text[at + 1 :],
            "delete": text[:at] + text[at + 1 :],
            "insert": text[:at] + ch + text[at:],
        }[kind]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_receipts_raise_only_receipt_error(made: Made, data: st.DataObject) -> None:
    text = data.draw(_mutations(made.text))
    try:
        result = _verify(made, text)
    except ReceiptError:
        return
    assert result.index == 6  # a mutation that changes nothing verified


def test_verifier_runs_with_database_and_web_libraries_blocked(made: Made, tmp_path: Path) -> None:
    """Imports the verifier and the ``tracectl ledger verify-receipt`` command in a fresh
    interpreter where importing any of BLOCKED raises ImportError, and verifies the receipt."""
    path = tmp_path / "r.tlog-proof"
    path.write_text(made.text)
    script = textwrap.dedent(
        f"""
        import importlib.abc, sys

        BLOCKED = {BLOCKED!r}

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"blocked: {{name}}")
                return None

        sys.meta_path.insert(0, Block())
        from traceability.ledger.verify_offline import verify_receipt
        r = verify_receipt(open({str(path)!r}).read(), log_key={made.log_key!r},
                           witness_keys=[{made.witness_key!r}])
        assert r.index == 6, r
        sys.argv = ["tracectl", "ledger", "verify-receipt", {str(path)!r},
                    "--log-key", {made.log_key!r}, "--witness-key", {made.witness_key!r}]
        from traceability.cli.main import app_main
        try:
            app_main()
        except SystemExit as exc:
            assert not exc.code, exc.code
        loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set(BLOCKED))
        assert not loaded, loaded
        """
    )
    res = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("valid: entry 6 of "), res.stdout
    assert "witnesses: regulator.example/w1" in res.stdout
