"""Benchmark (not a test): term counts per period at a million documents, kept (migration 009) versus recounted.

Real annotations, replicated: 2,000 NVIDIA patents and 2,000 Bundestag speeches go through the real language step;
their `doc_terms` and `doc_language` rows are then copied under new ids with dates moved back by whole weeks until
the warehouse holds `--documents` documents (as years of weekly scans would leave them). Measured:

* the backfill of migration 009 (`warehouse.term_counts.recount`, the same statements) at that size;
* `term_period_counts` per month over four years (all terms, and terms in at least 5 documents), against the same
  counts recounted from `doc_terms` joined with `documents` as the emergence step would otherwise do every run;
* one batch of 200 new documents appended and the touched days compacted, as the language step does.

    nice -n 10 .venv/bin/python benchmarks/term_counts_bench.py --documents 1000000 --work /tmp/term-counts
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

RECOUNT_SQL = """
select t.term, date_trunc('month', d.published)::date as period, d.kind, count(*) as documents
from doc_terms t join documents d using (doc_id)
where d.published between ? and ?
group by all
"""


def build(db: Path, documents: int) -> dict[str, Any]:
    from language_speed import documents as corpus_documents

    from pipeline.config import Config
    from pipeline.language_step import run_language_step
    from warehouse import Warehouse
    from warehouse.documents import upsert_documents

    started = time.monotonic()
    with Warehouse.open_writer(db) as wh:
        with wh.runs.start("import") as run:
            docs = corpus_documents("patents", 2000, "2023") + corpus_documents("speeches", 2000, "2023")
            upsert_documents(wh, docs, run.id)
        run_language_step(wh, Config())
        base = wh.con.execute("select count(*) from documents").fetchone()[0]
        copies = max(0, documents // base - 1)
        con = wh.con
        with wh.transaction():
            con.execute(f"create temp table copies as select range as k from range(1, {copies + 1})")
            for table, columns in (
                (
                    "documents",  # without their texts: nothing here reads them
                    "d.* replace (d.doc_id || '~' || c.k as doc_id, null as title, null as text, "
                    "(d.published - to_weeks(c.k::integer))::date as published)",
                ),
                (
                    "doc_language",
                    "d.* replace (d.doc_id || '~' || c.k as doc_id, "
                    "(d.published - to_weeks(c.k::integer))::date as published)",
                ),
                ("doc_terms", "d.* replace (d.doc_id || '~' || c.k as doc_id)"),
            ):
                con.execute(
                    f"insert into {table} select {columns} from {table} d, copies c where d.doc_id not like '%~%'"
                )
    return {"documents": base * (copies + 1), "build_s": round(time.monotonic() - started, 1)}


def timed(repeats: int, work: Any) -> tuple[float, Any]:
    seconds, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    return round(statistics.median(seconds), 3), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/foresight-term-counts"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from warehouse import Warehouse
    from warehouse.term_counts import compact_days, recount, term_period_counts

    args.work.mkdir(parents=True, exist_ok=True)
    db = args.work / f"terms_{args.documents}.duckdb"
    report: dict[str, Any] = {}
    if not db.exists():
        report.update(build(db, args.documents))
    with Warehouse.open_writer(db) as wh:
        con = wh.con
        report["doc_terms_rows"] = con.execute("select count(*) from doc_terms").fetchone()[0]
        started = time.perf_counter()
        recount(wh)
        report["backfill_s"] = round(time.perf_counter() - started, 1)
        report["term_days_rows"] = con.execute("select count(*) from term_days").fetchone()[0]
        last = con.execute("select max(published) from documents").fetchone()[0]
        start = date(last.year - 4, last.month, 1)
        report["kept_month_4y_s"], counts = timed(args.repeats, lambda: term_period_counts(wh, "month", start, last))
        report["kept_rows"] = counts.counts.num_rows
        report["kept_month_4y_min5_s"], frequent = timed(
            args.repeats, lambda: term_period_counts(wh, "month", start, last, min_documents=5)
        )
        report["kept_rows_min5"] = frequent.counts.num_rows
        report["recount_month_4y_s"], rows = timed(
            args.repeats, lambda: con.sql(RECOUNT_SQL, params=[start, last]).to_arrow_table()
        )
        report["recount_rows"] = rows.num_rows
        # one batch of 200 documents, as the language step appends it, then its days compacted
        con.execute("create temp table new_docs as select * from doc_language where doc_id not like '%~%' limit 200")
        started = time.perf_counter()
        with wh.transaction():
            con.execute(
                "insert into term_days select t.term, d.published, d.kind, count(*)::integer "
                "from doc_terms t join new_docs d using (doc_id) group by all"
            )
        report["append_batch_s"] = round(time.perf_counter() - started, 3)
        days = [r[0] for r in con.execute("select distinct published from new_docs").fetchall()]
        started = time.perf_counter()
        compact_days(wh, days)
        report["compact_days_s"] = round(time.perf_counter() - started, 3)
        report["compacted_days"] = len(days)
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
