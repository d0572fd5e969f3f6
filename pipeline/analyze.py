"""`foresight analyze`: language step, embeddings, topics and emergence scores for everything not yet done.

Stages, each a child `runs` row with its counts and seconds:

1. **language** — `pipeline.language_step.run_language_step` on documents it has not processed.
2. **embeddings** — vectors for documents published up to the as-of date that have none for the configured
   backend (a corpus-fitted backend is fitted once, on those documents, and stored).
3. **topics** — BERTopic over the analysis window (the last `window` periods up to as-of); the fit's topics
   are linked to the stable topics by centroid similarity. The same window, documents and configuration as the
   last fit means nothing is fitted again.
4. **emergence** — per topic and period: counts and shares overall, per source kind and per lead market; the
   indicators and classes of `models.emergence`; written to `topic_series`, `topic_lead_markets`, `signals`.

"As of T" uses only documents published up to T: the window ends at T and every series ends in T's period.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from models.embeddings import DEFAULT_BACKEND, document_text, make_embedder, needs_fit
from models.emergence import SOURCE_KINDS, EmergenceConfig, novelty, score_many
from models.topics import TopicConfig, TopicError, fit_topics, link_topics, terms_document
from pipeline.config import Config
from pipeline.progress import Progress
from warehouse import topics as store
from warehouse.db import Warehouse
from warehouse.runs import finish_run, start_run
from warehouse.word_vectors import WordVectorTable

log = logging.getLogger("foresight.analyze")

GRANULARITIES = ("week", "month", "quarter", "year")
DEFAULT_WINDOW = {"week": 104, "month": 48, "quarter": 20, "year": 12}
EMBED_BATCH = 1_000


class AnalyzeError(Exception):
    """The analysis cannot run with this input or configuration; the message says what to do."""


# -- periods ----------------------------------------------------------------------------------------


def period_start(day: date, granularity: str) -> date:
    """First day of the period containing `day` (weeks start on Monday)."""
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if granularity == "year":
        return date(day.year, 1, 1)
    raise AnalyzeError(f"unknown granularity {granularity!r}; use one of {', '.join(GRANULARITIES)}")


def add_periods(start: date, n: int, granularity: str) -> date:
    """The period start `n` periods after (or before, n < 0) the period start `start`."""
    if granularity == "week":
        return start + timedelta(weeks=n)
    months = {"month": 1, "quarter": 3, "year": 12}.get(granularity)
    if months is None:
        raise AnalyzeError(f"unknown granularity {granularity!r}; use one of {', '.join(GRANULARITIES)}")
    index = start.year * 12 + start.month - 1 + n * months
    return date(index // 12, index % 12 + 1, 1)


def periods_between(first: date, last: date, granularity: str) -> list[date]:
    """Period starts from the period of `first` to the period of `last`, inclusive."""
    periods, current, end = [], period_start(first, granularity), period_start(last, granularity)
    while current <= end:
        periods.append(current)
        current = add_periods(current, 1, granularity)
    return periods


# -- settings ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalyzeSettings:
    """The `[topics]` and `[analysis]` configuration, read once."""

    backend: str = DEFAULT_BACKEND
    embedding_dim: int = 256
    topic: TopicConfig = field(default_factory=TopicConfig)
    link_threshold: float = 0.7
    window: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_WINDOW))
    lead_market_min_score: float = 0.2
    lead_market_min_share: float = 0.1
    run_language: bool = True
    granularity: str = "month"
    refit_share: float = 0.02

    @classmethod
    def from_config(cls, config: Config) -> AnalyzeSettings:
        topics = config.section("topics")
        analysis = config.section("analysis")
        topic_fields = {f for f in TopicConfig.__dataclass_fields__}
        chosen = {k: v for k, v in topics.items() if k in topic_fields}
        if topics.get("lead_market_seeds", True) and "seed_words" not in chosen:
            chosen["seed_words"] = lead_market_seed_words()
        elif "seed_words" in chosen:
            chosen["seed_words"] = tuple(chosen["seed_words"])
        try:
            topic = TopicConfig(**chosen)
        except (TopicError, TypeError) as exc:
            raise AnalyzeError(f"[topics] in the configuration: {exc}") from None
        window = {**DEFAULT_WINDOW, **{k: int(v) for k, v in dict(analysis.get("window", {})).items()}}
        return cls(
            backend=str(topics.get("backend", DEFAULT_BACKEND)),
            embedding_dim=int(topics.get("embedding_dim", 256)),
            topic=topic,
            link_threshold=float(topics.get("link_threshold", 0.7)),
            window=window,
            lead_market_min_score=float(analysis.get("lead_market_min_score", 0.2)),
            lead_market_min_share=float(analysis.get("lead_market_min_share", 0.1)),
            run_language=bool(analysis.get("run_language", True)),
            granularity=str(analysis.get("granularity", "month")),
            refit_share=float(topics.get("refit_share", 0.02)),
        )


@dataclass
class AnalyzeResult:
    """What one `analyze` did, for the command's summary line and for tests."""

    run_id: int
    as_of: date
    granularity: str
    language: dict[str, Any] = field(default_factory=dict)
    embedded: int = 0
    fit_run_id: int | None = None
    fit_reused: bool = False
    window_documents: int = 0
    topics: int = 0
    new_topics: int = 0
    continued_topics: int = 0
    merged_topics: int = 0
    space: str | None = None
    signals_run_id: int | None = None
    signals: int = 0
    scores_reused: bool = False
    seconds: dict[str, float] = field(default_factory=dict)


