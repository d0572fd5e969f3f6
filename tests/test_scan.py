"""`foresight scan`: one parent run with a child per stage, idempotent re-runs, one scan at a time, kill-safety.

The real stages run against the demo's replay server on 127.0.0.1 and a small real corpus (speeches cut
from the bundled Bundestag sample), so these tests exercise the same code path as a weekly scan.
"""

from __future__ import annotations

import io
import json
import logging
import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.demo import DEMO_AS_OF, ReplayServer, demo_config
from pipeline.progress import LogProgress, Progress, RichProgress, make_progress
from pipeline.scan import Stage, ingest_stage, run_scan
from tests.scan_helpers import small_sample
from warehouse import Warehouse
from warehouse.runs import INTERRUPTED_MESSAGE

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def replay():
    with ReplayServer() as server:
        yield server


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return small_sample(tmp_path_factory.mktemp("sample") / "speeches.csv.gz", per_year=25)


# -- progress ------------------------------------------------------------------------------------------


def test_log_progress_writes_a_few_readable_lines(caplog) -> None:
    progress = LogProgress(interval=3600)
    with caplog.at_level(logging.INFO, logger="foresight.progress"), progress.step("language", total=200) as step:
        for _ in range(200):
            step.advance()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "language: started (200 to do)"
    assert lines[-1].startswith("language: done, 200 items in ")
    middle = lines[1:-1]
    assert 5 <= len(middle) <= 10  # about one line per 10 %, not one per item
    assert "language: 100/200 (50%)" in " ".join(middle)
    assert all("/s" in line for line in middle)


def test_progress_call_forms_and_the_right_kind_per_stream(caplog) -> None:
    progress = LogProgress(interval=3600)
    with caplog.at_level(logging.INFO, logger="foresight.progress"):
        progress("embeddings", 50, 100)
        progress("embeddings", 100, 100)
        progress("waz: 12 fetched, 3 new")
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "embeddings: started (100 to do)"
    assert messages[-2].startswith("embeddings: done, 100 items")
    assert messages[-1] == "waz: 12 fetched, 3 new"

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(make_progress(Terminal()), RichProgress)
    assert isinstance(make_progress(io.StringIO()), LogProgress)
    assert type(make_progress(quiet=True)) is Progress


# -- the scan's bookkeeping ---------------------------------------------------------------------------


