"""Benchmark (not a test): a warehouse grown to 1,000,000 documents, a weekly scan of 5,000 new ones, analyst views.

What it does, in four phases (see docs/performance.md for the numbers and what they mean):

A. **Base, all real.** Real documents from the shared corpora (Bundestag speeches, German; NVIDIA US patents,
   English) dated inside the analysis window (48 months up to 2025-03-31) are imported with `foresight import` and
   analysed with `foresight analyze` (language step, TF-IDF+SVD embeddings, BERTopic fit, emergence scores).
B. **History, replicated.** The base is copied to N documents: each copy of a document gets a perturbed id
   (``<id>~r<k>``), a perturbed content hash and a date shifted back by 5..29 years, so the history lies *before*
   the analysis window as years of earlier weekly scans would. The language-step rows (doc_language, doc_terms,
   doc_places, doc_actors, doc_lead_markets) and embedding vectors of a copy are copies of its original's rows,
   written with SQL: running the language step on 1,000,000 documents would take days on 2 cores, and its output
   for an identical text is identical. N/5,000 earlier weekly emergence runs (topic_series, signals,
   topic_lead_markets, document_topics) are replicated from the base run the same way, so the signal history has
   the size a warehouse of N documents at 5,000 a week has. The TF-IDF model is recorded as fitted on the history
   (`embedding_models.fitted_on = N`): the steady state in which the last refit saw the history.
C. **The weekly scan, real.** `foresight scan` in a fresh process (its peak memory is its own): 5,000 new real
   documents (other speeches and patents, dated in the week after the base) through the real scan stages: import
   of the configured export files (`[[scan.imports]]`; every online source is switched off: no network), analyze,
   report, alerts; then the writer's close, which checkpoints and publishes the snapshot. With ``--warm-at`` the
   same week is scanned twice on two copies of the grown warehouse, each in a new process: *cold* (an empty
   ``NUMBA_CACHE_DIR``: whatever numba compiles for UMAP and pynndescent is compiled in that process) and *warm*
   (the cache the cold process left), followed by a second `foresight analyze` of that week with nothing new.
   foresight's own cache folder is ``<work>/cache``; each weekly scan starts with HanTa's answers for the word
   forms of the base's documents only (``<work>/history-answers``), as an installation that annotated the
   history has them, never with those of the week it measures.
D. **Analyst views**, read as an analyst reads them (the published snapshot, read-only): `v_emerging_topics`,
   one topic's `v_topic_series`, `v_lead_market_overview`; median of 5 runs after one warm-up; file sizes.
P. **Publishing** on the grown warehouse (before its scan): the writer's `publish` (the analyst tables into a fresh
   file, without the vectors) next to a plain copy of the whole file, which is how foresight published before
   (main at 5235826), taken in turns so both see the same page cache and load; seconds and megabytes of each.
   `--publish-only DB` measures just this on an existing warehouse (e.g. one kept with `--keep`).

    .venv/bin/python benchmarks/scale_bench.py --sizes 100000 1000000                     # the full run
    .venv/bin/python benchmarks/scale_bench.py --sizes 100000 --warm-at 100000            # the weekly scan, cold/warm
    .venv/bin/python benchmarks/scale_bench.py --sizes 20000 --base-speeches 300 --base-patents 100 \
        --new 400 --warm-at 20000                                                         # a quick check

The script renices itself to 10 (the machine is shared); the product runs through its command line
(``.venv/bin/foresight``) except phase B, which writes the replicated rows with SQL.
    .venv/bin/python benchmarks/scale_bench.py --publish-only /tmp/foresight-scale/w1000000.duckdb

Results go to ``--out`` (JSON) and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.processes import checked, foresight_sql, measure, renice, stage_seconds  # noqa: E402
from warehouse import Warehouse  # noqa: E402
from warehouse.term_counts import recount  # noqa: E402

CORPORA = Path("/work/shared/data/corpora")
SPEECHES = CORPORA / "bundestag" / "bundestag_speeches_wp19_wp20.csv.gz"
PATENTS = CORPORA / "nvidia_patents" / "nvidia_patents_merged.csv.gz"
BASE_AS_OF = date(2025, 3, 31)
WINDOW_START = date(2021, 4, 1)  # 48 months up to BASE_AS_OF: the default month window of the analysis
WEEK_START = date(2025, 4, 1)
WEEK_AS_OF = date(2025, 4, 7)
WEEKLY = 5_000
EXPORT_FIELDS = ["id", "title", "text", "published"]
FORESIGHT = ROOT / ".venv" / "bin" / "foresight"
IMPORTS = (("speeches", "policy", "bundestag", "de"), ("patents", "patent", "nvidia-patents", "en"))
IMPORT_OPTIONS = ["--id-col", "id", "--title-col", "title", "--text-col", "text", "--date-col", "published"]
ONLINE_SOURCES = ("news", "openalex", "arxiv", "epo")  # off in the scan's configuration: no network
NO_SOURCE = "no source is enabled"
LANGUAGE_TABLES = ("doc_terms", "doc_places", "doc_actors", "doc_lead_markets")
SIGNAL_TABLES = ("topic_series", "signals", "topic_lead_markets")
VIEWS = {
    "v_emerging_topics (latest, ranked)": ("select * from v_emerging_topics order by score desc limit 50", False),
    "v_topic_series where topic_id = ?": ("select * from v_topic_series where topic_id = ?", True),
    "v_lead_market_overview": ("select * from v_lead_market_overview", False),
}


# -- inputs: real documents as export files ----------------------------------------------------------------------


def _speeches() -> list[dict[str, str]]:
    csv.field_size_limit(sys.maxsize)
    with gzip.open(SPEECHES, "rt", encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if len(row["text"]) >= 500]


def _patents() -> list[dict[str, str]]:
    with gzip.open(PATENTS, "rt", encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row.get("abstract") and row.get("grant_date")]


def _every(rows: list[dict[str, str]], n: int) -> list[dict[str, str]]:
    """`n` rows spread evenly over `rows` (their order is by date in both corpora)."""
    if n >= len(rows):
        return list(rows)
    step = len(rows) / n
    return [rows[int(i * step)] for i in range(n)]


def _speech_row(row: dict[str, str], published: str) -> dict[str, str]:
    agenda = row["agenda_item"].replace("_", " ")
    return {
        "id": row["speech_id"],
        "title": f"{row['speaker']} ({row['party']}): {agenda}",
        "text": row["text"],
        "published": published,
    }


def _patent_row(row: dict[str, str], published: str) -> dict[str, str]:
    return {"id": row["patent_id"], "title": row["title"], "text": row["abstract"], "published": published}


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def prepare_exports(
    work: Path, base_speeches: int, base_patents: int, new: int, new_speech_share: float
) -> dict[str, Path]:
    """Base exports (real dates inside the window) and the week's export (other documents, dates in that week)."""
    speeches, patents = _speeches(), _patents()
    in_window = [s for s in speeches if WINDOW_START.isoformat() <= s["date_est"] <= BASE_AS_OF.isoformat()]
    base_s = _every(in_window, base_speeches)
    patents_in_window = [p for p in patents if WINDOW_START.isoformat() <= p["grant_date"] <= BASE_AS_OF.isoformat()]
    base_p = _every(patents_in_window, base_patents)
    used = {r["speech_id"] for r in base_s} | {r["patent_id"] for r in base_p}
    new_p = _every([p for p in patents if p["patent_id"] not in used], new - round(new * new_speech_share))
    new_s = _every([s for s in speeches if s["speech_id"] not in used], new - len(new_p))

    def week_day(i: int) -> str:
        return (WEEK_START + timedelta(days=i % 7)).isoformat()

    return {
        "base_speeches": _write(work / "base_speeches.csv.gz", [_speech_row(r, r["date_est"]) for r in base_s]),
        "base_patents": _write(work / "base_patents.csv.gz", [_patent_row(r, r["grant_date"]) for r in base_p]),
        "week_speeches": _write(
            work / "week_speeches.csv.gz", [_speech_row(r, week_day(i)) for i, r in enumerate(new_s)]
        ),
        "week_patents": _write(
            work / "week_patents.csv.gz", [_patent_row(r, week_day(i)) for i, r in enumerate(new_p)]
        ),
    }


