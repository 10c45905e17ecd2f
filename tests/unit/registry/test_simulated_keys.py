"""Issue 12, item 11: keys the simulators derive from public device ids are refused in
production, whichever caller registers them (the check is in the registry's key functions)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from devices.keys import DeviceKeyPair
from devices.simulators import sim_key
from traceability.config import get_settings
from traceability.errors import InvalidInputError
from traceability.registry import keys
from traceability.registry import service as reg
from traceability.registry.schemas import DeviceCreate, LocationCreate, PartyCreate
from traceability.store.engine import create_engine


@pytest.fixture
def session(sqlite_url: str) -> Iterator[Session]:
    engine = create_engine(url=sqlite_url)
    with Session(engine, expire_on_commit=False) as s:
        reg.create_party(s, data=PartyCreate(id="farm", name="Farm"))
        reg.create_location(
            s, data=LocationCreate(id="field", name="Field", party_id="farm", gln="6937101000018")
        )
        for dev in ("gate-1", "gate-2"):
            reg.create_device(s, data=DeviceCreate(id=dev, location_id="field", party_id="farm"))
        yield s
    engine.dispose()


def test_simulated_key_refused_in_production(session: Session) -> None:
    pub = sim_key("gate-1").public_key
    with pytest.raises(InvalidInputError) as err:
        keys.register_key(session, device_id="gate-1", public_key=pub, production=True)
    assert err.value.code == "simulated_key" and err.value.field == "public_key"
    with pytest.raises(InvalidInputError):
        reg.enroll_device_key(session, device_id="gate-1", public_key=pub, production=True)
    with pytest.raises(InvalidInputError):
        keys.rotate_key(session, device_id="gate-1", new_public_key=pub, production=True)
    real = DeviceKeyPair.generate("gate-1").public_key
    keys.register_key(session, device_id="gate-1", public_key=real, production=True)


def test_simulated_key_accepted_in_development(session: Session) -> None:
    pub = sim_key("gate-1").public_key
    assert keys.register_key(session, device_id="gate-1", public_key=pub, production=False)


def test_the_process_mode_decides_by_default(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Callers that do not say (the simulators' register_world, the CLI) get TRACE_MODE."""
    monkeypatch.setenv("TRACE_MODE", "production")
    monkeypatch.setenv("TRACE_DATABASE_URL", "postgresql://u@127.0.0.1:1/never-connected")
    monkeypatch.setenv("TRACE_ADMIN_TOKEN", "t" * 40)
    monkeypatch.delenv("TRACE_API_TOKENS", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(InvalidInputError) as err:
            reg.enroll_device_key(
                session, device_id="gate-2", public_key=sim_key("gate-2").public_key
            )
        assert err.value.code == "simulated_key"
    finally:
        get_settings.cache_clear()
