"""Emergence indicators on per-period count series, as pure functions (arrays in, numbers out).

Why this module exists: a foresight analyst must be able to ask "why is this topic called emerging?" and get numbers
that can be recomputed by hand. Every indicator here is a documented formula on a count series (documents of a topic or
term per period) and the matching series of all documents per period; nothing reads a database, the clock or any period
after the last array element, so "as of T" scores are the caller passing series that end at T.

Indicators (each function's docstring gives its formula and edge cases):

- ``shares``: share of all documents per period.
- ``growth``: mean share of the last k periods over the mean share of the earlier periods (smoothed).
- ``mann_kendall`` / ``sens_slope``: non-parametric monotonic trend test (S, tie-corrected variance, Z, two-sided p,
  Kendall tau) and the median pairwise slope.
- ``kleinberg_bursts``: Kleinberg's (2003, §4) burst automaton for batched counts: a state per period and the burst
  intervals with weights.
- ``escore`` / ``emergence_criteria``: the Porter–Carley emergence score (Carley et al. 2018; Porter et al. 2019) and
  the novelty / persistence / community / growth criteria.
- ``novelty``: 1 - maximal cosine similarity of a topic centroid to everything seen before.
- ``popularity`` / ``popularity_thresholds`` / ``classify_signal``: BERTrend's decaying popularity and its
  noise / weak / strong classes from the 10th / 90th percentiles of popularity.
- ``trend_direction``: rising / stable / fading from shares.
- ``cross_source_presence``: in how many source kinds (news, patent, publication, policy) a topic appears.
- ``score_series`` / ``score_many``: all of the above for one or many series, a combined ``score`` and ``evidence``.

Outputs never contain NaN or infinity: degenerate inputs (empty series, all zeros, one period) give documented neutral
values (growth 1.0, S = 0, p = 1.0, slope 0.0, no bursts, class "noise", trend "stable"). Invalid inputs (negative or
non-finite counts, mismatched lengths) raise ``ValueError`` with a message saying what to fix.

Import everything from this module; the formulas live in ``emergence_series`` (shares, growth, Mann–Kendall, trend),
``emergence_bursts`` (Kleinberg), ``emergence_escore`` (Porter–Carley) and ``emergence_popularity`` (BERTrend), and
novelty, cross-source presence and the combined scorer are here. Documentation: ``docs/emergence.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike

from models.emergence_bursts import Burst, BurstResult, _burst_states, kleinberg_bursts
from models.emergence_escore import (
    EmergenceCriteria,
    EScore,
    _criteria_rows,
    _escore_rows,
    _porter_windows,
    emergence_criteria,
    escore,
)
from models.emergence_popularity import (
    POPULARITY_FLOOR,
    PopularityThresholds,
    SignalClass,
    _classify_rows,
    _ols_slope_rows,
    _popularity_rows,
    classify_signal,
    popularity,
    popularity_thresholds,
)
from models.emergence_series import (
    MannKendall,
    MKTrend,
    Trend,
    _counts_and_totals,
    _growth_rows,
    _mann_kendall_rows,
    _sen_rows,
    _trend_rows,
    growth,
    mann_kendall,
    sens_slope,
    shares,
    trend_direction,
)

Granularity = Literal["week", "month", "quarter", "year"]

#: Source kinds of a ``Document`` (see ``sources/document.py``), in report order.
SOURCE_KINDS: tuple[str, ...] = ("news", "patent", "publication", "policy")

#: ``tanh(escore_pp / ESCORE_PP_SCALE)`` is the EScore part of the combined score (see ``score_many``).
ESCORE_PP_SCALE = 10.0


# --------------------------------------------------------------------------------------------------------------------
# novelty of a topic centroid
# --------------------------------------------------------------------------------------------------------------------


def novelty(centroid: ArrayLike, previous_centroids: ArrayLike) -> float:
    """Novelty of a topic: ``1 - max_k cos(centroid, previous_k)``, clipped to [0, 1].

    1.0 when nothing was seen before (no previous centroids) or when the topic is orthogonal or opposite to all of
    them; 0.0 when it repeats an earlier centroid's direction. Zero vectors have no direction and count as
    similarity 0. ``previous_centroids`` is a (k, d) array (a single (d,) vector is accepted).
    Example: ``[1, 0]`` against ``[[0, 1], [1, 1]]`` has cosines 0 and 0.7071, novelty 0.2929.
    """
    vector = np.asarray(centroid, dtype=float)
    if vector.ndim != 1:
        raise ValueError(f"centroid must be a 1-D vector, got shape {vector.shape}")
    previous = np.asarray(previous_centroids, dtype=float)
    if previous.size == 0:
        return 1.0
    if previous.ndim == 1:
        previous = previous[None, :]
    if previous.ndim != 2 or previous.shape[1] != vector.shape[0]:
        raise ValueError(f"previous_centroids must be (k, {vector.shape[0]}), got shape {previous.shape}")
    if not (np.all(np.isfinite(vector)) and np.all(np.isfinite(previous))):
        raise ValueError("centroids contain NaN or infinite values")
    norm = np.linalg.norm(vector)
    previous_norms = np.linalg.norm(previous, axis=1)
    if norm == 0:
        return 1.0
    denominators = previous_norms * norm
    cosines = np.divide(previous @ vector, denominators, out=np.zeros(len(previous)), where=denominators > 0)
    return float(np.clip(1.0 - cosines.max(), 0.0, 1.0))


# --------------------------------------------------------------------------------------------------------------------
# cross-source presence
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrossSourcePresence:
    """In which source kinds a topic has documents, and each kind's share of the topic's documents."""

    kinds_present: tuple[str, ...]
    n_kinds: int
    coverage: float
    share_by_kind: dict[str, float]
    total: float


def cross_source_presence(counts_by_kind: Mapping[str, ArrayLike | float]) -> CrossSourcePresence:
    """Cross-source presence: ``n_kinds = #{kind : sum of its counts > 0}`` over news, patent, publication, policy.

    ``counts_by_kind`` maps a kind to a count or a per-period count series (summed). ``share_by_kind[k] = count_k /
    sum of all counts`` (0 for all kinds when the topic has no documents); ``coverage = n_kinds / 4``. Why: a
    technology that shows up in patents and publications and news at once is more credible than a news-only buzz.
    Example: ``{"news": [1, 2], "patent": 3, "publication": 0}`` gives 2 kinds, coverage 0.5, shares 0.5 / 0.5 / 0.
    """
    unknown = sorted(set(counts_by_kind) - set(SOURCE_KINDS))
    if unknown:
        raise ValueError(f"unknown source kind(s) {unknown}; expected some of {list(SOURCE_KINDS)}")
    sums: dict[str, float] = {}
    for kind in SOURCE_KINDS:
        if kind not in counts_by_kind:
            continue
        values = np.asarray(counts_by_kind[kind], dtype=float)
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"counts for kind {kind!r} must be finite and >= 0")
        sums[kind] = float(values.sum())
    total = sum(sums.values())
    present = tuple(kind for kind, value in sums.items() if value > 0)
    return CrossSourcePresence(
        kinds_present=present,
        n_kinds=len(present),
        coverage=len(present) / len(SOURCE_KINDS),
        share_by_kind={kind: (value / total if total > 0 else 0.0) for kind, value in sums.items()},
        total=total,
    )


# --------------------------------------------------------------------------------------------------------------------
# combined scorer
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreWeights:
    """Weights of the parts of the combined emergence score (see ``score_many``); they need not sum to 1."""

    growth: float = 0.30
    trend: float = 0.25
    escore: float = 0.25
    burst: float = 0.10
    novelty: float = 0.10


@dataclass(frozen=True)
class EmergenceConfig:
    """Windows and parameters of ``score_series`` / ``score_many``; ``for_granularity`` gives the defaults.

    All windows count periods of the series' granularity.
    """

    recent: int = 4
    trend_window: int = 8
    popularity_window: int = 4
    base_periods: int = 3
    active_periods: int = 7
    pseudo_count: float = 1.0
    alpha: float = 0.1
    fade_ratio: float = 0.5
    rise_ratio: float = 1.5
    decay_factor: float = 0.01
    decay_power: float = 2.0
    lower_percentile: float = 10
    upper_percentile: float = 90
    burst_s: float = 2.0
    burst_gamma: float = 1.0
    burst_states: int = 2
    min_records: float = 7
    min_periods_present: int = 3
    max_base_share: float = 0.15
    min_relative_growth: float = 1.5
    min_actors: int = 2
    weights: ScoreWeights = field(default_factory=ScoreWeights)

    @classmethod
    def for_granularity(cls, granularity: Granularity, **overrides: object) -> EmergenceConfig:
        """Defaults per granularity: recent = about a year (week 4 weeks, month 3, quarter 4, year 2 periods)."""
        windows = _GRANULARITY_WINDOWS.get(granularity)
        if windows is None:
            raise ValueError(f"granularity must be one of {list(get_args(Granularity))}, got {granularity!r}")
        recent, trend_window, popularity_window = windows
        config = cls(recent=recent, trend_window=trend_window, popularity_window=popularity_window)
        return replace(config, **overrides) if overrides else config


# recent, trend_window, popularity_window per granularity
_GRANULARITY_WINDOWS: dict[str, tuple[int, int, int]] = {
    "week": (4, 13, 4),
    "month": (3, 12, 3),
    "quarter": (4, 8, 4),
    "year": (2, 6, 2),
}


@dataclass(frozen=True)
class EmergenceScore:
    """All indicators of one series as of its last period, the combined ``score``, class, trend and evidence.

    ``evidence`` holds every number behind ``signal_class``, ``trend`` and ``score`` (plain JSON-serialisable
    values), so a report can say why; the named fields are the ones analysts sort and filter by.
    """

    score: float
    signal_class: SignalClass
    trend: Trend
    n_periods: int
    total_count: float
    last_share: float
    recent_share: float
    growth: float
    mk_tau: float
    mk_p: float
    sen_slope: float
    escore: float
    criteria_met: bool
    in_burst: bool
    burst_weight: float
    popularity: float
    novelty: float | None
    n_kinds: int | None
    evidence: dict[str, float | int | bool | str | None]


def _optional_vector(values: ArrayLike | None, n_rows: int, name: str) -> np.ndarray | None:
    if values is None:
        return None
    vector = np.asarray(values, dtype=float).reshape(-1)
    if vector.shape[0] != n_rows:
        raise ValueError(f"{name} has {vector.shape[0]} values for {n_rows} series")
    if not np.all(np.isfinite(vector)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return vector


def _current_burst(states: np.ndarray, costs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level, weight and start of the burst containing the last period (0, 0.0 and -1 when there is none)."""
    n_rows, n = states.shape
    if n == 0:
        return np.zeros(n_rows, dtype=np.int64), np.zeros(n_rows), np.full(n_rows, -1)
    level = states[:, -1]
    in_run = level > 0
    weight = np.zeros(n_rows)
    start = np.where(in_run, n - 1, -1)
    rows = np.arange(n_rows)
    lower = np.maximum(level - 1, 0)
    for t in range(n - 1, -1, -1):
        in_run = in_run & (states[:, t] >= level) & (level > 0)
        if not in_run.any():
            break
        gain = costs[rows, lower, t] - costs[rows, level, t]
        weight += np.where(in_run, gain, 0.0)
        start = np.where(in_run, t, start)
    return level, weight, start


