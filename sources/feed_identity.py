"""Which feed entries are the same item, and the document id each item is stored under.

An entry is known by, in this order: its guid (RSS ``<guid>``, Atom ``<id>``), the canonical URL of its link, and its
content. Within one feed:

* the URL keeps its fragment where entries differ only by it (press releases ``presse.html#pm1`` .. ``#pm3``), and
  drops it otherwise (``#top`` is the same page);
* two entries are the same item (a repeat, stored once) when their guids and URLs agree, and, for entries without a
  guid, their texts too; so items with their own guid on one shared page (a live ticker) are each kept, and so are
  items without guid or link (their text tells them apart);
* the document id is the URL's where the URL belongs to one item (``news:`` + a hash of the URL without scheme: the
  same article in another feed, or next week, is the same document), else the guid's (scoped to the feed, since
  guids like ``1`` are only unique within one), else the pair of both, else the text's.

Whether a URL belongs to one item can change from week to week (a ticker shrinks to one item), so every entry also
lists the other ids it could have had; `settle_ids` keeps the id an item was stored under before, and never gives an
item the id another item of the same feed already holds. Nothing here reads the warehouse: the caller passes what
it holds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from sources.document import Document

# Query parameters that only track where a click came from; they never change the article.
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "wt_mc", "wt.mc_id", "cmp", "at_medium", "at_campaign"}
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_")


def canonical_url(url: str, base: str | None = None, *, keep_fragment: bool = False) -> str | None:
    """The URL an article is known by: absolute, lower-case host, no tracking parameters, no fragment (unless kept).

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
    fragment = parts.fragment if keep_fragment else ""
    return urlunsplit((scheme, host, parts.path or "/", urlencode(sorted(query)), fragment))


def news_doc_id(url: str, *, keep_fragment: bool = False) -> str:
    """``news:`` + a hash of the canonical URL without its scheme (an http→https move is the same article)."""
    canonical = canonical_url(url, keep_fragment=keep_fragment) or url
    return "news:" + digest(canonical.split("://", 1)[-1])


def guid_doc_id(feed_url: str, guid: str) -> str:
    """The id of an item known by its guid alone: guids are only unique within their feed, so the feed is part of it."""
    return "news:" + digest(f"{feed_url}#{guid}")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class EntryKeys:
    """What identifies one entry: guid, canonical link (no fragment), the link's fragment, and its text."""

    guid: str | None
    url: str | None
    fragment: str | None
    content: str


@dataclass(frozen=True)
class EntryIdentity:
    """One entry's identity: the URL the document keeps, the ids it may have (chosen first), or the entry it repeats."""

    url: str | None
    options: tuple[str, ...]
    repeats: int | None = None  # index of the earlier entry this one repeats

    @property
    def doc_id(self) -> str:
        return self.options[0]


def identify(entries: Sequence[EntryKeys], feed_url: str) -> list[EntryIdentity]:
    """The identity of each entry of one feed (see the module docstring)."""
    fragments: dict[str, set[str | None]] = defaultdict(set)
    for entry in entries:
        if entry.url:
            fragments[entry.url].add(entry.fragment or None)

    def identity_url(entry: EntryKeys) -> str | None:
        if entry.url and entry.fragment and len(fragments[entry.url]) > 1:
            return f"{entry.url}#{entry.fragment}"
        return entry.url

    urls = [identity_url(e) for e in entries]
    keys = [(e.guid, url, None if e.guid else digest(e.content)) for e, url in zip(entries, urls, strict=True)]
    first_of: dict[tuple[str | None, ...], int] = {}
    items_by_url: dict[str, set[tuple[str | None, ...]]] = defaultdict(set)
    items_by_guid: dict[str, set[tuple[str | None, ...]]] = defaultdict(set)
    for index, (key, url) in enumerate(zip(keys, urls, strict=True)):
        first_of.setdefault(key, index)
        if url:
            items_by_url[url].add(key)
        if key[0]:
            items_by_guid[key[0]].add(key)

    identities = []
    for index, (entry, url, key) in enumerate(zip(entries, urls, keys, strict=True)):
        if first_of[key] != index:
            identities.append(EntryIdentity(url, (), repeats=first_of[key]))
            continue
        url_id = news_doc_id(url, keep_fragment=True) if url else None
        guid_id = guid_doc_id(feed_url, entry.guid) if entry.guid else None
        pair_id = "news:" + digest(f"{feed_url}#{entry.guid}#{url}") if entry.guid and url else None
        content_id = "news:" + digest(f"{feed_url}#text:{entry.content}")
        if url_id and len(items_by_url[url]) == 1:
            chosen = url_id
        elif guid_id and len(items_by_guid[entry.guid or ""]) == 1:
            chosen = guid_id
        else:
            chosen = pair_id or content_id
        # the ids the same item gets when its neighbours change: with or without the fragment, by guid, by text
        other_url = None
        if entry.url:
            other_url = news_doc_id(entry.url) if url != entry.url else None
            if entry.fragment and url == entry.url:
                other_url = news_doc_id(f"{entry.url}#{entry.fragment}", keep_fragment=True)
        candidates = (chosen, url_id, other_url, guid_id, pair_id, content_id)
        identities.append(EntryIdentity(url, tuple(dict.fromkeys(c for c in candidates if c))))
    return identities


class StoredItem(Protocol):
    """What the warehouse holds for a document id as seen in one feed: the guid it had there, and the title."""

    @property
    def guid(self) -> str | None: ...

    @property
    def title(self) -> str | None: ...


def settle_ids(
    documents: Sequence[Document], options: Mapping[str, Sequence[str]], stored: Mapping[str, StoredItem]
) -> list[Document]:
    """Give each document the id its item was stored under before, if any, and never an id another item holds.

    `options` maps each document's id to all the ids it may have (its own first); `stored` holds, for those ids that
    this feed stored before, the guid and title it stored them with. An id counts as this item's when the guids agree
    (or, without guids, the titles); as another item's when both have guids and they differ.
    """
    settled: list[Document] = []
    used: set[str] = set()
    for doc in documents:
        choices = [c for c in options.get(doc.doc_id, (doc.doc_id,)) if c not in used] or [doc.doc_id]
        guid = (doc.extra or {}).get("guid")
        mine = [c for c in choices if c in stored and _same_item(stored[c], guid, doc.title)]
        free = [c for c in choices if not (c in stored and _other_item(stored[c], guid))]
        chosen = (mine or free or choices)[0]
        used.add(chosen)
        settled.append(doc if chosen == doc.doc_id else dataclasses.replace(doc, doc_id=chosen))
    return settled


def _same_item(stored: StoredItem, guid: str | None, title: str | None) -> bool:
    if stored.guid and guid:
        return stored.guid == guid
    return bool(stored.title) and stored.title == title


def _other_item(stored: StoredItem, guid: str | None) -> bool:
    return bool(stored.guid and guid and stored.guid != guid)
