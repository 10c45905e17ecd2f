"""Turn a resolver request (raw path + query string) into a validated Digital Link.

One parser: :func:`traceability.identifiers.parse_digital_link` does the GS1 work (AIs, check
digits, qualifier order); this module only refuses what is not a Digital Link path at all.
"""

from __future__ import annotations

from traceability.errors import InvalidInputError
from traceability.identifiers import DigitalLink, parse_digital_link

MAX_REQUEST_CHARS = 2048
# the host is irrelevant: only path and query are parsed
_BASE = "https://resolver.invalid"


class RequestTooLongError(InvalidInputError):
    code = "too_long"


def parse_request(*, path: str, query: str = "") -> DigitalLink:
    """Parse ``/01/{gtin}[/22/…][/10/{lot}][/21/{serial}]`` and its query attributes.

    ``path`` is the raw (still percent-encoded) request path. Raises :class:`InvalidInputError`
    (an :class:`~traceability.identifiers.IdentifierError` for GS1 faults) naming the part.
    """
    if len(path) + len(query) > MAX_REQUEST_CHARS:
        raise RequestTooLongError(
            f"the link is {len(path) + len(query)} characters; at most {MAX_REQUEST_CHARS}",
            field="path",
            value=len(path) + len(query),
        )
    for name, text in (("path", path), ("query", query)):
        bad = next((c for c in text if ord(c) < 0x20 or ord(c) == 0x7F), None)
        if bad is not None or "%00" in text:
            raise InvalidInputError(
                f"control character in the {name} of the link",
                code="charset",
                field=name,
                value=repr(bad or "\x00"),
            )
    segments = path.split("/")
    if any(s in ("..", ".", "%2e%2e", "%2E%2E") for s in segments):
        raise InvalidInputError(
            "'.' and '..' segments are not part of a Digital Link", code="invalid_uri", field="path"
        )
    if not path.startswith("/01/"):
        raise InvalidInputError(
            "this resolver serves GTINs: the path must start with /01/{gtin}",
            code="invalid_uri",
            field="path",
            value=path[:80],
        )
    return parse_digital_link(_BASE + path + (f"?{query}" if query else ""))
