"""Faults while a scan works: the network fails, the disk fills up, the process is killed.

The sources are the local replay of every real source (tests/sources_replay.py) on 127.0.0.1 with a fault put in
front of one path; the warehouse is a real DuckDB file. Each test checks three things: the fault is reported for the
source or command it hit (a `failed` run with its reason), everything else is kept, and the next run completes the
work without duplicates: the same documents an uninterrupted run would have.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline.config import Config, load_config
from pipeline.ingest import IngestResult, run_ingest
from tests.conftest import FIXTURES
from tests.sources_replay import (
    ENVIRON,
    EXPECTED_DOCUMENTS,
    Replay,
    local_server,
    merged,
    replay_settings,
    write_config,
)
from warehouse import Warehouse
from warehouse.db import published_path

ROOT = Path(__file__).resolve().parents[1]
ALL_DOCUMENTS = sum(EXPECTED_DOCUMENTS.values())
FAST_HTTP = {"read_timeout_s": 0.5, "connect_timeout_s": 0.5, "retries": 2, "backoff_base_s": 0.001}


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    with local_server() as running:
        yield running


def config_for(server: HTTPServer, folder: Path, **http: Any) -> Config:
    settings = merged(replay_settings(server), {"http": {**FAST_HTTP, **http}})
    return load_config(write_config(folder / "foresight.toml", settings))


def ingest(db: Path, config: Config) -> IngestResult:
    with Warehouse.open_writer(db) as wh:
        return run_ingest(wh, config, environ=ENVIRON)


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with Warehouse.open_reader(db) as wh:
        return wh.con.execute(sql, params or []).fetchall()


def per_source(db: Path) -> dict[str, int]:
    return dict(query(db, "select source, count(*) from documents group by source"))


def outcomes(result: IngestResult) -> dict[str, Any]:
    return {o.source: o for o in result.outcomes}


def assert_complete_after_rerun(db: Path, server: HTTPServer, config: Config) -> IngestResult:
    """The fault is gone: the next ingest brings every source to what an uninterrupted run has, no duplicates."""
    server.clear()
    Replay(server).install()
    rerun = ingest(db, config)
    assert rerun.status == "ok", [(o.source, o.error) for o in rerun.outcomes]
    assert per_source(db) == EXPECTED_DOCUMENTS
    assert query(db, "select count(*), count(distinct doc_id) from documents") == [(ALL_DOCUMENTS, ALL_DOCUMENTS)]
    return rerun


def fault_first(server: HTTPServer, path: str, handler: Any) -> Replay:
    """Put `handler` in front of `path` (the first registered handler wins), then the normal replay."""
    server.expect_request(path).respond_with_handler(handler)
    return Replay(server).install()


# -- network -------------------------------------------------------------------------------------------------------


def test_a_timeout_on_the_second_page_keeps_the_first_page_and_the_other_sources(tmp_path, server) -> None:
    replay = Replay(server)

    def slow_second_page(request: Request) -> Response:
        if request.args.get("cursor") != "*":
            time.sleep(1.5)  # longer than read_timeout_s = 0.5
        return replay.openalex(request)

    fault_first(server, "/openalex/works", slow_second_page)
    db, config = tmp_path / "w.duckdb", config_for(server, tmp_path)
    first = ingest(db, config)
    openalex = outcomes(first)["openalex"]
    assert openalex.status == "failed" and "timed out" in (openalex.error or "") and "3 attempt" in openalex.error
    assert openalex.new == 3  # page 1 was committed before page 2 timed out
    assert first.status == "partial"
    assert per_source(db) == {**EXPECTED_DOCUMENTS, "openalex": 3}
    assert query(db, "select state->>'window_end' from sources where source = 'openalex'") == [(None,)]
    rerun = assert_complete_after_rerun(db, server, config)
    assert (outcomes(rerun)["openalex"].new, outcomes(rerun)["openalex"].unchanged) == (3, 3)


def test_a_connection_reset_mid_body_is_retried_then_reported_and_the_rerun_completes(tmp_path, server) -> None:
    replay = Replay(server)

    def cut_off(request: Request) -> Response:
        if request.args.get("start") != "3":
            return replay.arxiv(request)
        full = replay.arxiv(request).get_data()

        def half_then_reset() -> Iterator[bytes]:
            yield full[: len(full) // 2]
            raise ConnectionResetError("the peer went away mid-body")

        return Response(
            half_then_reset(),
            headers={"Content-Length": str(len(full))},
            content_type="application/atom+xml",
            direct_passthrough=True,
        )

    fault_first(server, "/arxiv/api/query", cut_off)
    db, config = tmp_path / "w.duckdb", config_for(server, tmp_path)
    first = ingest(db, config)
    arxiv = outcomes(first)["arxiv"]
    assert arxiv.status == "failed" and "connection failed" in (arxiv.error or "")
    second_page = [r for r, _ in server.log if r.path == "/arxiv/api/query" and r.args.get("start") == "3"]
    assert len(second_page) == 3  # one try and two retries
    assert per_source(db) == {**EXPECTED_DOCUMENTS, "arxiv": 3}
    assert_complete_after_rerun(db, server, config)


def test_a_429_storm_stops_the_source_after_its_retries_and_spares_the_others(tmp_path, server) -> None:
    fault_first(
        server,
        "/epo/rest-services/published-data/search/biblio",
        lambda request: Response(b"<fault>too many</fault>", status=429, headers={"Retry-After": "0"}),
    )
    db, config = tmp_path / "w.duckdb", config_for(server, tmp_path)
    first = ingest(db, config)
    epo = outcomes(first)["epo"]
    assert epo.status == "failed" and "HTTP 429" in (epo.error or "") and "3 attempt" in epo.error
    assert epo.new == 0 and per_source(db) == {k: v for k, v in EXPECTED_DOCUMENTS.items() if k != "epo"}
    assert all(o.status == "ok" for name, o in outcomes(first).items() if name != "epo")
    assert_complete_after_rerun(db, server, config)


def test_a_429_asking_for_an_hour_fails_at_once_instead_of_blocking_the_scan(tmp_path, server) -> None:
    fault_first(
        server,
        "/openalex/works",
        lambda request: Response(b"{}", status=429, headers={"Retry-After": "3600"}),
    )
    db, config = tmp_path / "w.duckdb", config_for(server, tmp_path)
    started = time.monotonic()
    first = ingest(db, config)
    assert time.monotonic() - started < 20
    openalex = outcomes(first)["openalex"]
    assert openalex.status == "failed" and "retry after 3600 s" in (openalex.error or "") and openalex.requests == 1
    assert_complete_after_rerun(db, server, config)


def test_an_epo_token_that_expires_mid_paging_is_renewed_and_paging_goes_on(tmp_path, server) -> None:
    replay = Replay(server)

    def expire_after_first_page(request: Request) -> Response:
        answer = replay.epo_search(request)
        if request.args.get("Range") == "1-3" and answer.status_code == 200:
            replay.valid_tokens.clear()  # the 20 minutes are over between page 1 and page 2
        return answer

    server.expect_request("/epo/auth/accesstoken", method="POST").respond_with_handler(replay.epo_token)
    fault_first(server, "/epo/rest-services/published-data/search/biblio", expire_after_first_page)
    db, config = tmp_path / "w.duckdb", config_for(server, tmp_path)
    first = ingest(db, config)
    epo = outcomes(first)["epo"]
    assert epo.status == "ok" and epo.new == EXPECTED_DOCUMENTS["epo"]
    assert replay.tokens_issued == 2
    statuses = [resp.status_code for r, resp in server.log if r.path.endswith("/search/biblio")]
    assert statuses == [200, 401, 200]
    assert per_source(db) == EXPECTED_DOCUMENTS


# -- a full disk -----------------------------------------------------------------------------------------------------


PUBLISH_ONTO_FULL_DISK = textwrap.dedent(
    """
    import resource, signal, sys
    from warehouse import Warehouse
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a full file system: writes fail with an error, no signal
    with Warehouse.open_writer(sys.argv[1]) as wh:
        wh.con.execute("insert into sources values ('kept', 'news', now(), null, '{}')")
        wh.con.execute("checkpoint")                 # the warehouse has it; then the disk fills up
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
    """
)


def test_a_full_disk_while_publishing_keeps_the_old_snapshot_and_the_next_close_publishes(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    with Warehouse.open_writer(db):
        pass  # an empty, published warehouse
    full = subprocess.run(
        [sys.executable, "-c", PUBLISH_ONTO_FULL_DISK, str(db)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert full.returncode == 1 and "File too large" in full.stderr, full.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb", "w.published.duckdb"]  # no half copy left
    assert query(db, "select count(*) from sources") == [(0,)]  # readers still see the last complete state
    with Warehouse.open_writer(db):
        pass  # the next writer publishes what the interrupted one committed
    assert query(db, "select source from sources") == [("kept",)]


IMPORT_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pipeline.importing import import_file
    from sources.files import ColumnMapping, FileImport
    from warehouse import Warehouse
    mapping = ColumnMapping(id="patent_id", title="title", text="abstract", date="grant_date")
    reader = FileImport(Path(sys.argv[2]), "patent", "export", mapping)
    with Warehouse.open_writer(sys.argv[1]) as wh:
        result = import_file(wh, reader)
    print("IMPORTED", result.inserted, flush=True)
    """
)


