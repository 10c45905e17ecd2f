"""Site simulators: pure scenario generators (world + batches) and a separate publisher."""

from devices.simulators.run import PublishReport, publish_scenario, register_world
from devices.simulators.scenarios import DEFAULT_END, NAMES, build_scenario
from devices.simulators.world import Batch, Scenario, SimDevice, World, sim_key

__all__ = [
    "DEFAULT_END",
    "NAMES",
    "Batch",
    "PublishReport",
    "Scenario",
    "SimDevice",
    "World",
    "build_scenario",
    "publish_scenario",
    "register_world",
    "sim_key",
]
