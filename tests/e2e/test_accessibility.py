"""Accessibility: axe-core (npm, installed into .tools/node/axe by ``.ci/axe.sh``, part of
``make services``) run in Debian's headless Chromium on the consumer page -- a verified item, a
recalled item and a special-equipment unit, in English and Chinese -- and on the report form's
answer. Fails on any serious or critical violation; the full results are kept as artefacts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import ARTEFACTS, ROOT, Served

AXE = ROOT / ".tools" / "node" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run `bash .ci/axe.sh` (make services)")
    return AXE.read_text()


@pytest.fixture
def context(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    # the page runs no script; axe is injected by the test, past the page's CSP
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        locale=getattr(request, "param", "en-US"),
        bypass_csp=True,
    )
    try:
        yield ctx
    finally:
        ctx.close()


def _pages(served: Served) -> dict[str, str]:
    samples = served.demo["samples"]
    drug = served.demo["labels"]["drug"]
    out = {
        "recalled": urlparse(samples["recalled_item_url"]).path,
        "verified": f"/01/{drug['gtin']}/10/{drug['lot']}/21/{drug['serials'][2]}",
    }
    assert samples.get("equipment_item_url"), samples
    out["equipment"] = samples["equipment_item_url"]
    return out


def _audit(page: Any, axe_source: str, name: str) -> list[dict[str, Any]]:
    page.evaluate(axe_source)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / f"axe-{name}.json").write_text(json.dumps(result, indent=1))
    assert result["passes"], "axe checked nothing"
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def _summary(bad: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in bad
    )


@pytest.mark.parametrize("context", ["en-US", "zh-CN"], indirect=True)
@pytest.mark.parametrize("kind", ["verified", "recalled", "equipment"])
def test_consumer_page_has_no_serious_violations(
    context: Any, served: Served, axe_source: str, kind: str
) -> None:
    path = _pages(served)[kind]
    page = context.new_page()
    response = page.goto(served.base + path)
    assert response is not None and response.status == 200
    if kind == "recalled":
        assert page.locator("#recall.banner").count() == 1
    if kind == "equipment":
        assert page.locator("#equipment").count() == 1
    lang = page.locator("html").get_attribute("lang")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"consumer-{kind}-{lang}.png"), full_page=True)
    bad = _audit(page, axe_source, f"{kind}-{lang}")
    assert not bad, _summary(bad)


def test_report_answer_has_no_serious_violations(
    context: Any, served: Served, axe_source: str
) -> None:
    page = context.new_page()
    page.goto(served.base + _pages(served)["verified"])
    page.fill("#r-msg", "The seal was broken <b>twice</b>")
    page.select_option("#r-kind", "damaged")
    with page.expect_navigation():
        page.click("#report button[type=submit]")
    assert "Thank you" in page.locator("main").inner_text()
    assert "<b>twice</b>" in page.locator("main").inner_text()  # shown as text
    page.screenshot(path=str(Path(ARTEFACTS) / "consumer-report-thanks-en.png"), full_page=True)
    bad = _audit(page, axe_source, "report-thanks")
    assert not bad, _summary(bad)


def test_the_check_catches_a_violation(context: Any, axe_source: str) -> None:
    """The harness itself: an image without a text alternative (critical) on a page without a
    title (serious) fails it."""
    page = context.new_page()
    page.set_content('<!doctype html><html lang="en"><body><main><img src="data:,"></main>')
    bad = _audit(page, axe_source, "self-check")
    assert sorted(v["id"] for v in bad) == ["document-title", "image-alt"]
