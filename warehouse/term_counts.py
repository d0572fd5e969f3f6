"""Documents per term and period, kept incrementally (migration 009): `term_days` and `term_day_totals`.

The language step appends, in each batch's transaction, +1 per (term, day, kind) for every document it processed
and -1 for every document it re-processed (content, date or kind changed; under the date and kind the document had
then, which `doc_language` keeps). So at every commit `term_days` summed per key equals a recount of `doc_terms`
joined with `doc_language`, however the step was interrupted; `tests/test_language_step.py` checks exactly that.
At the end of a step the rows of the days it touched are summed into one row per key (`compact_days`).

Reading: `term_period_counts` sums days into periods (week from Monday, month, quarter, year) for a date range,
with all processed documents per period as the denominator. Terms are kept as the language step writes them; a
`mapping` (term -> canonical term) applied on read counts "Wärmepumpe" and "heat pump" as one term.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa

from warehouse.db import Warehouse

GRANULARITIES = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True)
class TermCounts:
    """Documents with each term per period and kind, and all processed documents per period and kind.

    `counts`: Arrow table (term, period, kind, documents); `totals`: (period, kind, documents). `period` is the
    first day of the period. Periods without documents have no rows. With a mapping, a document that contains
    two terms mapped to the same canonical term counts twice (rare: a German text quoting the English term).
    """

    granularity: str
    start: date
    end: date
    counts: pa.Table
    totals: pa.Table


def term_period_counts(
    warehouse: Warehouse,
    granularity: str,
    start: date,
    end: date,
    *,
    terms: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
    mapping: Mapping[str, str] | None = None,
    min_documents: int = 1,
) -> TermCounts:
    """Documents per (term, period, kind) for documents published in ``[start, end]``, and the totals.

    `terms` restricts to those terms (after mapping), `kinds` to those source kinds; `min_documents` keeps terms
    found in at least that many documents over the whole range (the long tail of terms seen once is most of the
    rows). `mapping` renames terms before counting (terms not in it stay as they are).
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {granularity!r}; use one of {', '.join(GRANULARITIES)}")
    # a cursor of its own: it reads the committed state, and a result another caller left unread does not block it
    con = warehouse.con.cursor()
    period = "day" if granularity == "day" else f"date_trunc('{granularity}', day)::date"
    kind_filter = "and kind in (select unnest(?::varchar[]))" if kinds is not None else ""
    day_kind_filter = "and t.kind in (select unnest(?::varchar[]))" if kinds is not None else ""
    kind_params = [list(kinds)] if kinds is not None else []
    names = "t.term"
    registered = []
    if mapping:
        table = pa.table({"term": list(mapping), "canonical": [mapping[t] for t in mapping]})
        con.register("_term_mapping", table)
        registered.append("_term_mapping")
        names = "coalesce(m.canonical, t.term)"
    term_filter = ""
    term_params: list[object] = []
    if terms is not None:
        term_filter = "where term in (select unnest(?::varchar[]))"
        term_params = [list(terms)]
    try:
        counts = con.sql(
            f"""
            with days as (
                select {names} as term, t.day, t.kind, t.documents
                from term_days t {"left join _term_mapping m on m.term = t.term" if mapping else ""}
                where t.day between ? and ? {day_kind_filter}
            ),
            periods as (
                select term, {period} as period, kind, sum(documents)::bigint as documents
                from days {term_filter}
                group by all
                having sum(documents) > 0
            )
            select term, period, kind, documents from periods
            qualify sum(documents) over (partition by term) >= ?
            order by term, period, kind
            """,
            params=[start, end, *kind_params, *term_params, min_documents],
        ).to_arrow_table()  # a relation hands Arrow over without the extra copy a DB-API result makes
        totals = con.sql(
            f"""
            select {period} as period, kind, sum(documents)::bigint as documents
            from term_day_totals where day between ? and ? {kind_filter}
            group by all having sum(documents) > 0
            order by period, kind
            """,
            params=[start, end, *kind_params],
        ).to_arrow_table()
    finally:
        for name in registered:
            con.unregister(name)
        con.close()
    return TermCounts(granularity, start, end, counts, totals)