def _runs(db: Path) -> list[dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cursor = con.execute("select * from runs order by run_id")
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def test_a_failing_stage_is_recorded_and_the_later_stages_still_run(tmp_path, replay, sample) -> None:
    config = demo_config(replay.base_url, tmp_path, sample)
    ran: list[str] = []

    def broken(ctx) -> dict:
        raise RuntimeError("model file missing")

    def after(ctx) -> dict:
        ran.append("after")
        return {"documents": ctx.warehouse.con.execute("select count(*) from documents").fetchone()[0]}

    db = tmp_path / "w.duckdb"
    with Warehouse.open_writer(db) as wh:
        result = run_scan(
            wh, config, stages=[Stage("ingest", ingest_stage), Stage("analyze", broken), Stage("count", after)]
        )
    assert result.status == "partial"
    assert [(s.name, s.status) for s in result.stages] == [("ingest", "ok"), ("analyze", "failed"), ("count", "ok")]
    assert ran == ["after"]
    runs = {r["run_id"]: r for r in _runs(db)}
    parent = runs[result.run_id]
    assert parent["command"] == "scan" and parent["parent_run_id"] is None and parent["status"] == "partial"
    assert "analyze: RuntimeError: model file missing" in parent["error"]
    children = [r for r in runs.values() if r["parent_run_id"] == result.run_id]
    assert [(c["stage"], c["status"]) for c in children] == [("ingest", "ok"), ("analyze", "failed"), ("count", "ok")]
    for child in children:
        assert child["finished_at"] is not None and "seconds" in json.loads(child["counts"])
    ingest_counts = json.loads(children[0]["counts"])
    assert ingest_counts["imports"]["bundestag-sample"]["inserted"] > 0
    assert ingest_counts["sources"]["epo"]["new"] == 3
    assert json.loads(children[2]["counts"])["documents"] == ingest_counts["new"]
    # The stage runs of the sources hang under the scan's ingest stage.
    assert any(r["source"] == "rub-news" and r["parent_run_id"] == children[0]["run_id"] for r in runs.values())


def test_a_scan_fed_only_by_export_files_has_an_ok_ingest_stage(tmp_path, sample) -> None:
    """Every online source off, one ``[[scan.imports]]`` file: the ingest stage imports it and is ok, not failed."""
    from pipeline.config import load_config

    config_file = tmp_path / "foresight.toml"
    config_file.write_text(
        "\n".join(f"[sources.{name}]\nenabled = false" for name in ("news", "openalex", "arxiv", "epo"))
        + _sample_import(sample),
        encoding="utf-8",
    )
    config = load_config(config_file)
    with Warehouse.open_writer(tmp_path / "w.duckdb") as wh:
        result = run_scan(wh, config, stages=[Stage("ingest", ingest_stage)])
        documents = wh.con.execute("select count(*) from documents").fetchone()[0]
    assert result.status == "ok", result.stages[0].error
    counts = result.stages[0].counts
    assert counts["sources"] == {} and counts["requests"] == 0
    assert counts["new"] == counts["imports"]["bundestag-sample"]["inserted"] == documents > 0


def test_runs_left_running_by_a_killed_scan_are_closed_at_the_next(tmp_path, replay, sample) -> None:
    db = tmp_path / "w.duckdb"
    with Warehouse.open_writer(db) as wh:
        stale = wh.con.execute(
            "insert into runs (command, started_at, status) values ('scan', now(), 'running') returning run_id"
        ).fetchone()[0]
        result = run_scan(wh, demo_config(replay.base_url, tmp_path, sample), stages=[])
    assert result.interrupted_before == 1
    row = next(r for r in _runs(db) if r["run_id"] == stale)
    assert row["status"] == "interrupted" and row["error"] == INTERRUPTED_MESSAGE and row["finished_at"]


def test_only_one_scan_at_a_time(cli, db_path) -> None:
    assert cli("init").exit_code == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from warehouse import Warehouse; w = Warehouse.open_writer({str(db_path)!r}); "
         "print('locked', flush=True); import time; time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = cli("scan", "--quiet")
        assert result.exit_code == 1
        assert "is being written by another foresight process" in result.stderr
        assert f"process {holder.pid}" in result.stderr
    finally:
        holder.kill()
        holder.wait()


# -- the real path: full scan, idempotent re-run, kill-safety ------------------------------------------------


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, replay, sample):
    """One full scan (all real stages) of the small corpus, then a second one with nothing new."""
    folder = tmp_path_factory.mktemp("scanned")
    config = demo_config(replay.base_url, folder, sample)
    db = folder / "w.duckdb"
    with Warehouse.open_writer(db) as wh:
        first = run_scan(wh, config, as_of=DEMO_AS_OF)
        before = _state(wh.con)
    with Warehouse.open_writer(db) as wh:
        second = run_scan(wh, config, as_of=DEMO_AS_OF)
        after = _state(wh.con)
    return db, first, second, before, after


def _state(con: duckdb.DuckDBPyConnection) -> dict:
    """What must not change when nothing new arrives (and must match after a killed scan is rerun)."""

    def rows(sql: str) -> list:
        return con.execute(sql).fetchall()

    return {
        "documents": rows("select doc_id, content_hash from documents order by doc_id"),
        "embeddings": rows("select count(*) from embeddings")[0][0],
        # The analysis window of the last topic fit: what the embeddings stage embeds (and nothing before it).
        "window_documents": rows(
            f"""select count(*) from documents where published <= DATE '{DEMO_AS_OF}' and published >= (
                select (details->>'window_start')::date from runs where stage = 'topics'
                order by run_id desc limit 1)"""
        )[0][0],
        "topics": rows("select topic_id, label from topics order by topic_id"),
        "signals": rows(
            "select topic_id, signal_class, trend, round(score, 6) from v_emerging_topics order by topic_id"
        ),
    }


