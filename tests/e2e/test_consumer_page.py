"""A shopper scans: the demo world's Digital Links opened in headless Chromium on a phone
viewport. Nothing is fetched from anywhere but the resolver; the page is under 100 KB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import ARTEFACTS, Served

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def phone(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    lang = getattr(request, "param", "en-US")
    context = browser.new_context(**PHONE, locale=lang, java_script_enabled=False)
    try:
        yield context
    finally:
        context.close()


def _open(phone: Any, served: Served, path: str, shot: str) -> tuple[Any, list[str], int]:
    page = phone.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    response = page.goto(served.base + path)
    assert response is not None and response.status == 200
    size = len(response.body())
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / shot), full_page=True)
    assert requests and all(u.startswith(served.base + "/") for u in requests), requests
    assert size < 100_000
    return page, requests, size


def test_recalled_lot_shows_the_banner_first(phone: Any, served: Served) -> None:
    recalled = served.demo["samples"]["recalled_lot"]
    path = f"/01/{recalled['gtin']}/10/{recalled['lot']}"
    page, _, _ = _open(phone, served, path, "consumer-recalled-en.png")
    banner = page.locator("main > section").first
    assert banner.get_attribute("id") == "recall"
    assert banner.get_attribute("role") == "alert"
    assert "Recalled" in banner.inner_text()
    assert "Do not eat or use it" in banner.inner_text()
    assert page.locator("#verdict .word").inner_text() == "Recalled"
    assert recalled["lot"] in page.locator("#identity").inner_text()
    # the banner is at the top of the first screen
    box = banner.bounding_box()
    assert box is not None and box["y"] < 100
    assert page.locator("#journey svg").count() == 1
    assert page.locator("#journey li").count() >= 2
    assert page.locator("#verify a[download]").count() == 1


@pytest.mark.parametrize("phone", ["zh-CN"], indirect=True)
def test_serialised_drug_item_is_verified_in_chinese(phone: Any, served: Served) -> None:
    drug = served.demo["labels"]["drug"]
    path = f"/01/{drug['gtin']}/10/{drug['lot']}/21/{drug['serials'][0]}"
    page, _, _ = _open(phone, served, path, "consumer-verified-zh.png")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("#verdict .word").inner_text() == "已验证"
    assert "未发现召回记录" in page.locator("#recall").inner_text()
    assert drug["serials"][0] in page.locator("#identity").inner_text()
    # the receipt link downloads a tlog-proof the page's command verifies
    href = page.locator("#verify a[download]").get_attribute("href")
    assert href and href.startswith("/ledger/receipt?event_id=")
    receipt = page.request.get(served.base + href)
    assert receipt.status == 200 and receipt.text().startswith("c2sp.org/tlog-proof@v1")
    assert "tracectl ledger verify-receipt" in page.locator("#verify pre").inner_text()


def test_wrong_check_digit_page(phone: Any, served: Served) -> None:
    gtin = served.demo["samples"]["product_gtin"]
    bad = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    page = phone.new_page()
    response = page.goto(f"{served.base}/01/{bad}/10/X1")
    assert response is not None and response.status == 400
    text = page.locator("main").inner_text()
    assert "This link is not valid" in text and "check digit" in text and "(01) GTIN = " in text
    page.screenshot(path=str(ARTEFACTS / "consumer-bad-link-en.png"), full_page=True)


def test_after_a_recall_the_same_url_shows_the_banner(phone: Any, served: Served) -> None:
    """Runs last: recalls the demo's drug lot in the served store (as the operator would)."""
    import sqlalchemy as sa

    drug = served.demo["labels"]["drug"]
    path = f"/01/{drug['gtin']}/10/{drug['lot']}/21/{drug['serials'][1]}"
    page, _, _ = _open(phone, served, path, "consumer-before-recall-en.png")
    assert page.locator("#verdict .word").inner_text() == "Verified"
    assert page.locator("#recall.banner").count() == 0
    engine = sa.create_engine(f"sqlite:///{served.data_dir / 'suyuan.db'}")
    try:
        with engine.begin() as c:
            c.execute(
                sa.text(
                    "update lot set recalled = true, recall_reason = :r, recalled_at = :t "
                    "where gtin = :g and lot = :l"
                ),
                {
                    "r": "capsules <b>mislabelled</b>",
                    "t": "2026-12-06 00:00:00.000000",
                    "g": drug["gtin"],
                    "l": drug["lot"],
                },
            )
    finally:
        engine.dispose()
    page, _, _ = _open(phone, served, path, "consumer-after-recall-en.png")
    banner = page.locator("main > section").first
    assert banner.get_attribute("id") == "recall"
    assert "Recalled" in banner.inner_text()
    assert "capsules <b>mislabelled</b>" in banner.inner_text()  # shown as text, not markup
    assert page.locator("#verdict .word").inner_text() == "Recalled"
