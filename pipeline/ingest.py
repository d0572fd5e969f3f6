"""The ingest stage: every enabled source (or one) into the warehouse, one recorded child run each.

Each source gets its own `runs` row (stage ``ingest``, ``source`` = its name) with the counts
fetched / new / updated / unchanged / failed and, if it failed, why. Documents are upserted page by
page, each page in its own transaction together with the source's state, so a failure later keeps
what was fetched before it; the next run starts from the kept state (feed validators for conditional
GET, the end of the last successful date window for the APIs) and adds nothing twice.

A source whose credentials are missing is recorded as ``skipped`` with a one-line reason, not an error.
Credentials are read from the environment (or the configuration) here, handed to the connectors and
registered with the HTTP client, which scrubs them from every message that could reach a run row.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from pipeline.config import Config
from sources.arxiv import ArxivSettings, harvest_arxiv
from sources.document import Document
from sources.epo import EpoAuth, EpoSettings, harvest_patents
from sources.feeds import FeedError, FeedSpec, extract_page_text, fetch_feed
from sources.files import Problem
from sources.harvest import Page, SourceError, Window
from sources.http import HttpClient, HttpError, HttpSettings, Validators
from sources.openalex import OpenAlexSettings, harvest_works
from warehouse import Warehouse
from warehouse.documents import upsert_documents
from warehouse.runs import finish_run, record_problems, register_source, save_source_state, source_state, start_run

log = logging.getLogger(__name__)

API_SOURCES = ("openalex", "arxiv", "epo")
DEFAULT_ENDPOINTS = {
    "openalex": "https://api.openalex.org",
    "arxiv": "https://export.arxiv.org/api/query",
    "epo_auth": "https://ops.epo.org/3.2/auth/accesstoken",
    "epo": "https://ops.epo.org/3.2/rest-services",
}
ENV_OPENALEX_KEY = "FORESIGHT_OPENALEX_API_KEY"
ENV_EPO_KEY = "FORESIGHT_EPO_KEY"
ENV_EPO_SECRET = "FORESIGHT_EPO_SECRET"

Progress = Callable[[str], None]


class IngestError(Exception):
    """The ingest cannot start (unknown source name, no source enabled); the message says what to do."""


@dataclass
class SourceOutcome:
    """What one source did in this ingest: its run row, status, counts and error."""

    source: str
    kind: str
    run_id: int
    status: str = "running"  # ok | partial | failed | skipped
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    error: str | None = None
    requests: int = 0
    seconds: float = 0.0
    not_modified: bool = False
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        counts: dict[str, Any] = {
            "fetched": self.fetched,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "requests": self.requests,
        }
        if self.not_modified:
            counts["not_modified"] = True
        return counts


@dataclass
class IngestResult:
    """The whole ingest: the parent run id, one outcome per source, requests sent and wall time."""

    run_id: int
    outcomes: list[SourceOutcome]
    seconds: float
    requests: int

    @property
    def failed(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def new(self) -> int:
        return sum(o.new for o in self.outcomes)

    @property
    def status(self) -> str:
        attempted = [o for o in self.outcomes if o.status != "skipped"]
        if not self.failed:
            return "ok"
        return "failed" if len(self.failed) == len(attempted) else "partial"


@dataclass
class _Plan:
    """One source to run: its name, kind, and either a reason to skip it or the function that runs it."""

    name: str
    kind: str
    skip: str | None = None
    run: Callable[[_Context, SourceOutcome, dict[str, Any]], dict[str, Any]] | None = None


@dataclass
class _Context:
    con: duckdb.DuckDBPyConnection
    config: Config
    client: HttpClient
    since: date | None
    today: date
    progress: Progress


def run_ingest(
    warehouse: Warehouse,
    config: Config,
    *,
    only: str | None = None,
    since: date | None = None,
    feeds: list[str] | None = None,
    parent_run_id: int | None = None,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
    today: date | None = None,
) -> IngestResult:
    """Run the enabled sources (all, the one named `only`, or just the ad hoc `feeds`) and record each.

    `since` replaces the start of every date window (and drops older feed items); `environ` is where
    credentials are looked up (default: the process environment); `today` ends the date windows.
    """
    started = time.monotonic()
    environ = os.environ if environ is None else environ
    say = progress or (lambda message: log.info("%s", message))
    plans = plan_sources(config, only=only, feeds=feeds, environ=environ)
    con = warehouse.con
    own_parent = parent_run_id is None
    if own_parent:
        parent_run_id = start_run(
            con,
            "ingest",
            stage="ingest",
            config_hash=config.config_hash(),
            details={"only": only, "since": since, "feeds": feeds or []},
        )
    http = HttpSettings.from_mapping(config.section("http"))
    outcomes: list[SourceOutcome] = []
    with HttpClient(http) as client:
        context = _Context(con, config, client, since, today or datetime.now(UTC).date(), say)
        for plan in plans:
            outcomes.append(_run_source(context, plan, parent_run_id, config.config_hash()))
        requests = client.requests_sent
    result = IngestResult(parent_run_id, outcomes, time.monotonic() - started, requests)
    if own_parent:
        totals = {
            "sources": len(outcomes),
            "failed_sources": [o.source for o in result.failed],
            "skipped_sources": [o.source for o in outcomes if o.status == "skipped"],
            "fetched": sum(o.fetched for o in outcomes),
            "new": result.new,
            "updated": sum(o.updated for o in outcomes),
            "unchanged": sum(o.unchanged for o in outcomes),
            "failed": sum(o.failed for o in outcomes),
            "requests": requests,
        }
        error = "; ".join(f"{o.source}: {o.error}" for o in result.failed) or None
        finish_run(con, parent_run_id, result.status, totals, error=error)
    return result


# -- planning ---------------------------------------------------------------------------------------


def plan_sources(
    config: Config, *, only: str | None = None, feeds: list[str] | None = None, environ: Mapping[str, str]
) -> list[_Plan]:
    """The sources this ingest runs, in order: news feeds, then OpenAlex, arXiv, EPO."""
    if feeds:
        specs = [FeedSpec.from_mapping({"url": url}) for url in feeds]
        return [_feed_plan(spec) for spec in specs]
    sources = config.section("sources")
    news = sources.get("news") or {}
    plans: list[_Plan] = []
    feed_specs: list[FeedSpec] = []
    if news.get("enabled", True):
        for entry in news.get("feeds") or []:
            try:
                feed_specs.append(FeedSpec.from_mapping(entry))
            except ValueError as exc:
                raise IngestError(f"configuration [[sources.news.feeds]]: {exc}") from None
    plans += [_feed_plan(spec) for spec in feed_specs]
    for name in API_SOURCES:
        section = sources.get(name) or {}
        if section.get("enabled", True):
            plans.append(_api_plan(name, section, config, environ))
    if only:
        names = [p.name for p in plans]
        if only in ("news", "feeds"):
            chosen = [p for p in plans if p.kind == "news"]
        else:
            chosen = [p for p in plans if p.name == only]
        if not chosen:
            raise IngestError(
                f"no enabled source named {only!r}; choose one of: news, {', '.join(names) or '(none enabled)'}"
            )
        plans = chosen
    if not plans:
        raise IngestError("no source is enabled; enable one in [sources] of the configuration or pass --feed URL")
    return plans


def _feed_plan(spec: FeedSpec) -> _Plan:
    def run(context: _Context, outcome: SourceOutcome, state: dict[str, Any]) -> dict[str, Any]:
        return _ingest_feed(context, spec, outcome, state)

    return _Plan(spec.name, "news", run=run)


def _api_plan(name: str, section: Mapping[str, Any], config: Config, environ: Mapping[str, str]) -> _Plan:
    kind = "patent" if name == "epo" else "publication"
    if name == "openalex":
        api_key = environ.get(str(section.get("api_key_env") or ENV_OPENALEX_KEY)) or section.get("api_key") or None
        if not api_key and section.get("require_api_key", True):
            return _Plan(
                name,
                kind,
                skip=f"no OpenAlex API key: set {ENV_OPENALEX_KEY} (free key at openalex.org/settings/api)",
            )
        contact = str(config.section("http").get("contact") or "")
        mailto = section.get("mailto") or (contact if "@" in contact and " " not in contact else None)
        settings = OpenAlexSettings(
            base_url=str(section.get("base_url") or DEFAULT_ENDPOINTS["openalex"]),
            rors=tuple(section.get("institutions") or ()),
            api_key=api_key,
            mailto=mailto,
            per_page=int(section.get("per_page", 100)),
            ror_batch=int(section.get("ror_batch", 50)),
        )
        return _Plan(name, kind, run=_window_runner(lambda client, window: harvest_works(client, settings, window)))
    if name == "arxiv":
        arxiv = ArxivSettings(
            base_url=str(section.get("base_url") or DEFAULT_ENDPOINTS["arxiv"]),
            search_query=str(section.get("search_query") or ""),
            page_size=int(section.get("page_size", 100)),
            max_results=int(section.get("max_results", 2000)),
            delay_s=float(section.get("delay_s", 3.0)),
        )
        return _Plan(name, kind, run=_window_runner(lambda client, window: harvest_arxiv(client, arxiv, window)))
    key = environ.get(str(section.get("key_env") or ENV_EPO_KEY)) or section.get("consumer_key") or ""
    secret = environ.get(str(section.get("secret_env") or ENV_EPO_SECRET)) or section.get("consumer_secret") or ""
    if not key or not secret:
        return _Plan(
            name,
            kind,
            skip=f"no EPO OPS credentials: set {ENV_EPO_KEY} and {ENV_EPO_SECRET} (free app at developers.epo.org)",
        )
    epo = EpoSettings(
        auth_url=str(section.get("auth_url") or DEFAULT_ENDPOINTS["epo_auth"]),
        base_url=str(section.get("base_url") or DEFAULT_ENDPOINTS["epo"]),
        key=key,
        secret=secret,
        applicants=tuple(section.get("applicants") or ()),
        applicant_batch=int(section.get("applicant_batch", 10)),
        page_size=int(section.get("page_size", 100)),
        max_hits=int(section.get("max_hits", 2000)),
        preferred_languages=tuple(section.get("preferred_languages") or ("en", "de")),
        honour_throttling=bool(section.get("honour_throttling", True)),
    )

    def harvest(client: HttpClient, window: Window) -> Iterator[Page]:
        return harvest_patents(client, epo, window, EpoAuth(client, epo))

    return _Plan(name, kind, run=_window_runner(harvest))


# -- running ----------------------------------------------------------------------------------------


def _run_source(context: _Context, plan: _Plan, parent_run_id: int | None, config_hash: str) -> SourceOutcome:
    con = context.con
    run_id = start_run(
        con, "ingest", stage="ingest", source=plan.name, parent_run_id=parent_run_id, config_hash=config_hash
    )
    register_source(con, plan.name, plan.kind, run_id)
    outcome = SourceOutcome(plan.name, plan.kind, run_id)
    if plan.skip or plan.run is None:
        outcome.status, outcome.error = "skipped", plan.skip
        finish_run(con, run_id, "skipped", outcome.counts(), error=plan.skip)
        context.progress(f"{plan.name}: skipped ({plan.skip})")
        return outcome
    started = time.monotonic()
    requests_before = context.client.requests_sent
    state = source_state(con, plan.name)
    try:
        new_state = plan.run(context, outcome, state)
        save_source_state(con, plan.name, new_state)
        outcome.status = "partial" if outcome.failed else "ok"
    except KeyboardInterrupt:
        _finish(context, outcome, started, requests_before, "failed", "interrupted by the user")
        raise
    except Exception as exc:  # one source failing must never stop the others
        _rollback_if_open(con)
        message = context.client.scrub(_describe(exc))
        log.debug("source %s failed", plan.name, exc_info=True)
        _finish(context, outcome, started, requests_before, "failed", message)
        context.progress(f"{plan.name}: FAILED after {outcome.fetched} fetched, {outcome.new} new: {message}")
        return outcome
    _finish(context, outcome, started, requests_before, outcome.status, None)
    detail = " (not modified)" if outcome.not_modified else ""
    context.progress(
        f"{plan.name}: {outcome.fetched} fetched, {outcome.new} new, {outcome.updated} updated, "
        f"{outcome.unchanged} unchanged, {outcome.failed} failed{detail}"
    )
    return outcome


def _finish(
    context: _Context, outcome: SourceOutcome, started: float, requests_before: int, status: str, error: str | None
) -> None:
    outcome.status, outcome.error = status, error
    outcome.seconds = time.monotonic() - started
    outcome.requests = context.client.requests_sent - requests_before
    finish_run(context.con, outcome.run_id, status, outcome.counts(), error=error)


def _describe(exc: Exception) -> str:
    """A one-line reason for a person: known errors carry their own message, others their type too."""
    text = " ".join(str(exc).split())
    if isinstance(exc, HttpError | SourceError | FeedError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _rollback_if_open(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction was open
        con.execute("rollback")


def _store_page(
    context: _Context, outcome: SourceOutcome, source: str, documents: list[Document], problems: list[Problem]
) -> None:
    """Upsert one page of documents with its problems in one transaction and add to the counts."""
    con = context.con
    con.execute("begin transaction")
    try:
        documents = _keep_first_seen_dates(con, documents)
        counts = upsert_documents(con, documents, outcome.run_id)
        record_problems(con, outcome.run_id, source, problems)
        con.execute("commit")
    except BaseException:
        _rollback_if_open(con)  # a failed commit (full disk) has already ended the transaction
        raise
    outcome.fetched += len(documents)
    outcome.new += counts.inserted
    outcome.updated += counts.updated
    outcome.unchanged += counts.unchanged + counts.duplicates
    outcome.failed += sum(1 for p in problems if p.skipped)


def _keep_first_seen_dates(con: duckdb.DuckDBPyConnection, documents: list[Document]) -> list[Document]:
    """An undated item keeps the day it was first seen, not today's date on every later fetch."""
    undated = [d.doc_id for d in documents if (d.extra or {}).get("date_source") == "first_seen"]
    if not undated:
        return documents
    rows = con.execute(
        "select doc_id, published from documents where doc_id in (select unnest(?::varchar[]))", [undated]
    ).fetchall()
    known = {doc_id: published for doc_id, published in rows if published is not None}
    return [
        dataclasses.replace(d, published=known[d.doc_id]) if d.doc_id in known and d.published else d for d in documents
    ]


