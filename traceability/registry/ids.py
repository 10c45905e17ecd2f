"""The one rule for registry ids (parties, locations, devices): what the envelope's ``device``
field, MQTT topics, broker user names and file names built from an id all rely on.

1-64 characters of ``[A-Za-z0-9_.-]``, starting with a letter or digit: no ``/``, no spaces, no
leading ``.``, so an id used as a file name or a topic level can never leave its folder or level.
"""

from __future__ import annotations

import re
from pathlib import Path

from traceability.errors import InvalidInputError

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
ID_RULE = "1-64 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def check_id(value: object, *, field: str = "id") -> str:
    """``value`` when it is a valid id, else :class:`InvalidInputError` naming the rule."""
    if not is_valid_id(value):
        raise InvalidInputError(
            f"{field} {value!r} is not a valid id ({ID_RULE})",
            code="invalid_id",
            field=field,
            value=value if isinstance(value, str) else repr(value),
        )
    assert isinstance(value, str)
    return value


def path_for_id(folder: Path, value: str, *, suffix: str, field: str = "id") -> Path:
    """``folder/<id><suffix>``, after checking the id and that the resolved path stays inside
    ``folder`` (a symlinked folder is followed; a path that leaves it is refused)."""
    check_id(value, field=field)
    base = folder.resolve()
    path = (base / f"{value}{suffix}").resolve()
    if path.parent != base:
        raise InvalidInputError(
            f"{field} {value!r} would write outside {base}", code="invalid_id", field=field
        )
    return path
