""" "Report a problem": a consumer's report about an item, validated and stored as plain text
(it is escaped wherever it is shown; nothing in it is ever run or rendered as markup)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from sqlmodel import Session

from traceability.consumer.models import ConsumerReport
from traceability.errors import InvalidInputError

KINDS = ("counterfeit", "damaged", "illness", "label", "other")
MAX_MESSAGE = 1000
MAX_CONTACT = 200
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def _clean(name: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise InvalidInputError(
            f"{name} is {len(value)} characters; at most {limit}", code="too_long", field=name,
            value=len(value),
        )  # fmt: skip
    for ch in value:
        o = ord(ch)
        if (o < 0x20 and ch not in _ALLOWED_CONTROLS) or o == 0x7F or 0xD800 <= o <= 0xDFFF:
            raise InvalidInputError(
                f"{name} contains the control character U+{o:04X}", code="charset", field=name,
                value=f"U+{o:04X}",
            )  # fmt: skip
    return value.replace("\r\n", "\n").strip()


def parse_form(body: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body, strictly UTF-8; one value per name."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            "the form is not valid UTF-8", code="charset", field="body", value=f"byte {exc.start}"
        ) from None
    out: dict[str, str] = {}
    for k, v in pairs:
        if k in out:
            raise InvalidInputError(f"{k!r} is given twice", code="duplicate", field=k[:40])
        out[k] = v
    return out


def store_report(
    session: Session,
    *,
    item: str,
    gtin: str,
    kind: str,
    message: str,
    contact: str,
    client: str,
    lang: str,
) -> ConsumerReport:
    if kind not in KINDS:
        raise InvalidInputError(
            f"kind must be one of {', '.join(KINDS)}", code="invalid_kind", field="kind",
            value=kind[:40],
        )  # fmt: skip
    text = _clean("message", message, MAX_MESSAGE)
    if not text:
        raise InvalidInputError("message is empty", code="required", field="message")
    row = ConsumerReport(
        item=item,
        gtin=gtin,
        kind=kind,
        message=text,
        contact=_clean("contact", contact, MAX_CONTACT),
        client=client,
        lang=lang[:8],
    )
    session.add(row)
    session.flush()
    return row
