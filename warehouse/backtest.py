"""What `foresight backtest` reads from a warehouse besides the ranking: documents to replay and emerging terms.

A backtest can replay a source or kind that is already in a warehouse instead of a file; the documents come out
as the same `Document` records an import writes, so the replay imports them exactly as `foresight import` would.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

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


def emerging_terms(warehouse: Warehouse, *, granularity: str, as_of: date, limit: int) -> list[dict[str, Any]]:
    """The ranked emerging terms as of `as_of` (`foresight emerging --terms`), or [] where the warehouse has none.

    `v_emerging_terms` arrives with term-level emergence (issue 10, item 4); until then a backtest sees no terms.
    """
    con = warehouse.con
    views = con.execute(
        "select count(*) from information_schema.tables where table_name = 'v_emerging_terms'"
    ).fetchall()
    if not views or not views[0][0]:
        return []
    cursor = con.execute("select * from v_emerging_terms")
    columns = [d[0] for d in cursor.description or []]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    # The view's columns are the lead's to define; filter and order by the ones it has.
    rows = [r for r in rows if r.get("granularity", granularity) == granularity and r.get("as_of", as_of) == as_of]
    rows.sort(key=lambda r: -(r.get("score") or 0.0))
    return rows[:limit]
