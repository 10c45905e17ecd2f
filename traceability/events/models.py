"""Typed models of EPCIS 2.0 events and documents (JSON-LD binding), pydantic v2.

Attribute names are snake_case; the JSON names (``epcList``, ``parentID``, ``bizStep``...) are
the aliases used for parsing and serialising. Extension fields (``example:myField``) and any
other non-standard member are kept as extra fields and written back unchanged, so a
parse → serialise round trip keeps the event hash.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag
from pydantic.alias_generators import to_camel

__all__ = [
    "AggregationEvent",
    "AnyEvent",
    "AssociationEvent",
    "BizTransaction",
    "CertificationInfo",
    "EPCISDocument",
    "ErrorDeclaration",
    "ExtendedEvent",
    "Location",
    "ObjectEvent",
    "PersistentDisposition",
    "QuantityElement",
    "SensorElement",
    "SensorMetadata",
    "SensorReport",
    "SourceDest",
    "TransactionEvent",
    "TransformationEvent",
]

Action = Literal["ADD", "OBSERVE", "DELETE"]
CertificationInfo = str | list[str]


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=False
    )


class QuantityElement(_Model):
    epc_class: str
    quantity: float | None = None
    uom: str | None = None


class Location(_Model):
    """``readPoint`` / ``bizLocation``: an identifier (SGLN, Digital Link, geo: URI...)."""

    id: str


class BizTransaction(_Model):
    type: str | None = None
    biz_transaction: str


class SourceDest(_Model):
    """An element of ``sourceList`` (``source``) or ``destinationList`` (``destination``)."""

    type: str
    source: str | None = None
    destination: str | None = None


class PersistentDisposition(_Model):
    set: list[str] | None = None
    unset: list[str] | None = None


class SensorMetadata(_Model):
    time: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    device_id: str | None = Field(default=None, alias="deviceID")
    device_metadata: str | None = None
    raw_data: str | None = None
    data_processing_method: str | None = None
    biz_rules: str | None = None


class SensorReport(_Model):
    type: str
    exception: str | None = None
    device_id: str | None = Field(default=None, alias="deviceID")
    device_metadata: str | None = None
    raw_data: str | None = None
    data_processing_method: str | None = None
    time: str | None = None
    microorganism: str | None = None
    chemical_substance: str | None = None
    value: float | None = None
    component: str | None = None
    string_value: str | None = None
    boolean_value: bool | None = None
    hex_binary_value: str | None = None
    uri_value: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    mean_value: float | None = None
    s_dev: float | None = Field(default=None, alias="sDev")
    perc_rank: float | None = None
    perc_value: float | None = None
    uom: str | None = None
    coordinate_reference_system: str | None = None


class SensorElement(_Model):
    sensor_metadata: SensorMetadata | None = None
    sensor_report: list[SensorReport] = Field(default_factory=list)


class ErrorDeclaration(_Model):
    declaration_time: str
    reason: str | None = None
    corrective_event_i_ds: list[str] | None = Field(default=None, alias="correctiveEventIDs")


class _Event(_Model):
    """Fields common to every event type (EPCIS 2.0 §7.4.1)."""

    event_time: str
    event_time_zone_offset: str
    record_time: str | None = None
    event_id: str | None = Field(default=None, alias="eventID")
    certification_info: CertificationInfo | None = None
    error_declaration: ErrorDeclaration | None = None
    biz_step: str | None = None
    disposition: str | None = None
    read_point: Location | None = None
    biz_location: Location | None = None
    biz_transaction_list: list[BizTransaction] | None = None
    source_list: list[SourceDest] | None = None
    destination_list: list[SourceDest] | None = None
    sensor_element_list: list[SensorElement] | None = None


class ObjectEvent(_Event):
    type: Literal["ObjectEvent"] = "ObjectEvent"
    action: Action
    epc_list: list[str] | None = None
    quantity_list: list[QuantityElement] | None = None
    persistent_disposition: PersistentDisposition | None = None
    ilmd: dict[str, Any] | None = None


class AggregationEvent(_Event):
    type: Literal["AggregationEvent"] = "AggregationEvent"
    action: Action
    parent_id: str | None = Field(default=None, alias="parentID")
    child_epcs: list[str] | None = Field(default=None, alias="childEPCs")
    child_quantity_list: list[QuantityElement] | None = None


class TransactionEvent(_Event):
    type: Literal["TransactionEvent"] = "TransactionEvent"
    action: Action
    parent_id: str | None = Field(default=None, alias="parentID")
    epc_list: list[str] | None = None
    quantity_list: list[QuantityElement] | None = None


class TransformationEvent(_Event):
    type: Literal["TransformationEvent"] = "TransformationEvent"
    input_epc_list: list[str] | None = Field(default=None, alias="inputEPCList")
    input_quantity_list: list[QuantityElement] | None = None
    output_epc_list: list[str] | None = Field(default=None, alias="outputEPCList")
    output_quantity_list: list[QuantityElement] | None = None
    transformation_id: str | None = Field(default=None, alias="transformationID")
    persistent_disposition: PersistentDisposition | None = None
    ilmd: dict[str, Any] | None = None


class AssociationEvent(_Event):
    type: Literal["AssociationEvent"] = "AssociationEvent"
    action: Action
    parent_id: str | None = Field(default=None, alias="parentID")
    child_epcs: list[str] | None = Field(default=None, alias="childEPCs")
    child_quantity_list: list[QuantityElement] | None = None


class ExtendedEvent(_Model):
    """An event of a type this package does not know (EPCIS allows extension event types)."""

    type: str
    event_time: str
    event_time_zone_offset: str


_KNOWN = {"ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
          "AssociationEvent"}  # fmt: skip


def _event_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in _KNOWN else "extended"


AnyEvent = Annotated[
    Annotated[ObjectEvent, Tag("ObjectEvent")]
    | Annotated[AggregationEvent, Tag("AggregationEvent")]
    | Annotated[TransactionEvent, Tag("TransactionEvent")]
    | Annotated[TransformationEvent, Tag("TransformationEvent")]
    | Annotated[AssociationEvent, Tag("AssociationEvent")]
    | Annotated[ExtendedEvent, Tag("extended")],
    Discriminator(_event_tag),
]


class EPCISDocument(_Model):
    """An EPCISDocument or EPCISQueryDocument, with its events flattened into ``events``."""

    context: Any = Field(default=None, alias="@context")
    type: Literal["EPCISDocument", "EPCISQueryDocument"] = "EPCISDocument"
    schema_version: str = "2.0"
    creation_date: str | None = None
    id: str | None = None
    events: list[AnyEvent] = Field(default_factory=list, exclude=True)
    query_name: str | None = Field(default=None, exclude=True)
    subscription_id: str | None = Field(default=None, exclude=True)
    query_extra: dict[str, Any] = Field(default_factory=dict, exclude=True)