def add_batch_counts(con: duckdb.DuckDBPyConnection, docs_table: str, terms_table: str) -> None:
    """Append +1 per term and processed document of one batch; the caller owns the transaction.

    `docs_table` and `terms_table` name registered Arrow tables: the batch's new doc_language rows (doc_id,
    status, published, kind, ...) and doc_terms rows (doc_id, term, ...). Documents that had results before are
    first subtracted with `subtract_old_counts`, before their old rows are deleted.
    """
    con.execute(
        f"""
        insert into term_days
        select t.term, d.published, d.kind, count(*)::integer
        from {terms_table} t join {docs_table} d using (doc_id)
        where d.published is not null
        group by all
        """
    ).fetchall()
    con.execute(
        f"""
        insert into term_day_totals
        select published, kind, count(*)::integer from {docs_table}
        where status = 'processed' and published is not null
        group by all
        """
    ).fetchall()


def subtract_old_counts(con: duckdb.DuckDBPyConnection, ids_table: str) -> None:
    """Append -1 for each term and processed document whose rows are about to be replaced (doc_ids in `ids_table`),
    under the day and kind they were counted with."""
    con.execute(
        f"""
        insert into term_days
        select t.term, l.published, l.kind, -count(*)::integer
        from doc_terms t join doc_language l using (doc_id)
        where t.doc_id in (select doc_id from {ids_table}) and l.published is not null
        group by all
        """
    ).fetchall()
    con.execute(
        f"""
        insert into term_day_totals
        select published, kind, -count(*)::integer from doc_language
        where doc_id in (select doc_id from {ids_table}) and status = 'processed' and published is not null
        group by all
        """
    ).fetchall()


def compact_days(warehouse: Warehouse, days: Iterable[date]) -> int:
    """Sum the rows of these days into one row per key (zero sums removed); returns the rows left for them.

    Run in its own transaction after the batches: a kill before its commit leaves the appended rows, which sum
    to the same counts.
    """
    wanted = sorted(set(days))
    if not wanted:
        return 0
    con = warehouse.con
    first, last = wanted[0], wanted[-1]
    left = 0
    with warehouse.transaction():
        con.execute("create or replace temp table _touched_days as select unnest(?::date[]) as day", [wanted])
        try:
            for table, key in (("term_days", "term, day, kind"), ("term_day_totals", "day, kind")):
                # the explicit day range lets DuckDB skip row groups of other days (rows are appended by date)
                con.execute(
                    f"""
                    create or replace temp table _compacted as
                    select {key}, sum(documents)::integer as documents from {table}
                    where day between ? and ? and day in (select day from _touched_days)
                    group by all having sum(documents) <> 0
                    """,
                    [first, last],
                )
                con.execute(
                    f"delete from {table} where day between ? and ? and day in (select day from _touched_days)",
                    [first, last],
                ).fetchall()
                con.execute(f"insert into {table} select * from _compacted order by day").fetchall()
                row = con.execute("select count(*) from _compacted").fetchone()
                left += int(row[0]) if row else 0
        finally:
            con.execute("drop table if exists _compacted")
            con.execute("drop table if exists _touched_days")
    return left


def recount(warehouse: Warehouse) -> None:
    """Rebuild both tables from doc_terms and doc_language (a repair; tools that copy language rows by SQL)."""
    con = warehouse.con
    with warehouse.transaction():
        con.execute("delete from term_days").fetchall()
        con.execute("delete from term_day_totals").fetchall()
        con.execute(
            """
            insert into term_days
            select t.term, l.published, l.kind, count(*)::integer
            from doc_terms t join doc_language l using (doc_id)
            where l.published is not null group by all order by 2, 1
            """
        ).fetchall()
        con.execute(
            """
            insert into term_day_totals
            select published, kind, count(*)::integer from doc_language
            where status = 'processed' and published is not null group by all order by 1
            """
        ).fetchall()
