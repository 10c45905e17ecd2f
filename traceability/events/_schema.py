"""The official EPCIS 2.0 JSON Schema: loading, per-event-type sub-schemas, fast validators.

Each event type has two validators with the same meaning:

* a ``fastjsonschema`` function (generated Python, a few µs per event) that only says
  accept/reject — the hot path;
* a ``jsonschema`` ``Draft7Validator`` (see :mod:`traceability.events.validation`) that names
  every problem with its path — run only when the fast one rejects.

Where the two libraries differ, both are made to follow one rule (a test checks that they agree
on every GS1 example, the tampered corpus and generated mutations):

* ``$ref``: every ``#/definitions/…`` reference is inlined before compilation (the event
  definitions are not recursive), so neither library resolves references at run time.
* ``format``: only ``date-time`` is asserted, by :data:`RFC3339` in both. ``uri`` is left as an
  annotation, as before (fastjsonschema would check its own URI regex, so ``format: uri`` is
  removed from its copy of the schema).
* ``pattern``: ECMA-262 semantics, ``$`` matches only at the very end of the string.
  fastjsonschema compiles ``$`` as ``\\Z``; the jsonschema validator gets the same ``pattern``
  keyword (:func:`ecma_pattern`). Python's plain ``$`` would also accept a trailing newline.
* ``array``: fastjsonschema also accepts tuples; the generated code is patched to lists only
  (JSON arrays, as jsonschema).
* defaults: ``use_default=False`` (fastjsonschema would otherwise write defaults into events).
* speed only: nested ``anyOf`` are flattened and their string enums merged and tried first
  (:func:`_cheap_any_of`, same accept/reject), so that standard values raise no exception.
* ``anyOf`` / ``allOf`` / ``if``-``then`` / ``propertyNames`` / ``uniqueItems`` / ``enum``:
  supported by both with the same meaning (draft-07).

Only the five event types get a fast validator; anything else (no or unknown ``type``) goes
straight to jsonschema. Compiling one type costs ~10-30 ms, so it happens lazily, once per
process and type, and the generated code object is cached on disk (marshalled, keyed by the
prepared schema, the fastjsonschema version and the Python bytecode tag) under
``$SUYUAN_CACHE_DIR`` (``off`` disables it), else ``$XDG_CACHE_HOME/suyuan`` or
``~/.cache/suyuan``. A cache hit does not even import fastjsonschema.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import marshal
import os
import re
import sys
import tempfile
import types
from collections.abc import Callable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

__all__ = [
    "EVENT_TYPES",
    "RFC3339",
    "FastReject",
    "deref",
    "ecma_pattern",
    "event_schema",
    "fast_validator",
    "schema",
]

EVENT_TYPES: Final = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
RFC3339: Final = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)\Z"
)
_DOLLAR: Final = re.compile(r"(?<!\\)\$")  # what fastjsonschema rewrites to \Z
_CODE_VERSION: Final = "2"  # bump when the preparation below changes


class FastReject(ValueError):  # noqa: N818 - stands in for fastjsonschema's exception names
    """Raised by a generated validator for the first problem it meets."""

    def __init__(self, message: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(message)
        self.message = message


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The official EPCIS 2.0 JSON Schema (loaded once)."""
    text = resources.files("traceability.events").joinpath("schema/EPCIS-JSON-Schema.json")
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return loaded


