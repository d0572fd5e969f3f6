"""Benchmark (not a test): documents and words per second of the language step, before and after a change.

Real text: NVIDIA US patent abstracts (English, title + abstract) and Bundestag speeches of one year (German).
Each measurement runs in a fresh child process, so its time includes a cold start (loading pipelines and seeds,
an empty word-form cache) and its peak memory is its own. The documents are first imported into a temporary
DuckDB warehouse; the timed part is `run_language_step` over them: reading, annotating, writing all language tables.

The shared machine is noisy, so a change is judged by a ratio: `--baseline REF` measures the code of a git
revision (checked out into a temporary folder) and this tree on the same documents, alternating, in one run.
Wall-clock rates depend on what else runs; rates per CPU-second (this process and its workers) much less.

What a run keeps in the cache folder for the next (start-up pickles, seed keys, HanTa's answers for new word forms;
`models.startup_cache`) lives in a folder of the benchmark's own, ``$FORESIGHT_CACHE_DIR``, filled first by an
untimed run on other documents: with ``--history N`` on N of them (speeches of the years before ``--year``, or the
patents after the measured ones), as the history of a warehouse would have filled it, else on 50. Every timed
run starts from that state, so no measurement reads the answers of the documents it measures.

    nice -n 10 .venv/bin/python benchmarks/language_speed.py --docs 5000 --baseline 5235826
    nice -n 10 .venv/bin/python benchmarks/language_speed.py --corpus patents --docs 1000 --processes 1 2
    nice -n 10 .venv/bin/python benchmarks/language_speed.py --corpus speeches --docs 1500 --history 6000
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path("/work/shared/data/corpora")
BUNDESTAG = CORPORA / "bundestag" / "bundestag_speeches_wp19_wp20.csv.gz"
NVIDIA = CORPORA / "nvidia_patents" / "nvidia_patents_merged.csv.gz"
CORPUS_NAMES = ("patents", "speeches")


def documents(corpus: str, limit: int, year: str, history: int = 0) -> list[Any]:
    """The first `limit` patents with an abstract, or speeches of `year`, as `Document` records.

    With `history` (the number of documents measured), `limit` other documents of the corpus: speeches of the years
    before `year`, or the patents with an abstract after the first `history`."""
    from sources.document import Document

    csv.field_size_limit(sys.maxsize)
    docs = []
    path = NVIDIA if corpus == "patents" else BUNDESTAG
    skip = history if corpus == "patents" else 0
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if corpus == "patents" and row["abstract"].strip():
                if skip:
                    skip -= 1
                    continue
                docs.append(
                    Document(
                        doc_id=f"uspto:{row['patent_id']}",
                        kind="patent",
                        source="nvidia",
                        title=row["title"],
                        text=row["abstract"],
                        published=date.fromisoformat(row["grant_date"]),
                    )
                )
            elif corpus == "speeches" and _in_year(row["date_est"], year, history) and row["text"].strip():
                docs.append(
                    Document(
                        doc_id=f"bundestag:{row['wp']}:{row['speech_id']}",
                        kind="policy",
                        source="bundestag",
                        title=None,
                        text=row["text"],
                        published=date.fromisoformat(row["date_est"]),
                    )
                )
            if len(docs) >= limit:
                break
    return docs


def _in_year(day: str, year: str, history: int) -> bool:
    return day[:4] < year if history else day.startswith(year)


def measure(corpus: str, limit: int, year: str, processes: int | None, history: int = 0) -> dict[str, Any]:
    """In a child process whose sys.path starts with the code to measure: import, then time the language step."""
    from pipeline.config import load_config
    from pipeline.language_step import run_language_step
    from warehouse import Warehouse
    from warehouse.documents import upsert_documents
    from warehouse.runs import start_run

    docs = documents(corpus, limit, year, history)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        config_path = Path(folder) / "bench.toml"
        config_path.write_text("[language]\n" + (f"processes = {processes}\n" if processes is not None else ""))
        with Warehouse.open_writer(db) as wh:
            upsert_documents(wh, docs, start_run(wh.con, "import"))
        del docs
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        with Warehouse.open_writer(db) as wh:
            counts = run_language_step(wh, load_config(config_path))
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
    documents_done = counts["processed"] + counts["skipped"]
    return {
        "code": str(Path(run_language_step.__code__.co_filename).parents[1]),
        "documents": documents_done,
        "words": counts["words"],
        "processes": counts.get("processes", processes or 1),
        "seconds": round(seconds, 1),
        "docs_per_s": round(documents_done / seconds, 1),
        "words_per_s": round(counts["words"] / seconds),
        "cpu_seconds": round(cpu, 1),
        "docs_per_cpu_s": round(documents_done / cpu, 1),
        "words_per_cpu_s": round(counts["words"] / cpu),
        "load_average": round(os.getloadavg()[0], 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_rss_worker_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def _cpu_seconds() -> float:
    """CPU time of this process and its finished workers: a figure the other users of the machine cannot skew."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def run_child(
    code: Path, corpus: str, limit: int, year: str, processes: int | None, cache: Path, history: int = 0
) -> dict[str, Any]:
    """One measurement in a fresh interpreter that imports the code under `code`, with the cache folder `cache`."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(code), "--corpus", corpus]
    command += ["--docs", str(limit), "--year", year]
    if processes is not None:
        command += ["--processes", str(processes)]
    if history:
        command += ["--history-of", str(history)]
    environment = {**os.environ, "FORESIGHT_CACHE_DIR": str(cache)}
    done = subprocess.run(command, cwd=code, capture_output=True, text=True, check=False, env=environment)
    if done.returncode != 0:
        raise SystemExit(f"measurement failed ({code}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def snapshot(cache: Path) -> None:
    """Keep the cache folder's state after the untimed run, for `restore` before each timed one."""
    shutil.copytree(cache, cache.with_name(cache.name + ".snapshot"), dirs_exist_ok=True)


