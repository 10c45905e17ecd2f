"""Secret files of the ledger (the log key, its signer state, witness keys and state).

Each is created with mode 0600 (never briefly readable by others: the mode is given to
``open``) and refused on reading when its group or others may read or write it, with an error
naming the file and the ``chmod 600`` that fixes it. The signer state (``<log key>.last``) is
one line ``<size> <base64 root> <count>``: the last checkpoint this signer signed and how many
checkpoints the store held up to that size then (older files lack the count).
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from traceability.errors import ConfigError

__all__ = ["SignerState", "check_private", "read_private", "read_state", "write_private"]


class KeyFileError(ConfigError):
    code = "key_file"


def check_private(path: Path) -> None:
    """Raise unless ``path`` is a file only its owner may read and write."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o066:
        raise KeyFileError(
            f"{path} may be read or written by group/others (mode {mode:04o}); "
            f"run: chmod 600 {path}",
            code="key_file_permissions",
            field="key_file",
            value=str(path),
        )


def read_private(path: Path) -> str:
    """The text of a secret file, after :func:`check_private`."""
    try:
        check_private(path)
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyFileError(f"{path} not found", field="key_file", value=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{path} cannot be read: {exc}", field="key_file") from None


def write_private(path: Path, text: str, *, replace: bool = False) -> None:
    """Write a secret file with mode 0600: a new file (``FileExistsError`` when one is there),
    or with ``replace`` a temporary file renamed over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path.with_name(path.name + ".tmp") if replace else path
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    fd = os.open(target, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.fchmod(fh.fileno(), 0o600)  # an old temporary file may have had another mode
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    if replace:
        target.replace(path)


@dataclass(frozen=True, slots=True)
class SignerState:
    """The last checkpoint a log signer signed (``count``: checkpoints up to it, or None)."""

    size: int
    root: bytes
    count: int | None = None

    def line(self) -> str:
        root = base64.b64encode(self.root).decode()
        return f"{self.size} {root} {self.count}\n" if self.count else f"{self.size} {root}\n"


def read_state(path: Path) -> SignerState | None:
    """The signer state in ``path``, None when there is none; KeyFileError when unreadable."""
    if not path.exists():
        return None
    parts = read_private(path).split()
    try:
        if len(parts) not in (2, 3) or not all(p.isascii() and p.isdigit() for p in parts[::2]):
            raise ValueError("expected: <size> <base64 root> [<count>]")
        root = base64.b64decode(parts[1], validate=True)
        if len(root) != 32:
            raise ValueError("the root is not 32 bytes")
    except (ValueError, binascii.Error) as exc:
        raise KeyFileError(
            f"signer state {path} is malformed ({exc}); restore it from a backup",
            field="state",
            value=str(path),
        ) from None
    return SignerState(int(parts[0]), root, int(parts[2]) if len(parts) == 3 else None)
