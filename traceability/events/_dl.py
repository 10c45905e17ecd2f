"""Normalise GS1 identifiers to constrained canonical GS1 Digital Link URIs (for the event hash).

This is the identifier-canonicalisation step of the CBV 2.0 event hash (CBV 2.0 §8.9, rules on
EPC URIs / Digital Link URIs), written to give the same results as the reference
implementation (RalphTro/epcis-event-hash-generator, ``dl_normaliser``):

* EPC URIs (``urn:epc:id:*``), EPC class URIs (``urn:epc:class:lgtin``) and EPC ID pattern URIs
  (``urn:epc:idpat:*``) become ``https://id.gs1.org/<AI>/<key>[/<qualifier AI>/<value>]``, check
  digit computed, URL-unsafe characters of serials percent-encoded;
* GS1 Digital Link URIs are moved to the ``id.gs1.org`` domain, key short names replaced by AIs,
  GTINs padded to 14 digits, query strings, CPV and (when a serial is present) lot removed;
  the result must then match one of the accepted canonical shapes, else the value is left
  alone (``None`` is returned).

Anything else returns ``None`` (the caller keeps the value unchanged).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["gs1_check_digit", "normalise"]

_RAW = (
    r"(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]"
    r"|[!')(*+,.0-9:;=A-Za-z_-])"
)
_CPI = r"(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])"
# character set of the accepted canonical Digital Link values (reference: no '%')
_DLC = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"

_EPC = re.compile(r"^urn:epc:(id|class|idpat):([a-z]+):(.*)\Z")


def gs1_check_digit(digits: str) -> int:
    """GS1 mod-10 check digit of ``digits`` (the key without its check digit)."""
    if digits.isascii() and digits.isdigit():  # byte sums in C; '0' is 48
        rev = digits[::-1].encode()
        odd, even = rev[0::2], rev[1::2]
        total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
        return (10 - total % 10) % 10
    total = 0  # other Unicode digits (int() accepts them) or a ValueError, as before
    for i, ch in enumerate(reversed(digits)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


@lru_cache(maxsize=4096)
def _with_cd(raw: str) -> str:
    return raw + str(gs1_check_digit(raw))


def _enc(value: str) -> str:
    if value.isalnum():  # nothing to escape (the common serial)
        return value
    return (
        value.replace("!", "%21")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("*", "%2A")
        .replace("+", "%2B")
        .replace(",", "%2C")
        .replace(":", "%3A")
    )


def _split_cp(
    body: str, total: int, *, allow_empty_ref: bool = False
) -> tuple[str, str, str] | None:
    """Split ``cp.ref[.rest]`` where len(cp)+len(ref) == total and 6 <= len(cp) <= 12."""
    parts = body.split(".", 2)
    if len(parts) < 2:
        return None
    cp, ref = parts[0], parts[1]
    rest = parts[2] if len(parts) == 3 else None
    if not (cp.isdigit() and 6 <= len(cp) <= 12 and len(cp) + len(ref) == total):
        return None
    if ref and not ref.isdigit():
        return None
    if not ref and not allow_empty_ref:
        return None
    return cp, ref, rest if rest is not None else "\0"


def _gtin(cp: str, ref: str) -> str:
    return _with_cd(ref[:1] + cp + ref[1:])


_SERIAL20 = re.compile(_RAW + r"{1,20}\Z")
_SERIAL28 = re.compile(_RAW + r"{1,28}\Z")
_SERIAL16 = re.compile(_RAW + r"{1,16}\Z")
_GDTI_SER = re.compile(_RAW + r"{0,19}\Z")
_CPI_REF = re.compile(_CPI + r"+\Z")
_DIGITS12 = re.compile(r"\d{1,12}\Z")


_STAR = re.compile(r"\*\Z")  # an EPC ID pattern's wildcard serial
_DL = "https://id.gs1.org/"


def _plain(cp: str, ref: str) -> str:
    return _with_cd(cp + ref)


def _grai(cp: str, ref: str) -> str:
    return _with_cd("0" + cp + ref)


@dataclass(frozen=True)
class _Split:
    """An EPC scheme of the ``company prefix . reference [. tail]`` shape, written as
    ``<ai>/<key>[<qualifier><tail>]``.

    ``total``: the digits of prefix + reference; ``key``: the key from (prefix, reference), check
    digit added; ``tail``: what the tail must match (``None``: the URN has no tail);
    ``qualifier``: what goes before the %-escaped tail in the link (``""``: the tail is appended
    to the key; ``None``: the tail is not written, an ID pattern's ``*``); ``bare``: a tail
    written as no qualifier at all (an SGLN extension ``0``).
    """

    ai: str
    total: int
    key: Callable[[str, str], str]
    tail: re.Pattern[str] | None = None
    qualifier: str | None = None
    empty_ref: bool = False
    bare: str | None = None

    def __call__(self, body: str) -> str | None:
        s = _split_cp(body, self.total, allow_empty_ref=self.empty_ref)
        if s is None:
            return None
        cp, ref, tail = s
        if self.tail is None:
            if tail != "\0":
                return None
        elif tail == "\0" or not self.tail.match(tail):
            return None
        url = f"{_DL}{self.ai}/{self.key(cp, ref)}"
        if self.qualifier is None or tail == self.bare:
            return url
        return url + self.qualifier + _enc(tail)


def _giai(ai: str) -> Callable[[str], str | None]:
    """GIAI / GINC: ``cp.ref`` with the reference (alphanumeric) appended to the prefix."""

    def rule(body: str) -> str | None:
        cp, _, ref = body.partition(".")
        if not (cp.isdigit() and 6 <= len(cp) <= 12 and ref):
            return None
        if not re.match(_RAW + f"{{1,{30 - len(cp)}}}" + r"\Z", ref):
            return None
        return f"{_DL}{ai}/{cp}{_enc(ref)}"

    return rule


def _cpi(*, pattern: bool) -> Callable[[str], str | None]:
    """CPI: ``cp.ref.serial`` (serial up to 12 digits), or the pattern ``cp.ref.*``."""

    def rule(body: str) -> str | None:
        cp, _, rest = body.partition(".")
        ref, sep, ser = rest.rpartition(".")
        last = ser == "*" if pattern else _DIGITS12.match(ser)
        if not (cp.isdigit() and 6 <= len(cp) <= 12 and sep and last):
            return None
        if not _CPI_REF.match(ref) or (not pattern and len(re.findall(_CPI, ref)) > 30 - len(cp)):
            return None
        return f"{_DL}8010/{_enc(cp + ref)}" + ("" if pattern else f"/8011/{ser}")

    return rule


_ITIP = re.compile(r"^(\d+)\.(\d+)\.(\d{2})\.(\d{2})\.(.*)\Z")


def _itip(*, pattern: bool) -> Callable[[str], str | None]:
    """ITIP: ``cp.ref.piece.total.serial`` (or ``.*``): 8006 = GTIN + piece + total."""

    def rule(body: str) -> str | None:
        m = _ITIP.match(body)
        if not m or not (6 <= len(m[1]) <= 12 and len(m[1]) + len(m[2]) == 13):
            return None
        ser = m[5]
        if not (ser == "*" if pattern else _SERIAL20.match(ser)):
            return None
        url = f"{_DL}8006/{_gtin(m[1], m[2])}{m[3]}{m[4]}"
        return url if pattern else f"{url}/21/{_enc(ser)}"

    return rule


# (URN kind, scheme) -> its Digital Link (TDS 2.x Table 14-2 / the reference implementation)
_RULES: dict[tuple[str, str], Callable[[str], str | None]] = {
    ("id", "sgtin"): _Split("01", 13, _gtin, _SERIAL20, "/21/"),
    ("id", "upui"): _Split("01", 13, _gtin, _SERIAL28, "/235/"),
    ("id", "sscc"): _Split("00", 17, _gtin),
    ("id", "gsrn"): _Split("8018", 17, _plain),
    ("id", "gsrnp"): _Split("8017", 17, _plain),
    ("id", "gsin"): _Split("402", 16, _plain),
    ("id", "sgln"): _Split("414", 12, _plain, _SERIAL20, "/254/", empty_ref=True, bare="0"),
    ("id", "pgln"): _Split("417", 12, _plain, empty_ref=True),
    ("id", "grai"): _Split("8003", 12, _grai, _SERIAL16, "", empty_ref=True),
    ("id", "gdti"): _Split("253", 12, _plain, _GDTI_SER, "", empty_ref=True),
    ("id", "sgcn"): _Split("255", 12, _plain, _DIGITS12, "", empty_ref=True),
    ("id", "giai"): _giai("8004"),
    ("id", "ginc"): _giai("401"),
    ("id", "cpi"): _cpi(pattern=False),
    ("id", "itip"): _itip(pattern=False),
    ("class", "lgtin"): _Split("01", 13, _gtin, _SERIAL20, "/10/"),
    ("idpat", "sgtin"): _Split("01", 13, _gtin, _STAR),
    ("idpat", "upui"): _Split("01", 13, _gtin, _STAR),
    ("idpat", "grai"): _Split("8003", 12, _grai, _STAR, empty_ref=True),
    ("idpat", "gdti"): _Split("253", 12, _plain, _STAR, empty_ref=True),
    ("idpat", "sgcn"): _Split("255", 12, _plain, _STAR, empty_ref=True),
    ("idpat", "cpi"): _cpi(pattern=True),
    ("idpat", "itip"): _itip(pattern=True),
}


def _epc(kind: str, scheme: str, body: str) -> str | None:
    rule = _RULES.get((kind, scheme))
    return None if rule is None else rule(body)


_KEYS = (
    "01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|"
    "253|gdti|401|ginc|402|gsin|8003|grai|8004|giai"
)
_DL_ENTRY = re.compile(
    r"^https?:(//((([^/?#]*)@)?([^/?#:]*)(:([^/?#]*))?))?((([^?#]*)(/(" + _KEYS + r")/)"
    r"(\d{4}[^/]+)(/[^/]+/[^/]+)?[/]?(\?([^?\n]*))?(#([^\n]*))?)|(/[A-Za-z_-]{10}\Z))"
)
_SHORT = (
    ("/gtin/", "/01/"), ("/itip/", "/8006/"), ("/cpid/", "/8010/"), ("/gln/", "/414/"),
    ("/party/", "/417/"), ("/gsrnp/", "/8017/"), ("/gsrn/", "/8018/"), ("/gcn/", "/255/"),
    ("/sscc/", "/00/"), ("/gdti/", "/253/"), ("/ginc/", "/401/"), ("/gsin/", "/402/"),
    ("/grai/", "/8003/"), ("/giai/", "/8004/"), ("/cpv/", "/22/"), ("/lot/", "/10/"),
    ("/ser/", "/21/"),
)  # fmt: skip
_CANON_DOMAIN = re.compile(
    r"^https://id.gs1.org/(01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)/(\d{4}[^/]+)"
)
_DOMAIN_ORDER = ("/00/", "/01/", "/253/", "/255/", "/401/", "/402/", "/414/", "/417/",
                 "/8003/", "/8004/", "/8006/", "/8010/", "/8017/", "/8018/")  # fmt: skip
_CPV_ONLY = re.compile(r"https://id.gs1.org/(8006/\d{18}|01/\d{14})/22/(" + _DLC + r"{0,20})\Z")
_CPV_MORE = re.compile(
    r"https://id.gs1.org/(8006/\d{18}|01/\d{14})/22/([/" + _DLC[1:] + r"{0,20})\Z"
)
_LOT_SER = re.compile(
    r"https://id.gs1.org/(8006/\d{18}|01/\d{14})/10/("
    + _DLC
    + r"{0,20})/21/("
    + _DLC
    + r"{0,20})\Z"
)
_VALID = [
    re.compile(p)
    for p in (
        r"https://id.gs1.org/00/\d{18}\Z",
        r"https://id.gs1.org/01/\d{14}/21/" + _DLC + r"{0,20}\Z",
        r"https://id.gs1.org/01/\d{14}/10/" + _DLC + r"{0,20}\Z",
        r"https://id.gs1.org/01/\d{14}\Z",
        r"https://id.gs1.org/01/\d{14}/235/" + _DLC + r"{0,28}\Z",
        r"https://id.gs1.org/253/\d{13}" + _DLC + r"{0,17}\Z",
        r"https://id.gs1.org/255/\d{13}\d{0,12}\Z",
        r"https://id.gs1.org/401/" + _DLC + r"{0,30}\Z",
        r"https://id.gs1.org/402/\d{17}\Z",
        r"https://id.gs1.org/414/\d{13}\Z",
        r"https://id.gs1.org/414/\d{13}/254/" + _DLC + r"{0,20}\Z",
        r"https://id.gs1.org/417/\d{13}\Z",
        r"https://id.gs1.org/8003/\d{14}" + _DLC + r"{0,16}\Z",
        r"https://id.gs1.org/8004/" + _DLC + r"{0,30}\Z",
        r"https://id.gs1.org/8006/\d{18}/21/" + _DLC + r"{0,20}\Z",
        r"https://id.gs1.org/8006/\d{18}/10/" + _DLC + r"{0,20}\Z",
        r"https://id.gs1.org/8006/\d{18}\Z",
        r"https://id.gs1.org/8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}/8011/\d{0,12}\Z",
        r"https://id.gs1.org/8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}\Z",
        r"https://id.gs1.org/8017/\d{18}\Z",
        r"https://id.gs1.org/8018/\d{18}\Z",
    )
]


def _digital_link(uri: str) -> str | None:
    if _DL_ENTRY.match(uri) is None:
        return None
    q = uri.find("?")
    if q >= 0:
        uri = uri[:q]
    for short, ai in _SHORT:
        uri = uri.replace(short, ai)
    if _CANON_DOMAIN.match(uri) is None:
        for seg in _DOMAIN_ORDER:
            pos = uri.find(seg)
            if pos != -1:
                uri = "https://id.gs1.org" + uri[pos:]
                break
    if re.match(r"^https://id.gs1.org/01/\d{14}", uri) is None:
        if re.match(r"^https://id.gs1.org/01/\d{13}", uri):
            uri = uri.replace("/01/", "/01/0")
        elif re.match(r"^https://id.gs1.org/01/\d{12}", uri):
            uri = uri.replace("/01/", "/01/00")
        elif re.match(r"^https://id.gs1.org/01/\d{8}", uri):
            uri = uri.replace("/01/", "/01/000000")
    cut = uri.find("/22/")
    after = uri[cut + 4 :]
    if _CPV_ONLY.match(uri):
        uri = uri[:cut] + after[after.find("/") : -1]
    if _CPV_MORE.match(uri):
        uri = uri[:cut] + after[after.find("/") :]
    if _LOT_SER.match(uri):
        rest = uri[uri.find("/10/") + 4 :]
        uri = uri[: uri.find("/10/")] + rest[rest.find("/") :]
    for pattern in _VALID:
        if pattern.match(uri):
            return uri
    return None


@lru_cache(maxsize=65536)
def normalise(uri: str) -> str | None:
    """Canonical constrained GS1 Digital Link URI for ``uri``, or ``None`` if it is not one."""
    if "." not in uri:
        return None
    if uri.startswith("urn:epc:"):
        m = _EPC.match(uri)
        return _epc(m[1], m[2], m[3]) if m else None
    if uri.startswith("http"):
        return _digital_link(uri)
    return None
