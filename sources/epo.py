"""Patents of Ruhr applicants from EPO Open Patent Services (OPS) v3.2 as `Document` records.

OPS needs an OAuth2 client-credentials token (consumer key and secret of a free developers.epo.org
app), valid about 20 minutes: `EpoAuth` fetches it, renews it shortly before expiry and once more
when the server answers 401. The search is CQL over published data, by applicant names and a
publication-date window (``(pa="RWE" or pa="Evonik") and pd within "20240101 20240131"``), read with
``Range`` pages of up to 100. OPS serves only the first 2,000 hits of a query, so a query with more
is split: first the date window in halves, then the applicant list. ``X-Throttling-Control`` sets
the pause between searches; a 403 with ``X-Rejection-Reason`` (a quota) stops the source.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from sources.document import Document, read_date
from sources.files import Problem
from sources.harvest import Page, SourceError, Window
from sources.http import Fetched, HttpClient, HttpStatusError

NS = {"x": "http://www.epo.org/exchange", "ops": "http://ops.epo.org"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_COUNTRY_SUFFIX = re.compile(r"\s*\[[A-Z]{2}\]\s*$")
_THROTTLE_SERVICE = re.compile(r"(\w+)=(\w+):(\d+)")


class EpoQuotaExceeded(SourceError):
    """OPS refused the request because a fair-use quota is used up (hourly or weekly)."""


@dataclass(frozen=True)
class EpoSettings:
    """Endpoints (configurable for a local replay), credentials and the applicant list."""

    auth_url: str
    base_url: str
    key: str
    secret: str
    applicants: tuple[str, ...]
    applicant_batch: int = 10
    page_size: int = 100
    max_hits: int = 2000
    preferred_languages: tuple[str, ...] = ("en", "de")
    honour_throttling: bool = True


class EpoAuth:
    """Holds the OPS access token; `token()` renews it 60 s before it expires, `invalidate()` after a 401."""

    def __init__(self, client: HttpClient, settings: EpoSettings, clock: Callable[[], float] = time.monotonic):
        self._client = client
        self._settings = settings
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self.tokens_fetched = 0
        client.register_secret(settings.key)
        client.register_secret(settings.secret)
        client.register_secret(_basic(settings.key, settings.secret))

    def token(self) -> str:
        if self._token is None or self._clock() >= self._expires_at - 60:
            self._fetch()
        assert self._token is not None
        return self._token

    def invalidate(self) -> None:
        self._token = None

    def _fetch(self) -> None:
        try:
            fetched = self._client.post(
                self._settings.auth_url,
                data={"grant_type": "client_credentials"},
                headers={
                    "Authorization": f"Basic {_basic(self._settings.key, self._settings.secret)}",
                    "Accept": "application/json",
                },
            )
        except HttpStatusError as exc:
            if exc.status in (400, 401, 403):
                raise SourceError(
                    f"EPO OPS refused the consumer key/secret (HTTP {exc.status}); check FORESIGHT_EPO_KEY and "
                    "FORESIGHT_EPO_SECRET (an app at developers.epo.org gives both)"
                ) from None
            raise
        try:
            body = json.loads(fetched.content)
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in") or 1200)
        except (ValueError, KeyError, TypeError):
            raise SourceError("EPO OPS token answer is not the expected JSON (access_token, expires_in)") from None
        self._client.register_secret(token)
        self._token = token
        self._expires_at = self._clock() + lifetime
        self.tokens_fetched += 1


def build_cql(applicants: Sequence[str], window: Window) -> str:
    """CQL for published documents of any of the applicants within the publication-date window."""
    names = " or ".join(f'pa="{_cql_quote(name)}"' for name in applicants)
    return f'({names}) and pd within "{window.start.strftime("%Y%m%d")} {window.end.strftime("%Y%m%d")}"'


def _cql_quote(value: str) -> str:
    return value.replace("\\", " ").replace('"', " ").strip()


def harvest_patents(client: HttpClient, settings: EpoSettings, window: Window, auth: EpoAuth) -> Iterator[Page]:
    """Yield one `Page` per search response, for every applicant batch, splitting past the hit cap."""
    if not settings.applicants:
        raise SourceError("no applicants configured: set [sources.epo] applicants to a list of names")
    searcher = _Searcher(client, settings, auth)
    names = list(settings.applicants)
    for first in range(0, len(names), settings.applicant_batch):
        yield from searcher.query(names[first : first + settings.applicant_batch], window)


class _Searcher:
    def __init__(self, client: HttpClient, settings: EpoSettings, auth: EpoAuth) -> None:
        self.client = client
        self.settings = settings
        self.auth = auth
        self.url = settings.base_url.rstrip("/") + "/published-data/search/biblio"
        self.base_interval = client.min_interval(settings.base_url)

    def query(self, applicants: list[str], window: Window) -> Iterator[Page]:
        cql = build_cql(applicants, window)
        size = self.settings.page_size
        total, first = self.search(cql, 1, size)
        if total > self.settings.max_hits:
            if window.days > 1:
                for half in window.halves():
                    yield from self.query(applicants, half)
                return
            if len(applicants) > 1:
                middle = len(applicants) // 2
                yield from self.query(applicants[:middle], window)
                yield from self.query(applicants[middle:], window)
                return
            first.problems.append(
                Problem(
                    f"epo {cql}",
                    f"{total} hits on one day for one applicant; OPS serves only the first "
                    f"{self.settings.max_hits}, the rest were not fetched",
                    skipped=False,
                )
            )
        yield first
        last = min(total, self.settings.max_hits)
        begin = size + 1
        while begin <= last:
            _, page = self.search(cql, begin, min(begin + size - 1, last))
            yield page
            if page.records == 0:
                break
            begin += size

    def search(self, cql: str, begin: int, end: int) -> tuple[int, Page]:
        location = f"epo {cql} range {begin}-{end}"
        fetched = self._get(cql, begin, end)
        if fetched.status == 404:  # OPS answers "no results" with 404
            return 0, Page(location=location)
        return parse_search(fetched.content, location, self.settings.preferred_languages)

    def _get(self, cql: str, begin: int, end: int) -> Fetched:
        params = {"q": cql, "Range": f"{begin}-{end}"}
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {self.auth.token()}", "Accept": "application/xml"}
            fetched = self.client.get(self.url, params=params, headers=headers, accept_statuses=(401, 403, 404))
            self._throttle(fetched)
            if fetched.status == 401 and attempt == 0:
                self.auth.invalidate()  # expired or revoked token: fetch a new one and try once more
                continue
            if fetched.status == 401:
                raise SourceError("EPO OPS rejects a fresh access token (HTTP 401); check the key and secret")
            if fetched.status == 403:
                reason = fetched.headers.get("x-rejection-reason")
                if reason:
                    raise EpoQuotaExceeded(
                        f"EPO OPS quota exceeded ({reason}); documents fetched so far are kept, "
                        "run again when the quota resets (hourly or weekly)"
                    )
                raise SourceError(f"EPO OPS refused the search (HTTP 403): {_fault_message(fetched.content)}")
            return fetched
        raise AssertionError("unreachable")

    def _throttle(self, fetched: Fetched) -> None:
        if not self.settings.honour_throttling:
            return
        header = fetched.headers.get("x-throttling-control")
        if not header:
            return
        _, services = parse_throttling(header)
        colour, per_minute = services.get("search", ("green", 0))
        if colour == "black":
            raise EpoQuotaExceeded(f"EPO OPS blocks searches for now (X-Throttling-Control: {header}); run again later")
        interval = self.base_interval
        if per_minute > 0:
            interval = max(interval, 60.0 / per_minute)
        if colour == "red":
            interval *= 2
        self.client.set_min_interval(self.settings.base_url, interval)


def parse_throttling(header: str) -> tuple[str, dict[str, tuple[str, int]]]:
    """``busy (images=green:100, search=yellow:15)`` → ``("busy", {"search": ("yellow", 15), ...})``."""
    system = header.split("(", 1)[0].strip().lower()
    services = {m.group(1).lower(): (m.group(2).lower(), int(m.group(3))) for m in _THROTTLE_SERVICE.finditer(header)}
    return system, services


def parse_search(content: bytes, location: str, languages: Sequence[str] = ("en", "de")) -> tuple[int, Page]:
    """The total hit count and documents of one ``published-data/search/biblio`` answer."""
    root = _xml(content, location)
    search = root.find("ops:biblio-search", NS)
    if search is None:
        raise SourceError(f"{location}: answer has no ops:biblio-search element ({_fault_message(content)})")
    try:
        total = int(search.get("total-result-count", "0"))
    except ValueError:
        raise SourceError(f"{location}: total-result-count is not a number") from None
    return total, _page_of(search, location, languages)


def parse_biblio(content: bytes, location: str = "epo biblio", languages: Sequence[str] = ("en", "de")) -> Page:
    """Documents of a ``published-data/publication/.../biblio`` answer (one or more exchange-documents)."""
    return _page_of(_xml(content, location), location, languages)


def _page_of(root: Any, location: str, languages: Sequence[str]) -> Page:
    """Every exchange-document below `root` as a Document; a record that cannot be read is a problem."""
    documents = root.findall(".//x:exchange-document", NS)
    page = Page(location=location, records=len(documents))
    for element in documents:
        try:
            page.documents.append(exchange_document(element, languages))
        except ValueError as exc:
            page.problems.append(Problem(location, f"unusable record: {exc}"))
    return page


def _xml(content: bytes, location: str) -> Any:
    try:
        return etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"{location}: answer is not well-formed XML ({exc})") from None


def exchange_document(element: Any, languages: Sequence[str] = ("en", "de")) -> Document:
    """One ``exchange-document`` as a ``patent``: titles/abstracts per language, parties, classes, dates."""
    country, number, kind = element.get("country"), element.get("doc-number"), element.get("kind")
    if element.get("status"):
        raise ValueError(f"{country}{number}{kind}: OPS status {element.get('status')!r}")
    if not (country and number and kind):
        raise ValueError("exchange-document without country, doc-number and kind")
    biblio = element.find("x:bibliographic-data", NS)
    if biblio is None:
        raise ValueError(f"{country}{number}{kind}: no bibliographic data")
    titles = _by_language(biblio.findall("x:invention-title", NS))
    abstracts = _by_language(element.findall("x:abstract", NS))
    text_lang = _pick(abstracts, languages)
    title_lang = text_lang if text_lang in titles else _pick(titles, languages)
    pub_date = _date_of(biblio, "x:publication-reference/x:document-id[@document-id-type='docdb']/x:date")
    pub_date = pub_date or _date_of(biblio, "x:publication-reference/x:document-id/x:date")
    applicants_epodoc = _names(biblio, "x:parties/x:applicants/x:applicant[@data-format='epodoc']")
    applicants_original = _names(biblio, "x:parties/x:applicants/x:applicant[@data-format='original']")
    inventors = _names(biblio, "x:parties/x:inventors/x:inventor[@data-format='epodoc']")
    inventors = inventors or _names(biblio, "x:parties/x:inventors/x:inventor[@data-format='original']")
    countries = sorted({m.group(0).strip(" []") for n in applicants_epodoc if (m := _COUNTRY_SUFFIX.search(n))})
    priorities = []
    for claim in biblio.findall("x:priority-claims/x:priority-claim", NS):
        doc_id = claim.find("x:document-id[@document-id-type='epodoc']", NS)
        if doc_id is None:
            doc_id = claim.find("x:document-id", NS)
        if doc_id is not None:
            priorities.append({"number": _text(doc_id, "x:doc-number"), "date": _iso(_text(doc_id, "x:date"))})
    application_date = _date_of(biblio, "x:application-reference/x:document-id/x:date")
    extra: dict[str, Any] = {
        "publication_number": f"{country}{number}{kind}",
        "family_id": element.get("family-id"),
        "titles": titles,
        "abstracts": abstracts,
        "applicants": [_COUNTRY_SUFFIX.sub("", n) for n in applicants_epodoc] or applicants_original,
        "applicants_original": applicants_original,
        "applicant_countries": countries,
        "inventors": [_COUNTRY_SUFFIX.sub("", n) for n in inventors],
        "ipc": _ipc(biblio),
        "cpc": _cpc(biblio),
        "application_date": application_date.isoformat() if application_date else None,
        "priority_claims": priorities,
        "priority_date": min((p["date"] for p in priorities if p["date"]), default=None),
    }
    actors = tuple(dict.fromkeys(extra["applicants"]))
    return Document(
        doc_id=f"epo:{country}{number}{kind}",
        kind="patent",
        source="epo",
        title=titles.get(title_lang) if title_lang else None,
        text=abstracts.get(text_lang) if text_lang else None,
        url=f"https://worldwide.espacenet.com/patent/search?q=pn%3D{country}{number}{kind}",
        published=pub_date,
        language=_iso_language(text_lang or title_lang),
        actors=actors,
        extra={k: v for k, v in extra.items() if v not in (None, [], {})},
    )


def _by_language(elements: list[Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for element in elements:
        lang = (element.get("lang") or "").lower() or "und"
        paragraphs = [" ".join("".join(p.itertext()).split()) for p in element.findall("x:p", NS)]
        text = "\n".join(p for p in paragraphs if p) or " ".join("".join(element.itertext()).split())
        if text and lang not in found:
            found[lang] = text
    return found


def _iso_language(lang: str | None) -> str | None:
    """OPS marks untranslated originals as ``ol``; that is no language code, so it becomes None."""
    return lang if lang and re.fullmatch(r"[a-z]{2}", lang) and lang != "ol" else None


def _pick(values: dict[str, str], languages: Sequence[str]) -> str | None:
    for lang in languages:
        if lang in values:
            return lang
    return next(iter(values), None)


def _names(biblio: Any, path: str) -> list[str]:
    names = []
    for party in biblio.findall(path, NS):
        name = " ".join("".join(party.itertext()).split()).strip(" ,")
        if name and name not in names:
            names.append(name)
    return names


def _ipc(biblio: Any) -> list[str]:
    codes = []
    for text in biblio.findall("x:classifications-ipcr/x:classification-ipcr/x:text", NS):
        parts = (text.text or "").split()
        if len(parts) >= 2:
            code = f"{parts[0]} {parts[1].rstrip('/')}/{parts[2]}" if len(parts) >= 3 and "/" in parts[1] else parts[0]
            if code not in codes:
                codes.append(code)
    return codes


def _cpc(biblio: Any) -> list[str]:
    codes = []
    for item in biblio.findall("x:patent-classifications/x:patent-classification", NS):
        scheme = item.find("x:classification-scheme", NS)
        if scheme is not None and not (scheme.get("scheme") or "").upper().startswith("CPC"):
            continue
        parts = [_text(item, f"x:{tag}") for tag in ("section", "class", "subclass", "main-group", "subgroup")]
        if all(parts):
            code = f"{parts[0]}{parts[1]}{parts[2]}{parts[3]}/{parts[4]}"
            if code not in codes:
                codes.append(code)
    return codes


def _date_of(biblio: Any, path: str) -> Any:
    element = biblio.find(path, NS)
    return read_date(_iso(element.text if element is not None else None), kind="patent").day


def _iso(value: str | None) -> str | None:
    value = (value or "").strip()
    return f"{value[:4]}-{value[4:6]}-{value[6:8]}" if re.fullmatch(r"\d{8}", value) else (value or None)


def _text(element: Any, path: str) -> str | None:
    found = element.find(path, NS)
    return (found.text or "").strip() or None if found is not None else None


def _fault_message(content: bytes) -> str:
    match = re.search(rb"<message>(.*?)</message>", content[:4096], re.DOTALL)
    return match.group(1).decode("utf-8", "replace").strip() if match else "no detail"


def _basic(key: str, secret: str) -> str:
    return base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")
