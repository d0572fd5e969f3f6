"""Writing `Document` records: upsert by `doc_id`, so re-reading a source adds nothing.

A document is *inserted* when its id is new, *updated* when the source that brought it first sends it with a changed
content hash, otherwise *unchanged*. A document another source brought first is *shared*: it keeps its first
source and that source's text (so two feeds carrying one article do not flip it back and forth on every run), and
the later source is listed in `document_sources` (migration 007). Batches go through Arrow into DuckDB in set
operations, not row by row, so importing the 52,619 Bundestag speeches takes seconds; staging the whole input before
merging lets DuckDB spill to disk instead of holding it in Python.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from sources.document import Document
from warehouse.db import Warehouse

BATCH_SIZE = 5_000

_ARROW_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("kind", pa.string()),
        ("source", pa.string()),
        ("title", pa.string()),
        ("text", pa.string()),
        ("url", pa.string()),
        ("published", pa.date32()),
        ("language", pa.string()),
        ("actors", pa.list_(pa.string())),
        ("extra", pa.string()),
        ("content_hash", pa.string()),
        ("seq", pa.int64()),
    ]
)


@dataclass
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # records whose doc_id repeated within the same call (the last one wins)
    shared: int = 0  # documents another source brought first (kept as they are; this source listed in document_sources)


def upsert_documents(
    warehouse: Warehouse, documents: Iterable[Document], run_id: int, batch_size: int = BATCH_SIZE
) -> UpsertCounts:
    """Insert new and update changed documents; the caller owns the transaction.

    All incoming records are staged first (in batches, so memory stays bounded) and merged once, so a
    `doc_id` that repeats within one call keeps its last version and counts once, whichever batch
    it was in; re-running the same input therefore reports 0 inserted and 0 updated.
    """
    con = warehouse.con
    staged = 0
    for batch in _batches(documents, batch_size):
        table = _arrow_batch(batch, first_seq=staged)
        con.register("_incoming_batch", table)
        try:
            if staged == 0:
                con.execute("create or replace temp table _staged_documents as select * from _incoming_batch")
            else:
                con.execute("insert into _staged_documents select * from _incoming_batch").fetchall()
        finally:
            con.unregister("_incoming_batch")
        staged += len(batch)
    if staged == 0:
        return UpsertCounts()
    try:
        return _merge_staged(con, run_id, staged)
    finally:
        con.execute("drop table if exists _staged_documents")


def _batches(documents: Iterable[Document], size: int) -> Iterator[list[Document]]:
    batch: list[Document] = []
    for doc in documents:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _arrow_batch(batch: list[Document], first_seq: int) -> pa.Table:
    return pa.table(
        {
            "doc_id": [d.doc_id for d in batch],
            "kind": [d.kind for d in batch],
            "source": [d.source for d in batch],
            "title": [d.title for d in batch],
            "text": [d.text for d in batch],
            "url": [d.url for d in batch],
            "published": [d.published for d in batch],
            "language": [d.language for d in batch],
            "actors": [list(d.actors) for d in batch],
            "extra": [json.dumps(dict(d.extra), ensure_ascii=False, default=str) for d in batch],
            "content_hash": [d.content_hash() for d in batch],
            "seq": list(range(first_seq, first_seq + len(batch))),
        },
        schema=_ARROW_SCHEMA,
    )


def _merge_staged(con: duckdb.DuckDBPyConnection, run_id: int, staged: int) -> UpsertCounts:
    con.execute(
        """
        create or replace temp table _incoming_documents as
        select * exclude (seq) from _staged_documents
        qualify row_number() over (partition by doc_id order by seq desc) = 1
        """
    )
    try:
        row = con.execute(
            """
            select
              count(*) filter (where d.doc_id is null),
              count(*) filter (where d.source = i.source and d.content_hash <> i.content_hash),
              count(*) filter (where d.source = i.source and d.content_hash = i.content_hash),
              count(*) filter (where d.source <> i.source),
              count(*)
            from _incoming_documents i left join documents d using (doc_id)
            """
        ).fetchall()[0]
        counts = UpsertCounts(
            int(row[0]), int(row[1]), int(row[2]), duplicates=staged - int(row[4]), shared=int(row[3])
        )
        if counts.updated:
            con.execute(
                """
                update documents as d set
                  kind = i.kind, title = i.title, text = i.text, url = i.url,
                  published = i.published, language = i.language, actors = i.actors,
                  extra = i.extra::json, content_hash = i.content_hash,
                  last_run_id = ?, updated_at = now()
                from _incoming_documents i
                where d.doc_id = i.doc_id and d.source = i.source and d.content_hash <> i.content_hash
                """,
                [run_id],
            ).fetchall()
        if counts.shared:
            con.execute(
                """
                insert into document_sources
                select i.doc_id, i.source, i.extra::json->>'guid', i.url, ?, now()
                from _incoming_documents i join documents d using (doc_id)
                where d.source <> i.source
                on conflict do nothing
                """,
                [run_id],
            ).fetchall()
        if counts.inserted:
            con.execute(
                """
                insert into documents
                select i.doc_id, i.kind, i.source, i.title, i.text, i.url, i.published, i.language,
                       i.actors, i.extra::json, i.content_hash, ?, ?, now(), now()
                from _incoming_documents i anti join documents d using (doc_id)
                """,
                [run_id, run_id],
            ).fetchall()
    finally:
        con.execute("drop table if exists _incoming_documents")
    return counts


def documents_per_source(warehouse: Warehouse) -> list[tuple[Any, ...]]:
    """Documents per kind, source and year (`foresight status`)."""
    return warehouse.con.execute(
        """
        select kind, source, year(published) as year, count(*) as documents
        from documents group by all order by kind, source, year nulls last
        """
    ).fetchall()


def document_count(warehouse: Warehouse) -> int:
    row = warehouse.con.execute("select count(*) from documents").fetchone()
    return int(row[0]) if row else 0


def known_publication_dates(warehouse: Warehouse, doc_ids: Sequence[str]) -> dict[str, Any]:
    """The stored `published` date of those documents that have one (an undated item keeps its first-seen day)."""
    if not doc_ids:
        return {}
    rows = warehouse.con.execute(
        "select doc_id, published from documents where doc_id in (select unnest(?::varchar[]))", [list(doc_ids)]
    ).fetchall()
    return {str(doc_id): published for doc_id, published in rows if published is not None}


@dataclass(frozen=True)
class SourceItem:
    """A document as one source stored it: the guid it had in that source, and the document's title."""

    guid: str | None
    title: str | None


def items_in_source(warehouse: Warehouse, source: str, doc_ids: Sequence[str]) -> dict[str, SourceItem]:
    """Of these document ids, those the source carries (as first source or listed in `document_sources`)."""
    if not doc_ids:
        return {}
    rows = warehouse.con.execute(
        """
        with wanted as (select unnest(?::varchar[]) as doc_id)
        select d.doc_id, d.extra->>'guid', d.title
        from documents d semi join wanted using (doc_id) where d.source = ?
        union all
        select s.doc_id, s.guid, d.title
        from document_sources s join documents d using (doc_id) semi join wanted using (doc_id) where s.source = ?
        """,
        [list(doc_ids), source, source],
    ).fetchall()
    return {str(doc_id): SourceItem(guid, title) for doc_id, guid, title in rows}