@pytest.mark.slow
def test_full_scan_records_every_stage_and_writes_report_and_alerts(scanned) -> None:
    db, first, _, before, _ = scanned
    assert first.status == "ok", [(s.name, s.error) for s in first.stages]
    assert [s.name for s in first.stages] == ["ingest", "analyze", "report", "alerts"]
    assert before["topics"] and before["signals"]
    assert before["embeddings"] == before["window_documents"] > 0  # every document of the window, once
    runs = _runs(db)
    children = [r for r in runs if r["parent_run_id"] == first.run_id]
    assert [c["stage"] for c in children] == ["ingest", "analyze", "report", "alerts"]
    analyze_child = children[1]["run_id"]
    nested = {r["stage"] for r in runs if r["parent_run_id"] is not None and r["parent_run_id"] > analyze_child}
    assert {"embeddings", "topics", "emergence"} <= nested
    assert first.report_paths["html"].exists() and first.report_paths["csv"].exists()
    alerts = [json.loads(line) for line in Path(first.report_paths["html"]).parents[1].joinpath("alerts.jsonl").open()]
    assert len(alerts) == len(first.alerts)
    assert {a["alert"] for a in alerts} <= {"new_weak_signal", "turned_strong"}


@pytest.mark.slow
def test_a_scan_with_nothing_new_adds_nothing_and_is_quick(scanned) -> None:
    _, first, second, before, after = scanned
    assert second.status == "ok", [(s.name, s.error) for s in second.stages]
    assert after == before  # no documents, embeddings or topics added; topic ids and signals unchanged
    assert second.stage("ingest").counts["new"] == 0
    assert second.alerts == []  # nothing changed since the first scan's snapshot
    assert second.seconds < 10, [(s.name, round(s.seconds, 1)) for s in second.stages]


SCAN_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pipeline.runtime import configure_runtime
    configure_runtime()  # as `foresight scan` does first (pipeline.cli.main)
    from pipeline.demo import DEMO_AS_OF, demo_config
    from pipeline.progress import LogProgress
    from pipeline.scan import run_scan
    from warehouse import Warehouse
    import logging
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    base_url, folder, sample, db = sys.argv[1:5]
    config = demo_config(base_url, Path(folder), Path(sample))
    with Warehouse.open_writer(db) as wh:
        result = run_scan(wh, config, as_of=DEMO_AS_OF, progress=LogProgress(interval=1))
    print("SCAN", result.status, flush=True)
    """
)


def _scan_process(replay, folder: Path, sample: Path, db: Path, log: Path) -> subprocess.Popen:
    """The scan in its own process; its log goes to a file so a full pipe never blocks it."""
    with log.open("a", encoding="utf-8") as handle:
        return subprocess.Popen(
            [sys.executable, "-c", SCAN_SCRIPT, replay.base_url, str(folder), str(sample), str(db)],
            cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip


@pytest.mark.slow
def test_a_killed_scan_rerun_ends_exactly_like_an_uninterrupted_one(tmp_path, replay, sample, scanned) -> None:
    """Kill the scan process (SIGKILL) at a random moment in a fresh warehouse; rerun once.

    One, not more: each kill costs a scan and its rerun (about 30 s of a suite that must stay under ten minutes),
    and every run of the suite draws a new moment (the seed is in the failure message), so the moments covered grow
    with every landing; a kill during the language step's workers is covered on its own in test_language_step."""
    _, _, _, uninterrupted, _ = scanned
    full_seconds = sum(s.seconds for s in scanned[1].stages)
    rng = random.Random()
    seed = rng.randrange(10**6)
    rng.seed(seed)
    points = [rng.uniform(1.0, max(full_seconds, 2.0) + 2.0)]
    for i, point in enumerate(points):
        folder = tmp_path / f"kill{i}"
        folder.mkdir()
        db = folder / "w.duckdb"
        log = folder / "scan.log"
        victim = _scan_process(replay, folder, sample, db, log)
        time.sleep(point)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        rerun = _scan_process(replay, folder, sample, db, log)
        assert rerun.wait(timeout=600) == 0, log.read_text()[-3000:]
        assert log.read_text().rstrip().endswith("SCAN ok"), (seed, point, log.read_text()[-3000:])
        with duckdb.connect(str(db), read_only=True) as con:
            assert _state(con) == uninterrupted, f"seed {seed}, killed after {point:.1f}s"