# -- phase A: the real base ----------------------------------------------------------------------------------


def _cli_env(numba_cache: Path) -> dict[str, str]:
    """The command line's environment: numba's cache, and foresight's own cache folder under --work."""
    return {**os.environ, "NUMBA_CACHE_DIR": str(numba_cache), "FORESIGHT_CACHE_DIR": str(numba_cache.parent / "cache")}


def _answers(folder: Path) -> list[Path]:
    """The HanTa answers a cache folder keeps (`models.hanta.keep_learnt_answers`)."""
    return sorted((folder / "startup").glob("hanta-answers-*"))


def keep_history_answers(work: Path, exports: dict[str, Path], config_path: Path, built: bool) -> list[str]:
    """Keep, in ``work/history-answers``, HanTa's answers for the word forms of the base's documents.

    Every weekly scan starts from them (`restore_history_answers`): what a warehouse whose history was annotated
    by this installation has, and nothing of the week's own documents (the cold scan would otherwise leave the
    week's answers to the warm one). Right after the base is `built`, the cache folder holds exactly those. A base
    reused from a run that kept none (its language rows were written before answers were kept) has its
    documents go through the language step once more, in a scratch warehouse with a cache folder of its own.
    """
    kept = work / "history-answers"
    if built:
        source = work / "cache"
    elif _answers(kept):
        return [path.name for path in _answers(kept)]
    else:
        source = work / "history-answers-cache"
        shutil.rmtree(source, ignore_errors=True)
        scratch = work / "history-answers.duckdb"
        for stale in work.glob("history-answers*.duckdb*"):  # a scratch warehouse of an interrupted run
            stale.unlink()
        env = {**_cli_env(work / "numba"), "FORESIGHT_CACHE_DIR": str(source)}
        cli = [str(FORESIGHT), "--db", str(scratch), "--config", str(config_path)]
        for name, kind, src, language in IMPORTS:
            what = ["--kind", kind, "--source", src, "--language", language, *IMPORT_OPTIONS]
            checked(measure([*cli, "import", str(exports[f"base_{name}"]), *what], env, ROOT, work / "hist"), "import")
        checked(measure([*cli, "analyze-language"], env, ROOT, work / "hist-language"), "analyze-language")
        for stale in work.glob("history-answers*.duckdb*"):
            stale.unlink()
    shutil.rmtree(kept, ignore_errors=True)
    (kept / "startup").mkdir(parents=True)  # laid out as a cache folder
    for path in _answers(source):
        shutil.copy2(path, kept / "startup" / path.name)
    return [path.name for path in _answers(kept)]