def import_in_process(db: Path, export: Path) -> int:
    """The same import as IMPORT_SCRIPT, here: the number of documents it inserted."""
    from pipeline.importing import import_file
    from sources.files import ColumnMapping, FileImport

    mapping = ColumnMapping(id="patent_id", title="title", text="abstract", date="grant_date")
    with Warehouse.open_writer(db) as wh:
        return import_file(wh, FileImport(export, "patent", "export", mapping)).inserted


IMPORT_UNDER_LIMIT = textwrap.dedent(
    """
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a full file system: writes fail with an error, no signal
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    from pipeline.cli import main
    sys.argv = ["foresight", *sys.argv[2:]]
    main()
    """
)


def patent_export(target: Path, copies: int) -> Path:
    """The real NVIDIA patent rows of the import fixture, `copies` times with perturbed ids (a few MB)."""
    lines = (FIXTURES / "import" / "nvidia_patents_100_3broken.csv").read_text(encoding="utf-8").splitlines(True)
    header, rows = lines[0], lines[1:]
    with target.open("w", encoding="utf-8") as out:
        out.write(header)
        for copy in range(copies):
            out.writelines(f"{copy}{row}" if row[:1].isdigit() else row for row in rows)
    return target


def import_args(db: Path, export: Path) -> list[str]:
    return ["--db", str(db), "import", str(export), "--kind", "patent", "--id-col", "patent_id", "--date-col",
            "grant_date", "--title-col", "title", "--text-col", "abstract"]  # fmt: skip


