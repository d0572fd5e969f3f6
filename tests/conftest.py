"""Shared test helpers: a warehouse path in a temp dir and the real CLI run in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from pipeline.cli import app, register_commands

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "foresight.duckdb"


@pytest.fixture
def cli(db_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """Run `foresight --db <tmp db> ARGS...` in-process; stdout and stderr are kept apart."""
    register_commands()
    monkeypatch.chdir(tmp_path)  # no ./foresight.toml of the developer's leaks in
    monkeypatch.delenv("FORESIGHT_CONFIG", raising=False)
    monkeypatch.delenv("FORESIGHT_DB", raising=False)
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, ["--db", str(db_path), *args], catch_exceptions=False)

    return run