def score_many(
    counts: ArrayLike,
    totals: ArrayLike,
    *,
    granularity: Granularity = "quarter",
    as_of_index: int | None = None,
    novelty: ArrayLike | None = None,
    n_actors: ArrayLike | None = None,
    counts_by_kind: Mapping[str, ArrayLike] | None = None,
    thresholds: PopularityThresholds | None = None,
    config: EmergenceConfig | None = None,
) -> list[EmergenceScore]:
    """Score many topic (or term) series at once, as of their last period (or ``as_of_index``).

    ``counts`` is series x periods (oldest first); ``totals`` all documents per period (one row, or one per series).
    With ``as_of_index`` only periods ``0..as_of_index`` are read. Optional per-series inputs: ``novelty`` (from
    ``novelty``), ``n_actors`` (distinct organisations, for the community criterion) and ``counts_by_kind`` (kind ->
    per-series totals of shape (series,), or per-period counts of shape (series, periods) which are cut at
    ``as_of_index`` like ``counts``; for cross-source presence). Popularity thresholds are computed across all series
    given (BERTrend compares topics with each other) unless ``thresholds`` is passed.

    Combined score, between about -0.9 and 1 (``w`` = ``config.weights``; novelty's weight is dropped when novelty
    is unknown):

    ``score = confidence * (w_g tanh(log2(growth) / 2) + w_t tau + w_e tanh(escore_pp / 10) + w_b burst
    + w_n novelty) / sum(w)``

    - ``growth`` as in ``growth`` with smoothing ``pseudo_count / mean(totals)`` (one document at average volume):
      ``tanh(log2(.)/2)`` maps x1 to 0, x2 to 0.46, x4 to 0.76, halving to -0.46;
    - ``tau``: Kendall's tau of the shares over the last ``trend_window`` periods (monotonic direction, in [-1, 1]);
    - ``escore_pp = escore * 100 / sqrt(mean active totals)``: the Porter–Carley EScore rescaled to percentage points
      of share, so that it does not depend on the size of the collection; a topic gaining one percentage point of
      all documents steadily over the 7 active periods has ``escore_pp`` of about 6, so ``tanh(6/10) = 0.54``;
    - ``burst``: the Kleinberg level of the last period over the highest level (1 = bursting now);
    - ``novelty`` in [0, 1];
    - ``confidence = N / (N + min_records)`` with N the topic's documents in the trend window: a topic with a
      handful of documents cannot score high on ratios alone.

    Why this mix: growth and tau catch a rising share, the EScore adds the scientometric acceleration measure and
    damps tiny topics, bursts catch sudden events, novelty rewards what was not seen before; each part is bounded so
    that no single indicator dominates. ``signal_class`` is BERTrend's (popularity percentiles), ``trend`` is
    ``trend_direction``; emergence criteria are reported in ``criteria_met`` and ``evidence`` but do not gate the score.
    """
    cfg = config if config is not None else EmergenceConfig.for_granularity(granularity)
    if config is not None and granularity not in _GRANULARITY_WINDOWS:
        raise ValueError(f"granularity must be one of {list(get_args(Granularity))}, got {granularity!r}")
    count_matrix, total_matrix = _counts_and_totals(counts, totals)
    n_rows, n_all = count_matrix.shape
    if as_of_index is not None:
        if not 0 <= as_of_index < n_all:
            raise ValueError(f"as_of_index {as_of_index} is outside the {n_all} periods given")
        count_matrix = count_matrix[:, : as_of_index + 1]
        total_matrix = total_matrix[:, : as_of_index + 1]
    n = count_matrix.shape[1]
    novelty_vector = _optional_vector(novelty, n_rows, "novelty")
    actor_vector = _optional_vector(n_actors, n_rows, "n_actors")
    kind_sums: dict[str, np.ndarray] = {}
    if counts_by_kind is not None:
        unknown = sorted(set(counts_by_kind) - set(SOURCE_KINDS))
        if unknown:
            raise ValueError(f"unknown source kind(s) {unknown}; expected some of {list(SOURCE_KINDS)}")
        for kind, values in counts_by_kind.items():
            kind_matrix = np.asarray(values, dtype=float).reshape(n_rows, -1)
            if as_of_index is not None and kind_matrix.shape[1] == n_all:
                kind_matrix = kind_matrix[:, : as_of_index + 1]  # per-period kind counts: nothing after "as of"
            if not np.all(np.isfinite(kind_matrix)) or np.any(kind_matrix < 0):
                raise ValueError(f"counts for kind {kind!r} must be finite and >= 0")
            kind_sums[kind] = kind_matrix.sum(axis=1)

    share_matrix = np.divide(count_matrix, total_matrix, out=np.zeros_like(count_matrix), where=total_matrix > 0)
    periods_with_documents = (total_matrix > 0).sum(axis=1)
    mean_total = np.divide(
        total_matrix.sum(axis=1), periods_with_documents, out=np.zeros(n_rows), where=periods_with_documents > 0
    )
    smoothing = np.where(mean_total > 0, cfg.pseudo_count / np.where(mean_total > 0, mean_total, 1.0), 1.0)
    growth_ratio = _growth_rows(share_matrix, cfg.recent, smoothing)

    window_shares = share_matrix[:, -cfg.trend_window :]
    mk_s, _, mk_z, mk_p, mk_tau = _mann_kendall_rows(window_shares)
    sen, _ = _sen_rows(window_shares)

    base, active = _porter_windows(n, cfg.base_periods, cfg.active_periods)
    e_total, e_active, e_recent, e_slope = _escore_rows(count_matrix, total_matrix, active)
    active_mean_total = total_matrix[:, -active:].mean(axis=1) if active else np.zeros(n_rows)
    escore_pp = np.divide(
        e_total * 100.0, np.sqrt(active_mean_total), out=np.zeros(n_rows), where=active_mean_total > 0
    )
    novelty_ok, persistence_ok, growth_ok, base_share, relative_growth, present, records = _criteria_rows(
        count_matrix,
        total_matrix,
        base=base,
        active=active,
        max_base_share=cfg.max_base_share,
        min_periods_present=cfg.min_periods_present,
        min_records=cfg.min_records,
        min_relative_growth=cfg.min_relative_growth,
    )
    community_ok = None if actor_vector is None else actor_vector >= cfg.min_actors
    criteria_met = novelty_ok & persistence_ok & growth_ok
    if community_ok is not None:
        criteria_met = criteria_met & community_ok

    states, costs, base_rate = _burst_states(
        count_matrix, total_matrix, s=cfg.burst_s, gamma=cfg.burst_gamma, n_states=cfg.burst_states
    )
    burst_level, burst_weight, burst_start = _current_burst(states, costs)
    burst_periods = (states > 0).sum(axis=1)

    popularity_matrix = _popularity_rows(count_matrix, cfg.decay_factor, cfg.decay_power)
    if thresholds is None:
        thresholds = popularity_thresholds(
            popularity_matrix if n else np.zeros((n_rows, 1)),
            window=cfg.popularity_window,
            lower_percentile=cfg.lower_percentile,
            upper_percentile=cfg.upper_percentile,
        )
    classes = _classify_rows(popularity_matrix, thresholds.low, thresholds.high, cfg.popularity_window)
    latest_popularity = popularity_matrix[:, -1] if n else np.zeros(n_rows)
    popularity_slope = _ols_slope_rows(popularity_matrix[:, -cfg.popularity_window :])

    trends, recent_share, peak_share = _trend_rows(
        share_matrix,
        mk_tau,
        mk_p,
        mk_s,
        growth_ratio,
        recent=cfg.recent,
        alpha=cfg.alpha,
        fade_ratio=cfg.fade_ratio,
        rise_ratio=cfg.rise_ratio,
    )

    w = cfg.weights
    parts = (
        w.growth * np.tanh(np.log2(growth_ratio) / 2.0)
        + w.trend * mk_tau
        + w.escore * np.tanh(escore_pp / ESCORE_PP_SCALE)
        + w.burst * burst_level / max(1, cfg.burst_states - 1)
    )
    weight_sum = w.growth + w.trend + w.escore + w.burst
    if novelty_vector is not None:
        novelty_clipped = np.clip(novelty_vector, 0.0, 1.0)
        parts = parts + w.novelty * novelty_clipped
        weight_sum += w.novelty
    window_records = count_matrix[:, -cfg.trend_window :].sum(axis=1)
    confidence = window_records / (window_records + cfg.min_records) if cfg.min_records > 0 else np.ones(n_rows)
    score = confidence * parts / weight_sum if weight_sum > 0 else np.zeros(n_rows)

    last_share = share_matrix[:, -1] if n else np.zeros(n_rows)
    total_count = count_matrix.sum(axis=1)
    results: list[EmergenceScore] = []
    for i in range(n_rows):
        kinds = {kind: float(values[i]) for kind, values in kind_sums.items()}
        kinds_total = sum(kinds.values())
        n_kinds = sum(1 for value in kinds.values() if value > 0) if counts_by_kind is not None else None
        evidence: dict[str, float | int | bool | str | None] = {
            "n_periods": n,
            "recent_periods": cfg.recent,
            "trend_window": min(cfg.trend_window, n),
            "total_count": float(total_count[i]),
            "window_count": float(window_records[i]),
            "last_share": float(last_share[i]),
            "recent_share": float(recent_share[i]),
            "peak_share_before_recent": float(peak_share[i]),
            "growth": float(growth_ratio[i]),
            "growth_smoothing": float(smoothing[i]),
            "mk_s": float(mk_s[i]),
            "mk_z": float(mk_z[i]),
            "mk_p": float(mk_p[i]),
            "mk_tau": float(mk_tau[i]),
            "sen_slope": float(sen[i]),
            "escore": float(e_total[i]),
            "escore_active_trend": float(e_active[i]),
            "escore_recent_trend": float(e_recent[i]),
            "escore_slope": float(e_slope[i]),
            "escore_pp": float(escore_pp[i]),
            "criteria_novelty": bool(novelty_ok[i]),
            "criteria_persistence": bool(persistence_ok[i]),
            "criteria_growth": bool(growth_ok[i]),
            "criteria_community": None if community_ok is None else bool(community_ok[i]),
            "base_share": float(base_share[i]),
            "relative_growth": float(relative_growth[i]),
            "periods_present": int(present[i]),
            "burst_level": int(burst_level[i]),
            "burst_weight": float(burst_weight[i]),
            "burst_start_index": int(burst_start[i]),
            "burst_periods": int(burst_periods[i]),
            "burst_base_rate": float(base_rate[i]),
            "popularity": float(latest_popularity[i]),
            "popularity_slope": float(popularity_slope[i]),
            "popularity_low": thresholds.low,
            "popularity_high": thresholds.high,
            "novelty": None if novelty_vector is None else float(novelty_vector[i]),
            "n_actors": None if actor_vector is None else int(actor_vector[i]),
            "n_kinds": n_kinds,
            "confidence": float(confidence[i]),
        }
        for kind in SOURCE_KINDS:
            if kind in kinds:
                evidence[f"share_{kind}"] = kinds[kind] / kinds_total if kinds_total > 0 else 0.0
        results.append(
            EmergenceScore(
                score=float(score[i]),
                signal_class=classes[i],
                trend=trends[i],
                n_periods=n,
                total_count=float(total_count[i]),
                last_share=float(last_share[i]),
                recent_share=float(recent_share[i]),
                growth=float(growth_ratio[i]),
                mk_tau=float(mk_tau[i]),
                mk_p=float(mk_p[i]),
                sen_slope=float(sen[i]),
                escore=float(e_total[i]),
                criteria_met=bool(criteria_met[i]),
                in_burst=bool(burst_level[i] > 0),
                burst_weight=float(burst_weight[i]),
                popularity=float(latest_popularity[i]),
                novelty=None if novelty_vector is None else float(novelty_vector[i]),
                n_kinds=n_kinds,
                evidence=evidence,
            )
        )
    return results


