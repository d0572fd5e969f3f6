"""Reads and writes for the language step's tables (migrations 003, 009): which documents wait, and their results.

The step streams: `pending_documents` returns one bounded batch of documents that have no `doc_language` row or
whose content changed since; `write_language_batch` replaces every doc_* row of those documents in one go
(delete + insert through Arrow) and appends their changes to the term counts (`warehouse.term_counts`), so a
batch is all-or-nothing inside the caller's transaction and a re-run processes nothing twice. This module knows
rows, not spaCy: the pipeline layer turns annotations into rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.db import Warehouse
from warehouse.term_counts import add_batch_counts, subtract_old_counts

DOC_TABLES = ("doc_terms", "doc_places", "doc_actors", "doc_lead_markets", "doc_language")


@dataclass(frozen=True, slots=True)
class PendingDocument:
    doc_id: str
    title: str | None
    text: str | None
    content_hash: str
    kind: str
    published: date | None
    redo: bool = False  # it has results from an earlier content: they are replaced (and subtracted from the counts)
    previous_published: date | None = None  # the date its earlier results were counted under


@dataclass
class LanguageBatch:
    """Rows for one batch of documents, one list per table, in the column order of migration 003."""

    doc_ids: list[str] = field(default_factory=list)
    redo: bool = False  # some documents had results before
    # (doc_id, language, confidence, n_words, status, reason, pipeline, content_hash, published, kind)
    languages: list[tuple[Any, ...]] = field(default_factory=list)
    # (doc_id, term, head, count, termhood, rank)
    terms: list[tuple[Any, ...]] = field(default_factory=list)
    # (doc_id, municipality, kreis, mention, place_type, place, mentions)
    places: list[tuple[Any, ...]] = field(default_factory=list)
    # (doc_id, actor, actor_type, ror, seat, mention, mentions)
    actors: list[tuple[Any, ...]] = field(default_factory=list)
    # (doc_id, lead_market_id, score, seed_score, similarity, rank, evidence: dict)
    lead_markets: list[tuple[Any, ...]] = field(default_factory=list)


_SCHEMAS: dict[str, pa.Schema] = {
    "doc_language": pa.schema(
        [
            ("doc_id", pa.string()),
            ("language", pa.string()),
            ("confidence", pa.float64()),
            ("n_words", pa.int32()),
            ("status", pa.string()),
            ("reason", pa.string()),
            ("pipeline", pa.string()),
            ("content_hash", pa.string()),
            ("published", pa.date32()),
            ("kind", pa.string()),
        ]
    ),
    "doc_terms": pa.schema(
        [
            ("doc_id", pa.string()),
            ("term", pa.string()),
            ("head", pa.string()),
            ("count", pa.int32()),
            ("termhood", pa.float64()),
            ("rank", pa.int32()),
        ]
    ),
    "doc_places": pa.schema(
        [
            ("doc_id", pa.string()),
            ("municipality", pa.string()),
            ("kreis", pa.string()),
            ("mention", pa.string()),
            ("place_type", pa.string()),
            ("place", pa.string()),
            ("mentions", pa.int32()),
        ]
    ),
    "doc_actors": pa.schema(
        [
            ("doc_id", pa.string()),
            ("actor", pa.string()),
            ("actor_type", pa.string()),
            ("ror", pa.string()),
            ("seat", pa.string()),
            ("mention", pa.string()),
            ("mentions", pa.int32()),
        ]
    ),
    "doc_lead_markets": pa.schema(
        [
            ("doc_id", pa.string()),
            ("lead_market_id", pa.string()),
            ("score", pa.float64()),
            ("seed_score", pa.float64()),
            ("similarity", pa.float64()),
            ("rank", pa.int32()),
            ("evidence", pa.string()),
        ]
    ),
}


def count_pending(warehouse: Warehouse) -> int:
    """Documents without a language result, or whose content changed since it was computed."""
    con = warehouse.con
    row = con.execute(
        """
        select count(*) from documents d left join doc_language l using (doc_id)
        where l.doc_id is null or l.content_hash <> d.content_hash
        """
    ).fetchone()
    return int(row[0]) if row else 0


def mark_all_for_reannotation(warehouse: Warehouse) -> int:
    """Make every document's language result stale, so that the next step annotates every document again.

    An upgrade can change what the language step finds (a rule for terms, a lemma repair); documents annotated
    before it keep the old terms and new ones get the new, so a term the new rules find would look as if it had
    just emerged. Clearing the stored content hash makes each result pending by the rule that already re-annotates
    changed documents (its rows and counts are replaced, not added to), so a run killed part-way resumes where it
    stopped. Returns how many results were marked."""
    row = warehouse.con.execute("update doc_language set content_hash = '' where content_hash <> ''").fetchone()
    return int(row[0]) if row else 0  # DuckDB answers an update with the number of rows it changed


def language_step_has_work(warehouse: Warehouse) -> bool:
    """Whether the language step would change anything: documents are pending, or the lead markets never synced.

    `foresight analyze` asks this first, so that a run with nothing new does not load spaCy and the lead-market
    tables (9 of 15 s of such a run). A changed lead-market file is synced with the next document read.
    """
    if count_pending(warehouse):
        return True
    row = warehouse.con.execute("select count(*) from lead_markets").fetchone()
    return not (row and row[0])


def pending_documents(warehouse: Warehouse, limit: int, after: str | None = None) -> list[PendingDocument]:
    """The next `limit` documents waiting for the language step, in doc_id order (texts of this batch only).

    `after` continues after that doc_id: the step asks for the next batch while the previous one is still being
    annotated (its documents have no results yet, so they are still pending).
    """
    con = warehouse.con
    ids = con.execute(
        """
        select d.doc_id, l.doc_id is not null, l.published
        from documents d left join doc_language l using (doc_id)
        where (l.doc_id is null or l.content_hash <> d.content_hash) and (?::varchar is null or d.doc_id > ?)
        order by d.doc_id
        limit ?
        """,
        [after, after, limit],
    ).fetchmany(limit)  # DuckDB 2.0.1 drops the LIMIT when doc_language is empty and doc_id is filtered
    if not ids:
        return []
    redo = {str(r[0]): r[2] for r in ids if r[1]}
    # Texts of this batch only: an IN list of constants is answered from the primary-key index, where a join would
    # read the text of every document (3.3 GB and seconds per batch in a warehouse of 1,000,000 documents).
    rows = con.execute(
        "select doc_id, title, text, content_hash, kind, published from documents "
        f"where doc_id in ({', '.join('?' * len(ids))}) order by doc_id",
        [r[0] for r in ids],
    ).fetchall()
    return [
        PendingDocument(str(r[0]), r[1], r[2], str(r[3]), str(r[4]), r[5], str(r[0]) in redo, redo.get(str(r[0])))
        for r in rows
    ]


def write_language_batch(warehouse: Warehouse, batch: LanguageBatch, run_id: int) -> None:
    """Replace all language-step rows of the batch's documents and update the term counts; the caller owns the
    transaction."""
    con = warehouse.con
    if not batch.doc_ids:
        return
    ids = pa.table({"doc_id": pa.array(batch.doc_ids, pa.string())})
    con.register("_language_batch_ids", ids)
    try:
        if batch.redo:
            subtract_old_counts(con, "_language_batch_ids")
        for table in DOC_TABLES:
            con.execute(f"delete from {table} where doc_id in (select doc_id from _language_batch_ids)").fetchall()
    finally:
        con.unregister("_language_batch_ids")
    languages = _arrow("doc_language", batch.languages)
    terms = _arrow("doc_terms", batch.terms)
    _insert(con, "doc_language", languages, run_id, extra_columns="run_id, processed_at", extra_values="?, now()")
    _insert(con, "doc_terms", terms, run_id)
    _insert(con, "doc_places", _arrow("doc_places", batch.places), run_id)
    _insert(con, "doc_actors", _arrow("doc_actors", batch.actors), run_id)
    rows = [(*row[:-1], json.dumps(row[-1], ensure_ascii=False)) for row in batch.lead_markets]
    _insert(con, "doc_lead_markets", _arrow("doc_lead_markets", rows), run_id, casts={"evidence": "json"})
    con.register("_batch_docs", languages)
    con.register("_batch_terms", terms)
    try:
        add_batch_counts(con, "_batch_docs", "_batch_terms")
    finally:
        con.unregister("_batch_docs")
        con.unregister("_batch_terms")


def _arrow(table: str, rows: Sequence[tuple[Any, ...]]) -> pa.Table:
    """Rows (tuples in the column order of `table`) as an Arrow table: columns built once, no per-row objects."""
    schema = _SCHEMAS[table]
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(schema.names)
    return pa.table([pa.array(column, type=f.type) for column, f in zip(columns, schema, strict=True)], schema=schema)


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    arrow: pa.Table,
    run_id: int,
    *,
    extra_columns: str = "run_id",
    extra_values: str = "?",
    casts: dict[str, str] | None = None,
) -> None:
    if not arrow.num_rows:
        return
    names = arrow.schema.names
    selected = ", ".join(f"{name}::{casts[name]}" if casts and name in casts else name for name in names)
    con.register("_language_rows", arrow)
    try:
        con.execute(
            f"insert into {table} ({', '.join(names)}, {extra_columns}) "
            f"select {selected}, {extra_values} from _language_rows",
            [run_id],
        ).fetchall()
    finally:
        con.unregister("_language_rows")


def sync_lead_markets(warehouse: Warehouse, markets: Iterable[Sequence[Any]]) -> int:
    """Insert or update the lead_markets rows: (id, code, number, name_de, name_en, description, description_en)."""
    con = warehouse.con
    rows = [tuple(m) for m in markets]
    for row in rows:
        con.execute(
            """
            insert into lead_markets (lead_market_id, code, number, name_de, name_en, description, description_en)
            values (?, ?, ?, ?, ?, ?, ?)
            on conflict (lead_market_id) do update set code = excluded.code, number = excluded.number,
              name_de = excluded.name_de, name_en = excluded.name_en, description = excluded.description,
              description_en = excluded.description_en
            """,
            list(row),
        ).fetchall()
    return len(rows)
