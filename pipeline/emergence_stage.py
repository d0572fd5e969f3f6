"""The emergence stage of `foresight analyze`: every topic's series in the window, scored as of the window's end.

Counts per topic and period (overall, per source kind, per lead market) come from `models.series`, the indicators
from `models.emergence`; this module reads the fit's members from the warehouse, hands plain series over and writes
`topic_series`, `topic_lead_markets`, `signals` and `term_signals` in one transaction together with the run's end.

Besides each topic's score: its birth (first_seen) and whether it is new, its rising terms (terms whose share inside
the topic grew, so a new technology inside an old, broad topic surfaces before it is a topic of its own), the
cross-source life cycle, and term-level emergence over every language-step term with a minimal presence (German and
English names of one technology counted together, `models.term_links`).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from models.acronyms import SNIPPET_PATTERN, acronym_links, definitions
from models.emergence import (
    EVIDENCE_KEYS,
    EmergenceConfig,
    carried_emergence,
    life_cycle,
    novelty,
    rising_terms,
    score_many,
    score_table,
)
from models.periods import period_label, periods_between
from models.series import MarketSeries, Series, build_market_series, build_series, recent_and_prior_centroids
from models.series import topic_lead_markets as lead_markets_of
from models.technology import technology
from models.term_links import load_links, shown_name
from models.topics import display_term
from pipeline.config import Config
from pipeline.topic_stage import technology_seed_terms, technology_vocabulary
from sources.document import KINDS
from warehouse.db import Warehouse
from warehouse.runs import Run
from warehouse.terms import (
    definition_snippets,
    linked_name_documents,
    term_emergence_counts,
    topic_term_counts,
    window_term_tokens,
    write_term_signals,
)
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
    cfg = config.emergence.for_granularity(granularity)
    cut = periods[-cfg.recent] if len(periods) > cfg.recent else periods[0]
    ids, vectors = load_embeddings(warehouse, result.space or config.topics.backend, [m.doc_id for m in members])
    centroids = recent_and_prior_centroids(members, dict(zip(ids, vectors, strict=True)), cut)
    before = centroids.everything_before()
    novelty_values = [novelty(centroids.recent[t], before) if t in centroids.recent else 0.0 for t in topic_ids]
    kinds_present = {t: sorted(k for k, c in series.kind_counts[t].items() if sum(c) > 0) for t in topic_ids}
    counts_by_kind = {
        kind: np.array([series.kind_counts[t].get(kind, [0] * len(periods)) for t in topic_ids], dtype=float)
        for kind in KINDS
    }
    totals = np.array(series.totals, dtype=float)
    scores = score_many(
        np.array([series.topic_counts[t] for t in topic_ids], dtype=float),
        totals,
        granularity=granularity,  # type: ignore[arg-type]
        novelty=novelty_values,
        counts_by_kind=counts_by_kind,
        config=cfg,
    )
    mapping = window_mapping(warehouse, window, cfg)
    names = shown_names(warehouse, window, mapping, config.topics.model.label_min_share)
    rising = topic_rising_terms(warehouse, fit_run, window, periods, series, mapping, names, cfg)
    topic_markets = lead_markets_of(
        members, markets, config.analysis.lead_market_min_share, config.analysis.lead_market_min_documents
    )
    lead_rows = [
        {"run_id": run.id, "topic_id": t, "lead_market_id": m.lead_market_id, "documents": m.documents,
         "weight": m.weight, "rank": m.rank}
        for t, kept in topic_markets.items() for m in kept
    ]  # fmt: skip
    terms = score_terms(warehouse, config, window, periods, totals, mapping, names, run, cfg)
    term_scores = {str(r["term"]): float(r["score"]) for r in terms}
    signal_rows = []
    for t, s in zip(topic_ids, scores, strict=True):
        row = carry_rising_term(s.to_row(periods), rising.get(t, []), term_scores)
        cycle = topic_life_cycle(series, t, granularity, cfg)
        signal_rows.append(
            {
                **row,
                "run_id": run.id,
                "fit_run_id": fit_run,
                "as_of": as_of,
                "granularity": granularity,
                "topic_id": t,
                "kinds_present": kinds_present[t],
                "evidence": {**row["evidence"], "periods": [p.isoformat() for p in periods]},
                "rising_terms": rising.get(t, []),
                "life_cycle": cycle,
            }
        )
    with warehouse.transaction():
        written = write_series(warehouse, series_rows(series, run.id, fit_run, granularity))
        written += write_series(warehouse, market_series_rows(market_series, run.id, fit_run, granularity))
        write_topic_lead_markets(warehouse, lead_rows)
        write_signals(warehouse, signal_rows)
        write_term_signals(warehouse, terms)
        run.finish(
            counts={"topics": len(topic_ids), "series_rows": written, "periods": len(periods), "terms": len(terms)}
        )
    result.signals_run_id, result.signals = run.id, len(signal_rows)


def carry_rising_term(
    row: dict[str, Any], rising: list[dict[str, Any]], term_scores: dict[str, float]
) -> dict[str, Any]:
    """A topic's signal row, ranked by the emergence its strongest rising term carries when that is the larger.

    `models.emergence.carried_emergence`: the term's own emergence score times the share of the topic's recent
    documents that carry it. The topic's own score, class and trend stay in the evidence (`own_score`) and the
    carrying term with its numbers in `carried_by`, so the analyst sees why a "stable" topic ranks high: its
    recent documents are mostly about a term that is emerging. A topic without a finite own score is left as it is.
    """
    carried = carried_emergence(rising, term_scores)
    own = row.get("score")
    if carried is None or own is None or not np.isfinite(own) or carried.score <= own:
        return row
    evidence = {**row["evidence"], "own_score": own, "carried_by": carried.to_dict()}
    return {**row, "score": carried.score, "evidence": evidence}


def link_mapping() -> dict[str, str]:
    """Every linked name (token) -> the German name of its technology: one series per technology in term emergence.

    Terms are counted under the first German name of their link ("wärmepumpe" for "heat_pump") and shown by the
    names the window's documents use (`shown_names`).
    """
    mapping: dict[str, str] = {}
    for link in load_links():
        if link.de and link.en:
            for token in link.tokens:
                mapping.setdefault(token, link.de[0])
    return mapping


def window_mapping(warehouse: Warehouse, window: Window, cfg: EmergenceConfig) -> dict[str, str]:
    """`link_mapping`, plus the abbreviations the window's documents define (`models.acronyms`): "llm" joins
    "large_language_model", so that one technology is one series of term emergence and one rising term. A link
    wins over a definition ("ki" stays with "künstliche intelligenz"); a definition needs as many documents as a
    term needs to be born (`birth_min_count`)."""
    mapping = link_mapping()
    found = definitions(definition_snippets(warehouse, window.start, window.as_of, SNIPPET_PATTERN))
    tokens = window_term_tokens(warehouse, window.start, window.as_of)
    for short, long in acronym_links(found, tokens, min_documents=int(cfg.birth_min_count)).items():
        concept = mapping.get(long, long)
        mapping.setdefault(long, concept)
        mapping.setdefault(short, concept)
    return mapping


def shown_names(warehouse: Warehouse, window: Window, mapping: dict[str, str], min_share: float) -> dict[str, str]:
    """Each linked technology of the window -> the name it is shown by, the names its documents use
    (`models.term_links.shown_name`): "large language model" in English papers, "wärmepumpe (heat pump)" where
    both languages name it. One name per technology for the whole run, in the terms and in every topic's rising
    terms alike."""
    found = linked_name_documents(warehouse, window.start, window.as_of, mapping)
    return {concept: shown_name(concept, used, total, min_share) for concept, (total, used) in found.items()}


def topic_life_cycle(series: Series, topic_id: int, granularity: str, cfg: EmergenceConfig) -> dict[str, Any] | None:
    """When each source kind took the topic up: first periods, order and the sentence an analyst reads."""
    kinds = {k: c for k, c in series.kind_counts[topic_id].items() if sum(c) > 0}
    if not kinds:
        return None
    cycle = life_cycle(
        {k: np.array(c, dtype=float) for k, c in kinds.items()},
        {k: np.array(series.kind_totals[k], dtype=float) for k in kinds},
        granularity=granularity,  # type: ignore[arg-type]
        config=cfg,
    )
    labels = [period_label(p, granularity) for p in series.periods]
    first = [
        {"kind": kind, "first_period": series.periods[cycle.first_presence[kind]].isoformat(), "position": i + 1,
         "known": cycle.known[kind]}
        for i, kind in enumerate(cycle.order)
    ]  # fmt: skip
    return {"first": first, "described": cycle.describe(labels) if cycle.order else None}


def topic_rising_terms(
    warehouse: Warehouse,
    fit_run: int,
    window: Window,
    periods: list[date],
    series: Series,
    mapping: dict[str, str],
    names: dict[str, str],
    cfg: EmergenceConfig,
) -> dict[int, list[dict[str, Any]]]:
    """Per topic, the terms whose share inside the topic grew most in the recent periods (`models.emergence`)."""
    column = {p: i for i, p in enumerate(periods)}
    found: dict[int, list[dict[str, Any]]] = {}
    by_topic = topic_term_counts(
        warehouse, fit_run, window.start, window.as_of, window.granularity, mapping,
        min_documents=int(cfg.birth_min_count),
    )  # fmt: skip
    for topic_id, counts in by_topic.items():
        if topic_id not in series.topic_counts or not counts.terms:
            continue
        matrix = np.zeros((len(counts.terms), len(periods)))
        for j, period in enumerate(counts.periods):
            if period in column:
                matrix[:, column[period]] = counts.counts[:, j]
        rising = rising_terms(
            matrix,
            np.array(series.topic_counts[topic_id], dtype=float),
            terms=[display_term(names.get(t, t)) for t in counts.terms],
            granularity=window.granularity,  # type: ignore[arg-type]
            config=cfg,
        )
        found[topic_id] = [_rounded(r.to_dict()) for r in rising]
    return found


def score_terms(
    warehouse: Warehouse,
    config: Config,
    window: Window,
    periods: list[date],
    totals: np.ndarray,
    mapping: dict[str, str],
    names: dict[str, str],
    run: Run,
    cfg: EmergenceConfig,
) -> list[dict[str, Any]]:
    """Term emergence: every term with a minimal presence in some period, scored like a topic; rows for the table.

    A linked technology is shown by `names` (`shown_names`), any other term as written."""
    counts = term_emergence_counts(
        warehouse,
        window.start,
        window.as_of,
        window.granularity,
        mapping,
        technology_terms=sorted(technology_seed_terms()),
        min_documents=int(cfg.birth_min_count),
    )
    if not counts.terms:
        return []
    column = {p: i for i, p in enumerate(periods)}
    matrix = np.zeros((len(counts.terms), len(periods)))
    for j, period in enumerate(counts.periods):
        if period in column:
            matrix[:, column[period]] = counts.counts[:, j]
    table = score_table(matrix, totals, granularity=window.granularity, config=cfg)  # type: ignore[arg-type]
    research_in_window = bool(counts.research.sum())
    vocabulary = technology_vocabulary()
    rows = []
    for i, term in enumerate(counts.terms):
        shown = display_term(names.get(term, term))
        scored = technology(
            [term],
            documents=int(counts.documents[i]),
            with_lead_market=int(counts.with_lead_market[i]),
            research_documents=int(counts.research[i]) if research_in_window else None,
            vocabulary=vocabulary,
            top=1,
            base_rate=counts.lead_market_base_rate,
        )
        birth_index = int(table["birth_index"][i])
        rows.append(
            {
                "run_id": run.id,
                "as_of": window.as_of,
                "granularity": window.granularity,
                "term": shown,
                "documents": int(counts.documents[i]),
                "score": float(table["score"][i]),
                "signal_class": str(table["signal_class"][i]),
                "trend": str(table["trend"][i]),
                "growth": float(table["growth"][i]),
                "mk_tau": float(table["mk_tau"][i]),
                "mk_p": float(table["mk_p"][i]),
                "burst": float(table["burst_level"][i]),
                "escore": float(table["escore"][i]),
                "first_seen": periods[birth_index] if birth_index >= 0 else None,
                "is_new": bool(table["is_new"][i]),
                "technology": scored.score,
                "is_technology": scored.score >= config.analysis.technology_threshold,
                "kinds": counts.kinds[i],
                "recent_series": [int(v) for v in matrix[i, -12:]],
                "evidence": {**{k: _plain(table[k][i]) for k in EVIDENCE_KEYS if k in table}, **scored.evidence()},
            }
        )
    return rows


def _plain(value: Any) -> Any:  # noqa: ANN401 - numpy scalar to JSON value
    return value.item() if hasattr(value, "item") else value


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in values.items()}


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
