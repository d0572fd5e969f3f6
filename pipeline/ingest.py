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

import dataclasses
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pipeline.config import ArxivSection, Config, EpoSection, OpenAlexSection
from sources.arxiv import ArxivSettings, harvest_arxiv
from sources.document import Document
from sources.epo import EpoAuth, EpoSettings, harvest_patents
from sources.feed_identity import settle_ids
from sources.feeds import FeedError, extract_page_text, fetch_feed
from sources.files import Problem
from sources.harvest import Page, SourceError, Window
from sources.http import HttpClient, HttpError, Validators
from sources.openalex import OpenAlexSettings, harvest_works
from sources.settings import FeedSpec
from warehouse import Warehouse
from warehouse.documents import items_in_source, known_publication_dates, upsert_documents
from warehouse.pages import cached_pages, save_page
from warehouse.runs import Run, register_source, save_source_state, source_state

log = logging.getLogger(__name__)

API_SOURCES = ("openalex", "arxiv", "epo")
ENV_OPENALEX_KEY = "FORESIGHT_OPENALEX_API_KEY"
ENV_EPO_KEY = "FORESIGHT_EPO_KEY"
ENV_EPO_SECRET = "FORESIGHT_EPO_SECRET"

Say = Callable[[str], None]  # where a source's one-line outcome goes (the scan's progress, or the log)


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
    unchanged: int = 0  # includes `shared`
    failed: int = 0
    shared: int = 0  # documents another source brought first: unchanged, this source listed in document_sources
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
        if self.shared:
            counts["shared"] = self.shared
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
    warehouse: Warehouse
    config: Config
    client: HttpClient
    since: date | None
    today: date
    progress: Say
    run: Run | None = None  # the run of the source being ingested


def run_ingest(
    warehouse: Warehouse,
    config: Config,
    *,
    only: str | None = None,
    since: date | None = None,
    feeds: list[str] | None = None,
    parent: Run | None = None,
    progress: Say | None = None,
    environ: Mapping[str, str] | None = None,
    today: date | None = None,
) -> IngestResult:
    """Run the enabled sources (all, the one named `only`, or just the ad hoc `feeds`) and record each.

    `since` replaces the start of every date window (and drops older feed items); `environ` is where
    credentials are looked up (default: the process environment); `today` ends the date windows. Each source is a
    child run of `parent` (a scan's ingest stage) or, without one, of an `ingest` run recorded here.
    """
    started = time.monotonic()
    environ = os.environ if environ is None else environ
    say = progress or (lambda message: log.info("%s", message))
    plans = plan_sources(config, only=only, feeds=feeds, environ=environ)
    if parent is not None:
        return _run_sources(warehouse, config, plans, parent, since, today, say, started)
    details = {"only": only, "since": since, "feeds": feeds or []}
    with warehouse.runs.start("ingest", stage="ingest", config_hash=config.config_hash(), details=details) as run:
        result = _run_sources(warehouse, config, plans, run, since, today, say, started)
        outcomes = result.outcomes
        run.counts = {
            "sources": len(outcomes),
            "failed_sources": [o.source for o in result.failed],
            "skipped_sources": [o.source for o in outcomes if o.status == "skipped"],
            "fetched": sum(o.fetched for o in outcomes),
            "new": result.new,
            "updated": sum(o.updated for o in outcomes),
            "unchanged": sum(o.unchanged for o in outcomes),
            "failed": sum(o.failed for o in outcomes),
            "requests": result.requests,
        }
        run.status = result.status
        run.error = "; ".join(f"{o.source}: {o.error}" for o in result.failed) or None
    return result


def _run_sources(
    warehouse: Warehouse,
    config: Config,
    plans: list[_Plan],
    parent: Run,
    since: date | None,
    today: date | None,
    say: Say,
    started: float,
) -> IngestResult:
    outcomes: list[SourceOutcome] = []
    with HttpClient(config.http) as client:
        context = _Context(warehouse, config, client, since, today or datetime.now(UTC).date(), say)
        for plan in plans:
            outcomes.append(_run_source(context, plan, parent, config.config_hash()))
        requests = client.requests_sent
    return IngestResult(parent.id, outcomes, time.monotonic() - started, requests)


# -- planning ---------------------------------------------------------------------------------------


def any_source_enabled(config: Config) -> bool:
    """Whether ``[sources]`` enables any online source (a news feed counts only with at least one feed listed)."""
    sources = config.sources
    news = sources.news.enabled and bool(sources.news.feeds)
    return news or sources.openalex.enabled or sources.arxiv.enabled or sources.epo.enabled


