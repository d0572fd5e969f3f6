"""News feeds (RSS 0.9x/1.0/2.0, Atom) as `Document` records, and full text of the linked pages.

The bytes come from our `HttpClient` (so timeouts, size limits and conditional GET apply); feedparser only parses.
Each entry with a title or text becomes a ``news`` document; which entries are the same item and which id each gets
is `sources.feed_identity`'s business (guid, then canonical URL, then text). Dates are read from the strings the feed
wrote, by the one date reader (`sources.document.read_date`); an entry without a usable date gets the day it was first
seen and says so, with the reason, in ``extra.date_source``. Fields that hold HTML are turned into text by lxml, plain
fields are kept as written (`sources.text`). A valid feed with no items is a successful fetch with nothing new; a
quirk feedparser reads through is a note, not a failure. Optional full text comes from the article page through
trafilatura, only where robots.txt allows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from sources.document import Document, read_date
from sources.feed_identity import EntryKeys, canonical_url, identify
from sources.files import Problem
from sources.http import Fetched, HttpClient, HttpError, RobotsDisallowed, Validators
from sources.settings import FeedSpec
from sources.text import field_text, plain_text


class FeedError(Exception):
    """The response is not a usable feed (an HTML page, broken XML with no entries); the message says which."""


@dataclass
class ParsedFeed:
    """What one feed response gave: its documents, the entries that could not be used, and notes.

    `id_options` maps each document's id to every id its item could have had (its own first), for
    `sources.feed_identity.settle_ids`, which keeps an item on the id it was stored under before.
    """

    title: str | None
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    entries: int = 0
    id_options: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedFetch:
    """One fetch of a feed: `not_modified` when the server answered 304 to our validators."""

    spec: FeedSpec
    validators: Validators
    parsed: ParsedFeed | None

    @property
    def not_modified(self) -> bool:
        return self.parsed is None


@dataclass(frozen=True)
class PageText:
    """Full text of an article page: status ``ok`` with text, or ``disallowed`` / ``failed`` / ``empty``."""

    status: str
    text: str | None = None
    error: str | None = None


def fetch_feed(client: HttpClient, spec: FeedSpec, validators: Validators, *, first_seen: date) -> FeedFetch:
    """Conditionally GET the feed and parse it; raises `HttpError` or `FeedError` when it cannot be read."""
    fetched = client.get(spec.url, validators=validators, headers={"Accept": _FEED_ACCEPT})
    if fetched.not_modified:
        # Keep what we had when the server sends no new validators with its 304.
        kept = Validators(
            etag=fetched.validators.etag or validators.etag,
            last_modified=fetched.validators.last_modified or validators.last_modified,
        )
        return FeedFetch(spec, kept, None)
    parsed = parse_feed(fetched.content, spec, content_type=fetched.content_type, first_seen=first_seen)
    return FeedFetch(spec, fetched.validators, parsed)


_FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9"


def parse_feed(content: bytes, spec: FeedSpec, *, content_type: str = "", first_seen: date) -> ParsedFeed:
    """Turn feed bytes into documents; raises `FeedError` only when the bytes are not a feed (see `_check_empty`)."""
    headers = {"content-location": spec.url}
    charset_note = None
    if content_type:
        headers["content-type"] = content_type
        declared = re.search(r"charset=([\w.:-]+)", content_type, re.I)
        if declared and declared.group(1).lower() in _SINGLE_BYTE and _is_utf8_text(content):
            # A server that calls UTF-8 bytes Latin-1 is common; trust the bytes (and the XML declaration).
            headers["content-type"] = content_type[: declared.start()].rstrip("; ")
            charset_note = f"server declared charset {declared.group(1)} but the feed is UTF-8; read as UTF-8"
    result = feedparser.parse(content, response_headers=headers)
    entries = list(result.entries)
    if not entries:
        _check_empty(content, result, spec)
    declared_feed = str(result.get("version") or "").startswith(_TYPED_FORMATS)
    parsed = ParsedFeed(title=_field(result.feed, "title", declared_feed) or None, entries=len(entries))
    if charset_note:
        parsed.problems.append(Problem(spec.url, charset_note, skipped=False))
    note = _bozo_note(result, content_type)
    if note:
        parsed.problems.append(Problem(spec.url, note, skipped=False))
    language = spec.language or _language(result.feed.get("language"))
    readings = [_EntryReading.of(entry, spec, declared_feed) for entry in entries]
    identities = identify([r.keys for r in readings], spec.url)
    for position, (reading, identity) in enumerate(zip(readings, identities, strict=True), start=1):
        if identity.repeats is not None:
            same = "guid and link" if reading.keys.guid else "link and text"
            message = f"repeats entry {identity.repeats + 1} (same {same}); stored once"
            parsed.problems.append(Problem(f"{spec.url} entry {position}", message, skipped=False))
            continue
        doc = _entry_document(reading, spec, identity.url, identity.doc_id, language, first_seen)
        parsed.documents.append(doc)
        parsed.id_options[doc.doc_id] = identity.options
    return parsed


@dataclass(frozen=True)
class _EntryReading:
    """The parts of one feedparser entry foresight uses, as text: what identifies it and what it says."""

    entry: Any
    keys: EntryKeys
    title: str
    summary: str
    body: str

    @classmethod
    def of(cls, entry: Any, spec: FeedSpec, declared: bool) -> _EntryReading:
        guid = str(entry.get("id") or "").strip() or None
        link = str(entry.get("link") or "").strip() or None
        if link is None and guid and guid.startswith(("http://", "https://")):
            link = guid  # a permalink guid is the link
        url = canonical_url(link, base=spec.url) if link else None
        fragment = _fragment(link) if url and link else None
        title = _field(entry, "title", declared)
        summary = _field(entry, "summary", declared)
        body = ""
        for content in entry.get("content") or []:
            value = field_text(content.get("value"), content.get("type") or "text/html", declared=declared)
            if len(value) > len(body):
                body = value
        keys = EntryKeys(guid, url, fragment, f"{title}\n{body or summary}")
        return cls(entry, keys, title, summary, body)


def _fragment(link: str) -> str | None:
    try:
        return urlsplit(link.strip()).fragment or None
    except ValueError:
        return None


_TYPED_FORMATS = ("atom", "json")  # feedparser versions of formats that state the type of each text field


def _field(element: Any, name: str, declared: bool) -> str:
    """A text field of a feed or entry, HTML removed only where the field holds HTML (see `sources.text`)."""
    detail = element.get(f"{name}_detail") or {}
    default = "text/html" if name == "summary" else "text/plain"
    return field_text(element.get(name), detail.get("type") or default, declared=declared)


_SINGLE_BYTE = frozenset(
    {"iso-8859-1", "latin-1", "latin1", "iso-8859-15", "windows-1252", "cp1252", "us-ascii", "ascii"}
)


def _is_utf8_text(content: bytes) -> bool:
    """True when the bytes hold non-ASCII characters and are valid UTF-8 (so not Latin-1 in practice)."""
    if content.isascii():
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _bozo_note(result: Any, content_type: str) -> str | None:
    """What feedparser found odd about a feed it could still read, for the run's problem list."""
    if not result.bozo:
        return None
    exc = result.get("bozo_exception")
    name = type(exc).__name__
    if name == "NonXMLContentType":
        return f"server sent Content-Type {content_type!r} for a feed" if content_type else None
    if name == "CharacterEncodingOverride":
        return f"charset: {exc}"
    return f"feed is not well-formed ({name}: {exc}); read leniently"