# -- the command's work -----------------------------------------------------------------------------


def run_analyze(
    wh: Warehouse,
    config: Config,
    *,
    granularity: str | None = None,
    as_of: date | None = None,
    parent_run_id: int | None = None,
    settings: AnalyzeSettings | None = None,
    progress: Progress | None = None,
    today: date | None = None,
) -> AnalyzeResult:
    """Run every stage for what is not yet done; see the module docstring.

    `granularity` defaults to ``[analysis] granularity``; `as_of` to today (the current period is then partial:
    the indicators work on shares of all documents per period, which a partial period does not bias);
    `parent_run_id` hangs the analyze run under a scan's run.
    """
    settings = settings or AnalyzeSettings.from_config(config)
    granularity = granularity or settings.granularity
    if granularity not in GRANULARITIES:
        raise AnalyzeError(f"unknown granularity {granularity!r}; use one of {', '.join(GRANULARITIES)}")
    progress = progress or Progress()
    as_of = as_of or today or date.today()
    con = wh.con
    parent = start_run(
        con,
        "analyze",
        stage="analyze" if parent_run_id is not None else None,
        parent_run_id=parent_run_id,
        config_hash=config.config_hash(),
        details={"granularity": granularity, "as_of": as_of.isoformat(), "backend": settings.backend},
    )
    result = AnalyzeResult(run_id=parent, as_of=as_of, granularity=granularity)
    try:
        if settings.run_language:
            result.language = _stage(con, parent, "language", lambda run: _language(wh, config, run, progress))
        embedded = _stage(con, parent, "embeddings", lambda run: _embed(con, settings, as_of, run, progress, result))
        result.embedded = int(embedded["embedded"])
        _stage(con, parent, "topics", lambda run: _topics(con, settings, granularity, as_of, run, result))
        _stage(con, parent, "emergence", lambda run: _emergence(con, settings, granularity, as_of, run, result))
    except BaseException as exc:
        finish_run(con, parent, "failed", asdict(result), error=str(exc) or type(exc).__name__)
        raise
    seconds = con.execute(
        "select stage, epoch(finished_at - started_at) from runs where parent_run_id = ? order by run_id", [parent]
    ).fetchall()
    result.seconds = {str(stage): round(float(s), 3) for stage, s in seconds}
    finish_run(con, parent, "ok", asdict(result))
    return result


