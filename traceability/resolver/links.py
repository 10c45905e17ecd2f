"""GS1 link types, the RFC 9264 linkset of an item and the resolver description.

Every target is on this resolver (no external hosts): the consumer page and its sections, the
ledger receipt of the item's latest custody record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from traceability.identifiers import DigitalLink

GS1_VOC = "https://gs1.org/voc/"


@dataclass(frozen=True, slots=True)
class LinkType:
    name: str  # the short name after ``gs1:``
    title_en: str
    title_zh: str

    @property
    def uri(self) -> str:
        return GS1_VOC + self.name

    @property
    def curie(self) -> str:
        return "gs1:" + self.name


LINK_TYPES: tuple[LinkType, ...] = (
    LinkType("defaultLink", "Product information", "产品信息"),
    LinkType("pip", "Product information page", "产品信息页"),
    LinkType("traceability", "Journey of this item", "溯源旅程"),
    LinkType("recallStatus", "Recall status", "召回状态"),
    LinkType("certificationInfo", "Origin and certifications", "产地与认证"),
    LinkType("verificationService", "Verify it yourself: ledger receipt", "自行验证：账本凭证"),
)
_BY_NAME = {t.name: t for t in LINK_TYPES}


def dl_path(dl: DigitalLink) -> str:
    """The canonical resolver path of the link (primary key and qualifiers, no query)."""
    return "".join(f"/{ai}/{quote(v, safe='')}" for ai, v in dl.primary_and_qualifiers)


def _targets(
    dl: DigitalLink, *, base_url: str, receipt_event: str | None
) -> dict[str, tuple[str, str]]:
    """link type name -> (href, media type)."""
    page = base_url.rstrip("/") + dl_path(dl)
    out = {
        "defaultLink": (page, "text/html"),
        "pip": (page, "text/html"),
        "traceability": (page + "#journey", "text/html"),
        "recallStatus": (page + "#recall", "text/html"),
        "certificationInfo": (page + "#origin", "text/html"),
        "verificationService": (page + "#verify", "text/html"),
    }
    if receipt_event:
        href = f"{base_url.rstrip('/')}/ledger/receipt?event_id={quote(receipt_event, safe='')}"
        out["verificationService"] = (href, "text/plain")
    return out


def linkset(dl: DigitalLink, *, base_url: str, receipt_event: str | None = None) -> dict[str, Any]:
    """The RFC 9264 linkset (``application/linkset+json``) for the link's item."""
    anchor = base_url.rstrip("/") + dl_path(dl)
    entry: dict[str, Any] = {"anchor": anchor}
    for name, (href, media) in _targets(dl, base_url=base_url, receipt_event=receipt_event).items():
        lt = _BY_NAME[name]
        entry[lt.uri] = [
            {"href": href, "title": lt.title_en, "type": media, "hreflang": ["en", "zh-CN"]},
        ]
    return {"linkset": [entry]}


def target_for(
    dl: DigitalLink, *, link_type: str, base_url: str, receipt_event: str | None = None
) -> str | None:
    """The href for a ``linkType`` query value (``gs1:pip``, ``pip`` or the full URI)."""
    name = link_type
    for prefix in ("gs1:", GS1_VOC):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    found = _targets(dl, base_url=base_url, receipt_event=receipt_event).get(name)
    return found[0] if found else None


def available_link_types() -> list[str]:
    return [t.curie for t in LINK_TYPES]


def resolver_description(*, base_url: str) -> dict[str, Any]:
    """The ``/.well-known/gs1resolver`` document (GS1-Conformant Resolver standard)."""
    return {
        "name": "Suyuan traceability resolver",
        "resolverRoot": base_url.rstrip("/"),
        "supportedPrimaryKeys": ["01"],
        "supportedKeyQualifiers": {"01": ["22", "10", "21"]},
        "supportedLinkType": [
            {"namespace": GS1_VOC, "prefix": "gs1:", "profile": GS1_VOC + "?show=linktypes"}
        ],
        "linkTypes": available_link_types(),
        "linkTypeDefaultCanBeLinkset": True,
        "supportedContextValuesEnumerated": [],
        "validatesCheckDigits": True,
        "contentNegotiation": {
            "text/html": "consumer page",
            "application/linkset+json": "RFC 9264 linkset",
        },
        "languages": ["zh-CN", "en"],
    }
