"""Reading and writing the topic tables of migration 004: embeddings, topics, assignments, series, signals.

Everything here is plain rows in and out (lists, dicts, numpy arrays of vectors); the pipeline turns model
results into these rows. Bulk writes go through Arrow so 50,000 vectors are one statement, not 50,000.
The caller owns the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa


@dataclass(frozen=True)
class KnownTopic:
    """A stable topic as the linker needs it: its stored centroid and the members of its latest fit."""

    topic_id: int
    centroid: np.ndarray
    space: str
    first_seen: date
    status: str
    member_ids: list[str]


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("select count(*) from information_schema.tables where table_name = ?", [name]).fetchall()
    return bool(row and row[0][0])


# -- embeddings -------------------------------------------------------------------------------------


def documents_without_embedding(
    con: duckdb.DuckDBPyConnection, space: str, *, published_until: date | None = None
) -> list[str]:
    """Ids of documents with no vector in embedding space `space` yet: those published up to `published_until`
    (if given) and those without a date (they join no series, but can still be searched by similarity)."""
    rows = con.execute(
        """
        select d.doc_id from documents d
        anti join (select doc_id from embeddings where backend = ?) e using (doc_id)
        where ?::date is null or d.published is null or d.published <= ?::date
        order by d.doc_id
        """,
        [space, published_until, published_until],
    ).fetchall()
    return [str(r[0]) for r in rows]


# DuckDB answers `doc_id in (?, ?, ...)` with up to 2,048 constants from an index on doc_id; a join with a registered
# id table instead reads the whole column (every text, every vector) however few ids are asked for: at 1,000,000
# documents gigabytes and seconds per call (docs/performance.md).
_KEY_BATCH = 2_000


def _key_batches(doc_ids: Sequence[str]) -> list[list[str]]:
    """The distinct ids, sorted, in batches an index lookup answers (so rows come back in doc_id order)."""
    ids = sorted(set(doc_ids))
    return [ids[start : start + _KEY_BATCH] for start in range(0, len(ids), _KEY_BATCH)]


def _placeholders(batch: Sequence[str]) -> str:
    return ", ".join("?" * len(batch))


def document_texts(con: duckdb.DuckDBPyConnection, doc_ids: Sequence[str]) -> list[tuple[str, str | None, str | None]]:
    """``(doc_id, title, text)`` of the given documents, in doc_id order."""
    rows = [
        row
        for batch in _key_batches(doc_ids)
        for row in con.execute(
            f"select doc_id, title, text from documents where doc_id in ({_placeholders(batch)}) order by doc_id", batch
        ).fetchall()
    ]
    return [(str(r[0]), r[1], r[2]) for r in rows]


def write_embeddings(
    con: duckdb.DuckDBPyConnection, space: str, doc_ids: Sequence[str], vectors: np.ndarray, run_id: int
) -> int:
    """Store vectors; a (doc_id, space) pair that already has one is left alone."""
    if len(doc_ids) == 0:
        return 0
    vectors = np.asarray(vectors, dtype=np.float32)
    dim = int(vectors.shape[1])
    flat = pa.array(vectors.reshape(-1), type=pa.float32())
    offsets = pa.array(np.arange(0, len(doc_ids) * dim + 1, dim, dtype=np.int32))
    table = pa.table(
        {"doc_id": pa.array(list(doc_ids), pa.string()), "vector": pa.ListArray.from_arrays(offsets, flat)}
    )
    con.register("_incoming_embeddings", table)
    try:
        con.execute(
            """
            insert into embeddings (doc_id, backend, dim, vector, run_id, created_at)
            select i.doc_id, ?, ?, i.vector, ?, now() from _incoming_embeddings i
            anti join (select doc_id from embeddings where backend = ?) e using (doc_id)
            """,
            [space, dim, run_id, space],
        ).fetchall()
    finally:
        con.unregister("_incoming_embeddings")
    return len(doc_ids)


def load_embeddings(con: duckdb.DuckDBPyConnection, space: str, doc_ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Vectors of `doc_ids` (those that have one), in doc_id order, as one float32 matrix."""
    tables = [
        con.sql(
            f"select doc_id, vector from embeddings where doc_id in ({_placeholders(batch)}) and backend = ? "
            "order by doc_id",
            params=[*batch, space],
        ).to_arrow_table()  # a relation hands Arrow over without the extra copy a DB-API result makes
        for batch in _key_batches(doc_ids)
    ]
    if not tables:
        return [], np.zeros((0, 0), dtype=np.float32)
    table = pa.concat_tables(tables)
    ids = [str(v) for v in table.column("doc_id").to_pylist()]
    if not ids:
        return [], np.zeros((0, 0), dtype=np.float32)
    column = table.column("vector").combine_chunks()
    flat = np.asarray(column.flatten().to_numpy(zero_copy_only=False), dtype=np.float32)
    return ids, flat.reshape(len(ids), -1)


