"""The docs stay true to the code: every setting documented, every command named exists, every
link resolves, no reference to a design file outside the repo, the README stays short."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from traceability.cli.main import COMMANDS, GROUPS
from traceability.config import Settings

REPO = Path(__file__).resolve().parents[3]
DOCS = REPO / "docs"
PAGES = [REPO / "README.md", *sorted(DOCS.glob("*.md"))]
# settings read outside traceability/config.py (gateway/config.py, events/_schema.py)
EXTRA_SETTINGS = ("TRACE_GATEWAY_DECODE_WORKERS", "SUYUAN_CACHE_DIR")


def _settings_table() -> str:
    return (DOCS / "operations.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_in_the_operations_table(name: str) -> None:
    assert f"`TRACE_{name.upper()}`" in _settings_table()


@pytest.mark.parametrize("name", EXTRA_SETTINGS)
def test_settings_outside_config_are_in_the_table(name: str) -> None:
    assert f"`{name}`" in _settings_table()


def test_no_documented_setting_is_made_up() -> None:
    known = {f"TRACE_{n.upper()}" for n in Settings.model_fields} | set(EXTRA_SETTINGS)
    rows = re.findall(r"^\| `([A-Z_]+)`", _settings_table(), flags=re.MULTILINE)
    assert rows and set(rows) <= known


def test_every_command_named_in_the_docs_exists() -> None:
    names = set(COMMANDS) | set(GROUPS)
    for page in PAGES:
        for word in re.findall(r"\btracectl ([a-z][a-z-]*)", page.read_text(encoding="utf-8")):
            assert word in names, f"{page.name} names `tracectl {word}`, which does not exist"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


# The name of the design file outside the repo, spelt so that this file does not cite it either.
OUTSIDE_DESIGN = "DESIGN" + ".md"


def test_design_md_is_not_cited() -> None:
    """The design lives in docs/; a citation of a file outside the repo cannot be followed."""
    for path in [*REPO.glob("*.md"), *DOCS.glob("*.md")]:
        assert OUTSIDE_DESIGN not in path.read_text(encoding="utf-8"), path
    for pkg in ("traceability", "gateway", "devices", "api", "label_printing", "bench"):
        for path in (REPO / pkg).rglob("*.py"):
            assert OUTSIDE_DESIGN not in path.read_text(encoding="utf-8"), path


def test_readme_is_a_front_door() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 150
    for page in ("architecture", "protocol", "operations", "benchmarks"):
        assert f"(docs/{page}.md)" in text