def _stage(con: Any, parent: int, name: str, work: Callable[[int], Any], key: str | None = None) -> Any:  # noqa: ANN401 - each stage returns its own summary
    """Run one stage under its own child run row; a failure marks the row failed and re-raises."""
    run = start_run(con, "analyze", stage=name, parent_run_id=parent)
    try:
        outcome = work(run)
    except BaseException as exc:
        finish_run(con, run, "failed", error=str(exc) or type(exc).__name__)
        raise
    counts = outcome if isinstance(outcome, dict) else {key or name: outcome}
    status = con.execute("select status from runs where run_id = ?", [run]).fetchall()
    if status and status[0][0] == "running":
        finish_run(con, run, "ok", counts)
    return outcome


def _language(wh: Warehouse, config: Config, parent: int, progress: Progress) -> dict[str, Any]:
    if importlib.util.find_spec("pipeline.language_step") is None:
        log.info("language step not installed; topics use the documents' words instead of its terms")
        return {"skipped": "pipeline.language_step not available"}
    from pipeline.language_step import run_language_step

    return dict(run_language_step(wh, config, parent_run_id=parent, progress=progress) or {})


def _embed(
    con: Any, settings: AnalyzeSettings, as_of: date, run: int, progress: Progress, result: AnalyzeResult
) -> dict[str, Any]:  # noqa: ANN401
    """Embed what has no vector yet; a corpus-fitted backend is (re)fitted when enough new documents arrived.

    Refit rule for TF-IDF+SVD: the documents published up to as-of exceed the ones the current model was fitted on
    by at least `refit_share` (default 2 %). A refit is a new embedding space, so everything is embedded again
    (seconds for TF-IDF); without it, the vocabulary and directions of a new technology would never enter the model.
    """
    backend = settings.backend
    counts: dict[str, Any] = {}
    if needs_fit(backend):
        current = store.current_embedding_model(con, backend)
        available = store.count_documents(con, as_of)
        if current is None or available - current.fitted_on >= max(1.0, settings.refit_share * current.fitted_on):
            ids = store.document_ids(con, as_of)
            texts = [document_text(title, text) for _, title, text in store.document_texts(con, ids)]
            model = make_embedder(backend, dim=settings.embedding_dim, seed=settings.topic.seed)
            model.fit(texts)  # type: ignore[attr-defined]
            current = store.save_embedding_model(con, backend, model.to_state(), len(texts), as_of, run)  # type: ignore[attr-defined]
            counts["refitted_on"] = len(texts)
        space, embedder = current.space, make_embedder(backend, state=current.state)
    else:
        space, embedder = backend, None
    result.space = space
    missing = store.documents_without_embedding(con, space, published_until=as_of)
    counts.update({"space": space, "embedded": 0})
    if not missing:
        return counts
    embedder = embedder or make_embedder(backend, word_cache=WordVectorTable(con))
    with progress.step("embeddings", total=len(missing)) as step:
        for start in range(0, len(missing), EMBED_BATCH):
            batch = store.document_texts(con, missing[start : start + EMBED_BATCH])
            vectors = embedder.embed([document_text(title, text) for _, title, text in batch])
            counts["embedded"] += store.write_embeddings(con, space, [doc_id for doc_id, _, _ in batch], vectors, run)
            step.advance(len(batch))
    counts["words_encoded"] = getattr(embedder, "words_encoded", None)  # use-m3-words: words new to the cache
    return counts


def lead_market_seed_words() -> tuple[str, ...]:
    """Every seed term of the nine lead markets and the cross-cutting technologies, German and English."""
    from models.lead_markets import load_lead_markets

    data = load_lead_markets()
    groups = [m.seeds for m in data.markets] + [c.seeds for c in data.cross_cutting]
    return tuple(sorted({term for seeds in groups for terms in seeds.values() for term in terms}))


def _fit_key(
    settings: AnalyzeSettings, space: str, window: tuple[date, date], doc_ids: Sequence[str], n_terms: int
) -> str:
    """Same key = same documents, terms, embedding space and settings: the fit would come out the same."""
    payload = json.dumps(
        [space, asdict(settings.topic), settings.link_threshold, [d.isoformat() for d in window], n_terms],
        sort_keys=True,
    )
    digest = hashlib.sha256(payload.encode())
    for doc_id in doc_ids:
        digest.update(doc_id.encode() + b"\n")
    return digest.hexdigest()[:24]


