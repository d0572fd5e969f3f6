"""The emergence stage of `foresight analyze`: every topic's series in the window, scored as of the window's end.

Counts per topic and period (overall, per source kind, per lead market) come from `models.series`, the indicators
from `models.emergence`; this module reads the fit's members from the warehouse, hands plain series over and writes
`topic_series`, `topic_lead_markets` and `signals` in one transaction together with the run's end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from models.emergence import SOURCE_KINDS, EmergenceConfig, novelty, score_many
from models.periods import periods_between
from models.series import MarketSeries, Series, build_market_series, build_series, recent_and_prior_centroids
from models.series import topic_lead_markets as lead_markets_of
from pipeline.config import Config
from warehouse.db import Warehouse
from warehouse.runs import Run
from warehouse.topics import (
    document_lead_markets,
    fit_assignments,
    load_embeddings,
    signals_exist,
    window_documents,
    write_series,
    write_signals,
    write_topic_lead_markets,
)

if TYPE_CHECKING:
    from pipeline.analyze import AnalyzeResult, Window


def score_topics(warehouse: Warehouse, config: Config, window: Window, run: Run, result: AnalyzeResult) -> None:
    """Series and scores of the fit's topics as of `window.as_of` (reused when this fit was scored for it)."""
    fit_run = result.fit_run_id
    if fit_run is None:
        run.counts = {"skipped": "no topics"}
        return
    granularity, as_of = window.granularity, window.as_of
    existing = signals_exist(warehouse, fit_run, granularity, as_of)
    if existing is not None:
        result.signals_run_id, result.scores_reused = existing, True
        run.counts = {"reused": True, "signals_run_id": existing}
        return
    members = [m for m in fit_assignments(warehouse, fit_run) if m.published and m.published <= as_of]
    everything = window_documents(warehouse, window.start, as_of)
    periods = periods_between(window.start, as_of, granularity)
    series = build_series(members, everything, periods, granularity)
    markets = document_lead_markets(warehouse, [d.doc_id for d in everything], config.analysis.lead_market_min_score)
    market_series = build_market_series(members, everything, markets, periods, granularity)
    topic_ids = sorted(series.topic_counts)
    if not topic_ids:
        run.counts = {"topics": 0}
        return
    emergence_config = EmergenceConfig.for_granularity(granularity)  # type: ignore[arg-type]
    cut = periods[-emergence_config.recent] if len(periods) > emergence_config.recent else periods[0]
    ids, vectors = load_embeddings(warehouse, result.space or config.topics.backend, [m.doc_id for m in members])
    centroids = recent_and_prior_centroids(members, dict(zip(ids, vectors, strict=True)), cut)
    before = centroids.everything_before()
    novelty_values = [novelty(centroids.recent[t], before) if t in centroids.recent else 0.0 for t in topic_ids]
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
    topic_markets = lead_markets_of(members, markets, config.analysis.lead_market_min_share)
    lead_rows = [
        {"run_id": run.id, "topic_id": t, "lead_market_id": m.lead_market_id, "documents": m.documents,
         "weight": m.weight, "rank": m.rank}
        for t, kept in topic_markets.items() for m in kept
    ]  # fmt: skip
    signal_rows = [
        {
            "run_id": run.id,
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
    with warehouse.transaction():
        written = write_series(warehouse, series_rows(series, run.id, fit_run, granularity))
        written += write_series(warehouse, market_series_rows(market_series, run.id, fit_run, granularity))
        write_topic_lead_markets(warehouse, lead_rows)
        write_signals(warehouse, signal_rows)
        run.finish(counts={"topics": len(topic_ids), "series_rows": written, "periods": len(periods)})
    result.signals_run_id, result.signals = run.id, len(signal_rows)


def _series_row(
    run_id: int, fit_run_id: int, topic_id: int, granularity: str, period: Any, kind: str, market: str,
    doc_count: int, total: int,
) -> dict[str, Any]:  # fmt: skip
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


def series_rows(series: Series, run_id: int, fit_run_id: int, granularity: str) -> list[dict[str, Any]]:
    """topic_series rows: every period for kind 'all'; per kind only periods where the topic has documents."""
    rows = []
    for topic_id, counts in series.topic_counts.items():
        for i, period in enumerate(series.periods):
            rows.append(
                _series_row(run_id, fit_run_id, topic_id, granularity, period, "all", "all", counts[i],
                            series.totals[i])
            )  # fmt: skip
        for kind, kind_counts in series.kind_counts[topic_id].items():
            for i, period in enumerate(series.periods):
                if kind_counts[i]:
                    rows.append(
                        _series_row(run_id, fit_run_id, topic_id, granularity, period, kind, "all", kind_counts[i],
                                    series.kind_totals[kind][i])
                    )  # fmt: skip
    return rows


def market_series_rows(series: MarketSeries, run_id: int, fit_run_id: int, granularity: str) -> list[dict[str, Any]]:
    """topic_series rows per lead market: only periods where the topic has documents of that market."""
    return [
        _series_row(run_id, fit_run_id, topic_id, granularity, period, "all", market, counts[i],
                    series.totals[market][i])
        for (topic_id, market), counts in sorted(series.counts.items())
        for i, period in enumerate(series.periods)
        if counts[i]
    ]  # fmt: skip