@lru_cache(maxsize=64)
def ecma_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with ECMA-262 ``$`` (end of string only), as fastjsonschema does."""
    return re.compile(_DOLLAR.sub(r"\\Z", pattern))


def deref(node: Any, defs: Mapping[str, Any], stack: tuple[str, ...] = ()) -> Any:
    """Inline every ``#/definitions/...`` reference (the event definitions are not recursive).

    Same meaning under draft-07 (a ``$ref`` replaces its object), ~2.5x faster to validate.
    """
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            name = ref.rsplit("/", 1)[1].replace("%40", "@")
            if name in stack:
                raise ValueError(f"recursive schema definition {name}")
            return deref(defs[name], defs, (*stack, name))
        return {k: deref(v, defs, stack) for k, v in node.items()}
    if isinstance(node, list):
        return [deref(v, defs, stack) for v in node]
    return node


@lru_cache(maxsize=8)
def event_schema(name: str) -> dict[str, Any]:
    """The self-contained (dereferenced) schema of one definition, e.g. ``ObjectEvent``."""
    defs = schema()["definitions"]
    found: dict[str, Any] = deref(defs[name], defs)
    return found


def _without_uri_format(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _without_uri_format(v) for k, v in node.items() if not (k == "format" and v == "uri")
        }
    if isinstance(node, list):
        return [_without_uri_format(v) for v in node]
    return node


def _is_string_enum(node: Any) -> bool:
    return (
        isinstance(node, dict)
        and node.keys() == {"type", "enum"}
        and node["type"] == "string"
        and isinstance(node["enum"], list)
        and all(isinstance(v, str) for v in node["enum"])
    )


def _cheap_any_of(node: Any) -> Any:
    """Same accept/reject, fewer failing branches (fastjsonschema tries them in order).

    ``anyOf: [{anyOf: [a, b]}, c]`` is ``anyOf: [a, b, c]``; string enums among the branches
    are merged into one (``{type: string, enum: A}`` or ``B`` is ``enum: A + B``) tried first.
    """
    if isinstance(node, list):
        return [_cheap_any_of(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _cheap_any_of(v) for k, v in node.items()}
    branches = out.get("anyOf")
    if isinstance(branches, list):
        flat: list[Any] = []
        for b in branches:
            nested = b.get("anyOf") if isinstance(b, dict) and b.keys() == {"anyOf"} else None
            flat.extend(nested if isinstance(nested, list) else [b])
        enums = [b for b in flat if _is_string_enum(b)]
        rest = [b for b in flat if not _is_string_enum(b)]
        if enums:
            words = list(dict.fromkeys(w for b in enums for w in b["enum"]))
            rest.insert(0, {"type": "string", "enum": words})
        out["anyOf"] = rest
    return out


def _prepared(event_type: str) -> dict[str, Any]:
    body = _cheap_any_of(_without_uri_format(event_schema(event_type)))
    return {"$schema": "http://json-schema.org/draft-07/schema#", **body}


_IMPORT_LINE: Final = (
    "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException"
)


def _generate(prepared: dict[str, Any]) -> str:
    import fastjsonschema  # only when the code is not cached

    code = fastjsonschema.compile_to_code(
        prepared,
        formats={"date-time": RFC3339.pattern},
        use_default=False,
        detailed_exceptions=False,
    )
    if _IMPORT_LINE not in code:
        raise RuntimeError("unexpected fastjsonschema output (exception import line)")
    code = code.replace(_IMPORT_LINE, "")
    # JSON arrays are lists; fastjsonschema would also take tuples (jsonschema does not)
    return code.replace("list, tuple", "list")


def _cache_dir() -> Path | None:
    configured = os.environ.get("SUYUAN_CACHE_DIR")
    if configured is not None:
        return None if configured.lower() in ("", "0", "off", "no") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "suyuan"


def _key(prepared: dict[str, Any]) -> str:
    try:  # the installed distribution's version, without importing the package
        version = importlib.metadata.version("fastjsonschema")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a dependency
        version = "?"
    text = json.dumps(prepared, sort_keys=True, separators=(",", ":"))
    tag = f"{_CODE_VERSION}|{version}|{sys.implementation.cache_tag}|"
    magic = importlib.util.MAGIC_NUMBER.hex()
    return hashlib.sha256((tag + magic + "|" + text).encode()).hexdigest()[:32]


def _code_object(event_type: str) -> types.CodeType:
    prepared = _prepared(event_type)
    folder = _cache_dir()
    path = folder / f"epcis-{event_type}-{_key(prepared)}.marshal" if folder else None
    if path is not None:
        try:
            loaded = marshal.loads(path.read_bytes())
            if isinstance(loaded, types.CodeType):
                return loaded
        except (OSError, ValueError, EOFError, TypeError):
            pass
    code = compile(_generate(prepared), f"<epcis-schema {event_type}>", "exec")
    if path is not None:
        _store(path, marshal.dumps(code))
    return code


def _store(path: Path, data: bytes) -> None:
    """Write atomically (other processes may read the same file); failures are ignored."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass


@lru_cache(maxsize=8)
def fast_validator(event_type: str) -> Callable[[Any], Any]:
    """The generated validator of one event type: returns, or raises :class:`FastReject`."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"no fast validator for {event_type!r}")
    namespace: dict[str, Any] = {
        "__name__": f"traceability.events._schema_{event_type}",
        "JsonSchemaValueException": FastReject,
        "JsonSchemaValuesException": FastReject,
    }
    exec(_code_object(event_type), namespace)  # code generated from our own schema
    validate: Callable[[Any], Any] = namespace["validate"]
    return validate