def _topics(
    con: Any, settings: AnalyzeSettings, granularity: str, as_of: date, run: int, result: AnalyzeResult
) -> dict[str, Any]:  # noqa: ANN401
    window_start = add_periods(period_start(as_of, granularity), -(settings.window[granularity] - 1), granularity)
    documents = store.window_documents(con, window_start, as_of)
    space = result.space or settings.backend
    ids, vectors = store.load_embeddings(con, space, [d["doc_id"] for d in documents])
    terms = store.document_terms(con, ids)
    key = _fit_key(settings, space, (window_start, as_of), ids, sum(len(v) for v in terms.values()))
    con.execute(
        "update runs set details = ?::json where run_id = ?",
        [json.dumps({"fit_key": key, "window_start": window_start.isoformat(), "as_of": as_of.isoformat()}), run],
    ).fetchall()
    result.window_documents = len(ids)
    previous = store.last_fit(con)
    if previous and previous[1] == key:
        result.fit_run_id, result.fit_reused = previous[0], True
        counts = con.execute("select counts from runs where run_id = ?", [previous[0]]).fetchall()
        result.topics = int(json.loads(counts[0][0]).get("topics", 0)) if counts and counts[0][0] else 0
        return {"reused": True, "fit_run_id": previous[0], "documents": len(ids)}
    by_id = {d["doc_id"]: d for d in documents}
    texts = [
        terms_document(terms[doc_id])
        if terms.get(doc_id)
        else document_text(by_id[doc_id]["title"], by_id[doc_id]["text"])
        for doc_id in ids
    ]
    started = time.perf_counter()
    try:
        fit = fit_topics(ids, texts, vectors, settings.topic, languages=[by_id[doc_id]["language"] for doc_id in ids])
    except TopicError as exc:
        raise AnalyzeError(f"topics as of {as_of}: {exc}") from None
    fit_seconds = time.perf_counter() - started
    known, known_centroids = _known_centroids(con, space)
    numbers = [t.fit_topic for t in fit.topics]
    links = link_topics(
        np.vstack([t.centroid for t in fit.topics]) if fit.topics else np.zeros((0, 1)),
        numbers,
        known_centroids,
        settings.link_threshold,
    )
    primary = {link.fit_topic: link for link in links if link.relation != "merged"}
    rows = []
    for topic in fit.topics:
        link = primary[topic.fit_topic]
        published = [by_id[fit.doc_ids[i]]["published"] for i in topic.members]
        rows.append(
            store.TopicRow(
                fit_topic=topic.fit_topic,
                topic_id=known[link.known].topic_id if link.known is not None else None,
                relation=link.relation,
                similarity=link.similarity,
                label=topic.label,
                top_terms=topic.top_terms,
                term_weights=topic.term_weights,
                representative_doc_ids=topic.representative_doc_ids,
                centroid=topic.centroid,
                size=len(topic.members),
                first_seen=min(published),
            )
        )
    continued_id = {r.fit_topic: r.topic_id for r in rows if r.topic_id is not None}
    merges = [
        (link.fit_topic, known[link.known].topic_id, continued_id[link.fit_topic], link.similarity or 0.0)
        for link in links
        if link.relation == "merged" and link.known is not None and link.fit_topic in continued_id
    ]
    assignments = [
        (fit.doc_ids[i], int(fit.assignments[i]), float(fit.probabilities[i]))
        for i in range(len(fit.doc_ids))
        if fit.assignments[i] >= 0
    ]
    con.execute("begin transaction")
    try:
        store.write_fit(con, run, space, rows, merges, assignments)
        counts = {
            "documents": len(ids),
            "topics": len(rows),
            "new": sum(r.relation == "new" for r in rows),
            "continued": sum(r.relation == "continued" for r in rows),
            "merged": len(merges),
            "assigned": len(assignments),
            "outliers": len(ids) - len(assignments),
            "fit_seconds": round(fit_seconds, 3),
            "link_write_seconds": round(time.perf_counter() - started - fit_seconds, 3),
        }
        finish_run(con, run, "ok", counts)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    result.fit_run_id = run
    result.topics, result.new_topics = counts["topics"], counts["new"]
    result.continued_topics, result.merged_topics = counts["continued"], counts["merged"]
    return counts


