from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
HASH_DIR = VECTORS / "event-hash"
EXAMPLES_DIR = VECTORS / "epcis" / "examples"
TAMPERED_DIR = Path(__file__).resolve().parent / "tampered"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