def plan_sources(
    config: Config, *, only: str | None = None, feeds: list[str] | None = None, environ: Mapping[str, str]
) -> list[_Plan]:
    """The sources this ingest runs, in order: news feeds, then OpenAlex, arXiv, EPO."""
    if feeds:
        try:
            return [_feed_plan(FeedSpec(url=url)) for url in feeds]
        except ValueError as exc:
            raise IngestError(f"--feed: {exc}") from None
    sources = config.sources
    plans: list[_Plan] = []
    if sources.news.enabled:
        plans += [_feed_plan(spec) for spec in sources.news.feeds]
    if sources.openalex.enabled:
        plans.append(_openalex_plan(sources.openalex, config, environ))
    if sources.arxiv.enabled:
        plans.append(_arxiv_plan(sources.arxiv))
    if sources.epo.enabled:
        plans.append(_epo_plan(sources.epo, environ))
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


def _openalex_plan(section: OpenAlexSection, config: Config, environ: Mapping[str, str]) -> _Plan:
    api_key = environ.get(section.api_key_env or ENV_OPENALEX_KEY) or section.api_key or None
    if not api_key and section.require_api_key:
        return _Plan(
            "openalex",
            "publication",
            skip=f"no OpenAlex API key: set {ENV_OPENALEX_KEY} (free key at openalex.org/settings/api)",
        )
    contact = config.http.contact
    mailto = section.mailto or (contact if "@" in contact and " " not in contact else None)
    settings = OpenAlexSettings(
        base_url=section.base_url,
        rors=section.institutions,
        api_key=api_key,
        mailto=mailto,
        per_page=section.per_page,
        ror_batch=section.ror_batch,
    )
    return _Plan(
        "openalex", "publication", run=_window_runner(lambda client, window: harvest_works(client, settings, window))
    )


def _arxiv_plan(section: ArxivSection) -> _Plan:
    arxiv = ArxivSettings(
        base_url=section.base_url,
        search_query=section.search_query,
        page_size=section.page_size,
        max_results=section.max_results,
        delay_s=section.delay_s,
    )
    return _Plan(
        "arxiv", "publication", run=_window_runner(lambda client, window: harvest_arxiv(client, arxiv, window))
    )


def _epo_plan(section: EpoSection, environ: Mapping[str, str]) -> _Plan:
    key = environ.get(section.key_env or ENV_EPO_KEY) or section.consumer_key
    secret = environ.get(section.secret_env or ENV_EPO_SECRET) or section.consumer_secret
    if not key or not secret:
        return _Plan(
            "epo",
            "patent",
            skip=f"no EPO OPS credentials: set {ENV_EPO_KEY} and {ENV_EPO_SECRET} (free app at developers.epo.org)",
        )
    epo = EpoSettings(
        auth_url=section.auth_url,
        base_url=section.base_url,
        key=key,
        secret=secret,
        applicants=section.applicants,
        applicant_batch=section.applicant_batch,
        page_size=section.page_size,
        max_hits=section.max_hits,
        preferred_languages=section.preferred_languages,
        honour_throttling=section.honour_throttling,
    )

    def harvest(client: HttpClient, window: Window) -> Iterator[Page]:
        return harvest_patents(client, epo, window, EpoAuth(client, epo))

    return _Plan("epo", "patent", run=_window_runner(harvest))


# -- running ----------------------------------------------------------------------------------------


def _run_source(context: _Context, plan: _Plan, parent: Run, config_hash: str) -> SourceOutcome:
    """One source as a child run; an ordinary failure is recorded and the next source runs (never lost work)."""
    warehouse = context.warehouse
    started = time.monotonic()
    requests_before = context.client.requests_sent
    outcome = SourceOutcome(plan.name, plan.kind, 0)
    try:
        with warehouse.runs.child(parent, "ingest", source=plan.name, config_hash=config_hash) as run:
            outcome.run_id, context.run = run.id, run
            register_source(warehouse, plan.name, plan.kind, run)
            if plan.skip or plan.run is None:
                outcome.status, outcome.error = "skipped", plan.skip
                run.finish("skipped", outcome.counts(), plan.skip)
                context.progress(f"{plan.name}: skipped ({plan.skip})")
                return outcome
            try:
                new_state = plan.run(context, outcome, source_state(warehouse, plan.name))
                save_source_state(warehouse, plan.name, new_state)
            except Exception as exc:  # one source failing must never stop the others
                warehouse.rollback()
                message = context.client.scrub(_describe(exc))
                log.debug("source %s failed", plan.name, exc_info=True)
                _finish(context, run, outcome, started, requests_before, "failed", message)
                context.progress(f"{plan.name}: FAILED after {outcome.fetched} fetched, {outcome.new} new: {message}")
                return outcome
            _finish(context, run, outcome, started, requests_before, "partial" if outcome.failed else "ok", None)
    except KeyboardInterrupt:
        outcome.status, outcome.error = "failed", "interrupted by the user"
        raise
    detail = " (not modified)" if outcome.not_modified else ""
    context.progress(
        f"{plan.name}: {outcome.fetched} fetched, {outcome.new} new, {outcome.updated} updated, "
        f"{outcome.unchanged} unchanged, {outcome.failed} failed{detail}"
    )
    return outcome


