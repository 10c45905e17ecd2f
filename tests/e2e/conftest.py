"""End-to-end tests: a real ``tracectl serve`` on the demo world, driven by Debian's headless
Chromium through playwright-python (``executable_path``; playwright never downloads a browser).
Marked ``e2e``; screenshots land in ``tmp/artefacts/``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("TRACE_TEST_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "tmp" / "artefacts"
TRACECTL = Path(sys.executable).with_name("tracectl")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@dataclass
class Served:
    base: str
    data_dir: Path
    demo: dict[str, Any]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo world in a temp data dir, served by ``tracectl serve`` on a free port."""
    data = tmp_path_factory.mktemp("e2e-world")
    env = {**os.environ, "TRACE_DATA_DIR": str(data)}
    env.pop("TRACE_DATABASE_URL", None)
    out = subprocess.run(
        [str(TRACECTL), "demo", "--once", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    demo = json.loads(out.stdout)
    port = _free_port()
    log = (data / "serve.log").open("w")
    proc = subprocess.Popen(
        [str(TRACECTL), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"tracectl serve did not start: {(data / 'serve.log').read_text()}")
                time.sleep(0.2)
        yield Served(base, data, demo)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make services` (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()
