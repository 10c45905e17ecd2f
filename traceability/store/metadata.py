"""Import every table model so ``SQLModel.metadata`` is complete (for migrations and tests)."""

from __future__ import annotations

import importlib

from sqlmodel import SQLModel

MODEL_MODULES = (
    "traceability.registry.models",
    "traceability.store.models",
    "traceability.ledger.models",
    "traceability.recall.models",
    "traceability.epcis.models",
    "traceability.notices.models",
    "traceability.consumer.models",
)


def load_all_models() -> type[SQLModel]:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return SQLModel
