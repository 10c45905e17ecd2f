"""Console sessions and form reading: forged, expired, signed-out and orphaned sessions open
nothing; CSRF tokens belong to one session; form bodies are read strictly."""

from __future__ import annotations

from pathlib import Path

import pytest

from traceability.config import ApiToken
from traceability.console import session as cs
from traceability.console.forms import parse_form
from traceability.errors import ConfigError, InvalidInputError

REG = ApiToken(token="reg-token", role="regulator")
PACK = ApiToken(token="pack-token", role="producer", party_id="pack")
TOKENS = (REG, PACK)
KEY = b"k" * 32


def test_a_session_reads_back_only_as_made() -> None:
    value = cs.make_session(KEY, token=PACK, now=1000.0)
    got = cs.read_session(KEY, value, tokens=TOKENS, now=1001.0)
    assert got is not None and (got.role, got.party_id) == ("producer", "pack")
    assert cs.read_session(b"x" * 32, value, tokens=TOKENS, now=1001.0) is None  # other key
    head, sig = value.split(".")
    forged = cs._b64(cs._unb64(head).replace(b'"producer"', b'"regulator"')) + "." + sig
    assert cs.read_session(KEY, forged, tokens=TOKENS, now=1001.0) is None
    expired = 1000.0 + cs.SESSION_SECONDS
    assert cs.read_session(KEY, value, tokens=TOKENS, now=expired) is None
    assert cs.read_session(KEY, value, tokens=(REG,), now=1001.0) is None  # token removed
    moved = (REG, ApiToken(token="pack-token", role="producer", party_id="other"))
    assert cs.read_session(KEY, value, tokens=moved, now=1001.0) is None
    for junk in ("", "a.b.c", "x" * 5000, "\ud800.x", "e30.AAAA"):
        assert cs.read_session(KEY, junk, tokens=TOKENS) is None


def test_csrf_tokens_belong_to_their_session() -> None:
    a = cs.read_session(KEY, cs.make_session(KEY, token=REG), tokens=TOKENS)
    b = cs.read_session(KEY, cs.make_session(KEY, token=REG), tokens=TOKENS)
    assert a is not None and b is not None
    assert cs.same(cs.csrf_token(KEY, a), cs.csrf_token(KEY, a))
    assert not cs.same(cs.csrf_token(KEY, b), cs.csrf_token(KEY, a))
    assert not cs.same(None, cs.csrf_token(KEY, a)) and not cs.same("", "x")
    assert cs.login_csrf(KEY, "n1") != cs.login_csrf(KEY, "n2")


def test_signing_out_is_remembered_until_expiry(tmp_path: Path) -> None:
    value = cs.make_session(KEY, token=REG)
    who = cs.read_session(KEY, value, tokens=TOKENS)
    assert who is not None
    cs.sign_out(tmp_path, who)
    gone = cs.signed_out(tmp_path)
    assert who.nonce in gone
    assert cs.read_session(KEY, value, tokens=TOKENS, signed_out=gone) is None


def test_the_key_file_is_private(tmp_path: Path) -> None:
    key = cs.session_key(tmp_path)
    path = tmp_path / cs.KEY_FILE
    assert len(key) == 32 and path.stat().st_mode & 0o777 == 0o600
    assert cs.session_key(tmp_path) == key
    other = tmp_path / "other"
    (other / "console").mkdir(parents=True)
    (other / cs.KEY_FILE).write_text("00" * 32)
    (other / cs.KEY_FILE).chmod(0o644)
    with pytest.raises(ConfigError):
        cs.session_key(other)


def test_find_token() -> None:
    assert cs.find_token(TOKENS, "pack-token") == PACK
    assert cs.find_token(TOKENS, "pack-toke") is None
    assert cs.find_token(TOKENS, "\ud800") is None


@pytest.mark.parametrize(
    ("body", "ctype", "field"),
    [
        (b"a=1", "application/json", "content-type"),
        (b"a=%00", "application/x-www-form-urlencoded", "a"),
        (b"a=%ff", "application/x-www-form-urlencoded", "body"),
        (b"a=\xc3\xa9", "application/x-www-form-urlencoded", "body"),
        (b"a=1&a=2", "application/x-www-form-urlencoded", "a"),
        (b"a=" + b"x" * 3000, "application/x-www-form-urlencoded", "a"),
        (b"&".join(b"f%d=1" % i for i in range(100)), "application/x-www-form-urlencoded", "body"),
    ],
)
def test_bad_forms_name_their_field(body: bytes, ctype: str, field: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        parse_form(body, ctype)
    assert err.value.field == field


def test_a_good_form() -> None:
    got = parse_form(
        b"reason=%E5%8F%AC%E5%9B%9E+%3Cb%3E&lots=a%0D%0Ab&empty=",
        "application/x-www-form-urlencoded; charset=utf-8",
    )
    assert got == {"reason": "召回 <b>", "lots": "a\r\nb", "empty": ""}