def test_a_full_disk_while_importing_leaves_the_warehouse_as_it_was_and_the_retry_completes(tmp_path) -> None:
    """`foresight import` under a file-size limit (the disk is full): a clear error, the old state, a retry works."""
    db = tmp_path / "w.duckdb"
    before = import_in_process(db, patent_export(tmp_path / "small.csv", 1))
    big = patent_export(tmp_path / "big.csv", 40)
    limit = db.stat().st_size + 1_000_000  # room for a little, not for 40 copies of the export
    full = subprocess.run(
        [sys.executable, "-c", IMPORT_UNDER_LIMIT, str(limit), *import_args(db, big)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert full.returncode == 1, full.stderr[-3000:]
    assert "Traceback" not in full.stderr, full.stderr[-3000:]
    assert "File too large" in full.stderr or "No space" in full.stderr, full.stderr[-2000:]
    with Warehouse.open_writer(db) as wh:  # the file opens and holds exactly the state before the failed import
        assert wh.con.execute("select count(*) from documents").fetchone() == (before,)
    inserted = import_in_process(db, big)
    count, distinct = query(db, "select count(*), count(distinct doc_id) from documents")[0]
    assert count == distinct == before + inserted and inserted > 0


# -- the process killed while it writes ---------------------------------------------------------------------------


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


INGEST_SCRIPT = textwrap.dedent(
    """
    import sys
    from pipeline.config import load_config
    from pipeline.ingest import run_ingest
    from tests.sources_replay import ENVIRON
    from warehouse import Warehouse
    with Warehouse.open_writer(sys.argv[1]) as wh:
        result = run_ingest(wh, load_config(sys.argv[2]), environ=ENVIRON)
    print("INGEST", result.status, flush=True)
    """
)


@pytest.mark.slow
def test_an_ingest_killed_mid_paging_keeps_the_committed_pages_and_the_rerun_completes(tmp_path, server) -> None:
    """SIGKILL while OpenAlex page 2 is being served: page 1 and the sources before it are committed."""
    replay = Replay(server)
    asked = threading.Event()

    def hang_on_second_page(request: Request) -> Response:
        if request.args.get("cursor") != "*":
            asked.set()
            time.sleep(5)
        return replay.openalex(request)

    fault_first(server, "/openalex/works", hang_on_second_page)
    db = tmp_path / "w.duckdb"
    config_for(server, tmp_path, read_timeout_s=30)
    victim = subprocess.Popen(
        [sys.executable, "-c", INGEST_SCRIPT, str(db), str(tmp_path / "foresight.toml")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert asked.wait(60), "the ingest never asked for page 2"
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    with Warehouse.open_writer(db) as wh:  # opens fine after the kill; what was committed is there
        kept = dict(wh.con.execute("select source, count(*) from documents group by source").fetchall())
        running = wh.con.execute("select count(*) from runs where status = 'running'").fetchone()[0]
    assert kept == {"rub-news": 4, "fraunhofer": 3, "openalex": 3}
    assert running >= 2  # the killed ingest and its openalex run say so (a scan closes them as interrupted)
    assert_complete_after_rerun(db, server, load_config(tmp_path / "foresight.toml"))


IMPORT_THEN_WAIT = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from pipeline.importing import import_file
    from sources.files import ColumnMapping, FileImport
    from warehouse import Warehouse, db
    real_fsync = os.fsync
    def slow_fsync(fd):                      # a slow disk: the publish copy is on disk, not yet renamed
        print("PUBLISHING", flush=True)
        time.sleep(30)
        real_fsync(fd)
    db.os.fsync = slow_fsync
    mapping = ColumnMapping(id="patent_id", title="title", text="abstract", date="grant_date")
    with Warehouse.open_writer(sys.argv[1]) as wh:
        import_file(wh, FileImport(Path(sys.argv[2]), "patent", "export", mapping))
    """
)


def test_a_process_killed_while_publishing_leaves_the_old_snapshot_and_no_stray_copy(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    before = import_in_process(db, patent_export(tmp_path / "small.csv", 1))
    more = patent_export(tmp_path / "more.csv", 3)
    victim = subprocess.Popen(
        [sys.executable, "-c", IMPORT_THEN_WAIT, str(db), str(more)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert victim.stdout is not None and victim.stdout.readline().strip() == "PUBLISHING"
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    assert query(db, "select count(*) from documents") == [(before,)]  # readers: the last complete snapshot
    with Warehouse.open_writer(db) as wh:
        committed = wh.con.execute("select count(*) from documents").fetchone()[0]
    assert committed > before  # the import had committed; the next writer's close published it
    assert query(db, "select count(*) from documents") == [(committed,)]
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [], "a killed publish left its partial copy behind"
    assert published_path(db).exists()


@pytest.mark.slow
@pytest.mark.parametrize("fraction", [0.15, 0.5, 0.85])
def test_an_import_killed_at_any_moment_leaves_old_or_new_state_and_the_rerun_completes(tmp_path, fraction) -> None:
    export = patent_export(tmp_path / "export.csv", 30)
    reference = tmp_path / "reference.duckdb"
    import_in_process(reference, export)
    expected = query(reference, "select doc_id, content_hash from documents order by doc_id")
    db = tmp_path / "w.duckdb"
    started = time.monotonic()
    timing = subprocess.run(
        [sys.executable, "-c", IMPORT_SCRIPT, str(tmp_path / "timing.duckdb"), str(export)], cwd=ROOT
    )
    assert timing.returncode == 0
    full_seconds = time.monotonic() - started  # process start, import, publish
    victim = subprocess.Popen([sys.executable, "-c", IMPORT_SCRIPT, str(db), str(export)], cwd=ROOT)
    time.sleep(full_seconds * fraction)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    if db.exists():
        with Warehouse.open_writer(db) as wh:  # never a half import: the file's one transaction is all or nothing
            count = wh.con.execute("select count(*) from documents").fetchone()[0]
        assert count in (0, len(expected)), count
    import_in_process(db, export)
    assert query(db, "select doc_id, content_hash from documents order by doc_id") == expected
