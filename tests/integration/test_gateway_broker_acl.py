"""Generated password/ACL files loaded by a real mosquitto on a spare port."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from gateway.broker_config import check_password, hash_password, mosquitto_conf, write_config
from tests.support.gateway import free_port, wait_for


def test_hash_format_roundtrip() -> None:
    encoded = hash_password("s3cret", salt=b"\x00" * 12)
    assert encoded.startswith("$7$101$AAAAAAAAAAAAAAAA$")
    assert check_password("s3cret", encoded) and not check_password("other", encoded)


def _client(port: int, user: str, password: str, received: list[str] | None = None) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, client_id=f"{user}-t")
    c.username_pw_set(user, password)
    if received is not None:
        c.on_message = lambda _c, _u, m: received.append(m.topic)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def test_device_cannot_publish_to_another_device(tmp_path: Path) -> None:
    assert shutil.which("mosquitto"), "the mosquitto binary is missing: run `make services`"
    passwords = write_config(tmp_path / "cfg", devices=["dev-a", "dev-b"])
    port = free_port()
    (tmp_path / "data").mkdir()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        mosquitto_conf(port=port, config_dir=tmp_path / "cfg", data_dir=tmp_path / "data")
    )
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.PIPE)
    try:
        time.sleep(0.3)
        received: list[str] = []
        gw = _client(port, "gateway", passwords["gateway"], received)
        ok = threading.Event()
        gw.on_subscribe = lambda *_a: ok.set()
        gw.subscribe([("$share/gw/trace/v1/+/events", 1), ("$share/gw/trace/v1/+/reader", 1)])
        assert ok.wait(5)
        a = _client(port, "dev-a", passwords["dev-a"])
        for kind in ("events", "reader"):  # raw reader JSON: the same rule as events
            a.publish(f"trace/v1/dev-a/{kind}", b"own", qos=1).wait_for_publish(5)
            a.publish(f"trace/v1/dev-b/{kind}", b"forged", qos=1).wait_for_publish(5)
        assert wait_for(lambda: "trace/v1/dev-a/reader" in received, 5)
        time.sleep(0.3)
        assert sorted(received) == ["trace/v1/dev-a/events", "trace/v1/dev-a/reader"]
        bad = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        bad.username_pw_set("dev-a", "wrong")
        with pytest.raises(Exception):  # noqa: B017 - refused connection surfaces variously
            bad.connect("127.0.0.1", port)
            bad.loop_start()
            assert wait_for(bad.is_connected, 2)
            raise AssertionError("connected with a wrong password")
        bad.loop_stop()
        for c in (a, gw):
            c.disconnect()
            c.loop_stop()
    finally:
        proc.terminate()
        proc.wait(5)