def restore_history_answers(work: Path) -> None:
    """The cache folder's HanTa answers as the base's history left them (see `keep_history_answers`)."""
    for path in _answers(work / "cache"):
        path.unlink()
    (work / "cache" / "startup").mkdir(parents=True, exist_ok=True)
    for path in _answers(work / "history-answers"):
        shutil.copy2(path, work / "cache" / "startup" / path.name)


def build_base(work: Path, exports: dict[str, Path], config_path: Path) -> dict[str, Any]:
    """The base through the command line: two `foresight import`s and `foresight analyze` as of BASE_AS_OF."""
    db = work / "base.duckdb"
    for stale in work.glob("base*.duckdb*"):
        stale.unlink()
    env = _cli_env(work / "numba")
    cli = [str(FORESIGHT), "--db", str(db), "--config", str(config_path)]
    started = time.monotonic()
    for name, kind, source, language in IMPORTS:
        what = ["--kind", kind, "--source", source, "--language", language, *IMPORT_OPTIONS]
        checked(
            measure([*cli, "import", str(exports[f"base_{name}"]), *what], env, ROOT, work / f"base-{name}"), "import"
        )
    analyzed = checked(
        measure(
            [*cli, "analyze", "--as-of", BASE_AS_OF.isoformat(), "--granularity", "month"], env, ROOT, work / "base"
        ),
        "analyze",
    )
    return {"db": str(db), "seconds": round(time.monotonic() - started, 1), "analyze": analyzed.brief()}


# -- phase B: replicated history -------------------------------------------------------------------------------