def _finish(
    context: _Context,
    run: Run,
    outcome: SourceOutcome,
    started: float,
    requests_before: int,
    status: str,
    error: str | None,
) -> None:
    outcome.status, outcome.error = status, error
    outcome.seconds = time.monotonic() - started
    outcome.requests = context.client.requests_sent - requests_before
    run.finish(status, outcome.counts(), error)


def _describe(exc: Exception) -> str:
    """A one-line reason for a person: known errors carry their own message, others their type too."""
    text = " ".join(str(exc).split())
    if isinstance(exc, HttpError | SourceError | FeedError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _store_page(
    context: _Context, outcome: SourceOutcome, source: str, documents: list[Document], problems: list[Problem]
) -> None:
    """Upsert one page of documents with its problems in one transaction and add to the counts.

    A record with neither title nor text (a feed entry that is only a link, and whose page gave no text) is not
    stored: there is nothing to analyse, and an empty document would count in every series. It is reported instead.
    """
    warehouse = context.warehouse
    empty = [d for d in documents if d.is_empty]
    if empty:
        documents = [d for d in documents if not d.is_empty]
        problems = [*problems, *(Problem(d.url or d.doc_id, "no title and no text; not stored") for d in empty)]
    with warehouse.transaction():
        documents = _keep_first_seen_dates(warehouse, documents)
        counts = upsert_documents(warehouse, documents, outcome.run_id)
        assert context.run is not None
        context.run.problems(source, problems)
    outcome.fetched += len(documents)
    outcome.new += counts.inserted
    outcome.updated += counts.updated
    outcome.unchanged += counts.unchanged + counts.duplicates + counts.shared
    outcome.shared += counts.shared
    outcome.failed += sum(1 for p in problems if p.skipped)


def _keep_first_seen_dates(warehouse: Warehouse, documents: list[Document]) -> list[Document]:
    """An undated item keeps the day it was first seen, not today's date on every later fetch."""
    undated = [d.doc_id for d in documents if str((d.extra or {}).get("date_source", "")).startswith("first_seen")]
    known = known_publication_dates(warehouse, undated)
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
    parsed = fetch.parsed
    # an item keeps the id it was stored under before, even when this week's neighbours would give it another
    candidates = sorted({doc_id for options in parsed.id_options.values() for doc_id in options})
    stored = items_in_source(context.warehouse, spec.name, candidates)
    documents = settle_ids(parsed.documents, parsed.id_options, stored)
    if context.since:
        documents = [d for d in documents if d.published is None or d.published >= context.since]
    if spec.full_text:
        documents = _with_full_text(context, spec, documents)
    _store_page(context, outcome, spec.name, documents, parsed.problems)
    new_state["feed_title"] = parsed.title
    return new_state


def _with_full_text(context: _Context, spec: FeedSpec, documents: list[Document]) -> list[Document]:
    """Replace teasers by the article's main text, fetched once per page and cached in `source_pages`."""
    news = context.config.sources.news
    budget = news.full_text_max_per_run
    cached = cached_pages(context.warehouse, [d.url for d in documents if d.url])
    result = []
    now = datetime.now(UTC).replace(tzinfo=None)
    for doc in documents:
        entry = cached.get(doc.url or "")
        stale = (
            entry is not None
            and entry.status != "ok"
            and now - entry.fetched_at > timedelta(days=news.full_text_retry_days)
        )
        if doc.url and (entry is None or stale) and budget > 0:
            budget -= 1
            page = extract_page_text(context.client, doc.url)
            error = page.error and context.client.scrub(page.error)
            entry = save_page(context.warehouse, doc.url, spec.name, now, page.status, page.text, error)
        if entry is not None and entry.status == "ok" and entry.text:
            extra = dict(doc.extra)
            if doc.text and doc.text != entry.text:
                extra.setdefault("summary", doc.text)
            extra["full_text"] = True
            result.append(dataclasses.replace(doc, text=entry.text, extra=extra))
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
    sources = context.config.sources
    end = context.today
    if context.since:
        return Window(min(context.since, end), end)
    last_end = state.get("window_end")
    if last_end and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(last_end)):
        start = date.fromisoformat(str(last_end)) - timedelta(days=sources.overlap_days)
    else:
        start = end - timedelta(days=sources.lookback_days)
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
            o.error or _note(o),
        )
        for o in result.outcomes
    ]


def _note(outcome: SourceOutcome) -> str:
    """What the table's last column says about a source that did not fail."""
    notes = ["not modified"] if outcome.not_modified else []
    if outcome.shared:
        notes.append(f"{outcome.shared} unchanged already came from another source")
    return "; ".join(notes)
