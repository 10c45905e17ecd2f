"""Issue 12 item 16: no option is ignored without a word, and no wait is silent."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.cli.conftest import Cli, one_line_error


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (a broker that hangs)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    server.close()


def test_simulate_keeps_to_its_duration(cli: Cli, black_hole: int) -> None:
    """Before: --duration stopped only the hand-over, then the outboxes got 30 s more."""
    t0 = time.monotonic()
    res = cli.script(
        "simulate",
        "produce",
        "--broker",
        f"mqtt://127.0.0.1:{black_hole}",
        "--duration",
        "1",
        "--json",
        timeout=60,
    )
    took = time.monotonic() - t0
    assert res.code == 1, res.stderr  # nothing was delivered: not drained
    assert took < 20, took
    assert '"drained": false' in res.stdout


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("deadletter", "list", "--limit", "-5"), ("--limit",)),
        (("deadletter", "list", "--limit", "0"), ("--limit",)),
        (("deadletter", "list", "--reason", "nonsense"), ("--reason", "bad_signature")),
        (("ledger", "prove", "--old", "1"), ("--old and --new",)),
        (
            ("ledger", "prove", "--index", "1", "--size", "3", "--old", "1", "--new", "2"),
            ("not both",),
        ),
        (("ledger", "prove", "--index", "1", "--size", "3", "--new", "2"), ("not both",)),
    ],
)
def test_bad_options_are_usage_errors(
    cli: Cli, sqlite_url: str, args: tuple[str, ...], needles: tuple[str, ...]
) -> None:
    cli.env["TRACE_DATABASE_URL"] = sqlite_url
    one_line_error(cli(*args), 2, *needles)


@pytest.mark.parametrize("name", ["with spaces", "a+b", "", "tab\tname", "ideo\u3000space"])
def test_witness_names_that_cannot_verify_are_refused(cli: Cli, tmp_path: Path, name: str) -> None:
    key = tmp_path / "w.key"
    res = cli("witness", "keygen", "--name", name, "--key", str(key))
    one_line_error(res, 2, "--name")
    assert not key.exists()


def test_a_witness_key_verifies_its_cosignature(cli: Cli, tmp_path: Path) -> None:
    from traceability.ledger import note

    key = tmp_path / "w.key"
    res = cli("witness", "keygen", "--name", "regulator.example/w1", "--key", str(key))
    assert res.code == 0, res.stderr
    assert note.Verifier.parse(res.stdout.strip()).name == "regulator.example/w1"