# -- news feeds -------------------------------------------------------------------------------------


def _ingest_feed(context: _Context, spec: FeedSpec, outcome: SourceOutcome, state: dict[str, Any]) -> dict[str, Any]:
    validators = Validators.from_dict(state.get("validators")) if state.get("url") == spec.url else Validators()
    fetch = fetch_feed(context.client, spec, validators, first_seen=context.today)
    new_state = {
        "url": spec.url,
        "validators": fetch.validators.as_dict(),
        "last_fetched": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if fetch.parsed is None:
        outcome.not_modified = True
        return {**state, **new_state}
    documents = fetch.parsed.documents
    if context.since:
        documents = [d for d in documents if d.published is None or d.published >= context.since]
    if spec.full_text:
        documents = _with_full_text(context, spec, documents)
    _store_page(context, outcome, spec.name, documents, fetch.parsed.problems)
    new_state["feed_title"] = fetch.parsed.title
    return new_state


def _with_full_text(context: _Context, spec: FeedSpec, documents: list[Document]) -> list[Document]:
    """Replace teasers by the article's main text, fetched once per page and cached in `source_pages`."""
    news = context.config.section("sources").get("news") or {}
    retry_days = float(news.get("full_text_retry_days", 7))
    budget = int(news.get("full_text_max_per_run", 50))
    con = context.con
    urls = [d.url for d in documents if d.url]
    cached: dict[str, tuple[str, str | None, datetime]] = {}
    if urls:
        for url, status, text, fetched_at in con.execute(
            "select url, status, text, fetched_at from source_pages where url in (select unnest(?::varchar[]))",
            [urls],
        ).fetchall():
            cached[url] = (status, text, fetched_at)
    result = []
    now = datetime.now(UTC).replace(tzinfo=None)
    for doc in documents:
        entry = cached.get(doc.url or "")
        stale = entry is not None and entry[0] != "ok" and now - entry[2] > timedelta(days=retry_days)
        if doc.url and (entry is None or stale) and budget > 0:
            budget -= 1
            page = extract_page_text(context.client, doc.url)
            con.execute(
                """
                insert or replace into source_pages (url, source, fetched_at, status, text, error)
                values (?, ?, ?, ?, ?, ?)
                """,
                [doc.url, spec.name, now, page.status, page.text, page.error and context.client.scrub(page.error)],
            )
            entry = (page.status, page.text, now)
        if entry is not None and entry[0] == "ok" and entry[1]:
            extra = dict(doc.extra)
            if doc.text and doc.text != entry[1]:
                extra.setdefault("summary", doc.text)
            extra["full_text"] = True
            result.append(dataclasses.replace(doc, text=entry[1], extra=extra))
        else:
            result.append(dataclasses.replace(doc, extra={**doc.extra, "full_text": False}))
    return result


# -- API sources with a date window -----------------------------------------------------------------


def _window_runner(
    harvest: Callable[[HttpClient, Window], Iterable[Page]],
) -> Callable[[_Context, SourceOutcome, dict[str, Any]], dict[str, Any]]:
    def run(context: _Context, outcome: SourceOutcome, state: dict[str, Any]) -> dict[str, Any]:
        window = _window(context, state)
        outcome.notes.append(f"window {window}")
        for page in harvest(context.client, window):
            _store_page(context, outcome, outcome.source, page.documents, page.problems)
        return {**state, "window_end": window.end.isoformat(), "last_window": str(window)}

    return run


def _window(context: _Context, state: Mapping[str, Any]) -> Window:
    """`--since` if given; else from the last window's end minus the overlap; else the lookback."""
    sources = context.config.section("sources")
    end = context.today
    if context.since:
        return Window(min(context.since, end), end)
    last_end = state.get("window_end")
    if last_end and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(last_end)):
        start = date.fromisoformat(str(last_end)) - timedelta(days=int(sources.get("overlap_days", 7)))
    else:
        start = end - timedelta(days=int(sources.get("lookback_days", 30)))
    return Window(min(start, end), end)


def outcome_rows(result: IngestResult) -> list[tuple[Any, ...]]:
    """Rows for the command's table: source, status, counts, requests, seconds, error."""
    return [
        (
            o.source,
            o.status,
            o.fetched,
            o.new,
            o.updated,
            o.unchanged,
            o.failed,
            o.requests,
            round(o.seconds, 2),
            o.error or ("not modified" if o.not_modified else ""),
        )
        for o in result.outcomes
    ]