@dataclass(frozen=True)
class EmbeddingModel:
    """One stored version of a corpus-fitted backend."""

    space: str
    version: int
    state: bytes
    fitted_on: int


def current_embedding_model(con: duckdb.DuckDBPyConnection, backend: str) -> EmbeddingModel | None:
    """The newest stored version of `backend`, or None before its first fit."""
    rows = con.execute(
        """
        select space, version, state, fitted_on from embedding_models
        where backend = ? order by version desc limit 1
        """,
        [backend],
    ).fetchall()
    return EmbeddingModel(rows[0][0], int(rows[0][1]), bytes(rows[0][2]), int(rows[0][3])) if rows else None


def save_embedding_model(
    con: duckdb.DuckDBPyConnection, backend: str, state: bytes, fitted_on: int, fitted_until: date, run_id: int
) -> EmbeddingModel:
    """Store a new version of `backend` and delete the vectors of its older versions (they can be recomputed)."""
    current = current_embedding_model(con, backend)
    version = current.version + 1 if current else 1
    space = f"{backend}#{version}"
    con.execute(
        """
        insert into embedding_models (space, backend, version, state, fitted_on, fitted_until, run_id, created_at)
        values (?, ?, ?, ?, ?, ?, ?, now())
        """,
        [space, backend, version, state, fitted_on, fitted_until, run_id],
    ).fetchall()
    con.execute(
        "delete from embeddings where backend in (select space from embedding_models where backend = ? and space <> ?)",
        [backend, space],
    ).fetchall()
    return EmbeddingModel(space, version, state, fitted_on)


def count_documents(con: duckdb.DuckDBPyConnection, published_until: date) -> int:
    rows = con.execute("select count(*) from documents where published <= ?", [published_until]).fetchall()
    return int(rows[0][0])


def document_ids(con: duckdb.DuckDBPyConnection, published_until: date) -> list[str]:
    """Every document published up to a date, by doc_id: what a corpus-fitted embedding model learns from."""
    rows = con.execute(
        "select doc_id from documents where published <= ? order by doc_id", [published_until]
    ).fetchall()
    return [str(r[0]) for r in rows]


# -- the analysis window ----------------------------------------------------------------------------


def window_documents(con: duckdb.DuckDBPyConnection, start: date, end: date) -> list[dict[str, Any]]:
    """Documents published in ``[start, end]``: doc_id, kind, published, title, text, language; by doc_id.

    `language` is the one the source gave, else the language step's (None if neither is known)."""
    rows = con.execute(
        """
        select d.doc_id, d.kind, d.published, d.title, d.text, coalesce(d.language, l.language)
        from documents d left join doc_language l using (doc_id)
        where d.published between ? and ? order by d.doc_id
        """,
        [start, end],
    ).fetchall()
    return [
        {"doc_id": r[0], "kind": r[1], "published": r[2], "title": r[3], "text": r[4], "language": r[5]} for r in rows
    ]


