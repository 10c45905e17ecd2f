"""CBV 2.0 vocabularies and their normaliser.

Every standard vocabulary value may be written three ways in EPCIS 2.0 JSON-LD, plus the EPCIS
1.x URN form; all four denote the same value:

==================  ======================================  =====================================
bare word           CURIE                                   canonical URI (GS1 Web Vocabulary)
==================  ======================================  =====================================
``shipping``        ``cbv:BizStep-shipping``                ``https://ref.gs1.org/cbv/BizStep-shipping``
``in_transit``      ``cbv:Disp-in_transit``                 ``https://ref.gs1.org/cbv/Disp-in_transit``
``po``              ``cbv:BTT-po``                          ``https://ref.gs1.org/cbv/BTT-po``
``owning_party``    ``cbv:SDT-owning_party``                ``https://ref.gs1.org/cbv/SDT-owning_party``
``did_not_occur``   ``cbv:ER-did_not_occur``                ``https://ref.gs1.org/cbv/ER-did_not_occur``
``Temperature``     ``gs1:Temperature``                     ``https://gs1.org/voc/Temperature``
``ALARM_CONDITION`` ``gs1:ALARM_CONDITION``                 ``https://gs1.org/voc/ALARM_CONDITION``
``latitude``        ``cbv:Comp-latitude``                   ``https://ref.gs1.org/cbv/Comp-latitude``
==================  ======================================  =====================================

URN forms: ``urn:epcglobal:cbv:bizstep:shipping``, ``urn:epcglobal:cbv:disp:…``,
``urn:epcglobal:cbv:btt:…``, ``urn:epcglobal:cbv:sdt:…``, ``urn:epcglobal:cbv:er:…``.
The canonical form is the one the CBV 2.0 event hash uses.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Final

__all__ = [
    "BIZ_STEPS",
    "BIZ_TRANSACTION_TYPES",
    "COMPONENTS",
    "DISPOSITIONS",
    "ERROR_REASONS",
    "MEASUREMENT_TYPES",
    "SENSOR_ALERTS",
    "SOURCE_DEST_TYPES",
    "Vocab",
    "bare_word",
    "expand_bare",
    "is_standard",
    "normalise",
]

CBV: Final = "https://ref.gs1.org/cbv/"


def _words(text: str) -> list[str]:
    return text.split()


GS1_VOC: Final = "https://gs1.org/voc/"

BIZ_STEPS: Final = frozenset(
    _words(
        """accepting arriving assembling collecting commissioning consigning creating_class_instance
    cycle_counting decommissioning departing destroying disassembling dispensing encoding
    entering_exiting holding inspecting installing killing loading other packing picking receiving
    removing repackaging repairing replacing reserving retail_selling sampling sensor_reporting
    shipping staging_outbound stock_taking stocking storing transporting unloading unpacking
    void_shipping"""
    )
)
DISPOSITIONS: Final = frozenset(
    _words(
        """active available completeness_inferred completeness_verified conformant container_closed
    container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit
    inactive mismatch_class mismatch_instance mismatch_quantity needs_replacement
    no_pedigree_match non_conformant non_sellable_other partially_dispensed recalled reserved
    retail_sold returned sellable_accessible sellable_not_accessible stolen unavailable
    unknown"""
    )
)
BIZ_TRANSACTION_TYPES: Final = frozenset(
    _words("bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt")
)
SOURCE_DEST_TYPES: Final = frozenset(["owning_party", "possessing_party", "location"])
ERROR_REASONS: Final = frozenset(["did_not_occur", "incorrect_data"])
SENSOR_ALERTS: Final = frozenset(["ALARM_CONDITION", "ERROR_CONDITION"])
COMPONENTS: Final = frozenset(
    _words(
        """x y z axial_distance azimuth height spherical_radius polar_angle elevation_angle easting
    northing latitude longitude altitude"""
    )
)
MEASUREMENT_TYPES: Final = frozenset(
    _words(
        """AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Radioactivity Altitude
    AmountOfSubstance AmountOfSubstancePerUnitVolume Angle AngularAcceleration AngularMomentum
    AngularVelocity Area Capacitance Conductance Conductivity Count Density Dimensionless
    DoseEquivalent DoseEquivalentRate DynamicViscosity ElectricCharge ElectricCurrent
    ElectricCurrentDensity ElectricFieldStrength Energy Exposure Force Frequency Illuminance
    Inductance Irradiance KinematicViscosity Length LinearMomentum Luminance LuminousFlux
    LuminousIntensity MagneticFlux MagneticFluxDensity MagneticVectorPotential Mass
    MassConcentration MassFlowRate MassPerAreaTime MemoryCapacity MolalityOfSolute MolarEnergy
    MolarMass MolarVolume Power Pressure RadiantFlux RadiantIntensity RelativeHumidity Resistance
    Resistivity SolidAngle SpecificVolume Speed SurfaceDensity SurfaceTension Temperature Time
    Torque Voltage Volume VolumeFlowRate VolumeFraction VolumetricFlux Wavenumber"""
    )
)


class Vocab(StrEnum):
    """The CBV vocabularies, each with its canonical URI prefix, CURIE prefix and URN prefix."""

    BIZ_STEP = "bizStep"
    DISPOSITION = "disposition"
    BIZ_TRANSACTION_TYPE = "bizTransactionType"
    SOURCE_DEST_TYPE = "sourceDestType"
    ERROR_REASON = "errorReason"
    MEASUREMENT_TYPE = "measurementType"
    SENSOR_ALERT = "sensorAlert"
    COMPONENT = "component"


# vocabulary -> (canonical prefix, CURIE prefix, URN prefix or "", members)
_TABLE: Final[dict[Vocab, tuple[str, str, str, frozenset[str]]]] = {
    Vocab.BIZ_STEP: (CBV + "BizStep-", "cbv:BizStep-", "urn:epcglobal:cbv:bizstep:", BIZ_STEPS),
    Vocab.DISPOSITION: (CBV + "Disp-", "cbv:Disp-", "urn:epcglobal:cbv:disp:", DISPOSITIONS),
    Vocab.BIZ_TRANSACTION_TYPE: (
        CBV + "BTT-",
        "cbv:BTT-",
        "urn:epcglobal:cbv:btt:",
        BIZ_TRANSACTION_TYPES,
    ),
    Vocab.SOURCE_DEST_TYPE: (CBV + "SDT-", "cbv:SDT-", "urn:epcglobal:cbv:sdt:", SOURCE_DEST_TYPES),
    Vocab.ERROR_REASON: (CBV + "ER-", "cbv:ER-", "urn:epcglobal:cbv:er:", ERROR_REASONS),
    Vocab.MEASUREMENT_TYPE: (GS1_VOC, "gs1:", "", MEASUREMENT_TYPES),
    Vocab.SENSOR_ALERT: (GS1_VOC, "gs1:", "", SENSOR_ALERTS),
    Vocab.COMPONENT: (CBV + "Comp-", "cbv:Comp-", "", COMPONENTS),
}
_ALT_PREFIXES: Final = ("https://ref.gs1.org/voc/", "http://gs1.org/voc/")


@lru_cache(maxsize=4096)
def bare_word(value: str, vocab: Vocab) -> str | None:
    """The bare word of ``value`` if it is a value of ``vocab`` in any spelling, else ``None``.

    >>> bare_word("urn:epcglobal:cbv:bizstep:shipping", Vocab.BIZ_STEP)
    'shipping'
    """
    canonical, curie, urn, members = _TABLE[vocab]
    for prefix in (canonical, curie, urn, *(_ALT_PREFIXES if canonical == GS1_VOC else ())):
        if prefix and value.startswith(prefix):
            word = value[len(prefix) :]
            return word if word in members else None
    return value if value in members else None


def is_standard(value: str, vocab: Vocab) -> bool:
    """True if ``value`` names a standard CBV 2.0 value of ``vocab`` (in any spelling)."""
    return bare_word(value, vocab) is not None


def normalise(value: str, vocab: Vocab) -> str:
    """Canonical URI of a standard value; any other value (a private URI) is returned unchanged."""
    word = bare_word(value, vocab)
    if word is None:
        return value
    return _TABLE[vocab][0] + word


def expand_bare(value: str, vocab: Vocab) -> str:
    """Expand only a *bare word* to its canonical URI (what JSON-LD expansion does)."""
    canonical, _, _, members = _TABLE[vocab]
    return canonical + value if value in members else value


def looks_like_uri(value: str) -> bool:
    """Rough check for an absolute URI (scheme ``:`` rest), as the schema's vocab-other-uri."""
    head, sep, rest = value.partition(":")
    return bool(sep and rest and head and head[0].isalpha() and head.replace("+", "").isalnum())
