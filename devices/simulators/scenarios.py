"""The scenario catalogue: ``build_scenario(name, seed=, end=)`` -> world + event batches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from devices.simulators import drug, equipment, produce
from devices.simulators.world import Scenario, World

DEFAULT_END = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
Builder = Callable[..., Scenario]
SCENARIOS: dict[str, tuple[Builder, timedelta]] = {
    "produce": (produce.build, produce.SPAN),
    "drug": (drug.build, drug.SPAN),
    "equipment": (equipment.build, equipment.SPAN),
}
NAMES = (*SCENARIOS, "all")


def build_scenario(
    name: str, *, seed: int, end: datetime | None = None, scale: int = 1
) -> Scenario:
    """Deterministic in (name, seed, end, scale): the world to register and the batches.

    Every event time lies in ``[end - span, end]`` (span: produce 4 d, drug 10 d, equipment
    400 d), so a live demo passes ``end=datetime.now(UTC)``. ``all`` merges the three.
    """
    when = (end or DEFAULT_END).astimezone(UTC)
    if name == "all":
        parts = [build_scenario(n, seed=seed, end=when, scale=scale) for n in SCENARIOS]
        world = World()
        for part in parts:
            world = world.merge(part.world)
        batches = sorted((b for p in parts for b in p.batches), key=lambda b: b.at)
        return Scenario(
            name="all",
            seed=seed,
            world=world,
            batches=batches,
            facts={p.name: p.facts for p in parts},
        )
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; choose one of {', '.join(NAMES)}")
    builder, _span = SCENARIOS[name]
    return builder(seed=seed, end=when, scale=scale)
