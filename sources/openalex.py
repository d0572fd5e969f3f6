"""Publications of Ruhr institutions from OpenAlex ``/works`` as `Document` records.

Works are selected by the ROR IDs of the region's universities and institutes (OR-batches of
`ror_batch` IDs) and a publication-date window, and read with cursor paging (``cursor=*`` then
``meta.next_cursor``). Since February 2026 OpenAlex wants an ``api_key``; ``mailto`` is still sent
when configured. Abstracts are rebuilt from ``abstract_inverted_index``. Only fields that do not
change weekly are kept (no citation counts), so a re-fetched work is "unchanged", not "updated".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sources.document import Document, read_date
from sources.files import Problem
from sources.harvest import Page, SourceError, Window
from sources.http import HttpClient

_ROR = re.compile(r"^(?:https?://ror\.org/)?(0[a-z0-9]{6}[0-9]{2})/?$", re.IGNORECASE)


@dataclass(frozen=True)
class OpenAlexSettings:
    """Where and what to ask: base URL (configurable for a local replay), credentials and institutions."""

    base_url: str
    rors: tuple[str, ...]
    api_key: str | None = None
    mailto: str | None = None
    per_page: int = 100
    ror_batch: int = 50


def normalise_ror(value: str) -> str:
    """The 9-character ROR id from ``https://ror.org/04tsk2644`` or ``04tsk2644``; ValueError if neither."""
    match = _ROR.match(str(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not a ROR id (expected e.g. 04tsk2644 or https://ror.org/04tsk2644)")
    return match.group(1).lower()


def harvest_works(client: HttpClient, settings: OpenAlexSettings, window: Window) -> Iterator[Page]:
    """Yield one `Page` per OpenAlex response for all institutions and the window."""
    client.register_secret(settings.api_key)
    rors = [normalise_ror(r) for r in settings.rors]
    if not rors:
        raise SourceError("no institutions configured: set [sources.openalex] institutions to a list of ROR ids")
    url = settings.base_url.rstrip("/") + "/works"
    wanted = set(rors)
    for first in range(0, len(rors), settings.ror_batch):
        batch = rors[first : first + settings.ror_batch]
        query_filter = (
            f"authorships.institutions.ror:{'|'.join(batch)},"
            f"from_publication_date:{window.start.isoformat()},to_publication_date:{window.end.isoformat()}"
        )
        cursor: str | None = "*"
        page_number = 0
        while cursor:
            page_number += 1
            params: dict[str, Any] = {"filter": query_filter, "per_page": settings.per_page, "cursor": cursor}
            if settings.mailto:
                params["mailto"] = settings.mailto
            if settings.api_key:
                params["api_key"] = settings.api_key
            fetched = client.get(url, params=params, headers={"Accept": "application/json"})
            location = f"openalex works batch {first // settings.ror_batch + 1} page {page_number}"
            try:
                body = json.loads(fetched.content)
                results = body["results"]
                meta = body.get("meta") or {}
            except (ValueError, KeyError, TypeError) as exc:
                raise SourceError(f"{location}: answer is not OpenAlex JSON ({type(exc).__name__}: {exc})") from None
            page = Page(location=location, records=len(results))
            for position, work in enumerate(results, start=1):
                try:
                    page.documents.append(work_document(work, wanted))
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    page.problems.append(Problem(f"{location} result {position}", f"unusable work: {exc}"))
            yield page
            next_cursor = meta.get("next_cursor")
            cursor = next_cursor if results and next_cursor and next_cursor != cursor else None


def work_document(work: Mapping[str, Any], query_rors: set[str] | None = None) -> Document:
    """One OpenAlex work as a ``publication``; institutions, RORs and topics go to `extra`."""
    openalex_id = str(work["id"]).rsplit("/", 1)[-1]
    if not openalex_id.startswith("W"):
        raise ValueError(f"id {work['id']!r} is not a work id")
    published = None
    extra: dict[str, Any] = {"openalex_id": openalex_id}
    for key in ("publication_date", "publication_year"):
        reading = read_date(work.get(key), kind="publication")
        if reading.day is not None:
            published = reading.day
            if reading.precision != "day":
                extra["date_precision"] = reading.precision
            break
    institutions: dict[str, dict[str, Any]] = {}
    authors: list[str] = []
    for authorship in work.get("authorships") or []:
        name = (authorship.get("author") or {}).get("display_name")
        if name:
            authors.append(name)
        for inst in authorship.get("institutions") or []:
            key = inst.get("id") or inst.get("display_name")
            if key and key not in institutions:
                institutions[key] = {
                    "id": str(inst.get("id") or "").rsplit("/", 1)[-1] or None,
                    "name": inst.get("display_name"),
                    "ror": _short_ror(inst.get("ror")),
                    "country": inst.get("country_code"),
                    "type": inst.get("type"),
                }
    rors = [i["ror"] for i in institutions.values() if i["ror"]]
    extra.update(
        {
            "doi": _doi(work.get("doi")),
            "type": work.get("type"),
            "venue": ((work.get("primary_location") or {}).get("source") or {}).get("display_name"),
            "authors": authors,
            "institutions": list(institutions.values()),
            "rors": rors,
            "topics": [
                {
                    "id": str(t.get("id", "")).rsplit("/", 1)[-1],
                    "name": t.get("display_name"),
                    "score": t.get("score"),
                    "subfield": (t.get("subfield") or {}).get("display_name"),
                    "field": (t.get("field") or {}).get("display_name"),
                    "domain": (t.get("domain") or {}).get("display_name"),
                }
                for t in work.get("topics") or []
            ],
            "keywords": [k.get("display_name") for k in work.get("keywords") or [] if k.get("display_name")],
            "concepts": [
                {"name": c.get("display_name"), "level": c.get("level"), "score": c.get("score")}
                for c in (work.get("concepts") or [])[:10]
            ],
        }
    )
    if query_rors is not None:
        extra["matched_rors"] = sorted(set(rors) & query_rors)
    landing = (work.get("primary_location") or {}).get("landing_page_url")
    return Document(
        doc_id=f"openalex:{openalex_id}",
        kind="publication",
        source="openalex",
        title=work.get("title") or work.get("display_name") or None,
        text=rebuild_abstract(work.get("abstract_inverted_index")),
        url=work.get("doi") or landing or work.get("id"),
        published=published,
        language=work.get("language") or None,
        actors=tuple(dict.fromkeys(i["name"] for i in institutions.values() if i["name"])),
        extra=extra,
    )


def rebuild_abstract(index: Mapping[str, Sequence[int]] | None) -> str | None:
    """The abstract text from OpenAlex's word → positions index; None when there is none."""
    if not index:
        return None
    placed: dict[int, str] = {}
    for word, positions in index.items():
        for position in positions or ():
            placed[int(position)] = word
    if not placed:
        return None
    return " ".join(placed[p] for p in sorted(placed)).strip() or None


def _short_ror(value: Any) -> str | None:
    if not value:
        return None
    try:
        return normalise_ror(str(value))
    except ValueError:
        return None


def _doi(value: Any) -> str | None:
    if not value:
        return None
    text = str(value)
    return text.split("doi.org/", 1)[-1] if "doi.org/" in text else text
