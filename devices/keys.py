"""Device Ed25519 keys on disk: a small JSON file, mode 0600, refused when others can read it."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from traceability.errors import ConfigError, InvalidInputError
from traceability.signing import ed25519 as signing


class KeyFileError(ConfigError):
    code = "key_file"


@dataclass(frozen=True, slots=True)
class DeviceKeyPair:
    device_id: str
    seed: bytes
    public_key: bytes

    @property
    def key_id(self) -> str:
        return signing.key_id(self.public_key)

    @classmethod
    def generate(cls, device_id: str) -> DeviceKeyPair:
        seed, public = signing.generate_keypair()
        return cls(device_id=device_id, seed=seed, public_key=public)

    @classmethod
    def from_seed(cls, device_id: str, seed: bytes) -> DeviceKeyPair:
        return cls(
            device_id=device_id, seed=seed, public_key=signing.public_key_from_seed(seed=seed)
        )


def save_key(key: DeviceKeyPair, path: Path, *, overwrite: bool = False) -> Path:
    """Write the key file with mode 0600 (created that way: never briefly world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "device": key.device_id,
        "key_id": key.key_id,
        "alg": "Ed25519",
        "seed": signing.b64url(key.seed),
        "public_key": signing.b64url(key.public_key),
    }
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"key file {path} exists (refusing to overwrite)", field="key_file", value=str(path)
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.fchmod(fh.fileno(), 0o600)
        json.dump(doc, fh, indent=2)
        fh.write("\n")
    return path


def load_key(path: Path) -> DeviceKeyPair:
    """Load a key file; refuse it when group or others have any access to it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(
            f"key file {path} not found", field="key_file", value=str(path)
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"key file {path} is accessible by group/others (mode {stat.S_IMODE(mode):04o}); "
            f"run: chmod 600 {path}",
            code="key_file_permissions",
            field="key_file",
            value=f"{stat.S_IMODE(mode):04o}",
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        seed = signing.b64url_decode(doc["seed"])
        device_id = str(doc["device"])
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(
            f"key file {path} is not a device key: {exc}", field="key_file", value=str(path)
        ) from None
    if len(seed) != 32:
        raise KeyFileError(f"key file {path}: seed must be 32 bytes", field="seed")
    key = DeviceKeyPair.from_seed(device_id, seed)
    stored_pub = doc.get("public_key")
    if stored_pub is not None and signing.b64url_decode(stored_pub) != key.public_key:
        raise InvalidInputError(
            f"key file {path}: public key does not match the seed", field="public_key"
        )
    return key


def load_or_create_key(path: Path, device_id: str) -> tuple[DeviceKeyPair, bool]:
    """The key at ``path``, creating one if there is none; returns (key, created)."""
    if path.exists():
        key = load_key(path)
        if key.device_id != device_id:
            raise KeyFileError(
                f"key file {path} belongs to device {key.device_id!r}",
                field="device",
                value=key.device_id,
            )
        return key, False
    key = DeviceKeyPair.generate(device_id)
    save_key(key, path)
    return key, True
