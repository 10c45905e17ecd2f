"""Produce chain (FSMA 204 CTEs): harvest with RFID crates, cooling, initial packing (assigns the
traceability lot code as an LGTIN, with ilmd), aggregation to SSCC pallets, shipping/receiving
with cold-chain temperature readings, and a store. Pure: events are a function of the seed."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from devices.config import DeviceConfig
from devices.events import (
    aggregation_event,
    iso,
    object_event,
    quantity,
    sensor_element,
    transformation_event,
)
from devices.simulators.produce_world import COLD, FARM, PACK, STORE, build_world
from devices.simulators.shipment import Shipment
from devices.simulators.world import (
    Batch,
    Company,
    Scenario,
    lot,
)
from traceability.identifiers import epc_urn_to_hex
from traceability.readers import derive_member_events

SPAN = timedelta(days=4)


def build(*, seed: int, end: datetime, scale: int = 1) -> Scenario:
    rng = random.Random(f"produce:{seed}")
    world = build_world(rng)
    start = end - SPAN
    crate_gtin, case_gtin = world.products[0].gtin, world.products[1].gtin
    n_crates = rng.randint(6, 10) * scale
    batches: list[Batch] = []

    # Harvest: crates pass the orchard gate reader (Impinj JSON, repeated reads collapsed).
    gate = DeviceConfig(
        device_id="orchard-gate-01",
        read_point=FARM.sgln(1, "1"),
        biz_location=FARM.sgln(1),
        biz_step="commissioning",
        action="ADD",
        disposition="active",
        antenna_read_points={1: FARM.sgln(1, "1")},
    )
    harvest_at = start + timedelta(hours=1, minutes=rng.randint(0, 50))
    serial_base = rng.randint(1000, 90000)
    raw = []
    for i in range(n_crates):
        hexa = epc_urn_to_hex(FARM.sgtin(crate_gtin, str(serial_base + i)), filter_value=1)
        for r in range(rng.randint(2, 5)):  # each crate is read several times as it passes
            seen = harvest_at + timedelta(seconds=i * 3, milliseconds=r * 150)
            raw.append(
                {
                    "timestamp": iso(seen),
                    "hostname": "impinj-orchard-gate",
                    "eventType": "tagInventory",
                    "tagInventoryEvent": {
                        "epcHex": hexa,
                        "antennaPort": 1,
                        "antennaName": "gate",
                        "peakRssiCdbm": -rng.randint(4500, 7000),
                    },
                }
            )
    # The gate's edge agent publishes the raw reads on .../reader; the gateway derives the
    # events (one per crate: they pass 3 s apart, the window is 2 s), as here.
    reader = {"format": "impinj-iot/v1", "config": gate.reader_config(), "messages": raw}
    harvest = derive_member_events(member=reader)
    crates = [epc for ev in harvest for epc in ev["epcList"]]
    batches.append(Batch("orchard-gate-01", harvest, harvest_at, reader=reader))

    # Cooling at the orchard: forced-air cooling, temperatures falling to ~4 °C.
    cool_at = harvest_at + timedelta(hours=2)
    temps = [round(18 - k * 3.4 + rng.uniform(-0.4, 0.4), 1) for k in range(5)]
    sensors = [
        sensor_element(when=cool_at + timedelta(minutes=20 * k), readings=[("gs1:Temperature", t)])
        for k, t in enumerate(temps)
    ]
    ev = object_event(
        when=cool_at + timedelta(minutes=90),
        epcs=crates,
        biz_step="storing",
        disposition="in_progress",
        read_point=FARM.sgln(1, "2"),
        biz_location=FARM.sgln(1),
        sensors=sensors,
    )
    batches.append(Batch("orchard-cooler-01", [ev], cool_at + timedelta(minutes=90)))

    # Initial packing: crates -> cartons; the traceability lot code is assigned here.
    pack_at = start + timedelta(days=1, hours=2)
    tlc = f"FJ{(pack_at + timedelta(hours=8)).strftime('%y%m%d')}{rng.randint(10, 99)}"
    n_cases = n_crates * 4
    lgtin = PACK.lgtin(case_gtin, tlc)
    best_before = (pack_at + timedelta(days=30)).date()
    world.lots.append(lot(gtin=case_gtin, code=tlc, produced=pack_at.date(), expires=best_before))
    pack = transformation_event(
        when=pack_at,
        inputs=crates,
        output_quantities=[quantity(lgtin, n_cases)],
        biz_step="commissioning",
        disposition="active",
        read_point=PACK.sgln(1, "1"),
        biz_location=PACK.sgln(1),
        ilmd={
            "cbvmda:lotNumber": tlc,
            "cbvmda:bestBeforeDate": best_before.isoformat(),
            "cbvmda:harvestStartDate": harvest_at.date().isoformat(),
            "cbvmda:countryOfOrigin": "CN",
        },
    )
    batches.append(Batch("packhouse-line-01", [pack], pack_at, note=f"TLC {tlc} assigned"))

    # Aggregation to SSCC pallets (40 cartons a pallet).
    pallets: list[str] = []
    agg_at = pack_at + timedelta(hours=1)
    left, k = n_cases, 0
    while left > 0:
        size = min(40, left)
        sscc = PACK.sscc(rng.randint(10**7, 10**8 - 1))
        pallets.append(PACK.sscc_urn(sscc))
        batches.append(
            Batch(
                "packhouse-line-01",
                [
                    aggregation_event(
                        when=agg_at + timedelta(minutes=k),
                        parent=pallets[-1],
                        child_quantities=[quantity(lgtin, size)],
                        read_point=PACK.sgln(1, "2"),
                        biz_location=PACK.sgln(1),
                    )
                ],
                agg_at + timedelta(minutes=k),
            )
        )
        left, k = left - size, k + 1

    # Shipping packhouse -> cold-chain DC, temperatures in the reefer, receiving at the DC.
    ship_at = agg_at + timedelta(hours=3)
    batches += _leg(
        rng,
        pallets,
        ship_at,
        PACK,
        "packhouse-line-01",
        COLD,
        "dc-dock-01",
        hours=3,
        excursion=False,
    )
    # DC -> store: one pallet, one temperature excursion on the way (the carrier is listed).
    leg2_at = ship_at + timedelta(days=1)
    batches += _leg(
        rng,
        pallets[:1],
        leg2_at,
        COLD,
        "dc-dock-01",
        STORE,
        "store-01-scanner",
        hours=2,
        excursion=True,
    )
    sold_at = leg2_at + timedelta(hours=6)
    batches.append(
        Batch(
            "store-01-scanner",
            [
                object_event(
                    when=sold_at,
                    quantities=[quantity(lgtin, rng.randint(3, 12))],
                    biz_step="retail_selling",
                    disposition="retail_sold",
                    read_point=STORE.sgln(1, "1"),
                    biz_location=STORE.sgln(1),
                )
            ],
            sold_at,
        )
    )
    batches.sort(key=lambda b: b.at)
    return Scenario(
        name="produce",
        seed=seed,
        world=world,
        batches=batches,
        facts={"tlc": tlc, "lgtin": lgtin, "crates": crates, "pallets": pallets, "cases": n_cases},
    )


def _leg(
    rng: random.Random,
    pallets: list[str],
    ship_at: datetime,
    src: Company,
    src_device: str,
    dst: Company,
    dst_device: str,
    *,
    hours: int,
    excursion: bool,
) -> list[Batch]:
    shipment = Shipment.between(rng, src, dst)
    out = [shipment.shipped(src_device, pallets, ship_at)]
    for k in range(1, hours * 2 + 1):  # a reading every 30 minutes from the reefer
        when = ship_at + timedelta(minutes=30 * k)
        temp = round(rng.gauss(3.5, 0.4), 1)
        if excursion and k == hours:
            temp = round(rng.uniform(8.5, 10.5), 1)
        out.append(
            Batch(
                "reefer-07-sensor",
                [
                    object_event(
                        when=when,
                        epcs=pallets,
                        biz_step="sensor_reporting",
                        disposition="in_transit",
                        read_point=COLD.sgln(7),
                        sensors=[
                            sensor_element(
                                when=when,
                                readings=[
                                    ("gs1:Temperature", temp),
                                    ("gs1:RelativeHumidity", round(rng.uniform(85, 95), 1)),
                                ],
                            )
                        ],
                    )
                ],
                when,
            )
        )
    arrive = ship_at + timedelta(hours=hours, minutes=15)
    out.append(shipment.received(dst_device, pallets, arrive))
    return out
