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

from warehouse.db import Warehouse


@dataclass(frozen=True)
class KnownTopic:
    """A stable topic as the linker needs it: its stored centroid and the members of its latest fit."""

    topic_id: int
    centroid: np.ndarray
    space: str
    first_seen: date
    status: str
    member_ids: list[str]


def table_exists(warehouse: Warehouse, name: str) -> bool:
    con = warehouse.con
    row = con.execute("select count(*) from information_schema.tables where table_name = ?", [name]).fetchall()
    return bool(row and row[0][0])


# -- embeddings -------------------------------------------------------------------------------------


def documents_to_embed(warehouse: Warehouse, space: str | None, start: date, end: date) -> list[str]:
    """Ids of the documents the later stages of an analyze of ``[start, end]`` read that have no vector in `space`
    (every one of them for None: a space about to be fitted has no vectors yet).

    Those are the window's documents (the topic fit, its novelty scores) and the members of every stable topic's
    latest fit published up to `end` (the linker recomputes their centroids in the current space). Nothing else
    reads a vector, so nothing else is embedded: after a refit of a corpus-fitted backend the work is the window,
    not the history (docs/performance.md, "The refit").
    """
    con = warehouse.con
    rows = con.execute(
        """
        with wanted as (
            select doc_id from documents where published between ?::date and ?::date
            union
            select dt.doc_id from document_topics dt
            join topics t on t.topic_id = dt.topic_id and dt.run_id = t.last_seen_run_id and t.status <> 'merged'
            join documents d on d.doc_id = dt.doc_id and d.published <= ?::date
        )
        select doc_id from wanted anti join (select doc_id from embeddings where space = ?) e using (doc_id)
        order by doc_id
        """,
        [start, end, end, "" if space is None else space],
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


def document_texts(warehouse: Warehouse, doc_ids: Sequence[str]) -> list[tuple[str, str | None, str | None]]:
    """``(doc_id, title, text)`` of the given documents, in doc_id order."""
    con = warehouse.con
    rows = [
        row
        for batch in _key_batches(doc_ids)
        for row in con.execute(
            f"select doc_id, title, text from documents where doc_id in ({_placeholders(batch)}) order by doc_id", batch
        ).fetchall()
    ]
    return [(str(r[0]), r[1], r[2]) for r in rows]


def document_sources(warehouse: Warehouse, doc_ids: Sequence[str]) -> dict[str, str]:
    """Each document's source (a feed, a site, an import's name)."""
    return {
        str(r[0]): str(r[1])
        for batch in _key_batches(doc_ids)
        for r in warehouse.con.execute(
            f"select doc_id, source from documents where doc_id in ({_placeholders(batch)})", batch
        ).fetchall()
    }


def document_languages(warehouse: Warehouse, doc_ids: Sequence[str]) -> dict[str, str | None]:
    """Each document's language: the language step's, else the record's (None where neither knows it)."""
    con = warehouse.con
    return {
        str(r[0]): r[1]
        for batch in _key_batches(doc_ids)
        for r in con.execute(
            f"""select d.doc_id, coalesce(l.language, d.language) from documents d left join doc_language l
                using (doc_id) where d.doc_id in ({_placeholders(batch)})""",
            batch,
        ).fetchall()
    }


def write_embeddings(warehouse: Warehouse, space: str, doc_ids: Sequence[str], vectors: np.ndarray, run_id: int) -> int:
    """Store vectors; a (doc_id, space) pair that already has one is left alone."""
    con = warehouse.con
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
            insert into embeddings (doc_id, space, dim, vector, run_id, created_at)
            select i.doc_id, ?, ?, i.vector, ?, now() from _incoming_embeddings i
            anti join (select doc_id from embeddings where space = ?) e using (doc_id)
            """,
            [space, dim, run_id, space],
        ).fetchall()
    finally:
        con.unregister("_incoming_embeddings")
    return len(doc_ids)


def load_embeddings(warehouse: Warehouse, space: str, doc_ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Vectors of `doc_ids` (those that have one), in doc_id order, as one float32 matrix."""
    con = warehouse.con
    tables = [
        con.sql(
            f"select doc_id, vector from embeddings where doc_id in ({_placeholders(batch)}) and space = ? "
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
    fitted_on: int  # documents it learnt from (a bounded sample)
    history_documents: int  # documents published up to its as-of when it was fitted: what the refit rule compares


def current_embedding_model(warehouse: Warehouse, backend: str) -> EmbeddingModel | None:
    """The newest stored version of `backend`, or None before its first fit."""
    con = warehouse.con
    rows = con.execute(
        """
        select space, version, state, fitted_on, coalesce(history_documents, fitted_on) from embedding_models
        where backend = ? order by version desc limit 1
        """,
        [backend],
    ).fetchall()
    if not rows:
        return None
    space, version, state, fitted_on, history = rows[0]
    return EmbeddingModel(space, int(version), bytes(state), int(fitted_on), int(history))


def save_embedding_model(
    warehouse: Warehouse,
    backend: str,
    state: bytes,
    fitted_on: int,
    fitted_until: date,
    run_id: int,
    *,
    history_documents: int | None = None,
) -> EmbeddingModel:
    """Store a new version of `backend` and delete the vectors of its older versions (they can be recomputed)."""
    con = warehouse.con
    current = current_embedding_model(warehouse, backend)
    version = current.version + 1 if current else 1
    space = f"{backend}#{version}"
    history = fitted_on if history_documents is None else history_documents
    con.execute(
        """
        insert into embedding_models
            (space, backend, version, state, fitted_on, fitted_until, run_id, created_at, history_documents)
        values (?, ?, ?, ?, ?, ?, ?, now(), ?)
        """,
        [space, backend, version, state, fitted_on, fitted_until, run_id, history],
    ).fetchall()
    con.execute(
        "delete from embeddings where space in (select space from embedding_models where backend = ? and space <> ?)",
        [backend, space],
    ).fetchall()
    return EmbeddingModel(space, version, state, fitted_on, history)


def count_documents(warehouse: Warehouse, published_until: date) -> int:
    con = warehouse.con
    rows = con.execute("select count(*) from documents where published <= ?", [published_until]).fetchall()
    return int(rows[0][0])


def fit_sample_ids(warehouse: Warehouse, window_start: date, published_until: date, limit: int) -> list[str]:
    """What a corpus-fitted embedding model learns from: at most `limit` documents published up to a date, by doc_id.

    The analysis window's documents come first (the topics are fitted on them, and a new technology's vocabulary
    is in them), then earlier ones. Where more are there than `limit`, the ones taken are those with the smallest
    md5 of their id: a uniform sample that is the same in every run and changes little as the history grows. With
    a history of at most `limit` documents this is every document, as before the bound.
    """
    con = warehouse.con
    rows = con.execute(
        """
        select doc_id from (
            select doc_id from documents where published <= ?::date
            order by (published >= ?::date) desc, md5(doc_id), doc_id limit ?
        ) order by doc_id
        """,
        [published_until, window_start, limit],
    ).fetchall()
    return [str(r[0]) for r in rows]


# -- the analysis window ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WindowDocument:
    """A document of the analysis window as the topic and emergence stages need it."""

    doc_id: str
    kind: str
    published: date
    title: str | None
    text: str | None
    source: str
    language: str | None


def window_documents(warehouse: Warehouse, start: date, end: date) -> list[WindowDocument]:
    """Documents published in ``[start, end]``, by doc_id (language: the language step's, else the record's)."""
    con = warehouse.con
    rows = con.execute(
        """
        select d.doc_id, d.kind, d.published, d.title, d.text, d.source, coalesce(l.language, d.language)
        from documents d left join doc_language l using (doc_id)
        where d.published between ? and ? order by d.doc_id
        """,
        [start, end],
    ).fetchall()
    return [WindowDocument(str(r[0]), str(r[1]), r[2], r[3], r[4], str(r[5]), r[6]) for r in rows]


def window_inventory(warehouse: Warehouse, space: str, start: date, end: date) -> tuple[list[str], int]:
    """The ids of the window's documents that have a vector in `space` (by doc_id) and how many terms they have:
    what decides whether the last fit can be reused, without reading a vector or a text."""
    con = warehouse.con
    ids = [
        str(r[0])
        for r in con.execute(
            """
            select d.doc_id from documents d semi join (select doc_id from embeddings where space = ?) e using (doc_id)
            where d.published between ? and ? order by d.doc_id
            """,
            [space, start, end],
        ).fetchall()
    ]
    row = con.execute(
        """
        select count(*) from doc_terms t join documents d using (doc_id)
        semi join (select doc_id from embeddings where space = ?) e using (doc_id)
        where d.published between ? and ?
        """,
        [space, start, end],
    ).fetchone()
    return ids, int(row[0]) if row else 0


def document_terms(warehouse: Warehouse, doc_ids: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    """The language step's terms per document (best termhood first), or {} before the language step ran."""
    con = warehouse.con
    if not doc_ids or not table_exists(warehouse, "doc_terms"):
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
    warehouse: Warehouse, doc_ids: Sequence[str], min_score: float = 0.0
) -> dict[str, list[tuple[str, float]]]:
    """Lead markets per document with score >= `min_score`, best first; {} before the language step ran."""
    con = warehouse.con
    if not doc_ids or not table_exists(warehouse, "doc_lead_markets"):
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


def known_topics(warehouse: Warehouse) -> list[KnownTopic]:
    """Stable topics a new fit may continue (not merged away), with the documents of their latest fit.

    The members let the pipeline recompute each centroid in the current embedding space, so a refitted
    embedding model does not break topic identity.
    """
    con = warehouse.con
    rows = con.execute(
        """
        select t.topic_id, t.centroid, t.space, t.first_seen, t.status,
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


@dataclass(frozen=True)
class LastFit:
    """The latest successful topics fit: its run, the key of its inputs and how many topics it found."""

    run_id: int
    fit_key: str
    topics: int


def last_fit(warehouse: Warehouse) -> LastFit | None:
    """The latest successful topics fit (not a reuse of an earlier one), or None."""
    con = warehouse.con
    row = con.execute(
        """
        select run_id, details->>'fit_key', coalesce((counts->>'topics')::integer, 0) from runs
        where stage = 'topics' and status = 'ok' and details->>'fit_key' is not null
          and (counts->>'reused')::boolean is not true
        order by run_id desc limit 1
        """
    ).fetchall()
    return LastFit(int(row[0][0]), str(row[0][1]), int(row[0][2])) if row else None


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
    warehouse: Warehouse,
    run_id: int,
    space: str,
    topics: Sequence[TopicRow],
    merges: Sequence[tuple[int, int, int, float]],
    assignments: Sequence[tuple[str, int, float]],
) -> dict[int, int]:
    """Store one fit: create or update stable topics, record links and merges, mark the rest dormant.

    `merges` are ``(fit_topic, absorbed_topic_id, into_topic_id, similarity)``; `assignments` are
    ``(doc_id, fit_topic, similarity)``. Returns fit_topic -> stable topic_id.
    """
    con = warehouse.con
    ids: dict[int, int] = {}
    for topic in topics:
        if topic.topic_id is None:
            row = con.execute(
                """
                insert into topics (label, top_terms, term_weights, representative_doc_ids, space, centroid, size,
                                    first_seen, first_seen_run_id, last_seen_run_id, status, merged_into, updated_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', null, now()) returning topic_id
                """,
                [
                    topic.label,
                    topic.top_terms,
                    topic.term_weights,
                    topic.representative_doc_ids,
                    space,
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
                "similarity": pa.array([float(a[2]) for a in assignments], pa.float64()),
            }
        )
        con.register("_incoming_assignments", table)
        try:
            con.execute(
                """
                insert into document_topics (doc_id, topic_id, run_id, similarity)
                select doc_id, topic_id, ?, similarity from _incoming_assignments
                """,
                [run_id],
            ).fetchall()
        finally:
            con.unregister("_incoming_assignments")
    return ids


@dataclass(frozen=True, slots=True)
class Member:
    """A document assigned to a stable topic by one fit, with its cosine similarity to the topic's centroid."""

    doc_id: str
    topic_id: int
    similarity: float | None
    kind: str
    published: date | None


def fit_assignments(warehouse: Warehouse, fit_run_id: int) -> list[Member]:
    """The members of a fit, by doc_id."""
    con = warehouse.con
    rows = con.execute(
        """
        select dt.doc_id, dt.topic_id, dt.similarity, d.kind, d.published
        from document_topics dt join documents d using (doc_id)
        where dt.run_id = ? order by dt.doc_id
        """,
        [fit_run_id],
    ).fetchall()
    return [Member(str(r[0]), int(r[1]), r[2], str(r[3]), r[4]) for r in rows]


# -- series and signals -----------------------------------------------------------------------------


def signals_exist(warehouse: Warehouse, fit_run_id: int, granularity: str, as_of: date) -> int | None:
    """The emergence run that already scored this fit for this granularity and date, if any."""
    con = warehouse.con
    row = con.execute(
        """
        select max(run_id) from signals where fit_run_id = ? and granularity = ? and as_of = ?
        """,
        [fit_run_id, granularity, as_of],
    ).fetchall()
    return int(row[0][0]) if row and row[0][0] is not None else None


def write_series(warehouse: Warehouse, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert topic_series rows (dicts with the table's column names)."""
    con = warehouse.con
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


def write_topic_lead_markets(warehouse: Warehouse, rows: Sequence[Mapping[str, Any]]) -> int:
    con = warehouse.con
    columns = ["run_id", "topic_id", "lead_market_id", "documents", "weight", "rank"]
    return _insert_dicts(con, "topic_lead_markets", columns, rows)


def write_signals(warehouse: Warehouse, rows: Sequence[Mapping[str, Any]]) -> int:
    con = warehouse.con
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
        "first_seen",
        "is_new",
        "rising_terms",
        "life_cycle",
    ]
    prepared = [
        {
            **row,
            "evidence": json.dumps(row.get("evidence") or {}, default=str),
            "rising_terms": json.dumps(row.get("rising_terms") or [], default=str),
            "life_cycle": json.dumps(row["life_cycle"], default=str) if row.get("life_cycle") else None,
        }
        for row in rows
    ]
    casts = {"evidence": "json", "rising_terms": "json", "life_cycle": "json"}
    return _insert_dicts(con, "signals", columns, prepared, casts=casts)


def _insert_dicts(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    casts: Mapping[str, str] | None = None,
) -> int:
    """Insert `rows` as one Arrow batch: `executemany` binds row by row (7 of 9 s of the emergence stage for 3,000
    topic series rows); DuckDB reads a registered Arrow table in one scan. `casts` maps a column to a SQL type
    its values are cast to (JSON text to ``json``)."""
    if not rows:
        return 0
    casts = casts or {}
    incoming = f"_incoming_{table}"
    con.register(incoming, pa.table({c: [row.get(c) for row in rows] for c in columns}))
    try:
        selected = ", ".join(f"{c}::{casts[c]}" if c in casts else c for c in columns)
        con.execute(f"insert into {table} ({', '.join(columns)}) select {selected} from {incoming}").fetchall()
    finally:
        con.unregister(incoming)
    return len(rows)


# -- descriptions of a fit (migration 011) --------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicVersion:
    """A stable topic as one fit described it (written to `topic_versions`)."""

    topic_id: int
    label: str
    top_terms: list[str]
    term_weights: list[float]
    term_shares: list[float]
    size: int
    technology: float
    is_technology: bool
    technology_evidence: Mapping[str, Any]


def write_topic_versions(warehouse: Warehouse, fit_run_id: int, versions: Sequence[TopicVersion]) -> int:
    """Store how a fit described each of its topics (labels and words as of that fit)."""
    rows = [
        {
            "fit_run_id": fit_run_id,
            "topic_id": v.topic_id,
            "label": v.label,
            "top_terms": list(v.top_terms),
            "term_weights": list(v.term_weights),
            "term_shares": list(v.term_shares),
            "size": v.size,
            "technology": v.technology,
            "is_technology": v.is_technology,
            "technology_evidence": json.dumps(dict(v.technology_evidence), default=str),
        }
        for v in versions
    ]
    columns = ["fit_run_id", "topic_id", "label", "top_terms", "term_weights", "term_shares", "size", "technology",
               "is_technology", "technology_evidence"]  # fmt: skip
    return _insert_dicts(warehouse.con, "topic_versions", columns, rows, casts={"technology_evidence": "json"})


def write_boilerplate(warehouse: Warehouse, fit_run_id: int, rows: Sequence[Mapping[str, Any]]) -> int:
    """Store the words a fit left out as source boilerplate, with why (`fit_boilerplate`)."""
    columns = ["fit_run_id", "word", "sources", "documents", "concentration", "source_share", "association", "topics",
               "cohesion"]  # fmt: skip
    return _insert_dicts(warehouse.con, "fit_boilerplate", columns, [{"fit_run_id": fit_run_id, **r} for r in rows])


TECHNOLOGY_EVIDENCE_SQL = """
select distinct m.doc_id
from doc_lead_markets m, unnest(from_json(m.evidence->'seed_terms', '[{"term": "VARCHAR"}]')) as u(hit)
where hit.term in (select term from _technology_terms)
"""  # documents whose own words hit a technology seed term (as the language step recorded its seed hits)


def register_technology_terms(warehouse: Warehouse, terms: Sequence[str]) -> None:
    """Make the technology seed terms available to the queries of this connection as `_technology_terms`."""
    warehouse.con.register("_technology_terms", pa.table({"term": pa.array(sorted(terms), pa.string())}))


def documents_with_technology_evidence(
    warehouse: Warehouse, doc_ids: Sequence[str], technology_terms: Sequence[str]
) -> set[str]:
    """Those of `doc_ids` whose own words hit one of `technology_terms` (a lead market's technology seeds)."""
    if not doc_ids:
        return set()
    con = warehouse.con
    register_technology_terms(warehouse, technology_terms)
    con.register("_wanted_docs", pa.table({"doc_id": pa.array(list(doc_ids), pa.string())}))
    try:
        rows = con.execute(
            f"select e.doc_id from ({TECHNOLOGY_EVIDENCE_SQL}) e join _wanted_docs w using (doc_id)"
        ).fetchall()
    finally:
        con.unregister("_wanted_docs")
        con.unregister("_technology_terms")
    return {str(r[0]) for r in rows}
