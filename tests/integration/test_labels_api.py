"""``POST /labels`` for producers: 201 with serials and download links, the files decode, 422
naming the field for bad input (nothing allocated), another party's GTIN refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.main import create_app
from label_printing.models import LabelSerial
from tests.support.barcodes import decode_image, decode_pdf
from traceability.config import Settings
from traceability.registry.models import Party, Product, ProductCategory
from traceability.store.engine import create_engine

PRODUCER = {"Authorization": "Bearer farm-token"}
OTHER = {"Authorization": "Bearer other-token"}
REGULATOR = {"Authorization": "Bearer reg-token"}
GTIN = "09506000134352"
BODY = {"gtin": GTIN, "lot": "A1", "expiry": "2027-03-31", "count": 3, "format": "png"}


@pytest.fixture
def client(store_url: str, tmp_path: Path) -> TestClient:
    eng = create_engine(url=store_url)
    with Session(eng) as s:
        s.add(Party(id="farm", name="Farm"))
        s.add(Party(id="other", name="Other"))
        s.flush()
        s.add(
            Product(gtin=GTIN, name="Fuji apples", category=ProductCategory.food, party_id="farm")
        )
        s.commit()
    eng.dispose()
    settings = Settings(
        database_url=store_url,
        data_dir=tmp_path,
        admin_token="admin-secret",
        api_tokens="farm-token:producer:farm,other-token:producer:other,reg-token:regulator",
    )
    return TestClient(create_app(settings))


def _serial_count(store_url: str) -> int:
    eng = create_engine(url=store_url)
    with Session(eng) as s:
        n = len(s.exec(select(LabelSerial)).all())
    eng.dispose()
    return n


def test_post_labels_links_and_files(client: TestClient) -> None:
    r = client.post("/labels", json=BODY, headers=PRODUCER)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert len(doc["serials"]) == 3 and len(set(doc["serials"])) == 3
    assert len(doc["files"]) == 3
    decoded = []
    for f in doc["files"]:
        path = f["url"].split("://", 1)[1].split("/", 1)[1]
        got = client.get("/" + path, headers=PRODUCER)
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"
        from io import BytesIO

        from PIL import Image

        decoded += [
            t for fmt, t in decode_image(Image.open(BytesIO(got.content))) if fmt == "QRCode"
        ]
    assert sorted(decoded) == sorted(doc["links"])
    status = client.get(f"/labels/{doc['run_id']}", headers=PRODUCER).json()
    assert sorted(status["printed"]) == sorted(doc["serials"])
    assert client.get(f"/labels/{doc['run_id']}", headers=OTHER).status_code == 403


def test_post_labels_returns_the_pdf(client: TestClient, tmp_path: Path) -> None:
    r = client.post("/labels", json={**BODY, "format": "pdf", "response": "file"}, headers=PRODUCER)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "got.pdf"
    pdf.write_bytes(r.content)
    (page,) = decode_pdf(pdf)
    assert len([t for f, t in page if f == "QRCode"]) == 3
    assert all("(10)A1(21)" in t for f, t in page if f == "DataMatrix")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"gtin": "09506000134353"}, "gtin"),
        ({"lot": "a b"}, "lot"),
        ({"lot": "x" * 21}, "lot"),
        ({"expiry": "2027-02-29"}, "expiry"),
        ({"expiry": "0001-01-01"}, "expiry"),
        ({"count": 0}, "count"),
        ({"count": 10**30}, "count"),
        ({"format": "gif"}, "format"),
        ({"format": "png", "response": "file"}, "response"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient, store_url: str, change: dict[str, object], field: str
) -> None:
    r = client.post("/labels", json={**BODY, **change}, headers=PRODUCER)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == f"body.{field}"
    assert _serial_count(store_url) == 0


def test_roles_and_ownership(client: TestClient, store_url: str) -> None:
    assert client.post("/labels", json=BODY).status_code == 401
    assert client.post("/labels", json=BODY, headers=REGULATOR).status_code == 403
    assert client.post("/labels", json=BODY, headers=OTHER).status_code == 403
    unknown = {**BODY, "gtin": "04012345000009"}
    assert client.post("/labels", json=unknown, headers=PRODUCER).status_code == 404
    assert client.post("/labels", json={**BODY, "extra": 1}, headers=PRODUCER).status_code == 422
    assert client.get(
        "/labels/" + "0" * 32 + "/files/..%2Fsuyuan.db", headers=PRODUCER
    ).status_code in (404, 422)
    assert _serial_count(store_url) == 0
