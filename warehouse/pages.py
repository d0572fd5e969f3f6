"""The article-page cache of migration 002 (`source_pages`): a feed's linked page is fetched once for its full text.

A page that failed (robots.txt, an HTTP error, no main text) is kept with its status so it is asked again only after
`[sources.news] full_text_retry_days`, never on every scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from warehouse.db import Warehouse


@dataclass(frozen=True)
class CachedPage:
    """One cached page: `status` ok | disallowed | failed | empty, its main text when ok, and when it was asked."""

    url: str
    status: str
    text: str | None
    fetched_at: datetime


def cached_pages(warehouse: Warehouse, urls: Sequence[str]) -> dict[str, CachedPage]:
    """The cache entries of these URLs (those that have one)."""
    if not urls:
        return {}
    rows = warehouse.con.execute(
        "select url, status, text, fetched_at from source_pages where url in (select unnest(?::varchar[]))",
        [list(urls)],
    ).fetchall()
    return {str(url): CachedPage(str(url), str(status), text, fetched_at) for url, status, text, fetched_at in rows}


def save_page(
    warehouse: Warehouse,
    url: str,
    source: str,
    fetched_at: datetime,
    status: str,
    text: str | None,
    error: str | None,
) -> CachedPage:
    """Store (or replace) what fetching `url` gave."""
    warehouse.con.execute(
        """
        insert or replace into source_pages (url, source, fetched_at, status, text, error)
        values (?, ?, ?, ?, ?, ?)
        """,
        [url, source, fetched_at, status, text, error],
    )
    return CachedPage(url, status, text, fetched_at)