def _known_centroids(con: Any, space: str) -> tuple[list[store.KnownTopic], np.ndarray]:  # noqa: ANN401
    """Stable topics with their centroids in the current space: the mean vector of their latest fit's documents.

    A topic whose documents have no vectors in this space keeps its stored centroid if that was computed in the
    same space; otherwise it cannot be compared and stays out of the linking (it turns dormant).
    """
    known = store.known_topics(con)
    members = sorted({doc_id for topic in known for doc_id in topic.member_ids})
    ids, vectors = store.load_embeddings(con, space, members)
    row_of = {doc_id: i for i, doc_id in enumerate(ids)}
    usable, centroids = [], []
    for topic in known:
        rows = [row_of[d] for d in topic.member_ids if d in row_of]
        if rows:
            centroids.append(vectors[rows].mean(axis=0))
        elif topic.space == space:
            centroids.append(topic.centroid)
        else:
            continue
        usable.append(topic)
    return usable, np.vstack(centroids) if centroids else np.zeros((0, 1))


def _emergence(
    con: Any, settings: AnalyzeSettings, granularity: str, as_of: date, run: int, result: AnalyzeResult
) -> dict[str, Any]:  # noqa: ANN401
    fit_run = result.fit_run_id
    if fit_run is None:
        return {"skipped": "no topics"}
    existing = store.signals_exist(con, fit_run, granularity, as_of)
    if existing is not None:
        result.signals_run_id, result.scores_reused = existing, True
        return {"reused": True, "signals_run_id": existing}
    window_start = add_periods(period_start(as_of, granularity), -(settings.window[granularity] - 1), granularity)
    members = [m for m in store.fit_assignments(con, fit_run) if m["published"] and m["published"] <= as_of]
    everything = store.window_documents(con, window_start, as_of)
    periods = periods_between(window_start, as_of, granularity)
    series = build_series(members, everything, periods, granularity)
    markets = store.document_lead_markets(con, [d["doc_id"] for d in everything], settings.lead_market_min_score)
    market_series = build_market_series(members, everything, markets, periods, granularity)
    topic_ids = sorted(series.topic_counts)
    if not topic_ids:
        return {"topics": 0}
    centroids = _recent_and_prior_centroids(con, result.space or settings.backend, members, periods, granularity)
    emergence_config = EmergenceConfig.for_granularity(granularity)  # type: ignore[arg-type]
    novelty_values = [
        novelty(centroids.recent[t], np.vstack(centroids.prior_for(t))) if t in centroids.recent else 0.0
        for t in topic_ids
    ]
    kinds_present = {t: sorted(k for k, c in series.kind_counts[t].items() if sum(c) > 0) for t in topic_ids}
    counts_by_kind = {
        kind: np.array([series.kind_counts[t].get(kind, [0] * len(periods)) for t in topic_ids], dtype=float)
        for kind in SOURCE_KINDS
    }
    scores = score_many(
        np.array([series.topic_counts[t] for t in topic_ids], dtype=float),
        np.array(series.totals, dtype=float),
        granularity=granularity,  # type: ignore[arg-type]
        novelty=novelty_values,
        counts_by_kind=counts_by_kind,
        config=emergence_config,
    )
    con.execute("begin transaction")
    try:
        written = store.write_series(
            con, series.rows(run, fit_run, granularity) + market_series.rows(run, fit_run, granularity)
        )
        lead_rows = topic_lead_market_rows(members, markets, run, settings.lead_market_min_share)
        store.write_topic_lead_markets(con, lead_rows)
        signal_rows = [
            {
                "run_id": run,
                "fit_run_id": fit_run,
                "as_of": as_of,
                "granularity": granularity,
                "topic_id": t,
                "score": s.score,
                "signal_class": s.signal_class,
                "trend": s.trend,
                "growth": s.growth,
                "mk_tau": s.mk_tau,
                "mk_p": s.mk_p,
                "sen_slope": s.sen_slope,
                "burst": s.evidence.get("burst_level"),
                "escore": s.escore,
                "novelty": s.novelty,
                "popularity": s.popularity,
                "kinds_present": kinds_present[t],
                "evidence": {**s.evidence, "periods": [p.isoformat() for p in periods]},
            }
            for t, s in zip(topic_ids, scores, strict=True)
        ]
        store.write_signals(con, signal_rows)
        counts = {"topics": len(topic_ids), "series_rows": written, "periods": len(periods)}
        finish_run(con, run, "ok", counts)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    result.signals_run_id, result.signals = run, len(signal_rows)
    return counts


