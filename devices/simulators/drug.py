"""Drug chain: commissioning serialised packs (GS1 DataMatrix: GTIN, serial <= 20, lot, expiry),
aggregation into cases, manufacturer -> wholesaler -> pharmacy shipping/receiving, and
dispensing with a verdict request (``reply_to``), including one second dispense of a pack
that was already dispensed (the gateway should answer with an alert). Pure in the seed."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from devices.config import DeviceConfig
from devices.events import aggregation_event, event_from_scan, object_event
from devices.simulators.shipment import Shipment
from devices.simulators.world import (
    Batch,
    Company,
    Scenario,
    World,
    device,
    location,
    lot,
    party,
    product,
    serial,
)
from traceability.identifiers import to_element_string
from traceability.registry.models import ProductCategory

SPAN = timedelta(days=10)
MAKER, WHOLESALE, PHARMACY = Company("69372010"), Company("69372020"), Company("69372030")


def build_world(rng: random.Random) -> World:
    w = World()
    w.parties += [
        party(
            rng,
            id="banan-pharma",
            name="重庆巴南山城制药有限公司",
            division="500113",
            company=MAKER,
            roles=["producer", "manufacturer"],
        ),
        party(
            rng,
            id="yuzhong-pharma-wholesale",
            name="重庆渝中医药批发有限公司",
            division="500103",
            company=WHOLESALE,
            roles=["wholesaler"],
        ),
        party(
            rng,
            id="jiangbei-pharmacy",
            name="重庆江北康和大药房有限公司",
            division="500105",
            company=PHARMACY,
            roles=["pharmacy", "dispenser"],
        ),
    ]
    w.locations += [
        location(
            id="pharma-plant",
            name="巴南制药厂 包装车间",
            party_id="banan-pharma",
            company=MAKER,
            ref=1,
            address="巴南区界石镇 9 号",
            district="巴南区",
            lat=29.40,
            lon=106.63,
        ),
        location(
            id="pharma-warehouse",
            name="渝中医药物流仓",
            party_id="yuzhong-pharma-wholesale",
            company=WHOLESALE,
            ref=1,
            address="渝中区大坪正街 5 号",
            district="渝中区",
            lat=29.54,
            lon=106.52,
        ),
        location(
            id="pharmacy-1",
            name="康和大药房 观音桥店",
            party_id="jiangbei-pharmacy",
            company=PHARMACY,
            ref=1,
            address="江北区建新北路 18 号",
            district="江北区",
            lat=29.58,
            lon=106.53,
        ),
    ]
    w.devices += [
        device(
            id="pharma-line-01",
            location_id="pharma-plant",
            party_id="banan-pharma",
            kind="datamatrix-scanner",
        ),
        device(
            id="wholesale-dock-01",
            location_id="pharma-warehouse",
            party_id="yuzhong-pharma-wholesale",
            kind="datamatrix-scanner",
        ),
        device(
            id="pharmacy-pos-01",
            location_id="pharmacy-1",
            party_id="jiangbei-pharmacy",
            kind="datamatrix-scanner",
        ),
    ]
    w.products.append(
        product(
            gtin=MAKER.gtin(1),
            name="阿莫西林胶囊 0.25g×24粒",
            brand="山城",
            party_id="banan-pharma",
            category=ProductCategory.drug,
            approval_number="国药准字H50020001",
            dosage_form="capsule",
            strength="0.25 g",
            pack_size=24,
        )
    )
    return w


def build(*, seed: int, end: datetime, scale: int = 1) -> Scenario:
    rng = random.Random(f"drug:{seed}")
    world = build_world(rng)
    start = end - SPAN
    gtin = world.products[0].gtin
    made = start + timedelta(hours=9)
    lot_code = f"B{made.strftime('%y%m%d')}{rng.randint(1, 9)}"
    expiry = (made + timedelta(days=730)).date()
    world.lots.append(lot(gtin=gtin, code=lot_code, produced=made.date(), expires=expiry))
    per_case, n_cases = 12, 2 * scale
    codes = [
        to_element_string(
            {
                "01": gtin,
                "21": serial(rng, rng.randint(10, 20)),
                "10": lot_code,
                "17": expiry.strftime("%y%m%d"),
            },
            bracketed=False,
        )
        for _ in range(per_case * n_cases)
    ]
    line = DeviceConfig(
        device_id="pharma-line-01",
        read_point=MAKER.sgln(1, "1"),
        biz_location=MAKER.sgln(1),
        biz_step="commissioning",
        action="ADD",
        disposition="active",
    )
    packs = [event_from_scan(line, data="]d2" + c, when=made)["epcList"][0] for c in codes]
    batches: list[Batch] = []
    commission = object_event(
        when=made,
        epcs=packs,
        action="ADD",
        biz_step="commissioning",
        disposition="active",
        read_point=MAKER.sgln(1, "1"),
        biz_location=MAKER.sgln(1),
        ilmd={"cbvmda:lotNumber": lot_code, "cbvmda:itemExpirationDate": expiry.isoformat()},
    )
    batches.append(Batch("pharma-line-01", [commission], made))
    cases = [MAKER.sscc_urn(MAKER.sscc(rng.randint(10**7, 10**8 - 1))) for _ in range(n_cases)]
    for i, case in enumerate(cases):
        at = made + timedelta(minutes=30 + i)
        batches.append(
            Batch(
                "pharma-line-01",
                [
                    aggregation_event(
                        when=at,
                        parent=case,
                        children=packs[i * per_case : (i + 1) * per_case],
                        read_point=MAKER.sgln(1, "2"),
                        biz_location=MAKER.sgln(1),
                    )
                ],
                at,
            )
        )

    t = made + timedelta(days=1)
    batches += _ship(rng, cases, t, MAKER, "pharma-line-01", WHOLESALE, "wholesale-dock-01")
    t += timedelta(days=2)
    batches += _ship(
        rng, cases[:1], t, WHOLESALE, "wholesale-dock-01", PHARMACY, "pharmacy-pos-01", reply=True
    )
    # The pharmacy opens the case and dispenses packs, asking for a verdict each time.
    opened = t + timedelta(hours=5)
    batches.append(
        Batch(
            "pharmacy-pos-01",
            [
                aggregation_event(
                    when=opened,
                    parent=cases[0],
                    children=packs[:per_case],
                    action="DELETE",
                    biz_step="unpacking",
                    disposition="in_progress",
                    read_point=PHARMACY.sgln(1, "1"),
                    biz_location=PHARMACY.sgln(1),
                )
            ],
            opened,
        )
    )
    dispensed = packs[: rng.randint(3, 6)]
    at = opened
    for pack in dispensed:
        at += timedelta(minutes=rng.randint(20, 180))
        batches.append(Batch("pharmacy-pos-01", [_dispense(pack, at)], at, reply=True))
    again = at + timedelta(hours=2)
    batches.append(
        Batch(
            "pharmacy-pos-01",
            [_dispense(dispensed[0], again)],
            again,
            reply=True,
            note="second dispense of an already dispensed pack: expect an alert",
        )
    )
    batches.sort(key=lambda b: b.at)
    return Scenario(
        name="drug",
        seed=seed,
        world=world,
        batches=batches,
        facts={
            "lot": lot_code,
            "expiry": expiry.isoformat(),
            "packs": packs,
            "datamatrix": codes,
            "cases": cases,
            "dispensed": dispensed,
            "dispensed_twice": dispensed[0],
        },
    )


def _dispense(pack: str, at: datetime) -> dict[str, object]:
    return object_event(
        when=at,
        epcs=[pack],
        biz_step="dispensing",
        disposition="dispensed",
        read_point=PHARMACY.sgln(1, "2"),
        biz_location=PHARMACY.sgln(1),
    )


def _ship(
    rng: random.Random,
    cases: list[str],
    at: datetime,
    src: Company,
    src_dev: str,
    dst: Company,
    dst_dev: str,
    *,
    reply: bool = False,
) -> list[Batch]:
    shipment = Shipment.between(rng, src, dst)
    arrive = at + timedelta(hours=rng.randint(2, 6))
    return [
        shipment.shipped(src_dev, cases, at),
        shipment.received(dst_dev, cases, arrive, reply=reply),
    ]
