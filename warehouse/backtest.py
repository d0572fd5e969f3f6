"""What `foresight backtest` reads from a warehouse besides the ranking (`warehouse.signals`): documents to replay.

A backtest can replay a source or kind that is already in a warehouse instead of a file; the documents come out
as the same `Document` records an import writes, so the replay imports them exactly as `foresight import` would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sources.document import Document
from warehouse.db import Warehouse


def source_documents(warehouse: Warehouse, source: str | None, kind: str | None) -> list[Document]:
    """Every dated document of `source` and/or `kind` (None = any), oldest first."""
    rows = warehouse.con.execute(
        """
        select doc_id, kind, source, title, text, url, published, language, actors, extra
        from documents
        where published is not null and (?::varchar is null or source = ?::varchar)
          and (?::varchar is null or kind = ?::varchar)
        order by published, doc_id
        """,
        [source, source, kind, kind],
    ).fetchall()
    return [
        Document(
            doc_id=r[0], kind=r[1], source=r[2], title=r[3], text=r[4], url=r[5], published=r[6], language=r[7],
            actors=tuple(r[8] or ()), extra=json.loads(r[9]) if r[9] else {},
        )
        for r in rows
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class FitDescription:
    """How one fit described one topic (`topic_versions`): label, top terms, and each top term's document share."""

    topic_id: int
    label: str
    top_terms: tuple[str, ...]
    term_shares: tuple[float, ...]
    size: int


def fit_descriptions(warehouse: Warehouse, fit_run_id: int) -> list[FitDescription]:
    """Every topic of one fit as that fit described it, by topic id."""
    rows = warehouse.con.execute(
        """
        select topic_id, label, top_terms, coalesce(term_shares, []), size from topic_versions
        where fit_run_id = ? order by topic_id
        """,
        [fit_run_id],
    ).fetchall()
    return [
        FitDescription(int(r[0]), str(r[1]), tuple(r[2] or ()), tuple(float(x) for x in r[3]), int(r[4])) for r in rows
    ]


def source_names(warehouse: Warehouse) -> list[str]:
    """The distinct sources of the warehouse's documents."""
    return [str(r[0]) for r in warehouse.con.execute("select distinct source from documents order by 1").fetchall()]
