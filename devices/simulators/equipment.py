"""Special equipment: elevators installed with their 18-character special-equipment code
(variety 4 + manufacturer 5 + year 4 + sequence 5), maintained at most every 15 days by a
licensed maintenance company, inspected yearly; one unit is overdue for maintenance."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from devices.events import object_event
from devices.simulators.world import (
    Batch,
    Company,
    Scenario,
    World,
    device,
    location,
    party,
    product,
)
from traceability.registry.models import ProductCategory

SPAN = timedelta(days=400)
MAINTENANCE_DAYS = 15
MAKER, OWNER, MAINT, INSPECT = (
    Company("69373010"),
    Company("69373020"),
    Company("69373030"),
    Company("69373040"),
)
VARIETY = "3110"  # 曳引驱动乘客电梯 (traction passenger elevator)
MAKER_CODE = "50107"


def build_world(rng: random.Random) -> World:
    w = World()
    w.parties += [
        party(
            rng,
            id="jiulongpo-elevator",
            name="重庆九龙坡山城电梯制造有限公司",
            division="500107",
            company=MAKER,
            roles=["producer", "manufacturer", "installer"],
        ),
        party(
            rng,
            id="yuzhong-plaza-property",
            name="重庆渝中广场物业管理有限公司",
            division="500103",
            company=OWNER,
            roles=["equipment_user"],
        ),
        party(
            rng,
            id="nanan-lift-service",
            name="重庆南岸安达电梯维保有限公司",
            division="500108",
            company=MAINT,
            roles=["maintenance", "licensed_maintenance"],
        ),
        party(
            rng,
            id="cq-se-inspection",
            name="重庆市特种设备检测研究院",
            division="500112",
            company=INSPECT,
            roles=["inspector", "regulator"],
            kind="12",
        ),
    ]
    w.locations.append(
        location(
            id="yuzhong-plaza",
            name="渝中广场 A 座",
            party_id="yuzhong-plaza-property",
            company=OWNER,
            ref=1,
            address="渝中区邹容路 100 号",
            district="渝中区",
            lat=29.557,
            lon=106.577,
        )
    )
    w.devices += [
        device(
            id="lift-installer-01",
            location_id="yuzhong-plaza",
            party_id="jiulongpo-elevator",
            kind="qr-handheld",
        ),
        device(
            id="lift-maint-01",
            location_id="yuzhong-plaza",
            party_id="nanan-lift-service",
            kind="qr-handheld",
        ),
        device(
            id="se-inspector-01",
            location_id="yuzhong-plaza",
            party_id="cq-se-inspection",
            kind="qr-handheld",
        ),
    ]
    w.products.append(
        product(
            gtin=MAKER.gtin(1),
            name="曳引驱动乘客电梯 SC-1000/1.75",
            brand="山城电梯",
            category=ProductCategory.equipment,
            party_id="jiulongpo-elevator",
            variety=VARIETY,
            rated_load_kg=1000,
            rated_speed_ms=1.75,
        )
    )
    return w


def equipment_code(year: int, sequence: int) -> str:
    return f"{VARIETY}{MAKER_CODE}{year:04d}{sequence:05d}"


def build(*, seed: int, end: datetime, scale: int = 1) -> Scenario:
    rng = random.Random(f"equipment:{seed}")
    world = build_world(rng)
    start = end - SPAN
    n_units = 3 * scale + 1
    overdue_unit = rng.randrange(n_units)
    units, codes, last_maintenance = [], [], {}
    batches: list[Batch] = []
    for u in range(n_units):
        installed = start + timedelta(days=rng.randint(0, 20), hours=10)
        code = equipment_code(installed.year, rng.randint(1, 99999))
        epc = MAKER.giai(code)
        units.append(epc)
        codes.append(code)
        shaft = OWNER.sgln(1, str(u + 1))
        batches.append(
            Batch(
                "lift-installer-01",
                [
                    object_event(
                        when=installed,
                        epcs=[epc],
                        action="ADD",
                        biz_step="installing",
                        disposition="active",
                        read_point=shaft,
                        biz_location=OWNER.sgln(1),
                        ilmd={"cbvmda:manufacturingDate": f"{installed.year}-01-15"},
                    )
                ],
                installed,
            )
        )
        accept = installed + timedelta(days=2)
        batches.append(
            Batch(
                "se-inspector-01",
                [_inspect(epc, accept, shaft)],
                accept,
                note="acceptance inspection",
            )
        )
        stop = end - timedelta(days=MAINTENANCE_DAYS + 10) if u == overdue_unit else end
        when = installed
        while True:
            nxt = when + timedelta(
                days=rng.randint(11, MAINTENANCE_DAYS - 1), hours=rng.randint(0, 6)
            )
            if nxt > stop:
                break
            when = nxt
            batches.append(
                Batch(
                    "lift-maint-01",
                    [
                        object_event(
                            when=when,
                            epcs=[epc],
                            biz_step="inspecting",
                            disposition="active",
                            read_point=shaft,
                            biz_location=OWNER.sgln(1),
                        )
                    ],
                    when,
                    note="routine maintenance (≤ 15 days)",
                )
            )
        last_maintenance[epc] = when
        yearly = installed + timedelta(days=365)
        if yearly <= end:
            batches.append(
                Batch(
                    "se-inspector-01",
                    [_inspect(epc, yearly, shaft)],
                    yearly,
                    note="periodic inspection (yearly)",
                )
            )
    batches.sort(key=lambda b: b.at)
    return Scenario(
        name="equipment",
        seed=seed,
        world=world,
        batches=batches,
        facts={
            "units": units,
            "equipment_codes": codes,
            "overdue": units[overdue_unit],
            "last_maintenance": {k: v.isoformat() for k, v in last_maintenance.items()},
        },
    )


def _inspect(epc: str, at: datetime, shaft: str) -> dict[str, object]:
    return object_event(
        when=at,
        epcs=[epc],
        biz_step="inspecting",
        disposition="conformant",
        read_point=shaft,
        biz_location=OWNER.sgln(1),
    )
