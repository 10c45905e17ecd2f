"""Run ``tracectl`` in-process (CliRunner) or as the console script, with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from traceability.cli.main import app
from traceability.config import get_settings

TRACECTL = str(Path(sys.executable).with_name("tracectl"))


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


class Cli:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(self, *args: str) -> Result:
        """In-process, through the same root group as the console script."""
        get_settings.cache_clear()
        res = CliRunner().invoke(app, list(args), env=self.env)
        return Result(res.exit_code, res.stdout, res.stderr)

    def script(self, *args: str, timeout: float = 60, **extra: str) -> Result:
        """The console script in a subprocess."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
        env.update(self.env, **extra)
        proc = subprocess.run(
            [TRACECTL, *args], env=env, capture_output=True, text=True, timeout=timeout
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    for name in list(os.environ):
        if name.startswith("TRACE_"):
            monkeypatch.delenv(name)
    data = tmp_path / "data"
    env = {"TRACE_DATA_DIR": str(data)}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    yield Cli(env)
    get_settings.cache_clear()


def one_line_error(res: Result, status: int, *needles: str) -> str:
    """The run failed with ``status``, one ``error: …`` line on stderr naming ``needles``."""
    assert res.code == status, (res.code, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr + res.stdout
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]
