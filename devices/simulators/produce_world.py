"""The produce chain's world: an orchard cooperative, a packhouse, a cold-chain carrier (on
the serious-violation list), and a store in Chongqing, with their sites and devices."""

from __future__ import annotations

import random

from devices.simulators.world import Company, World, device, location, party, product
from traceability.registry.models import CreditStatus, ProductCategory

FARM, PACK, COLD, STORE = (
    Company("69371010"),
    Company("69371020"),
    Company("69371030"),
    Company("69371040"),
)


# 三品一标 of the demo's oranges (illustrative numbers): issuer and validity shown on the page
CERTIFICATIONS = [
    {
        "scheme": "绿色食品",
        "issuer": "中国绿色食品发展中心",
        "number": "LB-18-24010501234A",
        "valid_from": "2024-01-05",
        "valid_until": "2027-01-04",
    },
    {
        "scheme": "农产品地理标志",
        "issuer": "农业农村部",
        "number": "AGI00035",
        "valid_from": "2008-07-01",
    },
]


def build_world(rng: random.Random) -> World:
    w = World()
    w.parties += [
        party(
            rng,
            id="fengjie-orchard",
            name="奉节县脐橙种植专业合作社",
            division="500236",
            company=FARM,
            roles=["producer", "grower"],
            kind="93",
        ),
        party(
            rng,
            id="yubei-packhouse",
            name="重庆渝北鲜果包装有限公司",
            division="500112",
            company=PACK,
            roles=["producer", "packer"],
        ),
        party(
            rng,
            id="jiangbei-coldchain",
            name="重庆江北冷链物流有限公司",
            division="500105",
            company=COLD,
            roles=["carrier", "distributor"],
            credit=CreditStatus.serious_violation,
        ),
        party(
            rng,
            id="yuzhong-fresh",
            name="重庆渝中山城生鲜超市有限公司",
            division="500103",
            company=STORE,
            roles=["retailer"],
        ),
    ]
    w.locations += [
        location(
            id="orchard-a",
            name="奉节脐橙果园 A 区",
            party_id="fengjie-orchard",
            company=FARM,
            ref=1,
            address="奉节县草堂镇",
            district="奉节县",
            lat=31.02,
            lon=109.46,
        ),
        location(
            id="packhouse",
            name="渝北包装厂",
            party_id="yubei-packhouse",
            company=PACK,
            ref=1,
            address="渝北区空港大道 88 号",
            district="渝北区",
            lat=29.72,
            lon=106.64,
        ),
        location(
            id="coldchain-dc",
            name="江北冷链配送中心",
            party_id="jiangbei-coldchain",
            company=COLD,
            ref=1,
            address="江北区港城路 12 号",
            district="江北区",
            lat=29.61,
            lon=106.60,
        ),
        location(
            id="reefer-truck-07",
            name="冷藏车 渝A·C7707",
            party_id="jiangbei-coldchain",
            company=COLD,
            ref=7,
            address="移动",
            district="江北区",
            lat=29.61,
            lon=106.60,
        ),
        location(
            id="fresh-store-1",
            name="山城生鲜解放碑店",
            party_id="yuzhong-fresh",
            company=STORE,
            ref=1,
            address="渝中区民族路 166 号",
            district="渝中区",
            lat=29.56,
            lon=106.58,
        ),
    ]
    w.devices += [
        device(
            id="orchard-gate-01",
            location_id="orchard-a",
            party_id="fengjie-orchard",
            kind="rfid-impinj-r700",
        ),
        device(
            id="orchard-cooler-01",
            location_id="orchard-a",
            party_id="fengjie-orchard",
            kind="sensor",
        ),
        device(
            id="packhouse-line-01",
            location_id="packhouse",
            party_id="yubei-packhouse",
            kind="scanner",
        ),
        device(
            id="dc-dock-01",
            location_id="coldchain-dc",
            party_id="jiangbei-coldchain",
            kind="rfid-zebra-fx9600",
        ),
        device(
            id="reefer-07-sensor",
            location_id="reefer-truck-07",
            party_id="jiangbei-coldchain",
            kind="sensor",
        ),
        device(
            id="store-01-scanner",
            location_id="fresh-store-1",
            party_id="yuzhong-fresh",
            kind="scanner",
        ),
    ]
    w.products += [
        product(
            gtin=FARM.gtin(1),
            name="奉节脐橙 田间周转箱（散装约 20 kg）",
            brand="奉节脐橙",
            category=ProductCategory.food,
            party_id="fengjie-orchard",
            commodity="oranges",
            variety="Fengjie 72-1 navel",
            packaging="RFID crate",
        ),
        product(
            gtin=PACK.gtin(1, indicator=1),
            name="奉节脐橙 5 kg 礼盒",
            brand="奉节脐橙",
            category=ProductCategory.food,
            party_id="yubei-packhouse",
            commodity="oranges",
            variety="Fengjie 72-1 navel",
            packaging="5 kg carton",
            storage_c=[0, 8],  # the cold chain the page checks (°C)
            certifications=CERTIFICATIONS,
        ),
    ]
    return w
