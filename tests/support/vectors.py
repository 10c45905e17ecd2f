"""The test vectors' folders (tests/vectors, the tampered EPCIS corpus) and a JSON loader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
VECTORS = TESTS / "vectors"
HASH_DIR = VECTORS / "event-hash"
EXAMPLES_DIR = VECTORS / "epcis" / "examples"
TAMPERED_DIR = TESTS / "unit" / "events" / "tampered"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
