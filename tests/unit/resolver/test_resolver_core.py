"""The resolver core without a store: request parsing, linksets, language, page escaping."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from traceability.errors import InvalidInputError
from traceability.identifiers import IdentifierError
from traceability.resolver import item as iv
from traceability.resolver import linkset, parse_request, resolver_description, target_for
from traceability.resolver.i18n import choose_lang
from traceability.resolver.page import render_error_page, render_item_page
from traceability.resolver.request import MAX_REQUEST_CHARS, RequestTooLongError

GTIN = "16937102000014"
BASE = "https://suyuan.example"


def test_parse_request_path_and_query_attributes() -> None:
    dl = parse_request(path=f"/01/{GTIN}/10/FJ%2F26/21/S1", query="17=270102&linkType=gs1:pip")
    assert dl.primary == ("01", GTIN)
    assert dl.qualifiers == (("10", "FJ/26"), ("21", "S1"))
    assert dl.attributes == (("17", "270102"),)
    assert dl.extras == {"linkType": "gs1:pip"}


@pytest.mark.parametrize(
    ("path", "query", "code", "field"),
    [
        ("/01/16937102000015", "", "check_digit", "01"),
        ("/01/1234567", "", "length", "01"),
        ("/01/16937102000014/21/S1/10/L1", "", "qualifier_order", "21"),
        ("/01/16937102000014/17/270102", "", "ai_misplaced", "17"),
        ("/01/16937102000014", "17=271399", "invalid_date", "17"),
        ("/01/16937102000014/10/A%zz", "", "bad_percent_encoding", "10"),
        ("/01/16937102000014/10/A%00", "", "charset", "path"),
        ("/01/16937102000014/10/../x", "", "invalid_uri", "path"),
        ("/00/106141412345678908", "", "invalid_uri", "path"),
    ],
)
def test_parse_request_names_the_wrong_part(path: str, query: str, code: str, field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_request(path=path, query=query)
    assert info.value.code == code
    assert info.value.field == field


def test_parse_request_refuses_huge_links_before_parsing() -> None:
    with pytest.raises(RequestTooLongError) as info:
        parse_request(path="/01/" + "1" * MAX_REQUEST_CHARS)
    assert info.value.code == "too_long"


def test_wrong_check_digit_is_an_identifier_error_with_the_expected_digit() -> None:
    with pytest.raises(IdentifierError, match="should be 4"):
        parse_request(path="/01/16937102000015/10/L1")


def test_linkset_carries_gs1_link_types_on_this_host() -> None:
    dl = parse_request(path=f"/01/{GTIN}/10/L%2F1")
    body = linkset(dl, base_url=BASE + "/", receipt_event="ni:///sha-256;ab?ver=CBV2.0")
    (entry,) = body["linkset"]
    assert entry["anchor"] == f"{BASE}/01/{GTIN}/10/L%2F1"
    for name in ("pip", "traceability", "recallStatus", "certificationInfo"):
        (link,) = entry[f"https://gs1.org/voc/{name}"]
        assert link["href"].startswith(f"{BASE}/01/{GTIN}/10/L%2F1")
        assert link["type"] == "text/html"
    (verify,) = entry["https://gs1.org/voc/verificationService"]
    assert verify["href"] == (
        f"{BASE}/ledger/receipt?event_id=ni%3A%2F%2F%2Fsha-256%3Bab%3Fver%3DCBV2.0"
    )
    assert verify["type"] == "text/plain"


def test_target_for_accepts_curie_short_name_and_uri() -> None:
    dl = parse_request(path=f"/01/{GTIN}/10/L1")
    want = f"{BASE}/01/{GTIN}/10/L1#journey"
    for lt in ("gs1:traceability", "traceability", "https://gs1.org/voc/traceability"):
        assert target_for(dl, link_type=lt, base_url=BASE) == want
    assert target_for(dl, link_type="gs1:nonsense", base_url=BASE) is None


def test_resolver_description() -> None:
    doc = resolver_description(base_url=BASE)
    assert doc["resolverRoot"] == BASE
    assert doc["supportedPrimaryKeys"] == ["01"]
    assert "gs1:recallStatus" in doc["linkTypes"]


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "zh-CN"),
        ("en-GB,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("fr-FR,en;q=0.5,zh;q=0.4", "en"),
        ("en;q=0.2,zh-TW;q=0.8", "zh-CN"),
        ("en;q=0,de", "zh-CN"),
        ("en;q=bogus,zh", "zh-CN"),
    ],
)
def test_choose_lang(header: str | None, lang: str) -> None:
    assert choose_lang(header) == lang


def _view(**over: object) -> iv.ItemView:
    step = iv.JourneyStep(
        ledger_index=7,
        time=datetime(2026, 12, 3, 3, 21, tzinfo=UTC),
        event_type="ObjectEvent",
        biz_step="commissioning",
        disposition="active",
        place="<b>farm</b>",
        party="Farm & Co",
        region="奉节县",
    )
    fields: dict[str, object] = {
        "gtin": GTIN,
        "lot": "L1",
        "serial": None,
        "expiry": date(2027, 1, 2),
        "product_name": "<script>alert(1)</script>",
        "brand": "",
        "owner": "Owner",
        "verdict": iv.VERIFIED,
        "reasons": (),
        "origin": step,
        "steps": (step,),
        "latest_event": "ni:///sha-256;ab?ver=CBV2.0",
        "latest_index": 7,
        "receipt_ready": True,
    }
    fields.update(over)
    return iv.ItemView(**fields)  # type: ignore[arg-type]


def test_page_escapes_everything_and_loads_nothing_external() -> None:
    html = render_item_page(_view(), lang="en", receipt_href="/ledger/receipt?x=1&y=2", log_key="k")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;farm&lt;/b&gt;" in html
    assert "Farm &amp; Co" in html
    assert 'href="/ledger/receipt?x=1&amp;y=2"' in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    assert "<svg" in html and "[ledger index 7]" in html
    assert "tracectl ledger verify-receipt receipt-7.txt --log-key &#x27;k&#x27;" in html


def test_recall_banner_comes_first_and_overrides() -> None:
    html = render_item_page(
        _view(verdict=iv.RECALLED, reasons=("recall",), recall_reason="Listeria"),
        lang="zh-CN",
        receipt_href=None,
        log_key=None,
    )
    body = html.split("<main>", 1)[1]
    assert body.startswith('<section id="recall" class="banner" role="alert">')
    assert "已召回" in body and "Listeria" in body
    assert "已验证" not in body


@pytest.mark.parametrize(
    ("verdict", "reason", "word", "icon"),
    [
        (iv.VERIFIED, None, "Verified", "✔"),
        (iv.SUSPICIOUS, "unknown_serial", "Suspicious", "!"),
        (iv.UNVERIFIED, "no_lot_or_serial", "Could not verify — rescan", "?"),
        (iv.EXPIRED, "expired", "Expired", "⊘"),
    ],
)
def test_verdict_in_words_and_icon(verdict: str, reason: str | None, word: str, icon: str) -> None:
    view = _view(verdict=verdict, reasons=(reason,) if reason else ())
    html = render_item_page(view, lang="en", receipt_href=None, log_key=None)
    assert f'<div class="word">{word}</div>' in html
    assert f'aria-hidden="true">{icon}</span>' in html
    assert "No recall on record." in html


def test_error_page_names_the_part_and_escapes() -> None:
    html = render_error_page(
        lang="en",
        title_key="bad_link",
        help_key="bad_link_help",
        message="GTIN check digit should be 4, got 5 <x>",
        field="01",
        value="16937102000015",
    )
    assert "This link is not valid" in html
    assert "<dt>Wrong part</dt><dd>(01) GTIN = 16937102000015</dd>" in html
    assert "&lt;x&gt;" in html


def test_receipt_not_offered_before_a_checkpoint_covers_it() -> None:
    html = render_item_page(
        _view(receipt_ready=False), lang="en", receipt_href="/ledger/receipt?x", log_key="k"
    )
    assert "download=" not in html
    assert "not in a signed checkpoint yet" in html


def test_core_imports_no_web_framework() -> None:
    import subprocess
    import sys

    code = (
        "import sys, traceability.resolver, traceability.resolver.page; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'jinja2', 'api')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
