"""The public notices as an Atom feed (RFC 4287) and a JSON Feed (1.1); the HTML page is
:func:`traceability.console.public.page`.

Each notice links to the ledger entry that proves it (``/ledger/entries/{index}``, whose
inclusion proof and receipts the ledger API serves). Text is escaped for its format: XML by
ElementTree (characters XML 1.0 cannot carry become U+FFFD), JSON by the encoder.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime

from traceability.notices.service import Notice

ATOM_NS = "http://www.w3.org/2005/Atom"
JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
FEED_TITLE = "Suyuan public notices: recalls and serious-violation decisions"
FEED_ID = "urn:uuid:6f1c2b1e-8a3d-5c1e-9d0e-5375797561e6"  # this feed, wherever served
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(text: str) -> str:
    return _XML_BAD.sub("\ufffd", text)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _updated(notices: Sequence[Notice], now: datetime) -> str:
    return iso(max((n.published for n in notices), default=now))


def atom(notices: Sequence[Notice], *, base: str, now: datetime | None = None) -> bytes:
    """An RFC 4287 feed: id, title, updated, author, self/alternate links, one entry each."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: _x(v) for k, v in attrs.items()})
        if text is not None:
            el.text = _x(text)
        return el

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", FEED_ID)
    sub(feed, "title", FEED_TITLE)
    sub(feed, "updated", _updated(notices, now or datetime.now(UTC)))
    author = sub(feed, "author")
    sub(author, "name", "Suyuan traceability platform")
    sub(feed, "link", rel="self", type="application/atom+xml", href=f"{base}/notices.atom")
    sub(feed, "link", rel="alternate", type="text/html", href=f"{base}/notices")
    for n in notices:
        entry = sub(feed, "entry")
        sub(entry, "id", n.uuid_urn)
        sub(entry, "title", n.title)
        sub(entry, "updated", iso(n.published))
        sub(entry, "published", iso(n.published))
        sub(entry, "category", term=n.kind)
        sub(entry, "link", rel="alternate", type="text/html", href=f"{base}/notices#{n.id}")
        sub(
            entry,
            "link",
            rel="related",
            type="application/json",
            title=f"ledger entry {n.ledger_index}",
            href=f"{base}/ledger/entries/{n.ledger_index}",
        )
        sub(entry, "summary", f"{n.summary} (ledger entry {n.ledger_index})", type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + bytes(ET.tostring(feed, encoding="utf-8"))


def json_feed(notices: Sequence[Notice], *, base: str) -> str:
    """A JSON Feed 1.1 document (``_suyuan`` carries the kind and the ledger index)."""
    doc = {
        "version": JSONFEED_VERSION,
        "title": FEED_TITLE,
        "home_page_url": f"{base}/notices",
        "feed_url": f"{base}/notices.json",
        "language": "zh-CN",
        "authors": [{"name": "Suyuan traceability platform"}],
        "items": [
            {
                "id": n.uuid_urn,
                "url": f"{base}/notices#{n.id}",
                "external_url": f"{base}/ledger/entries/{n.ledger_index}",
                "title": n.title,
                "content_text": n.summary,
                "date_published": iso(n.published),
                "date_modified": iso(n.published),
                "tags": [n.kind],
                "_suyuan": {
                    "notice_id": n.id,
                    "kind": n.kind,
                    "ledger_index": n.ledger_index,
                    "ledger_entry": f"{base}/ledger/entries/{n.ledger_index}",
                },
            }
            for n in notices
        ],
    }
    return json.dumps(doc, ensure_ascii=False)
