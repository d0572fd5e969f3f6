"""Shared test helpers: a warehouse path in a temp dir and the real CLI run in-process."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner, Result

from pipeline.cli import app, register_commands
from pipeline.runtime import configure_runtime
from tests.sources_replay import local_server

FIXTURES = Path(__file__).parent / "fixtures"

# The `foresight` processes the tests start keep numba's compiled UMAP code where the command keeps it for users
# (`pipeline.runtime`), but in a folder of this test session, not in the user's cache: the first process compiles,
# the later ones load, as on a user's machine from the second run on. Set before anything imports numba.
if "NUMBA_CACHE_DIR" not in os.environ:
    _numba_cache = tempfile.mkdtemp(prefix="foresight-tests-numba-")
    os.environ["NUMBA_CACHE_DIR"] = _numba_cache
    atexit.register(shutil.rmtree, _numba_cache, True)
if "FORESIGHT_CACHE_DIR" not in os.environ:  # the seed terms' lemma keys too (`pipeline.runtime`)
    _foresight_cache = tempfile.mkdtemp(prefix="foresight-tests-cache-")
    os.environ["FORESIGHT_CACHE_DIR"] = _foresight_cache
    atexit.register(shutil.rmtree, _foresight_cache, True)
configure_runtime()  # this process too: what it compiles first (UMAP, in `topic_model_ready`) the later ones load


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


@pytest.fixture(scope="module")
def module_server() -> Iterator[HTTPServer]:
    """One replay server on 127.0.0.1 per test module (starting one per test costs time)."""
    with local_server() as running:
        yield running


@pytest.fixture
def server(module_server: HTTPServer) -> Iterator[HTTPServer]:
    """The module's replay server with no expectations left over from the previous test."""
    module_server.clear()
    yield module_server
    module_server.clear()


@pytest.fixture(scope="session")
def topic_model_ready() -> None:
    """Import BERTopic and compile UMAP's numba code once per test session, before the first test that fits topics.

    Importing BERTopic and the first UMAP fit of a process cost tens of seconds (numba compiles UMAP; the cache in
    `pipeline.runtime` keeps that across processes). Paying it here, once, keeps that cost out of whichever topic
    test happens to run first, so each test's own time says what it costs.
    """
    import bertopic  # noqa: F401 - the import itself is the cost being paid
    import numpy as np
    from umap import UMAP

    vectors = np.random.default_rng(0).normal(size=(40, 8)).astype(np.float32)
    UMAP(n_neighbors=5, n_components=2, random_state=0).fit(vectors)