def _check_empty(content: bytes, result: Any, spec: FeedSpec) -> None:
    """A response without entries is a feed with no items (fine), or not a feed at all (`FeedError`, saying which).

    An empty feed is a complete RSS/Atom/CDF document whose bytes hold no item: feedparser knows its version (or, for
    CDF, reads a channel title or link from well-formed XML), no ``<item>``/``<entry>`` tag is in it (items feedparser
    could not read are not "no items"), and, where the XML is not well-formed, its root element is still closed (a
    body cut off before its first item is not "empty": keeping its validators would make the server answer 304 to
    the full feed next time). Quirks feedparser reads through (an undefined entity, a charset it overrode, a
    text/plain content type) do not make it unreadable.
    """
    if result.version:
        if _ITEM_TAG.search(content):
            reason = "it has items, but none could be read"
            raise FeedError(f"{spec.url}: not a readable feed: {reason} ({_bozo_reason(result)})")
        if not _well_formed(result) and not _root_closed(content):
            reason = "it ends before its root element is closed, as if cut off"
            raise FeedError(f"{spec.url}: not a readable feed: {reason} ({_bozo_reason(result)})")
        return
    head = content[:4096].lower()
    if b"<html" in head or b"<!doctype html" in head:
        hint = ""
        alternate = re.search(
            rb"<link[^>]+type=[\"']application/(?:rss|atom)\+xml[\"'][^>]*>", content[:200_000], re.IGNORECASE
        )
        if alternate:
            href = re.search(rb"href=[\"']([^\"']+)[\"']", alternate.group(0))
            if href:
                hint = f"; the page names a feed at {urljoin(spec.url, href.group(1).decode('utf-8', 'replace'))}"
        raise FeedError(f"{spec.url}: the server returned an HTML page, not a feed{hint}")
    channel = result.feed.get("title") or result.feed.get("link")
    if _well_formed(result) and channel and not _ITEM_TAG.search(content):
        return  # a well-formed channel feedparser knows but gives no version (CDF): a feed with no items
    if result.bozo:
        raise FeedError(f"{spec.url}: not a readable feed ({_bozo_reason(result)})")
    raise FeedError(f"{spec.url}: the response is not RSS or Atom")