def score_series(
    counts: ArrayLike,
    totals: ArrayLike,
    *,
    granularity: Granularity = "quarter",
    as_of_index: int | None = None,
    novelty: float | None = None,
    n_actors: int | None = None,
    counts_by_kind: Mapping[str, ArrayLike | float] | None = None,
    thresholds: PopularityThresholds | None = None,
    config: EmergenceConfig | None = None,
) -> EmergenceScore:
    """Score one series; see ``score_many`` for every formula.

    Pass ``thresholds`` (from ``popularity_thresholds`` over all topics) to get a meaningful ``signal_class``: without
    them the thresholds come from this one series, so the class only says how it compares with its own recent past.
    """
    series = np.asarray(counts, dtype=float)
    if series.ndim != 1:
        raise ValueError(f"score_series takes one 1-D series; got shape {series.shape} (use score_many)")
    kinds = (
        None
        if counts_by_kind is None
        else {kind: np.asarray(values, dtype=float).reshape(1, -1) for kind, values in counts_by_kind.items()}
    )
    return score_many(
        series[None, :],
        totals,
        granularity=granularity,
        as_of_index=as_of_index,
        novelty=None if novelty is None else [novelty],
        n_actors=None if n_actors is None else [n_actors],
        counts_by_kind=kinds,
        thresholds=thresholds,
        config=config,
    )[0]


__all__ = [
    "ESCORE_PP_SCALE",
    "POPULARITY_FLOOR",
    "SOURCE_KINDS",
    "Granularity",
    "MKTrend",
    "SignalClass",
    "Trend",
    "Burst",
    "BurstResult",
    "CrossSourcePresence",
    "EScore",
    "EmergenceConfig",
    "EmergenceCriteria",
    "EmergenceScore",
    "MannKendall",
    "PopularityThresholds",
    "ScoreWeights",
    "classify_signal",
    "cross_source_presence",
    "emergence_criteria",
    "escore",
    "growth",
    "kleinberg_bursts",
    "mann_kendall",
    "novelty",
    "popularity",
    "popularity_thresholds",
    "score_many",
    "score_series",
    "sens_slope",
    "shares",
    "trend_direction",
]
