"""``tracectl apikey``: the key printed once, hashed at rest, listed without secrets, revoked;
bad input is one line and exit 1 or 2."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from tests.unit.cli.conftest import Cli, one_line_error
from traceability.config import get_settings
from traceability.epcis.apikeys import authenticate_key
from traceability.epcis.models import PartyApiKey
from traceability.registry.models import Party
from traceability.store.engine import get_engine, upgrade


def _store(cli: Cli) -> Session:
    get_settings.cache_clear()
    url = get_settings().effective_database_url
    upgrade(url=url)
    return Session(get_engine(url))


def test_create_list_revoke(cli: Cli) -> None:
    with _store(cli) as s:
        s.add(Party(id="farm", name="Farm"))
        s.commit()
    res = cli("apikey", "create", "--party", "farm", "--name", "erp")
    assert res.code == 0, res.stderr
    key = res.stdout.strip()
    assert key.startswith("sy_") and "not shown again" in res.stderr
    with _store(cli) as s:
        [row] = s.exec(select(PartyApiKey)).all()
        assert key not in row.digest and row.digest != key and len(row.digest) == 64
        assert authenticate_key(s, key=key) is not None
        assert authenticate_key(s, key=key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    listed = json.loads(cli("apikey", "list", "--party", "farm", "--json").stdout)
    assert [k["id"] for k in listed] == [row.id] and key not in json.dumps(listed)
    assert listed[0]["revoked_at"] is None and listed[0]["name"] == "erp"
    res = cli("apikey", "revoke", row.id)
    assert res.code == 0 and "revoked" in res.stdout
    with _store(cli) as s:
        assert authenticate_key(s, key=key) is None
    assert json.loads(cli("apikey", "list", "--json").stdout)[0]["revoked_at"]


def test_bad_input(cli: Cli) -> None:
    with _store(cli) as s:
        s.add(Party(id="farm", name="Farm"))
        s.commit()
    one_line_error(cli("apikey", "create", "--party", "nobody"), 1, "nobody")
    one_line_error(cli("apikey", "create", "--party", "farm", "--name", "a\x00b"), 2, "name")
    one_line_error(cli("apikey", "revoke", "../etc"), 2, "key_id")
    one_line_error(cli("apikey", "revoke", "0123456789ab"), 1, "0123456789ab")
