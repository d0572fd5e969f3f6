"""The report's queries: each figure of the weekly report comes from one of these, and the report prints it.

Why printed: every number in the report must be reproducible by an analyst with SQL, so each query is kept here as
text and `shown` writes it with its parameters filled in (the exact statement to paste into `foresight sql`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from warehouse.db import Warehouse
from warehouse.signals import EMERGING_SQL, TOPIC_DOCUMENTS_SQL

SQL_EMERGING = (
    "select * from v_topic_signals where run_id = ? order by is_technology desc, score desc nulls last, topic_id"
)
SQL_SOURCES = """select source, kind, count(*) as documents,
       count(*) filter (where inserted_at >= ?) as new_in_scan,
       count(*) filter (where published > ? - interval 7 day and published <= ?) as published_this_week
from documents group by source, kind order by documents desc, source"""
SQL_MARKETS = "select * from lead_market_rows([?]) order by lead_market_id"  # the table macro of migration 010
SQL_MARKET_TOPICS = EMERGING_SQL.strip()
SQL_MAP = "select topic_id, label, list_sum(recent_series) as volume, growth, signal_class from v_topic_signals " \
    "where run_id = ?"  # fmt: skip
SQL_TERMS = "select top_terms from v_topic_signals where run_id = ? and topic_id = ?"
SQL_PLACES = """select p.municipality as place, count(distinct p.doc_id) as documents
from document_topics dt join doc_places p using (doc_id)
where dt.run_id = ? and dt.topic_id = ? and p.municipality is not null
group by p.municipality order by documents desc, place limit ?"""
SQL_ACTORS = """select a.actor, count(distinct a.doc_id) as documents
from document_topics dt join doc_actors a using (doc_id)
where dt.run_id = ? and dt.topic_id = ?
group by a.actor order by documents desc, a.actor limit ?"""
SQL_MIX = """select d.kind, count(*) as documents from document_topics dt join documents d using (doc_id)
where dt.run_id = ? and dt.topic_id = ? group by d.kind"""
SQL_EVIDENCE = TOPIC_DOCUMENTS_SQL.strip()
SQL_CHANGES = "select * from scan_signal_snapshots where scan_run_id = ?"
SQL_EMERGING_TERMS = """select term, score, technology, signal_class, trend, first_seen, documents, recent_series
from term_signals where run_id = ? order by is_technology desc, score desc nulls last, term limit ?"""


def rows(warehouse: Warehouse, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """The rows of one report query as dicts."""
    cursor = warehouse.con.execute(sql, list(params))
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def shown(sql: str, params: Sequence[Any]) -> str:
    """The query with its parameters written in, as an analyst would run it (`?` placeholders in order)."""
    parts = sql.split("?")
    if len(parts) - 1 != len(params):
        return sql
    out = [parts[0]]
    for value, rest in zip(params, parts[1:], strict=True):
        out.append(_literal(value))
        out.append(rest)
    return "".join(out)


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"
