"""Strict reading of the console's form bodies (``application/x-www-form-urlencoded``).

Every field must be UTF-8 text without NUL or other control characters (tab, CR and LF are kept
for multi-line fields), at most :data:`MAX_FIELD` characters, named once; anything else is an
:class:`InvalidInputError` naming the field.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from traceability.errors import InvalidInputError

MAX_FIELD = 2000
MAX_FIELDS = 40
FORM_TYPE = "application/x-www-form-urlencoded"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def parse_form(body: bytes, content_type: str | None) -> dict[str, str]:
    """The fields of a urlencoded form body."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media != FORM_TYPE:
        raise InvalidInputError(
            f"a console form is sent as {FORM_TYPE}",
            code="unsupported_media_type",
            field="content-type",
            value=media[:80],
        )
    try:
        text = body.decode("ascii")
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(
            f"the form body is not urlencoded UTF-8 text ({str(exc)[:80]})", field="body"
        ) from None
    out: dict[str, str] = {}
    for name, value in pairs:
        if _CONTROL.search(name) or len(name) > 64:
            raise InvalidInputError("a form field name is not plain text", field="body")
        if name in out:
            raise InvalidInputError(f"field {name} is given twice", field=name)
        if _CONTROL.search(value):
            raise InvalidInputError(
                f"field {name} has a NUL or another control character", field=name
            )
        if len(value) > MAX_FIELD:
            raise InvalidInputError(
                f"field {name} is longer than {MAX_FIELD} characters", field=name
            )
        out[name] = value
    return out


def need(form: dict[str, str], name: str, *, limit: int = 400) -> str:
    """A required, non-blank field (stripped), at most ``limit`` characters."""
    value = form.get(name, "").strip()
    if not value:
        raise InvalidInputError(f"{name} is required", field=name)
    if len(value) > limit:
        raise InvalidInputError(
            f"{name} is longer than {limit} characters", field=name, value=value[:80]
        )
    return value
