"""Reading the scores: the latest signals, one topic's detail, and the snapshots the alerts compare with.

"Latest" has one definition, here and in the views of migration 010: for a granularity, the scores of the newest
as-of date, and of the newest run among the runs for that date. `foresight emerging`, `foresight topic`, the report
and the alerts all ask `latest_scores`, with the configured `[analysis] granularity` unless the user names another.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from warehouse.db import Warehouse


@dataclass(frozen=True)
class ScoresRun:
    """One emergence run's scores: which run, of which fit, for which granularity and as-of date."""

    run_id: int
    fit_run_id: int
    granularity: str
    as_of: date


def latest_scores(warehouse: Warehouse, granularity: str, as_of: date | None = None) -> ScoresRun | None:
    """The scores to show for `granularity`: of `as_of` if given, else of the newest as-of; the newest run wins."""
    rows = warehouse.con.execute(
        """
        select run_id, fit_run_id, granularity, as_of from signals
        where granularity = ? and (?::date is null or as_of = ?::date)
        group by all order by as_of desc, run_id desc limit 1
        """,
        [granularity, as_of, as_of],
    ).fetchall()
    return ScoresRun(int(rows[0][0]), int(rows[0][1]), str(rows[0][2]), rows[0][3]) if rows else None


def scored(warehouse: Warehouse) -> list[tuple[str, date]]:
    """(granularity, newest as-of) of everything scored so far, for messages that say what exists."""
    return [
        (str(g), d)
        for g, d in warehouse.con.execute(
            "select granularity, max(as_of) from signals group by granularity order by granularity"
        ).fetchall()
    ]


def _dicts(warehouse: Warehouse, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    cursor = warehouse.con.execute(sql, list(params))
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# The ranked topics of one scores run, technologies first unless everything is asked for, filtered by source kind
# and lead market (id or name, any case).
EMERGING_SQL = """
select v.* from v_topic_signals v
where v.run_id = ?
  and (?::varchar is null or list_contains(v.kinds_present, ?::varchar))
  and (?::varchar is null
       or list_contains([lower(x) for x in v.lead_markets], lower(?::varchar))
       or list_contains([lower(x) for x in v.lead_market_ids], lower(?::varchar)))
order by (not ?::boolean and v.is_technology) desc, v.score desc nulls last, v.topic_id
limit ?
"""


def emerging_topics(
    warehouse: Warehouse,
    scores: ScoresRun,
    *,
    kind: str | None = None,
    market: str | None = None,
    top: int | None = None,
    everything: bool = False,
) -> list[dict[str, Any]]:
    """The topics of a scores run, technologies first then by score (by score alone with `everything`).

    Every column of `v_topic_signals`; `rising_terms`, `life_cycle` and `technology_evidence` as parsed JSON.
    """
    limit = top if top is not None else 2**31 - 1
    rows = _dicts(warehouse, EMERGING_SQL, [scores.run_id, kind, kind, market, market, market, everything, limit])
    return [_parsed(row) for row in rows]


def _parsed(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("rising_terms", "life_cycle", "technology_evidence", "evidence"):
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key])
    return row


# Emerging terms of one scores run: technologies first unless everything is asked for, then new terms (born in the
# recent window), then by score (as `v_emerging_terms`; why: migration 012).
EMERGING_TERMS_SQL = """
select t.* from term_signals t
where t.run_id = ? and (?::varchar is null or list_contains(t.kinds, ?::varchar))
order by (not ?::boolean and t.is_technology) desc, t.is_new desc, t.score desc nulls last, t.term
limit ?
"""


def emerging_terms(
    warehouse: Warehouse,
    scores: ScoresRun,
    *,
    kind: str | None = None,
    top: int | None = None,
    everything: bool = False,
) -> list[dict[str, Any]]:
    """The emerging terms of a scores run: technologies first (not with `everything`), then new terms, then by score."""
    limit = top if top is not None else 2**31 - 1
    rows = _dicts(warehouse, EMERGING_TERMS_SQL, [scores.run_id, kind, kind, everything, limit])
    return [_parsed(row) for row in rows]


@dataclass(frozen=True)
class TopicHead:
    topic_id: int
    label: str
    top_terms: list[str]
    first_seen: date | None
    status: str
    merged_into: int | None
    size: int
    representative_doc_ids: list[str]


