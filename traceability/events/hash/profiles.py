"""The event hash's tables: the CBV 2.0 property order and the two profiles.

:data:`PROP_ORDER` is the fixed order of step 2 in :mod:`traceability.events.hashing`; a
:class:`Profile` says how a pre-hash is written under ``"cbv2.0"`` (default) or
``"cbv2.0-2025"`` (see that module's docstring for what differs).
"""

from __future__ import annotations

from typing import Any, Final

from traceability.events.hash.tree import GS1_VOC_REVISED
from traceability.events.vocab import GS1_VOC

_Order = tuple[tuple[str, Any], ...]

_METADATA: Final = (
    "time startTime endTime deviceID deviceMetadata rawData dataProcessingMethod bizRules"
)
_REPORT: Final = (
    "type exception deviceID deviceMetadata rawData dataProcessingMethod time microorganism "
    "chemicalSubstance value component stringValue booleanValue hexBinaryValue uriValue minValue "
    "maxValue meanValue sDev percRank percValue uom coordinateReferenceSystem"
)


def _leaves(names: str) -> _Order:
    return tuple((n, None) for n in names.split())


_Q: Final[_Order] = (("epcClass", None), ("quantity", None), ("uom", None))
PAIRS: Final = ("pairs",)  # marker: a list of (type, value) pairs
PROP_ORDER: Final[_Order] = (
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("certificationInfo", None),
    ("epcList", (("epc", None),)),
    ("parentID", None),
    ("inputEPCList", (("epc", None),)),
    ("childEPCs", (("epc", None),)),
    ("quantityList", (("quantityElement", _Q),)),
    ("childQuantityList", (("quantityElement", _Q),)),
    ("inputQuantityList", (("quantityElement", _Q),)),
    ("outputEPCList", (("epc", None),)),
    ("outputQuantityList", (("quantityElement", _Q),)),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    ("persistentDisposition", (("set", None), ("unset", None))),
    ("readPoint", (("id", None),)),
    ("bizLocation", (("id", None),)),
    ("bizTransactionList", PAIRS),
    ("sourceList", PAIRS),
    ("destinationList", PAIRS),
    (
        "sensorElementList",
        (
            (
                "sensorElement",
                (
                    ("sensorMetadata", _leaves(_METADATA)),
                    ("sensorReport", _leaves(_REPORT)),
                ),
            ),
        ),
    ),
)


_TRAILING_DEFAULT: Final = frozenset(["readPoint", "bizLocation"])


class Profile:
    """How a pre-hash is written: ``cbv2.0`` (default, the shared vectors) or ``cbv2.0-2025``."""

    __slots__ = ("cert", "gs1_voc", "name", "trailing", "wrapper")

    def __init__(
        self,
        name: str,
        *,
        cert: bool,
        wrapper: bool,
        trailing: frozenset[str] | None,
        gs1_voc: str,
    ) -> None:
        self.name = name
        self.cert = cert  # certificationInfo is hashed, document ignoreFields are honoured
        self.wrapper = wrapper  # "sensorElementList" is written before the sensor elements
        # containers whose user extensions go to the trailing block (None: all; the others
        # inline theirs after their standard fields)
        self.trailing = trailing
        self.gs1_voc = gs1_voc  # expansion of the GS1 Web Vocabulary


DEFAULT_PROFILE: Final = "cbv2.0"
REVISED_PROFILE: Final = "cbv2.0-2025"
_PROFILES: Final = {
    DEFAULT_PROFILE: Profile(
        DEFAULT_PROFILE,
        cert=True,
        wrapper=True,
        trailing=_TRAILING_DEFAULT,
        gs1_voc=GS1_VOC,
    ),
    REVISED_PROFILE: Profile(
        REVISED_PROFILE,
        cert=False,
        wrapper=False,
        trailing=None,
        gs1_voc=GS1_VOC_REVISED,
    ),
}
PROFILES: Final = tuple(_PROFILES)


def get_profile(name: str) -> Profile:
    try:
        return _PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown event hash profile {name!r} (one of {PROFILES})") from None