def grow(base: Path, target: Path, size: int) -> dict[str, Any]:
    """Copy the base and replicate it to `size` documents with their language rows, vectors and signal history."""
    for stale in target.parent.glob(target.name.replace(".duckdb", "") + "*duckdb*"):
        stale.unlink()
    shutil.copyfile(base, target)
    started = time.monotonic()
    with Warehouse.open_writer(target) as wh:
        con = wh.con
        con.execute("create temp table base_docs as select doc_id, content_hash from documents").fetchall()
        n_base = con.execute("select count(*) from base_docs").fetchone()[0]
        copies = max(0, -(-(size - n_base) // n_base))
        for first in range(1, copies + 1, 20):
            last = min(copies, first + 19)
            limit = size - n_base - (first - 1) * n_base
            con.execute(
                f"""
                create or replace temp table rep as
                select doc_id as orig, doc_id || '~r' || k as doc_id, k,
                       md5(content_hash || '~r' || k) as content_hash
                from base_docs, range({first}, {last + 1}) t(k)
                order by k, doc_id limit {limit}
                """
            ).fetchall()
            _replicate(con)
        _replicate_signal_history(con, size)
        # The copies' language rows went in by SQL, around the language step that keeps term_days (migration 009)
        # in step with them: rebuild the counts per term and day, as term emergence reads them.
        recount(wh)
        con.execute(
            "update embedding_models set fitted_on = (select count(*) from documents where published <= ?)",
            [BASE_AS_OF],
        ).fetchall()
        documents = con.execute("select count(*) from documents").fetchone()[0]
    return {"documents": documents, "seconds": round(time.monotonic() - started, 1)}


def _replicate(con: Any) -> None:
    con.execute("begin transaction")
    con.execute(
        """
        insert into documents
        select r.doc_id, d.kind, d.source, d.title, d.text, d.url,
               (d.published - to_years(5 + (r.k % 25)::integer))::date, d.language, d.actors, d.extra,
               r.content_hash, d.first_run_id, d.last_run_id, d.inserted_at, d.updated_at
        from rep r join documents d on d.doc_id = r.orig
        """
    ).fetchall()
    con.execute(
        """
        insert into doc_language
        select l.* replace (r.doc_id as doc_id, r.content_hash as content_hash,
                            (l.published - to_years(5 + (r.k % 25)::integer))::date as published)
        from rep r join doc_language l on l.doc_id = r.orig
        """
    ).fetchall()
    for table in (*LANGUAGE_TABLES, "embeddings"):
        con.execute(
            f"insert into {table} select t.* replace (r.doc_id as doc_id) "
            f"from rep r join {table} t on t.doc_id = r.orig"
        ).fetchall()
    con.execute("commit")


def _replicate_signal_history(con: Any, size: int) -> None:
    """size/5,000 earlier weekly runs: copies of the base emergence run and its fit, with their own run ids."""
    weeks = max(1, size // WEEKLY)
    emergence_run, fit_run = con.execute("select max(run_id), max(fit_run_id) from signals").fetchone()
    con.execute("begin transaction")
    con.execute(
        f"""
        create temp table history as
        select nextval('run_id_seq') as run_id, w from range(1, {weeks + 1}) t(w)
        """
    ).fetchall()
    con.execute(
        """
        insert into runs (run_id, command, stage, started_at, finished_at, status, counts)
        select run_id, 'analyze', 'emergence', now() - to_weeks(w::integer), now() - to_weeks(w::integer), 'ok',
               '{"replicated": true}' from history
        """
    ).fetchall()
    for table in SIGNAL_TABLES:
        con.execute(
            f"insert into {table} select t.* replace (h.run_id as run_id) from {table} t, history h where t.run_id = ?",
            [emergence_run],
        ).fetchall()
    con.execute(
        """insert into document_topics select t.* replace (h.run_id as run_id)
           from document_topics t, history h where t.run_id = ?""",
        [fit_run],
    ).fetchall()
    con.execute("commit")


# -- phase C: the weekly scan (child process) ---------------------------------------------------------------------


def weekly_scan(db: Path, config_path: Path, work: Path, numba_cache: Path) -> dict[str, Any]:
    """`foresight scan` of the week in a fresh process: import of the week's files, analyze, report, alerts, close.

    The process's wall time includes what lies outside the scan's own run row: start-up, opening and migrating the
    warehouse, and the writer's close (checkpoint and publish).
    """
    restore_history_answers(work)
    env = _cli_env(numba_cache)
    cli = [str(FORESIGHT), "--db", str(db), "--config", str(config_path)]
    label = work / f"scan-{db.stem}"
    measured = checked(measure([*cli, "scan", "--as-of", WEEK_AS_OF.isoformat(), "--quiet"], env, ROOT, label), "scan")

    def one(query: str) -> Any:
        rows = foresight_sql(FORESIGHT, db, query, env, ROOT)
        return next(iter(rows[0].values())) if rows else None

    scan_run = one("select max(run_id) from runs where command = 'scan' and parent_run_id is null")
    analyze_stage = one(f"select run_id from runs where parent_run_id = {scan_run} and stage = 'analyze'")
    analyze_run = one(f"select max(run_id) from runs where parent_run_id = {analyze_stage}") if analyze_stage else None
    scan_seconds = one(f"select round(epoch(finished_at - started_at), 2) from runs where run_id = {scan_run}")
    failed = foresight_sql(
        FORESIGHT, db, f"select stage, error from runs where parent_run_id = {scan_run} and status <> 'ok'", env, ROOT
    )
    # every online source is off on purpose; the ingest stage reports that as its error after importing the files
    failed = [row for row in failed if not (row["stage"] == "ingest" and NO_SOURCE in str(row["error"]))]
    if failed:
        raise RuntimeError(f"weekly scan {scan_run} failed: {failed}")
    status = one(f"select status from runs where run_id = {scan_run}")
    return {
        "status": status,
        "stages": stage_seconds(FORESIGHT, db, scan_run, env, ROOT),
        "analyze_stages": stage_seconds(FORESIGHT, db, analyze_run, env, ROOT) if analyze_run else {},
        "scan_run_s": scan_seconds,
        "outside_scan_run_s": round(measured.wall_s - float(scan_seconds or 0), 2),  # start-up, close, publish
        "total_s": measured.wall_s,
        "process": measured.brief(),
        "peak_rss_mb": measured.tree_peak_mb,
    }


def analyze_again(db: Path, config_path: Path, work: Path, numba_cache: Path) -> dict[str, Any]:
    """A second `foresight analyze` of the same week with nothing new (issue 14: under 5 s)."""
    cli = [str(FORESIGHT), "--db", str(db), "--config", str(config_path)]
    command = [*cli, "analyze", "--as-of", WEEK_AS_OF.isoformat()]
    measured = checked(measure(command, _cli_env(numba_cache), ROOT, work / f"again-{db.stem}"), "analyze")
    return measured.brief()


def scan_config(work: Path, exports: dict[str, Path], refit_share: float | None) -> Path:
    """A foresight.toml for the weekly scan: the week's two exports, all online sources off."""
    lines = ["[scan]", f'report_dir = "{work / "reports"}"', "", "[alerts]", f'file = "{work / "alerts.jsonl"}"', ""]
    lines += [line for source in ONLINE_SOURCES for line in (f"[sources.{source}]", "enabled = false", "")]
    if refit_share is not None:
        lines += ["[topics]", f"refit_share = {refit_share}", ""]
    for name, kind, source, language in IMPORTS:
        lines += [
            "[[scan.imports]]",
            f'file = "{exports[f"week_{name}"]}"',
            f'kind = "{kind}"',
            f'source = "{source}"',
            f'language = "{language}"',
            'id_col = "id"',
            'title_col = "title"',
            'text_col = "text"',
            'date_col = "published"',
            "",
        ]
    path = work / ("scan.toml" if refit_share is None else f"scan-refit-{refit_share}.toml")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# -- phase D: analyst views ------------------------------------------------------------------------------------


def view_latencies(db: Path, repeats: int = 5) -> dict[str, Any]:
    latencies: dict[str, Any] = {}
    with Warehouse.open_reader(db) as wh:
        con = wh.con
        top = con.execute("select topic_id from v_emerging_topics order by score desc limit 1").fetchone()
        for name, (sql, needs_topic) in VIEWS.items():
            params = [top[0]] if needs_topic and top else []
            rows = len(con.execute(sql, params).fetchall())  # warm-up
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                con.execute(sql, params).fetchall()
                times.append((time.perf_counter() - started) * 1000)
            latencies[name] = {
                "median_ms": round(statistics.median(times), 1),
                "max_ms": round(max(times), 1),
                "rows": rows,
            }
        counts = {
            table: con.execute(f"select count(*) from {table}").fetchone()[0]
            for table in ("documents", "embeddings", "doc_terms", "topic_series", "signals", "document_topics")
        }
    return {"views": latencies, "rows": counts}


def file_sizes(db: Path) -> dict[str, float]:
    from warehouse.db import published_path

    return {
        "warehouse_mb": round(db.stat().st_size / 1e6, 1),
        "published_mb": round(published_path(db).stat().st_size / 1e6, 1),
    }


# -- phase P: publishing ----------------------------------------------------------------------------------------


def whole_file_copy(db: Path) -> Path:
    """Publishing as foresight did it before (main at 5235826): a copy of the whole file, flushed to disk."""
    target = db.with_name(db.name + ".whole-copy")
    shutil.copyfile(db, target)
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())
    return target


def publish_cost(db: Path, repeats: int = 3) -> dict[str, Any]:
    """Seconds and megabytes of the writer's publish and of a whole-file copy, `repeats` times each, in turns."""
    from warehouse.db import published_path

    copy_s, publish_s = [], []
    wh = Warehouse.open_writer(db)
    try:
        wh.con.execute("checkpoint")  # the file holds every commit: the whole-file copy is the state publish copies
        for _ in range(repeats):
            started = time.monotonic()
            copy = whole_file_copy(db)
            copy_s.append(time.monotonic() - started)
            copy_mb = copy.stat().st_size / 1e6
            copy.unlink()
            started = time.monotonic()
            wh.publish()
            publish_s.append(time.monotonic() - started)
        rows = dict(wh.con.execute("select table_name, estimated_size from duckdb_tables() order by 2 desc").fetchall())
    finally:
        wh.close(publish=False)
    return {
        "whole_file_copy_s": [round(s, 1) for s in copy_s],
        "publish_s": [round(s, 1) for s in publish_s],
        "whole_file_copy_mb": round(copy_mb, 1),
        "snapshot_mb": round(published_path(db).stat().st_size / 1e6, 1),
        "warehouse_mb": round(db.stat().st_size / 1e6, 1),
        "rows": rows,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


# -- main ------------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    memory = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout
    return {"nproc": os.cpu_count(), "free_g": memory.strip(), "python": platform.python_version(),
            "platform": platform.platform()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--base-speeches", type=int, default=2_000)
    parser.add_argument("--base-patents", type=int, default=1_000)
    parser.add_argument("--new", type=int, default=WEEKLY)
    parser.add_argument("--new-speech-share", type=float, default=0.3, help="Speeches among the week's documents.")
    parser.add_argument("--work", type=Path, default=Path("/tmp/foresight-scale"))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scale.json")
    parser.add_argument("--refit-at", type=int, nargs="*", default=[], help="Sizes at which to also time a refit scan.")
    parser.add_argument("--keep", action="store_true", help="Keep the grown warehouses (several GB).")
    parser.add_argument("--reuse-base", action="store_true", help="Reuse phase A's base.duckdb in --work.")
    parser.add_argument(
        "--warm-at",
        type=int,
        nargs="*",
        default=[],
        help="Sizes at which the week is scanned twice, cold (empty numba cache) and warm, then analyzed again.",
    )
    parser.add_argument("--publish-only", type=Path, metavar="DB", help="Only phase P, on this existing warehouse.")
    args = parser.parse_args()
    renice(10)
    if args.publish_only:
        print(json.dumps({"machine": machine(), "publish": publish_cost(args.publish_only)}, indent=2))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    exports = prepare_exports(args.work, args.base_speeches, args.base_patents, args.new, args.new_speech_share)
    base_config = scan_config(args.work, exports, None)
    reused = bool(args.reuse_base and (args.work / "base.duckdb").exists())
    if reused:
        # the exports are chosen deterministically, so the base of an earlier run in --work is the same
        results["base"] = {"db": str(args.work / "base.duckdb"), "reused": True}
    else:
        print("phase A: base", flush=True)
        for path in _answers(args.work / "cache"):
            path.unlink()  # the answers of the base's documents only
        results["base"] = build_base(args.work, exports, base_config)
    results["base"]["history_answers"] = keep_history_answers(args.work, exports, base_config, built=not reused)
    print(json.dumps(results["base"]), flush=True)
    no_refit = scan_config(args.work, exports, 1_000_000.0)  # steady state: no TF-IDF refit this week
    default = scan_config(args.work, exports, None)
    results["sizes"] = {}
    for size in args.sizes:
        db = args.work / f"w{size}.duckdb"
        print(f"phase B: grow to {size:,}", flush=True)
        grown = grow(Path(results["base"]["db"]), db, size)
        entry: dict[str, Any] = {"grow": grown, "before_scan": file_sizes(db)}
        print(f"phase P: publishing at {size:,}", flush=True)
        entry["publish"] = publish_cost(db)
        print(json.dumps(entry["publish"]), flush=True)
        numba_cache = args.work / "numba"
        if size in args.refit_at:
            refit_db = args.work / f"w{size}-refit.duckdb"
            shutil.copyfile(db, refit_db)
            print(f"phase C: weekly scan with the default refit rule at {size:,}", flush=True)
            entry["scan_with_refit"] = weekly_scan(refit_db, default, args.work, numba_cache)
            for path in args.work.glob(f"w{size}-refit*duckdb*"):
                path.unlink()
        warm_db = args.work / f"w{size}-warm.duckdb"
        if size in args.warm_at:
            shutil.copyfile(db, warm_db)
            shutil.rmtree(numba_cache, ignore_errors=True)  # cold: nothing compiled is on disk yet
            numba_cache.mkdir(parents=True)
        print(f"phase C: weekly scan at {size:,}" + (" (cold)" if size in args.warm_at else ""), flush=True)
        entry["scan"] = weekly_scan(db, no_refit, args.work, numba_cache)
        print(json.dumps(entry["scan"]), flush=True)
        if size in args.warm_at:
            print(f"phase C: the same weekly scan at {size:,}, warm (a new process after the cold one)", flush=True)
            entry["scan_warm"] = weekly_scan(warm_db, no_refit, args.work, numba_cache)
            print(json.dumps(entry["scan_warm"]), flush=True)
            entry["analyze_again"] = analyze_again(warm_db, no_refit, args.work, numba_cache)
            print(json.dumps(entry["analyze_again"]), flush=True)
            for path in args.work.glob(f"w{size}-warm*duckdb*"):
                path.unlink()
        print("phase D: views", flush=True)
        entry.update(view_latencies(db))
        entry["after_scan"] = file_sizes(db)
        results["sizes"][str(size)] = entry
        print(json.dumps(entry), flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
        if not args.keep:
            for path in args.work.glob(f"w{size}*duckdb*"):
                path.unlink()
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    args.out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(markdown_table(results))


def markdown_table(results: dict[str, Any]) -> str:
    lines = [
        "| history (documents) | scan | weekly scan total s | import s | language s | embeddings s | topics s | "
        "emergence s | report s | outside the scan run s | peak RSS MB | load avg | "
        + " | ".join(f"{v} ms" for v in VIEWS)
        + " | warehouse MB | publish s (MB) | whole-file copy s (MB) |",
        "|" + "---|" * (12 + len(VIEWS) + 3),
    ]
    for size, entry in results["sizes"].items():
        views = [str(entry["views"][v]["median_ms"]) for v in VIEWS]
        publish = entry["publish"]
        for name in ("scan", "scan_warm", "scan_with_refit"):
            scan = entry.get(name)
            if not scan:
                continue
            stages, inner = scan["stages"], scan["analyze_stages"]
            lines.append(
                f"| {int(size):,} | {name} | {scan['total_s']} | {stages.get('ingest')} | {inner.get('language')} | "
                f"{inner.get('embeddings')} | {inner.get('topics')} | {inner.get('emergence')} | "
                f"{stages.get('report')} | {scan['outside_scan_run_s']} | {scan['peak_rss_mb']} | "
                f"{scan['process']['load_mean']} | "
                + " | ".join(views)
                + f" | {entry['after_scan']['warehouse_mb']} | "
                f"{statistics.median(publish['publish_s'])} ({publish['snapshot_mb']}) | "
                f"{statistics.median(publish['whole_file_copy_s'])} ({publish['whole_file_copy_mb']}) |"
            )
        if "analyze_again" in entry:
            again = entry["analyze_again"]
            lines.append(f"\nanalyze again with nothing new at {int(size):,}: {again['wall_s']} s ({again['stdout']})")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
