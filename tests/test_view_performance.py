"""Migrations 006, 010 and 011 redefine `v_emerging_topics` (latest runs first, one rule for "latest", more columns):
on data where those rules agree with 004's it must return what 004's did.

The rows are written by hand into a real, fully migrated warehouse: several signals runs in two granularities,
series longer than the 12 periods the view keeps, topics with and without lead markets, ties and missing scores.
The reference is the 004 definition itself, read from the migration file and run as a query.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from importlib import resources

from warehouse import Warehouse


def definition_in_004(view: str) -> str:
    sql = resources.files("warehouse.migrations").joinpath("004_topics.sql").read_text(encoding="utf-8")
    match = re.search(rf"create view {view} as\n(.*?);\n", sql, re.DOTALL)
    assert match, f"{view} not found in 004"
    return match.group(1)


def fill(con, rng: random.Random) -> None:
    con.execute(
        "insert into lead_markets (lead_market_id, name_de, name_en) values "
        "('mobilitaet', 'Mobilität', 'Mobility'), ('gesundheit', 'Gesundheit', 'Health')"
    )
    for topic_id in range(1, 8):
        con.execute(
            """insert into topics (topic_id, label, top_terms, space, centroid, size, first_seen,
                                   first_seen_run_id, last_seen_run_id, status, updated_at)
               values (?, ?, ?, 'tfidf-svd#1', [0.1, 0.2], 5, DATE '2020-01-01', 1, 1, 'active', now())""",
            [topic_id, f"Thema {topic_id}", [f"wort{topic_id}", "Wasserstoff"]],
        )
    for run_id, granularity in [(10, "month"), (11, "quarter"), (12, "month"), (13, "month"), (14, "quarter")]:
        for topic_id in range(1, 8):
            if topic_id == 7 and run_id == 13:
                continue  # a topic missing from the latest run
            score = None if topic_id == 6 else round(rng.choice([0.5, 1.0, rng.random() * 3]), 3)  # ties, nulls
            con.execute(
                """insert into signals (run_id, fit_run_id, as_of, granularity, topic_id, score, signal_class, trend,
                                        growth, kinds_present, evidence)
                   values (?, 1, DATE '2025-03-31', ?, ?, ?, 'weak', 'rising', 1.5, ['policy'], '{}')""",
                [run_id, granularity, topic_id, score],
            )
            for rank, market in enumerate(["mobilitaet", "gesundheit", "unbekannt"][: topic_id % 4], start=1):
                con.execute(
                    "insert into topic_lead_markets values (?, ?, ?, 3, 1.0, ?)", [run_id, topic_id, market, rank]
                )
            if topic_id == 5:
                continue  # a topic without a series
            start = date(2022, 1, 1)
            for period in range(rng.randrange(5, 20)):
                for kind, market in [("all", "all"), ("policy", "all"), ("all", "mobilitaet")]:
                    con.execute(
                        "insert into topic_series values (?, 1, ?, ?, ?, ?, ?, ?, 100, 0.1)",
                        [run_id, topic_id, granularity, start + timedelta(days=31 * period), kind, market,
                         rng.randrange(0, 9)],
                    )  # fmt: skip


def test_v_emerging_topics_still_returns_exactly_what_004_returned(tmp_path) -> None:
    with Warehouse.open_writer(tmp_path / "w.duckdb") as wh:
        con = wh.con
        assert wh.schema_version() >= 6
        fill(con, random.Random(7))
        reference_sql = (
            definition_in_004("v_emerging_topics")
            .replace("v_topic_signals", f"({definition_in_004('v_topic_signals')})")
            .replace("v_latest_signal_runs", f"({definition_in_004('v_latest_signal_runs')})")
        )
        reference = con.execute(reference_sql)
        columns = [d[0] for d in reference.description]
        expected = reference.fetchall()
        # Later migrations add columns (technology, rising terms, ...); the 004 columns must still say the same.
        current = con.execute(f"select {', '.join(columns)} from v_emerging_topics")
        rows = current.fetchall()
        key = [columns.index("score"), columns.index("topic_id")]
        assert [[r[k] for k in key] for r in rows] == [[r[k] for k in key] for r in expected]  # same ranking
        assert sorted(rows, key=repr) == sorted(expected, key=repr)  # same rows (ties may come in either order)
        assert len(expected) == 6 + 7  # latest month run (13) without topic 7, latest quarter run (14)
        assert {row[columns.index("run_id")] for row in expected} == {13, 14}
        assert any(len(row[columns.index("recent_series")] or []) == 12 for row in expected)  # cut at 12 periods
