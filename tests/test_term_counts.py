"""Documents per term and period, kept by the language step (migration 009) and read per granularity."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pytest

from models.periods import period_start
from sources.document import Document
from tests.language_support import annotation_sample, load, rows, sample_documents, step
from warehouse import Warehouse
from warehouse.db import migrations
from warehouse.term_counts import term_period_counts

KEYS = "select term, day, kind, sum(documents) from term_days group by all having sum(documents) <> 0 order by all"
RECOUNT = (
    "select t.term, d.published, d.kind, count(*) from doc_terms t join documents d using (doc_id) "
    "where d.published is not null group by all order by all"
)


def recount_periods(db: Path, granularity: str) -> tuple[Counter, Counter]:
    """Documents per (term, period, kind) and processed documents per (period, kind), counted in Python."""
    terms: Counter = Counter()
    for term, published, kind in rows(
        db, "select t.term, d.published, d.kind from doc_terms t join documents d using (doc_id)"
    ):
        terms[(term, period_start(published, granularity), kind)] += 1
    totals: Counter = Counter()
    for published, kind in rows(
        db,
        "select d.published, d.kind from doc_language l join documents d using (doc_id) where l.status = 'processed'",
    ):
        totals[(period_start(published, granularity), kind)] += 1
    return terms, totals


def read(db: Path, granularity: str, start: date, end: date, **options: object) -> tuple[Counter, Counter]:
    with Warehouse.open_reader(db) as wh:
        counts = term_period_counts(wh, granularity, start, end, **options)
    terms = Counter({(r["term"], r["period"], r["kind"]): r["documents"] for r in counts.counts.to_pylist()})
    totals = Counter({(r["period"], r["kind"]): r["documents"] for r in counts.totals.to_pylist()})
    return terms, totals


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 65 real sample texts of 2023 through the language step."""
    db = tmp_path_factory.mktemp("counts") / "foresight.duckdb"
    load(db, sample_documents())
    step(db)
    return db


@pytest.mark.parametrize("granularity", ["week", "month", "quarter", "year"])
def test_counts_per_period_equal_a_recount_of_the_documents(counted: Path, granularity: str) -> None:
    terms, totals = read(counted, granularity, date(2023, 1, 1), date(2023, 12, 31))
    expected_terms, expected_totals = recount_periods(counted, granularity)
    assert terms == expected_terms and totals == expected_totals
    assert sum(totals.values()) == 65 and len(terms) > 1000
    assert all(period == period_start(period, granularity) for _, period, _ in terms)


def test_a_date_range_kinds_terms_and_the_long_tail(counted: Path) -> None:
    everything, _ = read(counted, "month", date(2023, 1, 1), date(2023, 12, 31))
    spring, spring_totals = read(counted, "month", date(2023, 3, 1), date(2023, 5, 31), kinds=["patent"])
    assert spring == {
        k: v for k, v in everything.items() if date(2023, 3, 1) <= k[1] <= date(2023, 5, 1) and k[2] == "patent"
    }
    assert {kind for _, kind in spring_totals} == {"patent"}
    yearly, _ = read(counted, "year", date(2023, 1, 1), date(2023, 12, 31))
    per_term = Counter()
    for (term, _, _), count in yearly.items():
        per_term[term] += count
    frequent, _ = read(counted, "year", date(2023, 1, 1), date(2023, 12, 31), min_documents=5)
    assert frequent == {key: count for key, count in yearly.items() if per_term[key[0]] >= 5}
    assert 0 < len(frequent) < len(yearly)
    some = sorted({term for term, _, _ in frequent})[:3]
    chosen, _ = read(counted, "year", date(2023, 1, 1), date(2023, 12, 31), terms=some)
    assert {term for term, _, _ in chosen} == set(some)


def test_a_mapping_counts_two_spellings_as_one_term(counted: Path) -> None:
    yearly, _ = read(counted, "year", date(2023, 1, 1), date(2023, 12, 31))
    german = next(t for (t, _, k), c in yearly.items() if k == "policy" and c >= 2)
    english = next(t for (t, _, k), c in yearly.items() if k == "patent" and c >= 2)
    merged, _ = read(counted, "year", date(2023, 1, 1), date(2023, 12, 31), mapping={english: german})
    year = date(2023, 1, 1)
    assert merged[(german, year, "patent")] == yearly[(english, year, "patent")] + yearly[(german, year, "patent")]
    assert merged[(german, year, "policy")] == yearly[(german, year, "policy")]
    assert not [key for key in merged if key[0] == english]


def test_reprocessed_documents_move_their_counts(tmp_path: Path) -> None:
    db = tmp_path / "foresight.duckdb"
    docs = sample_documents(annotation_sample()[:12])
    load(db, docs)
    step(db)
    assert rows(db, KEYS) == rows(db, RECOUNT)
    moved = [
        dataclasses.replace(docs[0], published=date(2021, 6, 30), kind="news"),  # new date and kind, same text
        dataclasses.replace(docs[1], text=docs[2].text),  # new text
        Document("t:undated", "news", "test", title="Wärmepumpen für Bochum", text="Neue Wärmepumpen in Bochum."),
    ]
    load(db, moved)
    assert step(db)["processed"] == 3
    assert rows(db, KEYS) == rows(db, RECOUNT)
    # the days the step touched hold one row per key again (the rows each batch appended are summed)
    assert rows(db, "select count(*) = count(distinct (term, day, kind)) from term_days") == [(True,)]
    assert rows(db, "select sum(documents) from term_day_totals where day = '2021-06-30' and kind = 'news'") == [(1,)]
    terms, totals = read(db, "day", date(2021, 6, 30), date(2021, 6, 30))
    assert sum(totals.values()) == 1 and {kind for _, _, kind in terms} == {"news"}


def test_unknown_granularity_is_refused(counted: Path) -> None:
    with Warehouse.open_reader(counted) as wh, pytest.raises(ValueError, match="use one of day, week"):
        term_period_counts(wh, "decade", date(2023, 1, 1), date(2023, 12, 31))


def test_the_migration_counts_what_earlier_versions_wrote(tmp_path: Path, counted: Path) -> None:
    """A warehouse of version 8 with language results gets its counts and document dates from migration 009."""
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    for migration in migrations():
        if migration.version >= 9:
            break
        con.execute(migration.sql)
        con.execute("insert into schema_version values (?, ?, now())", [migration.version, migration.name])
    source = str(counted.with_name(counted.stem + ".published.duckdb"))
    con.execute(f"attach '{source}' as new (read_only)")
    con.execute("insert into documents select * from new.documents")
    con.execute("insert into doc_terms select * from new.doc_terms")
    con.execute("insert into doc_language select * exclude (published, kind) from new.doc_language")
    con.close()
    with Warehouse.open_writer(db):
        pass
    assert rows(db, KEYS) == rows(db, RECOUNT) == rows(counted, KEYS)
    assert rows(db, "select count(*) from doc_language where published is null") == [(0,)]
    assert rows(db, "select sum(documents) from term_day_totals") == [(65,)]
