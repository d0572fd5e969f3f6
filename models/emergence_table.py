"""The combined emergence score of many series as columns of arrays: ``score_table``.

Part of the emergence indicators (import them from ``models.emergence``). ``score_table`` validates the inputs, groups
the series by their observed periods, runs ``block_indicators`` once per group and combines the indicator arrays
into the score; ``score_many`` turns its columns into ``EmergenceScore`` records. Columns are what term emergence
(tens of thousands of series) should use: they cost a fraction of the memory and time of one object per series.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from models.emergence_config import EmergenceConfig, Granularity, check_granularity
from models.emergence_indicators import block_indicators
from models.emergence_observed import _observed_groups, _observed_matrix
from models.emergence_popularity import PopularityThresholds, _classes, _thresholds_of_values
from models.emergence_series import _counts_and_totals
from models.emergence_sources import SOURCE_KINDS, _check_kinds

# Series per call of block_indicators: its temporary arrays (burst costs and back-pointers, pairwise differences)
# stay bounded (tens of MB) however many series are scored; measured no slower than one call for all.
_ROWS_PER_BLOCK = 4096

#: Keys of ``EmergenceScore.evidence`` (and columns of ``score_table``) in the order a report lists them; the
#: per-kind shares ``share_<kind>`` follow for the kinds passed.
EVIDENCE_KEYS = (
    "total_count",
    "window_count",
    "last_share",
    "recent_share",
    "peak_share_before_recent",
    "growth",
    "growth_smoothing",
    "mk_s",
    "mk_z",
    "mk_p",
    "mk_tau",
    "sen_slope",
    "escore",
    "escore_active_trend",
    "escore_recent_trend",
    "escore_slope",
    "escore_pp",
    "criteria_novelty",
    "criteria_persistence",
    "criteria_growth",
    "criteria_community",
    "base_share",
    "relative_growth",
    "periods_present",
    "burst_level",
    "burst_weight",
    "burst_start_index",
    "burst_periods",
    "burst_base_rate",
    "popularity",
    "popularity_slope",
    "popularity_low",
    "popularity_high",
    "novelty",
    "n_actors",
    "n_kinds",
    "confidence",
    "n_observed",
    "first_observed_index",
    "birth_index",
    "birth_status",
    "birth_known",
    "is_new",
    "observed_before_birth",
    "birth_count",
    "birth_share",
    "birth_level",
)


def _optional_vector(values: ArrayLike | None, n_rows: int, name: str) -> np.ndarray | None:
    if values is None:
        return None
    vector = np.asarray(values, dtype=float).reshape(-1)
    if vector.shape[0] != n_rows:
        raise ValueError(f"{name} has {vector.shape[0]} values for {n_rows} series")
    if not np.all(np.isfinite(vector)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return vector


def _kind_sums(
    counts_by_kind: Mapping[str, ArrayLike], n_rows: int, n_all: int, valid: np.ndarray
) -> dict[str, np.ndarray]:
    """Per kind, the documents of each series; per-period kind counts are cut like ``counts`` and masked."""
    _check_kinds(counts_by_kind, "counts_by_kind")
    n = valid.shape[1]
    sums: dict[str, np.ndarray] = {}
    for kind, values in counts_by_kind.items():
        kind_matrix = np.asarray(values, dtype=float).reshape(n_rows, -1)
        if kind_matrix.shape[1] == n_all and n_all > 1:
            kind_matrix = kind_matrix[:, :n] * valid  # nothing after "as of", nothing from missing periods
        if not np.all(np.isfinite(kind_matrix)) or np.any(kind_matrix < 0):
            raise ValueError(f"counts for kind {kind!r} must be finite and >= 0")
        sums[kind] = kind_matrix.sum(axis=1)
    return sums


def _indicator_arrays(
    counts: np.ndarray, totals: np.ndarray, valid: np.ndarray, cfg: EmergenceConfig
) -> dict[str, np.ndarray]:
    """``block_indicators`` per group of series with the same observed periods, scattered back into series order."""
    n_rows = counts.shape[0]
    arrays: dict[str, np.ndarray] = {}
    tails: list[np.ndarray] = []
    for group, columns in _observed_groups(valid):
        for start in range(0, max(group.size, 1), _ROWS_PER_BLOCK):  # an empty group still gives its columns
            rows = group[start : start + _ROWS_PER_BLOCK]
            block = block_indicators(counts[np.ix_(rows, columns)], totals[np.ix_(rows, columns)], columns, cfg)
            tails.append(block.pop("popularity_tail").ravel())
            for key, values in block.items():
                if key not in arrays:
                    arrays[key] = np.empty(n_rows, dtype=values.dtype)
                arrays[key][rows] = values
    arrays["popularity_values"] = np.concatenate(tails) if tails else np.zeros(0)
    return arrays


def score_table(
    counts: ArrayLike,
    totals: ArrayLike,
    *,
    observed: ArrayLike | None = None,
    granularity: Granularity = "quarter",
    as_of_index: int | None = None,
    novelty: ArrayLike | None = None,
    n_actors: ArrayLike | None = None,
    counts_by_kind: Mapping[str, ArrayLike] | None = None,
    thresholds: PopularityThresholds | None = None,
    config: EmergenceConfig | None = None,
) -> dict[str, np.ndarray]:
    """Score many topic (or term) series at once, as of their last observed period: one column per field.

    ``counts`` is series x periods (oldest first); ``totals`` all documents per period (one row, or one per series).
    ``observed`` (one row or one per series, booleans) says which periods were collected; default: every period
    with documents. A period is scored only when it is observed and its total is > 0: periods before the first
    document of the warehouse or of a source kind, and periods without any documents, are **missing**, not shares
    of 0. Every indicator reads the observed periods only, in time order, and its windows count observed periods
    (see ``docs/emergence.md``, "Missing periods"); counts in missing periods are ignored. With complete data this
    is exactly the formula of each indicator on the whole series.
    With ``as_of_index`` only periods ``0..as_of_index`` are read. Optional per-series inputs: ``novelty`` (from
    ``novelty``), ``n_actors`` (distinct organisations, for the community criterion) and ``counts_by_kind`` (kind ->
    per-series totals of shape (series,), or per-period counts of shape (series, periods) which are cut at
    ``as_of_index`` and masked like ``counts``; for cross-source presence). Popularity thresholds are computed
    across all series given (BERTrend compares topics with each other) unless ``thresholds`` is passed.

    Combined score, between about -0.9 and 1 (``w`` = ``config.weights``; novelty's weight is dropped when novelty
    is unknown, the weight ``new`` counts only for new series):

    ``score = confidence * (w_g tanh(log2(growth) / 2) + w_t tau + w_e tanh(escore_pp / 10) + w_b burst
    + w_n novelty + w_new [is_new]) / sum(w)``

    - ``growth`` as in ``growth`` with smoothing ``pseudo_count / mean(totals)`` (one document at average volume):
      ``tanh(log2(.)/2)`` maps x1 to 0, x2 to 0.46, x4 to 0.76, halving to -0.46;
    - ``tau``: Kendall's tau of the shares over the last ``trend_window`` periods (monotonic direction, in [-1, 1]);
    - ``escore_pp = escore * 100 / sqrt(mean active totals)``: the Porter–Carley EScore rescaled to percentage points
      of share, so that it does not depend on the size of the collection; a topic gaining one percentage point of
      all documents steadily over the 7 active periods has ``escore_pp`` of about 6, so ``tanh(6/10) = 0.54``;
    - ``burst``: the Kleinberg level of the last period over the highest level (1 = bursting now);
    - ``novelty`` in [0, 1];
    - ``[is_new]``: 1 for a series born inside the recent window after enough observed periods without it (see
      ``birth``); its birth is evidence of emergence in itself (Porter–Carley's novelty), so it enters the weighted
      mean as one more part at full value; other series are scored exactly as without it;
    - ``confidence = N / (N + min_records)`` with N the topic's documents in the trend window: a topic with a
      handful of documents cannot score high on ratios alone.

    Returns one array per column, one value per series: ``score``, ``signal_class``, ``trend``, ``criteria_met``,
    ``in_burst`` and every evidence key of ``EmergenceScore`` (``EVIDENCE_KEYS``, plus ``share_<kind>`` per kind
    passed); ``None``-able columns (``novelty``, ``n_actors``, ``n_kinds``, ``criteria_community``) are object arrays.
    Columns take about 0.5 KB per series where ``score_many``'s objects take about 2.7 KB: use it for term series.

    Why this mix: growth and tau catch a rising share, the EScore adds the scientometric acceleration measure and
    damps tiny topics, bursts catch sudden events, novelty and birth reward what was not seen before; each part is
    bounded so that no single indicator dominates. ``signal_class`` is BERTrend's (popularity percentiles), ``trend``
    is ``trend_direction``; emergence criteria are reported in ``criteria_met`` and ``evidence`` but do not gate
    the score.
    """
    check_granularity(granularity)
    cfg = config if config is not None else EmergenceConfig.for_granularity(granularity)
    count_matrix, total_matrix = _counts_and_totals(counts, totals)
    n_rows, n_all = count_matrix.shape
    valid = _observed_matrix(observed, total_matrix)
    if as_of_index is not None:
        if not 0 <= as_of_index < n_all:
            raise ValueError(f"as_of_index {as_of_index} is outside the {n_all} periods given")
        count_matrix = count_matrix[:, : as_of_index + 1]
        total_matrix = total_matrix[:, : as_of_index + 1]
        valid = valid[:, : as_of_index + 1]
    if np.any(count_matrix > total_matrix):
        raise ValueError("counts exceed totals in some period; a topic cannot have more documents than all documents")
    n = count_matrix.shape[1]
    valid = np.broadcast_to(valid, count_matrix.shape)
    novelty_vector = _optional_vector(novelty, n_rows, "novelty")
    actor_vector = _optional_vector(n_actors, n_rows, "n_actors")
    kind_sums = {} if counts_by_kind is None else _kind_sums(counts_by_kind, n_rows, n_all, valid)

    a = _indicator_arrays(count_matrix, total_matrix, valid, cfg)
    popularity_values = a.pop("popularity_values")
    if thresholds is None:
        thresholds = _thresholds_of_values(
            popularity_values, cfg.lower_percentile, cfg.upper_percentile, cfg.popularity_floor
        )
    community_ok = None if actor_vector is None else actor_vector >= cfg.min_actors
    criteria_met = a["criteria_novelty"] & a["criteria_persistence"] & a["criteria_growth"]
    if community_ok is not None:
        criteria_met = criteria_met & community_ok

    w = cfg.weights
    parts = (
        w.growth * np.tanh(np.log2(a["growth"]) / cfg.growth_log2_scale)
        + w.trend * a["mk_tau"]
        + w.escore * np.tanh(a["escore_pp"] / cfg.escore_pp_scale)
        + w.burst * a["burst_level"] / max(1, cfg.burst_states - 1)
    )
    weight_sum = w.growth + w.trend + w.escore + w.burst
    if novelty_vector is not None:
        parts = parts + w.novelty * np.clip(novelty_vector, 0.0, 1.0)
        weight_sum += w.novelty
    newness = a["is_new"].astype(float)
    parts = parts + w.new * newness
    weight_sums = weight_sum + w.new * newness
    window_records = a["window_count"]
    confidence = window_records / (window_records + cfg.min_records) if cfg.min_records > 0 else np.ones(n_rows)
    score = np.divide(confidence * parts, weight_sums, out=np.zeros(n_rows), where=weight_sums > 0)

    def optional(values: np.ndarray | None) -> np.ndarray:
        column = np.full(n_rows, None, dtype=object)
        if values is not None:
            column[:] = values.tolist()
        return column

    n_kinds = None
    if counts_by_kind is not None:
        n_kinds = sum(((v > 0).astype(int) for v in kind_sums.values()), start=np.zeros(n_rows, dtype=int))
    table: dict[str, np.ndarray] = {
        "score": score,
        "signal_class": _classes(a["popularity"], a["popularity_rising"], thresholds.low, thresholds.high),
        "trend": a["trend"],
        "criteria_met": criteria_met,
        "in_burst": a["burst_level"] > 0,
        "n_periods": np.full(n_rows, n),
        "recent_periods": np.full(n_rows, cfg.recent),
        "trend_window": np.minimum(cfg.trend_window, a["n_observed"]),
    }
    extra = {
        "criteria_community": optional(community_ok),
        "popularity_low": np.full(n_rows, thresholds.low),
        "popularity_high": np.full(n_rows, thresholds.high),
        "novelty": optional(novelty_vector),
        "n_actors": optional(None if actor_vector is None else actor_vector.astype(int)),
        "n_kinds": optional(n_kinds),
        "confidence": confidence,
    }
    for key in EVIDENCE_KEYS:
        table[key] = extra[key] if key in extra else a[key]
    kinds_total = sum(kind_sums.values(), start=np.zeros(n_rows))
    for kind in SOURCE_KINDS:
        if kind in kind_sums:
            table[f"share_{kind}"] = np.divide(
                kind_sums[kind], kinds_total, out=np.zeros(n_rows), where=kinds_total > 0
            )
    return table
