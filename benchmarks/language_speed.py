"""Benchmark (not a test): words per second of the language step, German and English, and peak memory.

Real text: Bundestag speeches of one year (German) and NVIDIA US patent abstracts (English). Each language is run in
a fresh child process so that its time includes a cold start (loading pipelines and seeds, an empty word-form
cache) and its peak memory (ru_maxrss) is its own. The documents are first imported into a temporary DuckDB
warehouse; the timed part is `run_language_step` over them: reading, annotating, writing all language tables.

    nice -n 10 .venv/bin/python benchmarks/language_speed.py --processes 1 2
    nice -n 10 .venv/bin/python benchmarks/language_speed.py --lang de --docs 500    # quicker
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CORPORA = Path("/work/shared/data/corpora")
BUNDESTAG = CORPORA / "bundestag" / "bundestag_speeches_wp19_wp20.csv.gz"
NVIDIA = CORPORA / "nvidia_patents" / "nvidia_patents_merged.csv.gz"


def german_documents(path: Path, year: str, limit: int) -> list[Any]:
    from sources.document import Document

    csv.field_size_limit(sys.maxsize)
    docs = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["date_est"].startswith(year) and row["text"].strip():
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


def english_documents(path: Path, limit: int) -> list[Any]:
    from sources.document import Document

    docs = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["abstract"].strip():
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
                if len(docs) >= limit:
                    break
    return docs


def run_one(lang: str, docs_limit: int, year: str, processes: int, queue: Any) -> None:
    """In a child process: import, then time the language step; put the measurements on `queue`."""
    from pipeline.config import load_config
    from pipeline.language_step import run_language_step
    from warehouse import Warehouse
    from warehouse.documents import upsert_documents
    from warehouse.runs import start_run

    docs = german_documents(BUNDESTAG, year, docs_limit) if lang == "de" else english_documents(NVIDIA, docs_limit)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        config_path = Path(folder) / "bench.toml"
        config_path.write_text(f"[language]\nprocesses = {processes}\n", encoding="utf-8")
        with Warehouse.open_writer(db) as wh:
            upsert_documents(wh, docs, start_run(wh.con, "import"))
        del docs
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        with Warehouse.open_writer(db) as wh:
            counts = run_language_step(wh, load_config(config_path))
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    queue.put(
        {
            "lang": lang,
            "processes": processes,
            "documents": counts["processed"] + counts["skipped"],
            "words": counts["words"],
            "seconds": round(seconds, 1),
            "words_per_s": round(counts["words"] / seconds),
            "cpu_seconds": round(cpu, 1),
            "words_per_cpu_s": round(counts["words"] / cpu),
            "load_average": round(os.getloadavg()[0], 1),
            "peak_rss_mb": round(max(peak, rss_before) / 1024),
            "peak_rss_worker_mb": round(children / 1024) if processes > 1 else None,
        }
    )


def _cpu_seconds() -> float:
    """CPU time of this process and its finished workers: a figure the other users of the machine cannot skew."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=["de", "en", "both"], default="both")
    parser.add_argument("--docs", type=int, default=1500, help="documents per language (default 1500)")
    parser.add_argument("--year", default="2023", help="Bundestag year (default 2023)")
    parser.add_argument("--processes", type=int, nargs="+", default=[1], help="worker processes to compare")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")  # a clean process per measurement: cold start, own peak memory
    results = []
    for lang in ["de", "en"] if args.lang == "both" else [args.lang]:
        for processes in args.processes:
            queue = context.Queue()
            child = context.Process(target=run_one, args=(lang, args.docs, args.year, processes, queue))
            child.start()
            result = queue.get()
            child.join()
            results.append(result)
            print(json.dumps(result), flush=True)
    print()
    print(
        f"{'lang':<5}{'proc':>5}{'docs':>7}{'words':>11}{'seconds':>9}{'words/s':>10}{'words/cpu-s':>12}"
        f"{'peak MB':>9}{'load':>6}"
    )
    for r in results:
        print(
            f"{r['lang']:<5}{r['processes']:>5}{r['documents']:>7}{r['words']:>11,}{r['seconds']:>9}"
            f"{r['words_per_s']:>10,}{r['words_per_cpu_s']:>12,}{r['peak_rss_mb']:>9}{r['load_average']:>6}"
        )


if __name__ == "__main__":
    main()
