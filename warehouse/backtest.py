"""What `foresight backtest` reads from a warehouse besides the ranking (`warehouse.signals`): documents to replay.

A backtest can replay a source or kind that is already in a warehouse instead of a file; the documents come out
as the same `Document` records an import writes, so the replay imports them exactly as `foresight import` would.
"""

from __future__ import annotations

import json

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