_ITEM_TAG = re.compile(rb"<(?:[\w-]+:)?(?:item|entry)[\s/>]", re.IGNORECASE)
_LAST_TAG = re.compile(rb"</\s*([\w:.-]+)\s*>?\s*\Z")
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w:.-]*)")


def _root_closed(content: bytes) -> bool:
    """True when the document's last tag closes its first element (``</rss`` without its ``>`` counts as closed)."""
    body = re.sub(rb"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>", b"", _as_utf8(content), flags=re.DOTALL)
    first, last = _FIRST_TAG.search(body), _LAST_TAG.search(body.rstrip())
    if first is None:
        return False
    if re.search(rb"<" + re.escape(first.group(1)) + rb"\b[^>]*/>\s*\Z", body.rstrip()):
        return True  # <rss version="2.0"/>: closed as it opens
    return last is not None and last.group(1) == first.group(1)


_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xef\xbb\xbf", "utf-8"),
    (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
    (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"), (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le"),
)  # fmt: skip


def _as_utf8(content: bytes) -> bytes:
    """The bytes in an ASCII-compatible encoding, for looking at tags: UTF-16 and UTF-32 (by BOM or zeros) decoded."""
    for mark, encoding in _BOMS:
        if content.startswith(mark):
            if encoding == "utf-8":
                return content
            return content.decode(encoding, errors="replace").lstrip("\ufeff").encode("utf-8")
    return content


def _well_formed(result: Any) -> bool:
    """True when the XML parsed cleanly: feedparser's only complaint, if any, is about the declared type or charset."""
    exc = result.get("bozo_exception")
    return not result.bozo or type(exc).__name__ in ("NonXMLContentType", "CharacterEncodingOverride")


def _bozo_reason(result: Any) -> str:
    exc = result.get("bozo_exception")
    return f"{type(exc).__name__}: {exc}" if exc is not None else "no detail"


