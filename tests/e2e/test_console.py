"""The console in Chromium: a regulator signs in, looks up the demo's recalled lot and sees the
trace graph drawn; a producer signs in and sees its own lots. Served by a second ``tracectl
serve`` on the demo world of ``served`` with console tokens configured."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import ARTEFACTS, TRACECTL, Served, _free_port

TOKENS = "e2e-reg-token:regulator,e2e-pack-token:producer:yubei-packhouse"


@pytest.fixture(scope="module")
def console(served: Served) -> Iterator[str]:
    env = {**os.environ, "TRACE_DATA_DIR": str(served.data_dir), "TRACE_API_TOKENS": TOKENS}
    env.pop("TRACE_DATABASE_URL", None)
    port = _free_port()
    log = (served.data_dir / "serve-console.log").open("w")
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
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail((served.data_dir / "serve-console.log").read_text())
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _sign_in(page: Any, base: str, token: str) -> None:
    page.goto(f"{base}/console")
    assert page.url.endswith("/console/login")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/console")


def test_regulator_finds_the_recalled_lot_and_sees_its_trace_graph(
    browser: Any, console: str, served: Served
) -> None:
    lot = served.demo["samples"]["recalled_lot"]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _sign_in(page, console, "e2e-reg-token")
    page.fill("input[name=code]", f"(01){lot['gtin']}(10){lot['lot']}")
    page.click("form[action='/console/item'] button")
    page.wait_for_selector("svg.trace-graph")
    graphs = page.locator("svg.trace-graph")
    assert graphs.count() == 2
    box = graphs.first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 50
    assert page.locator("svg.trace-graph g.node").count() > 5
    assert page.locator("svg.trace-graph g.node.affected").count() >= 1
    assert "RECALLED" in page.inner_text("main")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "console-trace-graph.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000
    page.close()


def test_producer_signs_in_and_sees_its_lots(browser: Any, console: str, served: Served) -> None:
    lot = served.demo["samples"]["recalled_lot"]
    page = browser.new_page()
    _sign_in(page, console, "e2e-pack-token")
    text = page.inner_text("main")
    assert lot["lot"] in text and "RECALLED" in text
    assert "06937201000017" not in text  # another party's product
    page.goto(f"{console}/console/recalls")
    assert "403" in page.inner_text("main")
    page.close()
