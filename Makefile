# Suyuan — the two commands are `make demo` and `make test`; both set themselves up.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_NO_PROGRESS := 1
STAMP := $(VENV)/.installed

.PHONY: install demo test test-unit test-integration lint services bench clean

# Idempotent: re-syncs only when pyproject.toml or uv.lock changed.
install: $(STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

demo: install
	$(VENV)/bin/tracectl demo

services:
	bash .ci/services.sh
	bash .ci/interop.sh
	bash .ci/zpl.sh
	bash .ci/axe.sh

test: install services
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/pytest -q -p no:cacheprovider --durations=15 tests

test-unit: install
	$(VENV)/bin/pytest -q tests/unit

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy traceability gateway devices label_printing api bench

bench: install services
	$(VENV)/bin/python -m bench.events --json
	$(VENV)/bin/python -m bench.identifiers --json
	$(VENV)/bin/python -m bench.ledger --json
	$(VENV)/bin/python -m bench.ingest --json
	$(VENV)/bin/python -m bench.labels --json

clean:
	rm -rf $(VENV) $(TOOLS) .suyuan .mypy_cache .ruff_cache .pytest_cache