# -- series -----------------------------------------------------------------------------------------


@dataclass
class Series:
    """Counts per topic and period (overall and per kind) and all documents per period (overall and per kind)."""

    periods: list[date]
    totals: list[int]
    kind_totals: dict[str, list[int]]
    topic_counts: dict[int, list[int]]
    kind_counts: dict[int, dict[str, list[int]]]

    def rows(self, run_id: int, fit_run_id: int, granularity: str) -> list[dict[str, Any]]:
        """topic_series rows: every period for kind 'all'; per kind only periods where the topic has documents."""
        rows = []
        for topic_id, counts in self.topic_counts.items():
            for i, period in enumerate(self.periods):
                rows.append(
                    _series_row(
                        run_id, fit_run_id, topic_id, granularity, period, "all", "all", counts[i], self.totals[i]
                    )
                )
            for kind, kind_counts in self.kind_counts[topic_id].items():
                for i, period in enumerate(self.periods):
                    if kind_counts[i]:
                        rows.append(
                            _series_row(
                                run_id,
                                fit_run_id,
                                topic_id,
                                granularity,
                                period,
                                kind,
                                "all",
                                kind_counts[i],
                                self.kind_totals[kind][i],
                            )
                        )
        return rows


def _series_row(
    run_id: int,
    fit_run_id: int,
    topic_id: int,
    granularity: str,
    period: date,
    kind: str,
    market: str,
    doc_count: int,
    total: int,
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "fit_run_id": fit_run_id,
        "topic_id": topic_id,
        "granularity": granularity,
        "period_start": period,
        "kind": kind,
        "lead_market_id": market,
        "doc_count": int(doc_count),
        "total_count": int(total),
        "share": doc_count / total if total else 0.0,
    }


def build_series(
    members: Sequence[Mapping[str, Any]], everything: Sequence[Mapping[str, Any]], periods: list[date], granularity: str
) -> Series:
    """Count topic members and all documents per period (and per source kind)."""
    index = {p: i for i, p in enumerate(periods)}
    totals = [0] * len(periods)
    kind_totals: dict[str, list[int]] = defaultdict(lambda: [0] * len(periods))
    for doc in everything:
        i = index.get(period_start(doc["published"], granularity))
        if i is not None:
            totals[i] += 1
            kind_totals[doc["kind"]][i] += 1
    topic_counts: dict[int, list[int]] = defaultdict(lambda: [0] * len(periods))
    kind_counts: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for doc in members:
        i = index.get(period_start(doc["published"], granularity))
        if i is None:
            continue
        topic_counts[doc["topic_id"]][i] += 1
        kind_counts[doc["topic_id"]].setdefault(doc["kind"], [0] * len(periods))[i] += 1
    return Series(periods, totals, dict(kind_totals), dict(topic_counts), dict(kind_counts))


@dataclass
class MarketSeries:
    """Counts per topic, lead market and period, and all documents per lead market and period."""

    periods: list[date]
    totals: dict[str, list[int]]
    counts: dict[tuple[int, str], list[int]]

    def rows(self, run_id: int, fit_run_id: int, granularity: str) -> list[dict[str, Any]]:
        return [
            _series_row(
                run_id, fit_run_id, topic_id, granularity, period, "all", market, counts[i], self.totals[market][i]
            )
            for (topic_id, market), counts in sorted(self.counts.items())
            for i, period in enumerate(self.periods)
            if counts[i]
        ]