def _demo_toml(base_url: str, folder: Path, sample: Path) -> str:
    """The demo configuration as a user would write it in foresight.toml (only what differs from the defaults)."""
    return textwrap.dedent(
        f"""
        [http]
        contact = "test@localhost"
        min_interval_s = 0.0
        retries = 1
        respect_robots = false
        [sources.news]
        feeds = [
          {{ name = "rub-news", url = "{base_url}/feeds/rub-news.xml", language = "de" }},
          {{ name = "fraunhofer-podcast", url = "{base_url}/feeds/fraunhofer-podcast.xml", language = "de" }},
        ]
        [sources.openalex]
        base_url = "{base_url}/openalex"
        require_api_key = false
        [sources.arxiv]
        base_url = "{base_url}/arxiv/api/query"
        delay_s = 0.0
        page_size = 10
        max_results = 10
        [sources.epo]
        auth_url = "{base_url}/epo/3.2/auth/accesstoken"
        base_url = "{base_url}/epo/3.2/rest-services"
        applicant_batch = 100
        [analysis]
        granularity = "quarter"
        [scan]
        report_dir = "{folder / "reports"}"
        [alerts]
        file = "{folder / "alerts.jsonl"}"
        """
    ) + _sample_import(sample, url=True)


def _sample_import(sample: Path, *, url: bool = False) -> str:
    """The `[[scan.imports]]` entry of the Bundestag sample file, as a user writes it (`url`: with its URL column)."""
    return textwrap.dedent(
        f"""
        [[scan.imports]]
        file = "{sample}"
        kind = "policy"
        source = "bundestag-sample"
        language = "de"
        id_col = "doc_id"
        title_col = "title"
        text_col = "text"
        date_col = "published"
        """
    ) + ('url_col = "url"\n' if url else "")


@pytest.mark.slow
def test_scan_command_on_a_scanned_warehouse_prints_its_summary(cli, db_path, tmp_path, replay, sample, scanned,
                                                                monkeypatch) -> None:  # fmt: skip
    """`foresight --config FILE scan` as cron runs it: a summary per stage, the report path, alerts on stdout."""
    import shutil

    shutil.copy(scanned[0], db_path)
    config = tmp_path / "foresight.toml"
    config.write_text(_demo_toml(replay.base_url, tmp_path, sample), encoding="utf-8")
    monkeypatch.setenv("FORESIGHT_EPO_KEY", "demo-key")
    monkeypatch.setenv("FORESIGHT_EPO_SECRET", "demo-secret")
    result = cli("--config", str(config), "scan", "--as-of", str(DEMO_AS_OF), "--alerts", "-")
    assert result.exit_code == 0, result.stderr
    assert re.search(r"scan run \d+: ok in [\d.]+s", result.stderr)
    for stage in ("ingest", "analyze", "report", "alerts"):
        assert re.search(rf"│ {stage}\s+│ ok", result.stderr), result.stderr
    assert f"report (html): {tmp_path / 'reports'}" in result.stdout
    assert "alerts: 0 " in result.stdout  # the copied warehouse already holds this scan's snapshot
    bad = cli("--config", str(config), "scan", "--as-of", "31.12.2023")
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.stderr