def document_terms(con: duckdb.DuckDBPyConnection, doc_ids: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    """The language step's terms per document (best termhood first), or {} before the language step ran."""
    if not doc_ids or not table_exists(con, "doc_terms"):
        return {}
    con.register("_wanted_docs", pa.table({"doc_id": pa.array(list(doc_ids), pa.string())}))
    try:
        rows = con.execute(
            """
            select t.doc_id, t.term, coalesce(t.count, 1) from doc_terms t join _wanted_docs w using (doc_id)
            order by t.doc_id, t.termhood desc nulls last, t.term
            """
        ).fetchall()
    finally:
        con.unregister("_wanted_docs")
    terms: dict[str, list[tuple[str, int]]] = {}
    for doc_id, term, count in rows:
        terms.setdefault(doc_id, []).append((term, int(count)))
    return terms


def document_lead_markets(
    con: duckdb.DuckDBPyConnection, doc_ids: Sequence[str], min_score: float = 0.0
) -> dict[str, list[tuple[str, float]]]:
    """Lead markets per document with score >= `min_score`, best first; {} before the language step ran."""
    if not doc_ids or not table_exists(con, "doc_lead_markets"):
        return {}
    con.register("_wanted_docs", pa.table({"doc_id": pa.array(list(doc_ids), pa.string())}))
    try:
        rows = con.execute(
            """
            select m.doc_id, m.lead_market_id::varchar, m.score
            from doc_lead_markets m join _wanted_docs w using (doc_id)
            where m.score >= ? order by m.doc_id, m.score desc, m.lead_market_id
            """,
            [min_score],
        ).fetchall()
    finally:
        con.unregister("_wanted_docs")
    markets: dict[str, list[tuple[str, float]]] = {}
    for doc_id, market, score in rows:
        markets.setdefault(doc_id, []).append((market, float(score)))
    return markets


# -- topics and fits --------------------------------------------------------------------------------


def known_topics(con: duckdb.DuckDBPyConnection) -> list[KnownTopic]:
    """Stable topics a new fit may continue (not merged away), with the documents of their latest fit.

    The members let the pipeline recompute each centroid in the current embedding space, so a refitted
    embedding model does not break topic identity.
    """
    rows = con.execute(
        """
        select t.topic_id, t.centroid, t.backend, t.first_seen, t.status,
               coalesce(list(dt.doc_id order by dt.doc_id) filter (where dt.doc_id is not null), [])
        from topics t
        left join document_topics dt on dt.topic_id = t.topic_id and dt.run_id = t.last_seen_run_id
        where t.status <> 'merged'
        group by all order by t.topic_id
        """
    ).fetchall()
    return [
        KnownTopic(int(r[0]), np.asarray(r[1], dtype=np.float32), str(r[2]), r[3], str(r[4]), list(r[5])) for r in rows
    ]


def last_fit(con: duckdb.DuckDBPyConnection) -> tuple[int, str] | None:
    """(run_id, fit_key) of the latest successful topics fit, or None."""
    row = con.execute(
        """
        select run_id, details->>'fit_key' from runs
        where stage = 'topics' and status = 'ok' and details->>'fit_key' is not null
          and (counts->>'reused')::boolean is not true
        order by run_id desc limit 1
        """
    ).fetchall()
    return (int(row[0][0]), str(row[0][1])) if row else None


@dataclass
class TopicRow:
    """What the pipeline hands over for one fit topic."""

    fit_topic: int
    topic_id: int | None  # None: create a new stable topic
    relation: str  # new | continued
    similarity: float | None
    label: str
    top_terms: list[str]
    term_weights: list[float]
    representative_doc_ids: list[str]
    centroid: np.ndarray
    size: int
    first_seen: date  # publication date of the earliest member document


def write_fit(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    backend: str,
    topics: Sequence[TopicRow],
    merges: Sequence[tuple[int, int, int, float]],
    assignments: Sequence[tuple[str, int, float]],
) -> dict[int, int]:
    """Store one fit: create or update stable topics, record links and merges, mark the rest dormant.

    `merges` are ``(fit_topic, absorbed_topic_id, into_topic_id, similarity)``; `assignments` are
    ``(doc_id, fit_topic, probability)``. Returns fit_topic -> stable topic_id.
    """
    ids: dict[int, int] = {}
    for topic in topics:
        if topic.topic_id is None:
            row = con.execute(
                """
                insert into topics (label, top_terms, term_weights, representative_doc_ids, backend, centroid, size,
                                    first_seen, first_seen_run_id, last_seen_run_id, status, merged_into, updated_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', null, now()) returning topic_id
                """,
                [
                    topic.label,
                    topic.top_terms,
                    topic.term_weights,
                    topic.representative_doc_ids,
                    backend,
                    topic.centroid.astype(float).tolist(),
                    topic.size,
                    topic.first_seen,
                    run_id,
                    run_id,
                ],
            ).fetchall()
            ids[topic.fit_topic] = int(row[0][0])
        else:
            con.execute(
                """
                update topics set label = ?, top_terms = ?, term_weights = ?, representative_doc_ids = ?,
                       centroid = ?, size = ?, first_seen = least(first_seen, ?), last_seen_run_id = ?,
                       status = 'active', merged_into = null, updated_at = now()
                where topic_id = ?
                """,
                [
                    topic.label,
                    topic.top_terms,
                    topic.term_weights,
                    topic.representative_doc_ids,
                    topic.centroid.astype(float).tolist(),
                    topic.size,
                    topic.first_seen,
                    run_id,
                    topic.topic_id,
                ],
            ).fetchall()
            ids[topic.fit_topic] = topic.topic_id
    links = [(run_id, t.fit_topic, ids[t.fit_topic], t.similarity, t.relation, t.size) for t in topics] + [
        (run_id, fit_topic, absorbed, sim, "merged", None) for fit_topic, absorbed, _into, sim in merges
    ]
    if links:  # a fit of a small corpus can find no topic at all; executemany refuses an empty list
        con.executemany(
            "insert into topic_links (run_id, fit_topic, topic_id, similarity, relation, size) "
            "values (?, ?, ?, ?, ?, ?)",
            links,
        )
    for _fit_topic, absorbed, into, _sim in merges:
        con.execute(
            "update topics set status = 'merged', merged_into = ?, updated_at = now() where topic_id = ?",
            [into, absorbed],
        ).fetchall()
    con.execute(
        """
        update topics set status = 'dormant', updated_at = now()
        where status = 'active' and last_seen_run_id <> ?
        """,
        [run_id],
    ).fetchall()
    if assignments:
        table = pa.table(
            {
                "doc_id": pa.array([a[0] for a in assignments], pa.string()),
                "topic_id": pa.array([ids[a[1]] for a in assignments], pa.int64()),
                "probability": pa.array([float(a[2]) for a in assignments], pa.float64()),
            }
        )
        con.register("_incoming_assignments", table)
        try:
            con.execute(
                """
                insert into document_topics (doc_id, topic_id, run_id, probability)
                select doc_id, topic_id, ?, probability from _incoming_assignments
                """,
                [run_id],
            ).fetchall()
        finally:
            con.unregister("_incoming_assignments")
    return ids


def fit_assignments(con: duckdb.DuckDBPyConnection, fit_run_id: int) -> list[dict[str, Any]]:
    """Members of a fit with what the series need: doc_id, topic_id, probability, kind, published."""
    rows = con.execute(
        """
        select dt.doc_id, dt.topic_id, dt.probability, d.kind, d.published
        from document_topics dt join documents d using (doc_id)
        where dt.run_id = ? order by dt.doc_id
        """,
        [fit_run_id],
    ).fetchall()
    return [{"doc_id": r[0], "topic_id": int(r[1]), "probability": r[2], "kind": r[3], "published": r[4]} for r in rows]


# -- series and signals -----------------------------------------------------------------------------


def signals_exist(con: duckdb.DuckDBPyConnection, fit_run_id: int, granularity: str, as_of: date) -> int | None:
    """The emergence run that already scored this fit for this granularity and date, if any."""
    row = con.execute(
        """
        select max(run_id) from signals where fit_run_id = ? and granularity = ? and as_of = ?
        """,
        [fit_run_id, granularity, as_of],
    ).fetchall()
    return int(row[0][0]) if row and row[0][0] is not None else None


def write_series(con: duckdb.DuckDBPyConnection, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert topic_series rows (dicts with the table's column names)."""
    columns = [
        "run_id",
        "fit_run_id",
        "topic_id",
        "granularity",
        "period_start",
        "kind",
        "lead_market_id",
        "doc_count",
        "total_count",
        "share",
    ]
    return _insert_dicts(con, "topic_series", columns, rows)


def write_topic_lead_markets(con: duckdb.DuckDBPyConnection, rows: Sequence[Mapping[str, Any]]) -> int:
    columns = ["run_id", "topic_id", "lead_market_id", "documents", "weight", "rank"]
    return _insert_dicts(con, "topic_lead_markets", columns, rows)


def write_signals(con: duckdb.DuckDBPyConnection, rows: Sequence[Mapping[str, Any]]) -> int:
    columns = [
        "run_id",
        "fit_run_id",
        "as_of",
        "granularity",
        "topic_id",
        "score",
        "signal_class",
        "trend",
        "growth",
        "mk_tau",
        "mk_p",
        "sen_slope",
        "burst",
        "escore",
        "novelty",
        "popularity",
        "kinds_present",
        "evidence",
    ]
    prepared = [{**row, "evidence": json.dumps(row.get("evidence") or {}, default=str)} for row in rows]
    return _insert_dicts(con, "signals", columns, prepared, casts={"evidence": "json"})


def _insert_dicts(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    casts: Mapping[str, str] | None = None,
) -> int:
    if not rows:
        return 0
    casts = casts or {}
    placeholders = ", ".join(f"?::{casts[c]}" if c in casts else "?" for c in columns)
    con.executemany(
        f"insert into {table} ({', '.join(columns)}) values ({placeholders})",
        [[row.get(c) for c in columns] for row in rows],
    )
    return len(rows)