def topic_head(warehouse: Warehouse, topic_id: int) -> TopicHead | None:
    """A stable topic's current description, or None when there is no such topic."""
    rows = warehouse.con.execute(
        """
        select topic_id, label, top_terms, first_seen, status, merged_into, size, representative_doc_ids
        from topics where topic_id = ?
        """,
        [topic_id],
    ).fetchall()
    if not rows:
        return None
    r = rows[0]
    return TopicHead(int(r[0]), str(r[1]), list(r[2] or []), r[3], str(r[4]), r[5], int(r[6]), list(r[7] or []))


def topic_signal(warehouse: Warehouse, topic_id: int, scores: ScoresRun) -> dict[str, Any] | None:
    """The topic's row of a scores run (every column of `v_topic_signals`), or None if that run did not score it."""
    sql = "select * from v_topic_signals where topic_id = ? and run_id = ?"
    rows = _dicts(warehouse, sql, [topic_id, scores.run_id])
    return _parsed(rows[0]) if rows else None


def topic_series(warehouse: Warehouse, topic_id: int, run_id: int) -> list[tuple[date, int, int, float]]:
    """(period_start, doc_count, total_count, share) of a topic in a scores run, oldest first."""
    return warehouse.con.execute(
        """
        select period_start, doc_count, total_count, share from topic_series
        where topic_id = ? and kind = 'all' and lead_market_id = 'all' and run_id = ?
        order by period_start
        """,
        [topic_id, run_id],
    ).fetchall()


# The documents behind a topic in one fit, closest to the topic's centroid first, with places and actors.
TOPIC_DOCUMENTS_SQL = """
select dt.doc_id, d.title, d.url, d.published, d.kind, d.source, dt.similarity,
       coalesce((select list(distinct p.municipality order by p.municipality) from doc_places p
                 where p.doc_id = dt.doc_id and p.municipality is not null), []::varchar[]) as places,
       coalesce((select list(distinct a.actor order by a.actor) from doc_actors a
                 where a.doc_id = dt.doc_id), []::varchar[]) as actors
from document_topics dt join documents d using (doc_id)
where dt.run_id = ? and dt.topic_id = ?
order by dt.similarity desc nulls last, d.published desc nulls last, dt.doc_id
limit ?
"""


def topic_documents(warehouse: Warehouse, fit_run_id: int, topic_id: int, limit: int) -> list[dict[str, Any]]:
    """The evidence of a topic in a fit: doc_id, title, url, published, kind, source, similarity, places, actors."""
    return _dicts(warehouse, TOPIC_DOCUMENTS_SQL, [fit_run_id, topic_id, limit])


# -- the snapshots alerts compare with (migration 005) ---------------------------------------------------------------


def latest_snapshot_before(warehouse: Warehouse, run_id: int) -> int | None:
    """The newest scan snapshot taken before run `run_id` (a scan's own id, or the run that produced scores)."""
    row = warehouse.con.execute(
        "select max(scan_run_id) from scan_signal_snapshots where scan_run_id < ?", [run_id]
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def snapshot_classes(warehouse: Warehouse, scan_run_id: int) -> dict[str, str | None]:
    """topic_id (as text) -> signal class in a scan's snapshot."""
    return dict(
        warehouse.con.execute(
            "select topic_id, signal_class from scan_signal_snapshots where scan_run_id = ?", [scan_run_id]
        ).fetchall()
    )


def save_snapshot(warehouse: Warehouse, scan_run_id: int, scores: ScoresRun) -> int:
    """Keep what a scan saw of the scores (replacing a partial snapshot of the same scan); returns the rows."""
    con = warehouse.con
    with warehouse.transaction():
        con.execute("delete from scan_signal_snapshots where scan_run_id = ?", [scan_run_id]).fetchall()
        con.execute(
            """
            insert into scan_signal_snapshots
            select ?, now(), as_of, granularity, cast(topic_id as varchar), label, signal_class, trend, score, growth
            from v_topic_signals where run_id = ?
            """,
            [scan_run_id, scores.run_id],
        ).fetchall()
        row = con.execute("select count(*) from scan_signal_snapshots where scan_run_id = ?", [scan_run_id]).fetchone()
    return int(row[0]) if row else 0
