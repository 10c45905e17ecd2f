"""Issue 12 item 14: every known failure is one ``error: …`` line and exit 1 or 2, never a
traceback (in-process and through the console script)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.unit.cli.conftest import Cli, one_line_error


def test_witness_keygen_onto_an_existing_key_file(cli: Cli, tmp_path: Path) -> None:
    key = tmp_path / "w.key"
    assert cli("witness", "keygen", "--name", "w.example/w1", "--key", str(key)).code == 0
    before = key.read_text()
    res = cli("witness", "keygen", "--name", "w.example/w1", "--key", str(key))
    one_line_error(res, 1, str(key), "already exists")
    assert key.read_text() == before


def test_witness_keygen_into_a_missing_folder(cli: Cli, tmp_path: Path) -> None:
    res = cli("witness", "keygen", "--name", "w.example/w1", "--key", str(tmp_path / "no/w.key"))
    one_line_error(res, 2, "does not exist")


def test_receipt_out_into_a_missing_folder_or_onto_a_folder(cli: Cli, tmp_path: Path) -> None:
    event = "ni:///sha-256;" + "0" * 64 + "?ver=CBV2.0"
    res = cli("ledger", "receipt", event, "--out", str(tmp_path / "nowhere" / "r.txt"))
    one_line_error(res, 2, "--out", "does not exist")
    res = cli("ledger", "receipt", event, "--out", str(tmp_path))
    one_line_error(res, 2, "--out", "is a folder")


def test_db_upgrade_to_an_unknown_revision(cli: Cli) -> None:
    res = cli.script("db", "upgrade", "bogusrev")
    one_line_error(res, 2, "bogusrev", "tracectl db status")


def test_production_serve_without_secrets(cli: Cli) -> None:
    res = cli.script("serve", TRACE_MODE="production")
    one_line_error(res, 2, "TRACE_")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "args",
    [
        ("db", "status"),
        ("db", "upgrade"),
        ("deadletter", "list"),
        ("ledger", "checkpoint", "--no-witness"),
        ("device", "enroll", "--id", "gate-1", "--location", "l", "--party", "p"),
        ("verify",),
    ],
)
def test_unreachable_database(cli: Cli, args: tuple[str, ...]) -> None:
    port = _closed_port()
    url = f"postgresql://postgres@127.0.0.1:{port}/suyuan"
    cli.env["TRACE_DATABASE_URL"] = url
    res = cli.script(*args) if args == ("verify",) else cli(*args)
    one_line_error(res, 1, "cannot reach the database", f"127.0.0.1:{port}", "TRACE_DATABASE_URL")


def test_store_without_tables_says_db_upgrade(cli: Cli, tmp_path: Path) -> None:
    cli.env["TRACE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'empty.db'}"
    res = cli("deadletter", "list")
    one_line_error(res, 1, "tracectl db upgrade")


def test_unreachable_broker_simulate_says_so_at_once(cli: Cli) -> None:
    port = _closed_port()
    res = cli.script("simulate", "produce", "--broker", f"mqtt://127.0.0.1:{port}", timeout=20)
    one_line_error(res, 1, f"cannot connect to mqtt://127.0.0.1:{port}")


def test_unreachable_broker_gateway(cli: Cli, sqlite_url: str) -> None:
    port = _closed_port()
    cli.env["TRACE_DATABASE_URL"] = sqlite_url
    res = cli.script("gateway", "--mqtt-url", f"mqtt://127.0.0.1:{port}", timeout=30)
    one_line_error(res, 1, f"cannot connect to mqtt://127.0.0.1:{port}")


def test_gateway_refuses_the_embedded_broker(cli: Cli, sqlite_url: str) -> None:
    cli.env["TRACE_DATABASE_URL"] = sqlite_url
    res = cli.script("gateway", timeout=30)  # TRACE_MQTT_URL defaults to embedded
    one_line_error(res, 2, "--mqtt-url", "TRACE_MQTT_URL")


def test_serve_on_a_taken_port(cli: Cli, sqlite_url: str) -> None:
    cli.env["TRACE_DATABASE_URL"] = sqlite_url
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = cli.script("serve", "--port", str(port), timeout=30)
    one_line_error(res, 1, f"127.0.0.1:{port}", "--port")


def test_usage_errors_are_one_line_naming_the_help(cli: Cli) -> None:
    res = cli("device", "enroll", "--id", "x")
    one_line_error(res, 2, "--location", "tracectl device enroll --help")
    res = cli("nosuchcommand")
    one_line_error(res, 2, "nosuchcommand")


def test_demo_against_an_unreachable_broker(cli: Cli) -> None:
    port = _closed_port()
    cli.env["TRACE_MQTT_URL"] = f"mqtt://127.0.0.1:{port}"
    res = cli.script("demo", "--once", timeout=60)
    assert "Traceback" not in res.stderr
    assert res.code == 1
    assert f"error: unreachable: cannot connect to mqtt://127.0.0.1:{port}" in res.stderr


def test_a_bad_setting_is_a_usage_error(cli: Cli) -> None:
    cli.env["TRACE_API_PORT"] = "eighty"
    res = cli.script("db", "status")
    one_line_error(res, 2, "api_port", "eighty")


_WRITER = """
import typer
from traceability.cli.failures import HandledGroup

app = typer.Typer(cls=HandledGroup, add_completion=False, pretty_exceptions_enable=False)

@app.command()
def lines() -> None:
    for n in range(10_000):
        print(f"line {n}", flush=True)

@app.command()
def other() -> None:
    pass

app(["lines"])
"""


def test_a_reader_that_goes_away_is_not_a_connection_error() -> None:
    """`tracectl … | head`: the reader goes away while a command writes. Before, the broken
    pipe (a ConnectionError) was reported as "cannot connect: Broken pipe (is the broker …
    running?)". The pipe here is real, its reading end closed before the command writes."""
    import os
    import subprocess
    import sys

    r, w = os.pipe()
    os.close(r)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _WRITER],
            stdout=w,
            stderr=subprocess.PIPE,
            timeout=60,
            restore_signals=False,  # SIGPIPE stays ignored, as in any Python program
            check=False,
        )
    finally:
        os.close(w)
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert "cannot connect" not in err and "Traceback" not in err, err
