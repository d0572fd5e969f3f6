"""Preprints from the arXiv API (Atom) as `Document` records.

A configured ``search_query`` (arXiv's field syntax: ``all:``, ``ti:``, ``abs:``, ``cat:``) is
combined with a ``submittedDate`` window and read page by page with ``start``/``max_results``,
newest first. arXiv asks for one request every 3 seconds on one connection; the client's per-host
interval enforces that (``delay_s``, configurable so a local replay can run fast). arXiv rarely
names affiliations, so `actors` stays empty; authors go to ``extra.authors``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import feedparser

from sources.document import Document, read_date
from sources.files import Problem
from sources.harvest import Page, SourceError, Window
from sources.http import HttpClient
from sources.text import strip_html

_ARXIV_ID = re.compile(r"arxiv\.org/abs/(.+?)(v\d+)?$")


@dataclass(frozen=True)
class ArxivSettings:
    """The query and its limits; `base_url` is the full query endpoint (``.../api/query``)."""

    base_url: str
    search_query: str
    page_size: int = 100
    max_results: int = 2000
    delay_s: float = 3.0


def harvest_arxiv(client: HttpClient, settings: ArxivSettings, window: Window) -> Iterator[Page]:
    """Yield one `Page` per API response until the window's results (or `max_results`) are read."""
    if not settings.search_query.strip():
        raise SourceError("no query configured: set [sources.arxiv] search_query (e.g. 'cat:cs.AI AND all:Ruhr')")
    client.set_min_interval(settings.base_url, settings.delay_s)
    query = (
        f"({settings.search_query}) AND submittedDate:"
        f"[{window.start.strftime('%Y%m%d')}0000 TO {window.end.strftime('%Y%m%d')}2359]"
    )
    start = 0
    while start < settings.max_results:
        size = min(settings.page_size, settings.max_results - start)
        params = {
            "search_query": query,
            "start": start,
            "max_results": size,
            "sortBy": "submittedDate",
            "sortOrder": "descending",
        }
        fetched = client.get(settings.base_url, params=params, headers={"Accept": "application/atom+xml"})
        location = f"arxiv start={start}"
        page, total = parse_arxiv_page(fetched.content, location)
        yield page
        if page.records == 0:
            break
        start += page.records
        if total is not None and start >= total:
            break


def parse_arxiv_page(content: bytes, location: str) -> tuple[Page, int | None]:
    """Documents of one Atom answer and the total the API reports (None if it does not say)."""
    result = feedparser.parse(content)
    if not result.entries and (result.bozo or not result.version):
        exc = result.get("bozo_exception")
        raise SourceError(f"{location}: answer is not an arXiv Atom feed ({type(exc).__name__}: {exc})")
    total_text = result.feed.get("opensearch_totalresults")
    total = int(total_text) if total_text and str(total_text).strip().isdigit() else None
    page = Page(location=location, records=len(result.entries))
    if result.bozo and result.entries:
        exc = result.get("bozo_exception")
        page.problems.append(Problem(location, f"feed is not well-formed ({exc}); read leniently", skipped=False))
    for position, entry in enumerate(result.entries, start=1):
        entry_id = str(entry.get("id") or "")
        if "/api/errors" in entry_id:
            raise SourceError(f"{location}: arXiv reports an error: {strip_html(entry.get('summary') or '')}")
        try:
            page.documents.append(entry_document(entry))
        except ValueError as exc:
            page.problems.append(Problem(f"{location} entry {position}", f"unusable entry: {exc}"))
    return page, total


def entry_document(entry: Any) -> Document:
    """One arXiv entry as a ``publication`` with id ``arxiv:<id without version>``."""
    entry_id = str(entry.get("id") or "")
    match = _ARXIV_ID.search(entry_id)
    if not match:
        raise ValueError(f"no arXiv id in {entry_id!r}")
    arxiv_id, version = match.group(1), (match.group(2) or "")[1:] or None
    published = read_date(entry.get("published"), kind="publication")
    if published.day is None:
        raise ValueError(f"arXiv {arxiv_id}: no usable published date ({published.problem or 'none given'})")
    extra: dict[str, Any] = {
        "arxiv_id": arxiv_id,
        "version": int(version) if version else None,
        "categories": [t.get("term") for t in entry.get("tags") or [] if t.get("term")],
        "primary_category": (entry.get("arxiv_primary_category") or {}).get("term"),
        "authors": [a.get("name") for a in entry.get("authors") or [] if a.get("name")],
        "doi": entry.get("arxiv_doi"),
        "journal_ref": entry.get("arxiv_journal_ref"),
        "comment": entry.get("arxiv_comment"),
        "updated": entry.get("updated"),
    }
    return Document(
        doc_id=f"arxiv:{arxiv_id}",
        kind="publication",
        source="arxiv",
        title=" ".join((entry.get("title") or "").split()) or None,
        text=" ".join((entry.get("summary") or "").split()) or None,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        published=published.day,
        language=None,
        extra={k: v for k, v in extra.items() if v not in (None, [], "")},
    )
