"""A consignment between two simulated companies: one despatch advice, the owning parties and
sites as source/destination, shipped at the sender's dock and received at the receiver's."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from devices.events import Event, object_event
from devices.simulators.world import Batch, Company

DOCK = "9"  # the sgln extension of a site's dock door, where shipping/receiving is read


@dataclass(frozen=True, slots=True)
class Shipment:
    src: Company
    dst: Company
    desadv: str  # urn:epcglobal:cbv:bt:<sender GLN>:<number>
    src_site: int = 1
    dst_site: int = 1

    @classmethod
    def between(cls, rng: random.Random, src: Company, dst: Company) -> Shipment:
        """A shipment from ``src`` to ``dst`` (the despatch advice number drawn from ``rng``)."""
        return cls(src, dst, f"urn:epcglobal:cbv:bt:{src.gln(0)}:{rng.randint(100000, 999999)}")

    def shipped(self, device_id: str, epcs: Sequence[str], at: datetime) -> Batch:
        event = self._event(self.src, self.src_site, epcs, at, "shipping", "in_transit")
        return Batch(device_id, [event], at)

    def received(
        self, device_id: str, epcs: Sequence[str], at: datetime, *, reply: bool = False
    ) -> Batch:
        event = self._event(self.dst, self.dst_site, epcs, at, "receiving", "in_progress")
        return Batch(device_id, [event], at, reply=reply)

    def _event(
        self,
        at_company: Company,
        site: int,
        epcs: Sequence[str],
        at: datetime,
        biz_step: str,
        disposition: str,
    ) -> Event:
        return object_event(
            when=at,
            epcs=epcs,
            biz_step=biz_step,
            disposition=disposition,
            read_point=at_company.sgln(site, DOCK),
            biz_location=at_company.sgln(site),
            biz_transactions=[("desadv", self.desadv)],
            sources=[("owning_party", self.src.pgln()), ("location", self.src.sgln(self.src_site))],
            destinations=[
                ("owning_party", self.dst.pgln()),
                ("location", self.dst.sgln(self.dst_site)),
            ],
        )