def restore(cache: Path) -> None:
    """The cache folder as the untimed run left it: what a timed run adds is not seen by the next."""
    shutil.rmtree(cache, ignore_errors=True)
    shutil.copytree(cache.with_name(cache.name + ".snapshot"), cache)


def checkout(ref: str, folder: Path) -> Path:
    """The tree of git revision `ref` under `folder` (no .git, no venv: it runs with this venv's packages)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=[*CORPUS_NAMES, "both"], default="both")
    parser.add_argument("--docs", type=int, default=5000, help="documents per corpus (default 5000)")
    parser.add_argument("--year", default="2023", help="Bundestag year (default 2023)")
    parser.add_argument(
        "--processes",
        type=int,
        nargs="+",
        help="[language] processes to compare (default: the default configuration of each version)",
    )
    parser.add_argument("--baseline", help="git revision to compare with (measured first, in the same run)")
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="annotate this many other documents first (untimed), as a warehouse's history fills the cache folder",
    )
    parser.add_argument("--history-of", type=int, default=0, help=argparse.SUPPRESS)  # child: other documents
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(args.child))
        processes = args.processes[0] if args.processes else None
        print(json.dumps(measure(args.corpus, args.docs, args.year, processes, history=args.history_of)))
        return
    corpora = list(CORPUS_NAMES) if args.corpus == "both" else [args.corpus]
    with tempfile.TemporaryDirectory() as folder:
        versions = [("this tree", ROOT)]
        if args.baseline:
            versions.insert(0, (args.baseline, checkout(args.baseline, Path(folder))))
        results = []
        for corpus in corpora:
            caches = {}
            for name, code in versions:  # each version's cache folder, filled on other documents (untimed)
                caches[name] = Path(folder) / f"cache-{corpus}-{len(caches)}"
                run_child(code, corpus, args.history or 50, args.year, None, caches[name], history=args.docs)
                snapshot(caches[name])
            for processes in args.processes or [None]:
                for name, code in versions:
                    restore(caches[name])
                    result = {
                        "version": name,
                        "corpus": corpus,
                        **run_child(code, corpus, args.docs, args.year, processes, caches[name]),
                    }
                    results.append(result)
                    print(json.dumps(result), flush=True)
    print()
    print(
        f"{'version':<12}{'corpus':<10}{'proc':>5}{'docs':>7}{'words':>11}{'wall s':>8}{'docs/s':>8}{'words/s':>9}"
        f"{'cpu s':>8}{'docs/cpu-s':>11}{'words/cpu-s':>12}{'peak MB':>9}{'load':>6}"
    )
    for r in results:
        print(
            f"{r['version']:<12}{r['corpus']:<10}{r['processes']:>5}{r['documents']:>7}{r['words']:>11,}"
            f"{r['seconds']:>8}{r['docs_per_s']:>8}{r['words_per_s']:>9,}{r['cpu_seconds']:>8}"
            f"{r['docs_per_cpu_s']:>11}{r['words_per_cpu_s']:>12,}{max(r['peak_rss_mb'], r['peak_rss_worker_mb']):>9}"
            f"{r['load_average']:>6}"
        )
    if args.baseline:
        print()
        for corpus in corpora:
            for processes in args.processes or [None]:
                before, after = (
                    next(
                        r
                        for r in results
                        if r["corpus"] == corpus
                        and r["version"] == v
                        and (processes is None or r["processes"] == processes)
                    )
                    for v in (args.baseline, "this tree")
                )
                print(
                    f"{corpus} ({'default' if processes is None else processes} processes): "
                    f"{after['docs_per_s'] / before['docs_per_s']:.2f}x documents/s (wall), "
                    f"{after['docs_per_cpu_s'] / before['docs_per_cpu_s']:.2f}x documents per CPU-second"
                )


if __name__ == "__main__":
    main()
