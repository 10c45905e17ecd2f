"""EPCIS 2.0 events (JSON-LD form, CBV 2.0 bare words) from reads, scans and sensor readings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from devices.config import DeviceConfig
from devices.ids import parse_scan
from traceability.identifiers import epc_urn_from_hex

Event = dict[str, Any]

# Sensor measurement types (CBV 2.0 gs1: vocabulary) and their UN/CEFACT unit codes.
SENSOR_UNITS = {
    "gs1:Temperature": "CEL",
    "gs1:RelativeHumidity": "A93",
    "gs1:AbsoluteHumidity": "A93",
    "gs1:Illuminance": "LUX",
    "gs1:Pressure": "KPA",
    "gs1:Speed": "MTS",
    "gs1:Vibration": "MTS",
}


def iso(when: datetime) -> str:
    """RFC 3339 UTC with milliseconds (what EPCIS 2.0 JSON uses)."""
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _base(kind: str, when: datetime, tz: str, extra: dict[str, Any]) -> Event:
    event: Event = {"type": kind, "eventTime": iso(when), "eventTimeZoneOffset": tz}
    event.update({k: v for k, v in extra.items() if v is not None})
    return event


def _where(read_point: str | None, biz_location: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if read_point:
        out["readPoint"] = {"id": read_point}
    if biz_location:
        out["bizLocation"] = {"id": biz_location}
    return out


def object_event(
    *,
    when: datetime,
    epcs: Sequence[str] = (),
    quantities: Sequence[dict[str, Any]] = (),
    action: str = "OBSERVE",
    biz_step: str | None = None,
    disposition: str | None = None,
    read_point: str | None = None,
    biz_location: str | None = None,
    tz: str = "+08:00",
    ilmd: dict[str, Any] | None = None,
    sources: Sequence[tuple[str, str]] = (),
    destinations: Sequence[tuple[str, str]] = (),
    biz_transactions: Sequence[tuple[str, str]] = (),
    sensors: Sequence[dict[str, Any]] = (),
) -> Event:
    event = _base("ObjectEvent", when, tz, {})
    event["epcList"] = list(epcs)
    if quantities:
        event["quantityList"] = list(quantities)
    event["action"] = action
    event.update({k: v for k, v in (("bizStep", biz_step), ("disposition", disposition)) if v})
    event.update(_where(read_point, biz_location))
    _why(event, sources, destinations, biz_transactions)
    if sensors:
        event["sensorElementList"] = list(sensors)
    if ilmd:
        event["ilmd"] = ilmd
    return event


def aggregation_event(
    *,
    when: datetime,
    parent: str,
    children: Sequence[str] = (),
    child_quantities: Sequence[dict[str, Any]] = (),
    action: str = "ADD",
    biz_step: str = "packing",
    disposition: str | None = "in_progress",
    read_point: str | None = None,
    biz_location: str | None = None,
    tz: str = "+08:00",
) -> Event:
    event = _base("AggregationEvent", when, tz, {"parentID": parent})
    event["childEPCs"] = list(children)
    if child_quantities:
        event["childQuantityList"] = list(child_quantities)
    event.update({"action": action, "bizStep": biz_step})
    if disposition:
        event["disposition"] = disposition
    event.update(_where(read_point, biz_location))
    return event


def transformation_event(
    *,
    when: datetime,
    inputs: Sequence[str] = (),
    input_quantities: Sequence[dict[str, Any]] = (),
    outputs: Sequence[str] = (),
    output_quantities: Sequence[dict[str, Any]] = (),
    biz_step: str = "commissioning",
    disposition: str | None = "active",
    read_point: str | None = None,
    biz_location: str | None = None,
    tz: str = "+08:00",
    ilmd: dict[str, Any] | None = None,
) -> Event:
    event = _base("TransformationEvent", when, tz, {})
    for name, value in (
        ("inputEPCList", inputs),
        ("inputQuantityList", input_quantities),
        ("outputEPCList", outputs),
        ("outputQuantityList", output_quantities),
    ):
        if value:
            event[name] = list(value)
    event["bizStep"] = biz_step
    if disposition:
        event["disposition"] = disposition
    event.update(_where(read_point, biz_location))
    if ilmd:
        event["ilmd"] = ilmd
    return event


def quantity(epc_class: str, amount: float, uom: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"epcClass": epc_class, "quantity": amount}
    if uom:
        out["uom"] = uom
    return out


def sensor_element(
    *, when: datetime, readings: Iterable[tuple[str, float]], device_id: str | None = None
) -> dict[str, Any]:
    """One ``sensorElement``: a ``sensorMetadata`` and a ``sensorReport`` per (type, value)."""
    meta: dict[str, Any] = {"time": iso(when)}
    if device_id and ":" in device_id:  # a URI (e.g. the sensor's GIAI); plain ids are left out
        meta["deviceID"] = device_id
    report = []
    for kind, value in readings:
        item: dict[str, Any] = {"type": kind, "value": value}
        if kind in SENSOR_UNITS:
            item["uom"] = SENSOR_UNITS[kind]
        report.append(item)
    return {"sensorMetadata": meta, "sensorReport": report}


def _why(
    event: Event,
    sources: Sequence[tuple[str, str]],
    destinations: Sequence[tuple[str, str]],
    biz_transactions: Sequence[tuple[str, str]],
) -> None:
    if biz_transactions:
        event["bizTransactionList"] = [
            {"type": t, "bizTransaction": b} for t, b in biz_transactions
        ]
    if sources:
        event["sourceList"] = [{"type": t, "source": s} for t, s in sources]
    if destinations:
        event["destinationList"] = [{"type": t, "destination": d} for t, d in destinations]


# ---- from a configured device's reads --------------------------------------------------


def configured_event(
    config: DeviceConfig,
    *,
    when: datetime,
    epcs: Sequence[str] = (),
    quantities: Sequence[dict[str, Any]] = (),
    read_point: str | None = None,
) -> Event:
    """An ObjectEvent carrying what ``config`` adds to every read: action, bizStep,
    disposition, read point (``read_point``, else the configured one), bizLocation, offset."""
    return object_event(
        when=when,
        epcs=epcs,
        quantities=quantities,
        action=config.action,
        biz_step=config.biz_step,
        disposition=config.disposition,
        read_point=read_point or config.read_point,
        biz_location=config.biz_location,
        tz=config.timezone_offset,
    )


def event_from_rfid(
    config: DeviceConfig, *, epc_hexes: Sequence[str], when: datetime, antenna: int | None = None
) -> Event:
    """An ObjectEvent for tags read together (EPC binary hex -> EPC URNs)."""
    epcs = [epc_urn_from_hex(h) for h in epc_hexes]
    return configured_event(config, when=when, epcs=epcs, read_point=config.read_point_for(antenna))


def event_from_scan(config: DeviceConfig, *, data: str, when: datetime) -> Event:
    """An ObjectEvent for a DataMatrix/QR scan: an SGTIN/SSCC, or an LGTIN quantity of 1."""
    scan = parse_scan(data, cp_len=config.company_prefix_len)
    return configured_event(
        config,
        when=when,
        epcs=[scan.epc] if scan.epc else [],
        quantities=[quantity(scan.epc_class, 1)] if scan.epc_class else [],
    )


def event_from_sensor(
    config: DeviceConfig,
    *,
    readings: Iterable[tuple[str, float]],
    when: datetime,
    epcs: Sequence[str] = (),
    biz_step: str = "sensor_reporting",
) -> Event:
    """An ObjectEvent OBSERVE carrying an EPCIS 2.0 ``sensorElementList``."""
    return object_event(
        when=when,
        epcs=epcs,
        action="OBSERVE",
        biz_step=biz_step,
        disposition=config.disposition,
        read_point=config.read_point,
        biz_location=config.biz_location,
        tz=config.timezone_offset,
        sensors=[sensor_element(when=when, readings=readings, device_id=config.device_id)],
    )