def _entry_document(
    reading: _EntryReading, spec: FeedSpec, url: str | None, doc_id: str, language: str | None, first_seen: date
) -> Document:
    entry = reading.entry
    extra: dict[str, Any] = {"feed": spec.name, "feed_url": spec.url}
    if reading.keys.guid:
        extra["guid"] = reading.keys.guid
    published, date_source, precision = entry_date(entry, first_seen)
    extra["date_source"] = date_source
    if precision != "day":
        extra["date_precision"] = precision
    summary, body = reading.summary or None, reading.body or None
    if summary and body and summary != body:
        extra["summary"] = summary
    tags = [t.get("term") for t in entry.get("tags") or [] if t.get("term")]
    if tags:
        extra["categories"] = tags
    author = _field(entry, "author", declared=False)
    if author:
        extra["author"] = author
    return Document(
        doc_id=doc_id,
        kind="news",
        source=spec.name,
        title=reading.title or None,
        text=body or summary,
        url=url,
        published=published,
        language=language,
        extra=extra,
    )


DATE_FIELDS = ("published", "updated", "created")


def entry_date(entry: Any, first_seen: date) -> tuple[date, str, str]:
    """The entry's day, where it came from (``extra.date_source``) and its precision.

    The strings the feed wrote are read by `read_date` in the order published, updated, created; feedparser's own
    ``*_parsed`` times are not used, because for some forms they are filled in from today's date. A written date
    that gives no day (unreadable, implausible) is skipped with its reason; with none left, the item is dated the day
    it was first seen: ``first_seen``, followed by the reasons (``first_seen; published 'Thu, 01 Jan 1970 00:00:00
    GMT': read as 1970-01-01: before 1990, implausible for news``).
    """
    rejected: list[str] = []
    for key in DATE_FIELDS:
        raw = dict.get(entry, key)  # dict.get: feedparser's own get maps a missing "published" to "updated"
        if not raw or not str(raw).strip():
            continue
        reading = read_date(str(raw), kind="news", today=first_seen)
        if reading.day is not None:
            return reading.day, "; ".join([key, *rejected]), reading.precision or "day"
        rejected.append(f"{key} {plain_text(str(raw))[:80]!r}: {reading.problem}")
    return first_seen, "; ".join(["first_seen", *rejected]), "day"


def _language(value: Any) -> str | None:
    if not value:
        return None
    code = str(value).strip().lower().replace("_", "-").split("-")[0]
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


# -- full text ------------------------------------------------------------------------------------


def extract_page_text(client: HttpClient, url: str) -> PageText:
    """Fetch an article page (robots.txt permitting) and extract its main text with trafilatura."""
    try:
        fetched = client.get_page(url)
    except HttpError as exc:
        status = "disallowed" if isinstance(exc, RobotsDisallowed) else "failed"
        return PageText(status, error=str(exc))
    import trafilatura  # loaded only when a feed asks for full text: it costs a second at start-up

    try:
        text = trafilatura.extract(
            decode_html(fetched), url=url, include_comments=False, include_tables=False, favor_precision=True
        )
    except Exception as exc:  # a page that breaks the extractor must not break the feed
        return PageText("failed", error=f"{url}: text extraction failed ({type(exc).__name__}: {exc})")
    if not text or not text.strip():
        return PageText("empty", error=f"{url}: no main text found on the page")
    return PageText("ok", text=text.strip())


_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", re.IGNORECASE)


def decode_html(fetched: Fetched) -> str:
    """Decode a page: the HTTP charset, else the page's own <meta charset>, else UTF-8, else Windows-1252."""
    candidates = []
    match = re.search(r"charset=([\w.:-]+)", fetched.content_type, re.I)
    if match:
        candidates.append(match.group(1))
    meta = _META_CHARSET.search(fetched.content[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "replace"))
    candidates += ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            return fetched.content.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return fetched.content.decode("utf-8", errors="replace")
