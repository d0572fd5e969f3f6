"""Talking to the outside world and turning what it sends into `Document` records.

This layer may import only the standard library and fetch/parse libraries (httpx, feedparser,
trafilatura, lxml); never `models`, `warehouse` or `pipeline` (see ARCHITECTURE.md).
"""

from sources.document import KINDS, DateReading, Document, read_date

__all__ = ["KINDS", "DateReading", "Document", "read_date"]
