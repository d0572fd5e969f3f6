"""Print the highest-termhood terms of one year of Bundestag speeches, as the language step stores them.

Imports the year's speeches into a DuckDB warehouse (kept with --db, so a second call only queries), runs the real
language step over them, then ranks terms with the SQL below: a term's corpus termhood is the sum of its
per-document termhood (specificity against general language x (1 + ln count) in each speech), so a term ranks high
when it is rare in general German and used in many speeches. Terms in fewer than --min-docs speeches are left out.

    nice -n 10 .venv/bin/python benchmarks/top_terms.py --year 2023 --db /tmp/bundestag2023.duckdb --processes 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.language_speed import BUNDESTAG, german_documents  # noqa: E402

TOP_TERMS_SQL = """
select t.term, count(*) as documents, sum(t.count) as occurrences, round(sum(t.termhood), 1) as corpus_termhood,
       any_value(t.head) as head
from doc_terms t join documents d using (doc_id)
where year(d.published) = ? and d.source = 'bundestag'
group by t.term
having count(*) >= ?
order by corpus_termhood desc, t.term
limit ?
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--db", type=Path, default=Path("bundestag_terms.duckdb"))
    parser.add_argument("--top", type=int, default=50)
    parser.add_argument("--min-docs", type=int, default=5)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()

    from pipeline.config import load_config
    from pipeline.language_step import run_language_step
    from warehouse import Warehouse
    from warehouse.documents import upsert_documents
    from warehouse.runs import start_run

    with Warehouse.open_writer(args.db) as wh:
        have = wh.con.execute(
            "select count(*) from documents where source = 'bundestag' and year(published) = ?", [args.year]
        ).fetchone()
        if not have or not have[0]:
            docs = german_documents(BUNDESTAG, str(args.year), 10**9)
            upsert_documents(wh, docs, start_run(wh.con, "import", source="bundestag"))
            print(f"imported {len(docs):,} speeches of {args.year}", file=sys.stderr)
        config_path = args.db.with_suffix(".toml")
        config_path.write_text(f"[language]\nprocesses = {args.processes}\n", encoding="utf-8")
        started = time.perf_counter()
        counts = run_language_step(wh, load_config(config_path))
        seconds = time.perf_counter() - started
        if counts["processed"]:
            print(
                f"language step: {counts['processed']:,} speeches, {counts['words']:,} words in {seconds:.0f} s "
                f"({counts['words'] / seconds:,.0f} words/s, {args.processes} process(es))",
                file=sys.stderr,
            )
        rows = wh.con.execute(TOP_TERMS_SQL, [args.year, args.min_docs, args.top]).fetchall()
    print(f"{'#':>3}  {'term':<45}{'speeches':>9}{'count':>8}{'termhood':>10}  head")
    for rank, (term, documents, occurrences, termhood, head) in enumerate(rows, start=1):
        print(f"{rank:>3}  {term:<45}{documents:>9}{occurrences:>8}{termhood:>10}  {head or ''}")


if __name__ == "__main__":
    main()
