"""News feeds (RSS 0.9x/1.0/2.0, Atom) as `Document` records, and full text of the linked pages.

The bytes come from our `HttpClient` (so timeouts, size limits and conditional GET apply); feedparser
only parses. Each entry becomes a ``news`` document whose id is ``news:`` plus a hash of its canonical
URL, so the same article seen in two feeds, or again next week, is one document. Dates are read
robustly (missing weekday, any zone); an entry without a usable date gets the day it was first seen
and says so in ``extra.date_source``. Summaries are stripped of HTML. Optional full text comes from
the article page through trafilatura, only where robots.txt allows it.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser

from sources.document import Document, parse_date
from sources.files import Problem
from sources.http import Fetched, HttpClient, HttpError, RobotsDisallowed, Validators
from sources.settings import FeedSpec

# Query parameters that only track where a click came from; they never change the article.
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "wt_mc", "wt.mc_id", "cmp", "at_medium", "at_campaign"}
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_")


class FeedError(Exception):
    """The response is not a usable feed (an HTML page, broken XML with no entries); the message says which."""


@dataclass
class ParsedFeed:
    """What one feed response gave: its documents, the entries that could not be used, and notes."""

    title: str | None
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    entries: int = 0


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
    """Turn feed bytes into documents; entries without a link or id are reported, not guessed."""
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
        _raise_not_a_feed(content, result, spec)
    parsed = ParsedFeed(title=_clean_text(result.feed.get("title")), entries=len(entries))
    if charset_note:
        parsed.problems.append(Problem(spec.url, charset_note, skipped=False))
    note = _bozo_note(result, content_type)
    if note:
        parsed.problems.append(Problem(spec.url, note, skipped=False))
    language = spec.language or _language(result.feed.get("language"))
    seen_guids: set[str] = set()
    seen_urls: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        location = f"{spec.url} entry {position}"
        guid = str(entry.get("id") or "").strip() or None
        link = str(entry.get("link") or "").strip() or None
        url = canonical_url(link, base=spec.url) if link else None
        if url is None and guid and guid.startswith(("http://", "https://")):
            url = canonical_url(guid)
        if url is None and guid is None:
            parsed.problems.append(Problem(location, "entry has neither link nor guid; skipped"))
            continue
        if (guid and guid in seen_guids) or (url and url in seen_urls):
            parsed.problems.append(Problem(location, f"repeats an earlier entry ({url or guid}); skipped"))
            continue
        if guid:
            seen_guids.add(guid)
        if url:
            seen_urls.add(url)
        parsed.documents.append(_entry_document(entry, spec, url, guid, language, first_seen))
    return parsed


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


def _raise_not_a_feed(content: bytes, result: Any, spec: FeedSpec) -> None:
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
    if result.bozo:
        exc = result.get("bozo_exception")
        raise FeedError(f"{spec.url}: not a readable feed ({type(exc).__name__}: {exc})")
    if result.version:
        raise FeedError(f"{spec.url}: the feed has no entries")
    raise FeedError(f"{spec.url}: the response is not RSS or Atom")


def _entry_document(
    entry: Any, spec: FeedSpec, url: str | None, guid: str | None, language: str | None, first_seen: date
) -> Document:
    extra: dict[str, Any] = {"feed": spec.name, "feed_url": spec.url}
    if guid:
        extra["guid"] = guid
    published, date_source = _entry_date(entry)
    if published is None:
        published, date_source = first_seen, "first_seen"
    extra["date_source"] = date_source
    summary = strip_html(entry.get("summary") or "") or None
    body = None
    for content in entry.get("content") or []:
        value = strip_html(content.get("value") or "")
        if value and (body is None or len(value) > len(body)):
            body = value
    if summary and body and summary != body:
        extra["summary"] = summary
    tags = [t.get("term") for t in entry.get("tags") or [] if t.get("term")]
    if tags:
        extra["categories"] = tags
    author = _clean_text(entry.get("author"))
    if author:
        extra["author"] = author
    doc_id = news_doc_id(url) if url else "news:" + _digest(f"{spec.url}#{guid}")
    return Document(
        doc_id=doc_id,
        kind="news",
        source=spec.name,
        title=strip_html(entry.get("title") or "") or None,
        text=body or summary,
        url=url,
        published=published,
        language=language,
        extra=extra,
    )


def _entry_date(entry: Any) -> tuple[date | None, str]:
    """The entry's date in UTC: our strict parser on the raw string first, then feedparser's parsed time.

    feedparser rolls invalid dates over (``2024-02-30`` becomes 1 March, month 13 next January) and keeps
    year 1 or 9999, so its parsed time is only used for formats ours cannot read, never for an ISO date
    ours rejected, and only within the year range every other source has.
    """
    for key in ("published", "updated", "created"):
        raw = str(entry.get(key) or "").strip()
        found = parse_date(raw) if raw else None
        if found:
            return found[0], key
        parsed_time = entry.get(f"{key}_parsed")
        if parsed_time and not _ISO_DATE_START.match(raw):
            try:
                date(*parsed_time[:3])
                checked = parse_date(datetime.fromtimestamp(calendar.timegm(parsed_time), UTC).date())
            except (OverflowError, ValueError):
                checked = None
            if checked:
                return checked[0], key
    return None, "first_seen"


_ISO_DATE_START = re.compile(r"^[+-]?\d{4,}-")


def canonical_url(url: str, base: str | None = None) -> str | None:
    """The URL an article is known by: absolute, lower-case host, no fragment, no tracking parameters.

    Query parameters are sorted so their order does not make two URLs differ; the path is kept as it is.
    """
    url = html.unescape(url.strip())
    try:
        if base:
            url = urljoin(base, url)
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # "http://[::1/x" or a port above 65535: no link to keep, and no reason to lose the feed
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower() if parts.hostname else ""
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(sorted(query)), ""))


def news_doc_id(url: str) -> str:
    """``news:`` + a hash of the canonical URL without its scheme (an http→https move is the same article)."""
    canonical = canonical_url(url) or url
    return "news:" + _digest(canonical.split("://", 1)[-1])


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"</?(p|div|br|li|ul|ol|h[1-6]|tr|table|section|article|blockquote)\b[^>]*>", re.IGNORECASE)
_DROP = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")


def strip_html(value: str) -> str:
    """Plain text from an HTML fragment: scripts dropped, block tags become line breaks, entities decoded."""
    if not value:
        return ""
    text = _DROP.sub(" ", value)
    text = _BLOCK.sub("\n", text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n", text).strip()


def _clean_text(value: Any) -> str | None:
    return strip_html(str(value)) or None if value else None


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