def build_market_series(
    members: Sequence[Mapping[str, Any]],
    everything: Sequence[Mapping[str, Any]],
    markets: Mapping[str, Sequence[tuple[str, float]]],
    periods: list[date],
    granularity: str,
) -> MarketSeries:
    """A document counts once for each lead market it has (multi-label, as the language step scores it)."""
    index = {p: i for i, p in enumerate(periods)}
    totals: dict[str, list[int]] = defaultdict(lambda: [0] * len(periods))
    for doc in everything:
        i = index.get(period_start(doc["published"], granularity))
        if i is not None:
            for market, _ in markets.get(doc["doc_id"], ()):
                totals[market][i] += 1
    counts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * len(periods))
    for doc in members:
        i = index.get(period_start(doc["published"], granularity))
        if i is not None:
            for market, _ in markets.get(doc["doc_id"], ()):
                counts[(doc["topic_id"], market)][i] += 1
    return MarketSeries(periods, dict(totals), dict(counts))


def topic_lead_market_rows(
    members: Sequence[Mapping[str, Any]],
    markets: Mapping[str, Sequence[tuple[str, float]]],
    run_id: int,
    min_share: float,
    max_markets: int = 3,
) -> list[dict[str, Any]]:
    """A topic's lead markets: summed document scores, kept when >= `min_share` of the topic's total, best first.

    At most `max_markets`: cross-cutting topics touch many markets, and a list of all nine says nothing.
    """
    weight: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    documents: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for doc in members:
        for market, score in markets.get(doc["doc_id"], ()):
            weight[doc["topic_id"]][market] += score
            documents[doc["topic_id"]][market] += 1
    rows = []
    for topic_id in sorted(weight):
        total = sum(weight[topic_id].values())
        ranked = sorted(weight[topic_id].items(), key=lambda kv: (-kv[1], kv[0]))
        kept = [(m, w) for m, w in ranked if total > 0 and w / total >= min_share][:max_markets]
        for rank, (market, w) in enumerate(kept, start=1):
            rows.append(
                {
                    "run_id": run_id,
                    "topic_id": topic_id,
                    "lead_market_id": market,
                    "documents": documents[topic_id][market],
                    "weight": w,
                    "rank": rank,
                }
            )
    return rows


@dataclass
class Centroids:
    """Per topic: the centroid of its documents in the recent periods and of its documents before them."""

    recent: dict[int, np.ndarray]
    prior: dict[int, np.ndarray]

    def prior_for(self, topic_id: int) -> list[np.ndarray]:
        """Everything seen before the recent periods: every topic's prior centroid (its own included)."""
        dim = next(iter(self.recent.values())).shape[0] if self.recent else 1
        return list(self.prior.values()) or [np.zeros(dim, dtype=np.float32)]


def _recent_and_prior_centroids(
    con: Any, backend: str, members: Sequence[Mapping[str, Any]], periods: list[date], granularity: str
) -> Centroids:  # noqa: ANN401
    """Novelty input: how far a topic's recent documents are from all documents seen before the recent periods."""
    recent_count = EmergenceConfig.for_granularity(granularity).recent  # type: ignore[arg-type]
    cut = periods[-recent_count] if len(periods) > recent_count else periods[0]
    ids, vectors = store.load_embeddings(con, backend, [m["doc_id"] for m in members])
    row_of = {doc_id: i for i, doc_id in enumerate(ids)}
    recent: dict[int, list[int]] = defaultdict(list)
    prior: dict[int, list[int]] = defaultdict(list)
    for m in members:
        if m["doc_id"] in row_of:
            (recent if m["published"] >= cut else prior)[m["topic_id"]].append(row_of[m["doc_id"]])
    return Centroids(
        recent={t: vectors[rows].mean(axis=0) for t, rows in recent.items()},
        prior={t: vectors[rows].mean(axis=0) for t, rows in prior.items()},
    )
