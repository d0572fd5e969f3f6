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
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

Granularity = Literal["week", "month", "quarter", "year"]
SignalClass = Literal["noise", "weak", "strong"]
Trend = Literal["rising", "stable", "fading"]
MKTrend = Literal["increasing", "decreasing", "no trend"]

#: Source kinds of a ``Document`` (see ``sources/document.py``), in report order.
SOURCE_KINDS: tuple[str, ...] = ("news", "patent", "publication", "policy")

#: ``tanh(escore_pp / ESCORE_PP_SCALE)`` is the EScore part of the combined score (see ``score_many``).
ESCORE_PP_SCALE = 10.0

#: Popularity values at or below this are "faded away" and ignored for percentile thresholds (as in BERTrend).
POPULARITY_FLOOR = 1e-5

# Pairwise arrays (n_periods^2 per series) are built for blocks of series holding at most this many pairs,
# so that memory stays around 100 MB however many or long the series are.
_PAIRS_PER_BLOCK = 4_000_000
# Probabilities of the burst automaton are kept inside (0, 1) so that logarithms stay finite.
_P_EPS = 1e-12


# --------------------------------------------------------------------------------------------------------------------
# input checking
# --------------------------------------------------------------------------------------------------------------------


def _as_matrix(values: ArrayLike, name: str) -> np.ndarray:
    """Return ``values`` as a float 2-D array (series x periods); 1-D input becomes one row.

    Rejects NaN, infinities and negative numbers because counts cannot be any of those and a silent NaN would
    propagate into every score of a run.
    """
    array = np.asarray(values, dtype=float)
    if array.ndim == 0:
        raise ValueError(f"{name} must be a sequence of per-period values, got a single number")
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"{name} must be 1-D (one series) or 2-D (series x periods), got {array.ndim}-D")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values; pass 0 for periods without documents")
    if np.any(array < 0):
        raise ValueError(f"{name} contains negative values; counts must be >= 0")
    return array


def _counts_and_totals(counts: ArrayLike, totals: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate a count matrix and broadcast the totals (one row shared by all series, or one row per series)."""
    count_matrix = _as_matrix(counts, "counts")
    total_matrix = _as_matrix(totals, "totals")
    if total_matrix.shape[1] != count_matrix.shape[1]:
        raise ValueError(
            f"counts has {count_matrix.shape[1]} periods but totals has {total_matrix.shape[1]}; "
            "pass one total per period"
        )
    if total_matrix.shape[0] not in (1, count_matrix.shape[0]):
        raise ValueError(
            f"totals has {total_matrix.shape[0]} rows for {count_matrix.shape[0]} series; "
            "pass one row or one per series"
        )
    return count_matrix, np.broadcast_to(total_matrix, count_matrix.shape)


def _one_series(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D series, got shape {array.shape}")
    return array


# --------------------------------------------------------------------------------------------------------------------
# shares and growth
# --------------------------------------------------------------------------------------------------------------------


def shares(counts: ArrayLike, totals: ArrayLike) -> np.ndarray:
    """Share of all documents per period: ``share_t = counts_t / totals_t``, and 0 where ``totals_t == 0``.

    Why shares and not counts: the number of documents we collect changes over time (a new feed, a patent office
    backlog); a topic is emerging when it takes a larger part of what is published, not when everything grows.

    ``counts`` may be 1-D (one series) or 2-D (series x periods); ``totals`` is one row per period shared by all
    series, or the same shape as ``counts``. Returns an array of the shape of ``counts``.
    """
    count_matrix, total_matrix = _counts_and_totals(counts, totals)
    result = np.divide(count_matrix, total_matrix, out=np.zeros_like(count_matrix), where=total_matrix > 0)
    return result[0] if np.ndim(counts) == 1 else result


def _growth_rows(share_matrix: np.ndarray, recent: int, smoothing: np.ndarray | float) -> np.ndarray:
    n_periods = share_matrix.shape[1]
    if n_periods <= recent or recent < 1:
        return np.ones(share_matrix.shape[0])
    recent_mean = share_matrix[:, -recent:].mean(axis=1)
    earlier_mean = share_matrix[:, :-recent].mean(axis=1)
    return (recent_mean + smoothing) / (earlier_mean + smoothing)


def growth(shares: ArrayLike, recent: int = 3, *, smoothing: float = 1e-3) -> float:
    """Growth ratio of the recent share over the earlier share, smoothed.

    ``growth = (mean(s[-k:]) + a) / (mean(s[:-k]) + a)`` with ``k = recent`` and ``a = smoothing``.

    The smoothing ``a`` is a pseudo-share added to both means: it keeps the ratio finite when a topic did not exist in
    the earlier periods and stops a step from 1 to 3 documents reading as "tripled". ``score_series`` sets ``a`` to one
    document at the series' average volume (``pseudo_count / mean(totals)``); here the default is 0.1 % of documents.
    Returns 1.0 ("no evidence of change") when there are no earlier periods (``len(s) <= k``). Example: shares
    ``[0.1, 0.1, 0.2, 0.4]``, ``recent=2``, ``smoothing=0.1`` give ``(0.3 + 0.1) / (0.1 + 0.1) = 2.0``.
    """
    series = _one_series(shares, "shares")
    if recent < 1:
        raise ValueError(f"recent must be >= 1 period, got {recent}")
    if smoothing <= 0:
        raise ValueError(f"smoothing must be > 0 so that growth stays finite, got {smoothing}")
    if series.size and not np.all(np.isfinite(series)):
        raise ValueError("shares contains NaN or infinite values")
    return float(_growth_rows(series[None, :], recent, smoothing)[0])


# --------------------------------------------------------------------------------------------------------------------
# Mann–Kendall and Sen's slope
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MannKendall:
    """Result of the Mann–Kendall trend test (see ``mann_kendall``)."""

    n: int
    s: float
    var_s: float
    z: float
    p: float
    tau: float
    slope: float
    intercept: float
    trend: MKTrend


def _mann_kendall_rows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """S, Var(S), Z, p and tau for every row (vectorised; rows are series, columns periods in time order)."""
    n_rows, n = values.shape
    if n < 2:
        zeros = np.zeros(n_rows)
        return zeros, zeros.copy(), zeros.copy(), np.ones(n_rows), zeros.copy()
    later, earlier = np.triu_indices(n, 1)[::-1]  # pairs (i < j): earlier = i, later = j
    s = np.empty(n_rows)
    tie_term = np.empty(n_rows)
    rows_per_block = max(1, _PAIRS_PER_BLOCK // (n * n))
    for start in range(0, n_rows, rows_per_block):
        block = values[start : start + rows_per_block]
        s[start : start + len(block)] = np.sign(block[:, later] - block[:, earlier]).sum(axis=1)
        # For a value shared by t observations, sum_groups t(t-1)(2t+5) = sum_elements (c-1)(2c+5), c = group size.
        group_size = (block[:, :, None] == block[:, None, :]).sum(axis=2)
        tie_term[start : start + len(block)] = ((group_size - 1) * (2 * group_size + 5)).sum(axis=1)
    var_s = (n * (n - 1) * (2 * n + 5) - tie_term) / 18.0
    root = np.sqrt(np.maximum(var_s, 0.0))
    safe_root = np.where(root > 0, root, 1.0)
    z = np.where(s > 0, (s - 1) / safe_root, np.where(s < 0, (s + 1) / safe_root, 0.0))
    z = np.where(root > 0, z, 0.0)
    p = 2.0 * ndtr(-np.abs(z))
    tau = s / (n * (n - 1) / 2.0)
    return s, var_s, z, p, tau


def _sen_rows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sen's slope and intercept for every row (vectorised)."""
    n_rows, n = values.shape
    if n < 2:
        intercept = values[:, 0].copy() if n == 1 else np.zeros(n_rows)
        return np.zeros(n_rows), intercept
    later, earlier = np.triu_indices(n, 1)[::-1]
    distance = (later - earlier).astype(float)
    slope = np.empty(n_rows)
    rows_per_block = max(1, _PAIRS_PER_BLOCK // (n * n))
    for start in range(0, n_rows, rows_per_block):
        block = values[start : start + rows_per_block]
        slope[start : start + len(block)] = np.median((block[:, later] - block[:, earlier]) / distance, axis=1)
    intercept = np.median(values, axis=1) - np.median(np.arange(n)) * slope
    return slope, intercept


def sens_slope(values: ArrayLike) -> float:
    """Sen's (Theil–Sen) slope: the median of ``(x_j - x_i) / (j - i)`` over all pairs ``i < j``.

    Robust to single outliers (one spike changes few pairwise slopes), in units of the series per period.
    Returns 0.0 for fewer than two values. Same estimate as ``scipy.stats.theilslopes(x).slope``.
    Example: ``[1, 2, 4]`` has pairwise slopes 1, 1.5, 2, so the slope is 1.5.
    """
    series = _one_series(values, "values")
    if not np.all(np.isfinite(series)):
        raise ValueError("values contains NaN or infinite values")
    return float(_sen_rows(series[None, :])[0][0])


def mann_kendall(values: ArrayLike, *, alpha: float = 0.05) -> MannKendall:
    """Mann–Kendall test for a monotonic trend in a series ``x_1..x_n`` (time order), with Sen's slope.

    - ``S = sum_{i<j} sign(x_j - x_i)``
    - ``Var(S) = [n(n-1)(2n+5) - sum_g t_g(t_g-1)(2t_g+5)] / 18`` where ``t_g`` is the size of each group of tied
      values (the tie correction matters for count series with many zeros).
    - ``Z = (S-1)/sqrt(Var S)`` if ``S > 0``, ``(S+1)/sqrt(Var S)`` if ``S < 0``, else 0 (continuity correction).
    - ``p = 2 (1 - Phi(|Z|))`` (two-sided), ``tau = S / (n(n-1)/2)`` (Kendall's tau-a against time).
    - ``trend`` is "increasing" / "decreasing" when ``p < alpha``, else "no trend".
    - ``slope`` is Sen's slope, ``intercept = median(x) - median(0..n-1) * slope`` (as in pymannkendall).

    Degenerate cases: fewer than two values or all values tied give ``S = 0, Z = 0, p = 1.0``.
    Worked example: ``[1, 2, 3, 4, 5]`` gives ``S = 10``, ``Var(S) = 5*4*15/18 = 16.67``, ``Z = 9/4.08 = 2.205``,
    ``p = 0.0275``, ``tau = 1.0``, ``slope = 1.0``.
    """
    series = _one_series(values, "values")
    if not np.all(np.isfinite(series)):
        raise ValueError("values contains NaN or infinite values")
    row = series[None, :]
    s, var_s, z, p, tau = _mann_kendall_rows(row)
    slope, intercept = _sen_rows(row)
    return MannKendall(
        n=int(series.size),
        s=float(s[0]),
        var_s=float(var_s[0]),
        z=float(z[0]),
        p=float(p[0]),
        tau=float(tau[0]),
        slope=float(slope[0]),
        intercept=float(intercept[0]),
        trend=_mk_label(float(s[0]), float(p[0]), alpha),
    )


def _mk_label(s: float, p: float, alpha: float) -> MKTrend:
    if p < alpha and s > 0:
        return "increasing"
    if p < alpha and s < 0:
        return "decreasing"
    return "no trend"


# --------------------------------------------------------------------------------------------------------------------
# Kleinberg bursts (batched, Kleinberg 2003 §4)
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Burst:
    """One burst: periods ``start..end`` (inclusive, indices into the series) at automaton level ``level`` >= 1."""

    start: int
    end: int
    level: int
    weight: float


@dataclass(frozen=True)
class BurstResult:
    """States per period (0 = base rate) and the burst intervals (see ``kleinberg_bursts``)."""

    states: np.ndarray
    bursts: tuple[Burst, ...]
    base_rate: float

    @property
    def in_burst_now(self) -> bool:
        """True when the last period given is in a burst state (the "as of" period is bursting)."""
        return bool(self.states.size and self.states[-1] > 0)


def _burst_costs(relevant: np.ndarray, documents: np.ndarray, s: float, n_states: int) -> tuple[np.ndarray, np.ndarray]:
    """Fit costs sigma(i, t) for every row, state and period, and the base rate per row.

    ``sigma(i, t) = -[r_t ln p_i + (d_t - r_t) ln(1 - p_i)]``; the binomial coefficient ln C(d_t, r_t) is the same
    for every state, so it is left out (it cancels in the Viterbi choice and in burst weights).
    """
    total_documents = documents.sum(axis=1)
    base_rate = np.divide(relevant.sum(axis=1), total_documents, out=np.zeros(len(relevant)), where=total_documents > 0)
    rates = base_rate[:, None] * s ** np.arange(n_states)[None, :]
    rates = np.clip(rates, _P_EPS, 1.0 - _P_EPS)
    log_p = np.log(rates)[:, :, None]
    log_q = np.log1p(-rates)[:, :, None]
    costs = -(relevant[:, None, :] * log_p + (documents - relevant)[:, None, :] * log_q)
    return costs, base_rate


def _viterbi_rows(costs: np.ndarray, gamma: float, usable: np.ndarray) -> np.ndarray:
    """Cheapest state sequence per row; transition cost (j - i) * gamma * ln(n) upwards, 0 downwards."""
    n_rows, n_states, n = costs.shape
    states = np.zeros((n_rows, n), dtype=np.int64)
    if n == 0:
        return states
    step_up = gamma * math.log(n) if n > 1 else 0.0
    level = np.arange(n_states)
    transition = np.clip(level[None, :] - level[:, None], 0, None) * step_up  # [from, to]
    total = costs[:, :, 0] + transition[0][None, :]
    back = np.zeros((n_rows, n_states, n), dtype=np.int64)
    for t in range(1, n):
        candidates = total[:, :, None] + transition[None, :, :]  # [row, from, to]
        back[:, :, t] = np.argmin(candidates, axis=1)
        total = np.take_along_axis(candidates, back[:, None, :, t], axis=1)[:, 0, :] + costs[:, :, t]
    current = np.argmin(total, axis=1)
    for t in range(n - 1, -1, -1):
        states[:, t] = current
        current = back[np.arange(n_rows), current, t]
    states[~usable] = 0
    return states


def _burst_states(
    relevant: np.ndarray, documents: np.ndarray, *, s: float, gamma: float, n_states: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if s <= 1:
        raise ValueError(f"s (rate multiplier between burst levels) must be > 1, got {s}")
    if gamma <= 0:
        raise ValueError(f"gamma (cost of entering a burst) must be > 0, got {gamma}")
    if n_states < 2:
        raise ValueError(f"n_states must be >= 2 (a base state and at least one burst state), got {n_states}")
    if np.any(relevant > documents):
        raise ValueError("counts exceed totals in some period; a topic cannot have more documents than all documents")
    costs, base_rate = _burst_costs(relevant, documents, s, n_states)
    usable = (base_rate > 0) & (base_rate < 1)  # a constant 0 % or 100 % rate cannot burst
    return _viterbi_rows(costs, gamma, usable), costs, base_rate


def kleinberg_bursts(
    counts: ArrayLike, totals: ArrayLike, *, s: float = 2.0, gamma: float = 1.0, n_states: int = 2
) -> BurstResult:
    """Kleinberg's burst automaton for batched data ("enumerating bursts", Kleinberg 2003 §4).

    In period t, ``r_t = counts_t`` of ``d_t = totals_t`` documents are relevant. State i emits relevant documents at
    rate ``p_i = p_0 * s^i`` (capped just below 1), with base rate ``p_0 = sum r / sum d``. The state sequence
    minimises ``sum_t sigma(q_t, t) + sum_t tau(q_{t-1}, q_t)`` (Viterbi, starting in state 0) with

    - fit cost ``sigma(i, t) = -ln[C(d_t, r_t) p_i^r_t (1 - p_i)^(d_t - r_t)]``,
    - transition cost ``tau(i, j) = (j - i) * gamma * ln(n)`` for ``j > i`` and 0 for moving down (n = periods).

    A burst at level ``l`` is a maximal run of periods with state >= l; its weight is
    ``sum_{t in run} [sigma(l - 1, t) - sigma(l, t)]``, the cost saved by explaining the run with the higher rate
    (Kleinberg's ranking of bursts). Ties between equally cheap sequences go to the lower state.
    With ``p_0`` of 0 or 1 (never or always relevant) no burst is possible and all states are 0.
    Worked example: counts ``[0, 0, 5, 5, 0, 0]`` of totals ``[10]*6`` give ``p_0 = 1/6, p_1 = 1/3`` and one burst
    over periods 2..3 of weight ``2 * (10 ln 2 - 5 ln 2.5) = 4.70``.
    """
    relevant, documents = _counts_and_totals(counts, totals)
    if relevant.shape[0] != 1:
        raise ValueError("kleinberg_bursts takes one series; use score_many for many series")
    states, costs, base_rate = _burst_states(relevant, documents, s=s, gamma=gamma, n_states=n_states)
    state_row, cost_row = states[0], costs[0]
    bursts: list[Burst] = []
    for level in range(1, n_states):
        in_burst = np.concatenate(([False], state_row >= level, [False]))
        edges = np.flatnonzero(np.diff(in_burst.astype(np.int8)))
        for start, stop in zip(edges[0::2], edges[1::2], strict=True):
            weight = float((cost_row[level - 1, start:stop] - cost_row[level, start:stop]).sum())
            bursts.append(Burst(start=int(start), end=int(stop - 1), level=level, weight=weight))
    bursts.sort(key=lambda burst: (burst.start, burst.level))
    return BurstResult(states=state_row, bursts=tuple(bursts), base_rate=float(base_rate[0]))


# --------------------------------------------------------------------------------------------------------------------
# Porter–Carley emergence score and criteria
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EScore:
    """Porter–Carley emergence score and its three parts (see ``escore``)."""

    escore: float
    active_trend: float
    recent_trend: float
    slope: float
    active_periods: int


def _porter_windows(n_periods: int, base_periods: int, active_periods: int) -> tuple[int, int]:
    """Base and active period counts for a series of ``n_periods``: the canonical 3 + 7, scaled down when shorter.

    With at least ``base + active`` periods the last ``base + active`` are used. A shorter series keeps the same
    base : active proportion (rounded, base >= 1 when there are two or more periods).
    """
    if base_periods < 0 or active_periods < 1:
        raise ValueError("base_periods must be >= 0 and active_periods >= 1")
    window = base_periods + active_periods
    if n_periods >= window:
        return base_periods, active_periods
    if n_periods < 2:
        return 0, n_periods
    base = max(1, int(n_periods * base_periods / window + 0.5)) if base_periods else 0
    return base, n_periods - base


def _block_sizes(active: int) -> tuple[int, int, int]:
    """EScore block sizes for ``active`` periods: outer blocks 3, recent blocks 2, mid index 3 when active = 7."""
    outer = max(1, int(3 * active / 7 + 0.5))
    recent = max(1, int(2 * active / 7 + 0.5))
    mid = max(0, active - 1 - outer)
    return outer, recent, mid


def _escore_rows(counts: np.ndarray, totals: np.ndarray, active: int) -> tuple[np.ndarray, ...]:
    """EScore parts for every row over its last ``active`` periods."""
    n_rows = counts.shape[0]
    if active < 3:
        zeros = np.zeros(n_rows)
        return zeros, zeros.copy(), zeros.copy(), zeros.copy()
    c = counts[:, -active:]
    root = np.sqrt(totals[:, -active:])
    outer, recent, mid = _block_sizes(active)

    def normalised(first: int, stop: int) -> np.ndarray:
        denominator = root[:, first:stop].sum(axis=1)
        return np.divide(c[:, first:stop].sum(axis=1), denominator, out=np.zeros(n_rows), where=denominator > 0)

    active_trend = normalised(active - outer, active) - normalised(0, outer)
    recent_trend = 10.0 * (normalised(active - recent, active) - normalised(active - 2 * recent, active - recent))
    slope = 10.0 * (normalised(active - 1, active) - normalised(mid, mid + 1)) / max(1, active - 1 - mid)
    return 2.0 * active_trend + recent_trend + slope, active_trend, recent_trend, slope


def escore(counts: ArrayLike, totals: ArrayLike, *, base_periods: int = 3, active_periods: int = 7) -> EScore:
    """Porter–Carley emergence score (EScore) of a term or topic series.

    Variant implemented: Carley, Newman, Porter & Garner (2018), "An indicator of technical emergence",
    Scientometrics 115, as used by Porter et al. (2019, TF&SC 146) and in VantagePoint's "Calculate Emergence
    Indicators"; the formulas follow the open implementation in datasciencecampus/pyGrams. A 10-period window
    is split into 3 base periods (only used by ``emergence_criteria``) and 7 active periods ``a_1..a_7``. With
    ``c_i`` the count and ``T_i`` all documents in active period i, and ``N(I) = sum_{i in I} c_i / sum_{i in I}
    sqrt(T_i)`` (counts damped by the square root of the database size):

    - active period trend ``A = N(a_5..a_7) - N(a_1..a_3)``
    - recent trend ``R = 10 * [N(a_6, a_7) - N(a_4, a_5)]``
    - mid-period to last-period slope ``M = 10 * [N(a_7) - N(a_4)] / 3``
    - ``EScore = 2A + R + M``

    Applies unchanged to topic series (documents assigned to a topic) and term series (documents containing a term).
    With ``active_periods`` other than 7, or a series shorter than ``base + active``, the blocks scale (outer blocks
    ``round(3m/7)``, recent blocks ``round(2m/7)``, mid period ``m - 1 - round(3m/7)`` for m active periods); fewer
    than 3 active periods give all parts 0. Periods with no documents at all contribute 0.
    Worked example: active counts ``[0, 0, 1, 2, 4, 8, 16]`` with totals ``[100]*7`` give ``A = (28 - 1)/30 = 0.9``,
    ``R = 10 (24 - 6)/20 = 9``, ``M = 10 (1.6 - 0.2)/3 = 4.667`` and ``EScore = 15.467``.
    """
    count_matrix, total_matrix = _counts_and_totals(counts, totals)
    if count_matrix.shape[0] != 1:
        raise ValueError("escore takes one series; use score_many for many series")
    _, active = _porter_windows(count_matrix.shape[1], base_periods, active_periods)
    score, active_trend, recent_trend, slope = _escore_rows(count_matrix, total_matrix, active)
    return EScore(
        escore=float(score[0]),
        active_trend=float(active_trend[0]),
        recent_trend=float(recent_trend[0]),
        slope=float(slope[0]),
        active_periods=active if active >= 3 else 0,
    )


@dataclass(frozen=True)
class EmergenceCriteria:
    """Outcome of the Porter–Carley emergence criteria (see ``emergence_criteria``)."""

    novelty: bool
    persistence: bool
    community: bool | None
    growth: bool
    passed: bool
    base_share: float
    relative_growth: float
    periods_present: int
    records: float


def _criteria_rows(
    counts: np.ndarray,
    totals: np.ndarray,
    *,
    base: int,
    active: int,
    max_base_share: float,
    min_periods_present: int,
    min_records: float,
    min_relative_growth: float,
) -> tuple[np.ndarray, ...]:
    window_counts = counts[:, -(base + active) :] if base + active else counts[:, :0]
    window_totals = totals[:, -(base + active) :] if base + active else totals[:, :0]
    base_counts = window_counts[:, :base].sum(axis=1)
    base_totals = window_totals[:, :base].sum(axis=1)
    active_counts = window_counts[:, base:].sum(axis=1)
    active_totals = window_totals[:, base:].sum(axis=1)
    n_rows = counts.shape[0]
    base_share = np.divide(base_counts, base_totals, out=np.zeros(n_rows), where=base_totals > 0)
    active_share = np.divide(active_counts, active_totals, out=np.zeros(n_rows), where=active_totals > 0)
    # One pseudo-document in the base period keeps the ratio finite for topics absent from the base period.
    pseudo = np.divide(1.0, base_totals, out=np.ones(n_rows), where=base_totals > 0)
    relative_growth = np.where(active_share > 0, active_share / np.maximum(base_share, pseudo), 0.0)
    periods_present = (window_counts > 0).sum(axis=1)
    records = window_counts.sum(axis=1)
    novelty = base_share < max_base_share
    persistence = (periods_present >= min_periods_present) & (records >= min_records)
    grows = relative_growth >= min_relative_growth
    return novelty, persistence, grows, base_share, relative_growth, periods_present, records


def emergence_criteria(
    counts: ArrayLike,
    totals: ArrayLike,
    *,
    n_actors: int | None = None,
    base_periods: int = 3,
    active_periods: int = 7,
    max_base_share: float = 0.15,
    min_periods_present: int = 3,
    min_records: float = 7,
    min_actors: int = 2,
    min_relative_growth: float = 1.5,
) -> EmergenceCriteria:
    """The Porter–Carley criteria a term or topic must meet before its EScore counts as emergence.

    Over the last ``base + active`` periods (3 + 7 by default, scaled down for shorter series like ``escore``):

    - novelty: ``base_share = sum base counts / sum base totals < max_base_share`` (absent or rare at the start;
      Carley et al. use 15 % of records);
    - persistence: present (count > 0) in ``>= min_periods_present`` periods and ``>= min_records`` records in all;
    - community: ``n_actors >= min_actors`` distinct sources / organisations / authors (``None`` when the caller
      does not know; then it is not required);
    - growth: ``relative_growth = active_share / max(base_share, 1 / sum base totals) >= min_relative_growth``, i.e.
      the term grows at least 1.5 times as fast as the whole collection (the VPInstitute variant replacing the
      older 2:1 active:base record ratio); absent from the base period counts as one pseudo-document there.

    ``passed`` is the conjunction of all criteria that were evaluated.
    """
    count_matrix, total_matrix = _counts_and_totals(counts, totals)
    if count_matrix.shape[0] != 1:
        raise ValueError("emergence_criteria takes one series; use score_many for many series")
    base, active = _porter_windows(count_matrix.shape[1], base_periods, active_periods)
    novelty_ok, persistence_ok, growth_ok, base_share, relative_growth, present, records = _criteria_rows(
        count_matrix,
        total_matrix,
        base=base,
        active=active,
        max_base_share=max_base_share,
        min_periods_present=min_periods_present,
        min_records=min_records,
        min_relative_growth=min_relative_growth,
    )
    community = None if n_actors is None else bool(n_actors >= min_actors)
    passed = bool(novelty_ok[0] and persistence_ok[0] and growth_ok[0] and community is not False)
    return EmergenceCriteria(
        novelty=bool(novelty_ok[0]),
        persistence=bool(persistence_ok[0]),
        community=community,
        growth=bool(growth_ok[0]),
        passed=passed,
        base_share=float(base_share[0]),
        relative_growth=float(relative_growth[0]),
        periods_present=int(present[0]),
        records=float(records[0]),
    )


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
# BERTrend popularity and signal classes
# --------------------------------------------------------------------------------------------------------------------


def _popularity_rows(counts: np.ndarray, decay_factor: float, decay_power: float) -> np.ndarray:
    n_rows, n = counts.shape
    result = np.zeros((n_rows, n))
    current = np.zeros(n_rows)
    last_update = np.full(n_rows, -1)
    for t in range(n):
        active = counts[:, t] > 0
        since = t - last_update
        decayed = current * np.exp(-decay_factor * np.power(since.astype(float), decay_power))
        current = np.where(active, current + counts[:, t], np.where(last_update >= 0, decayed, 0.0))
        last_update = np.where(active, t, last_update)
        result[:, t] = current
    return result


def popularity(counts: ArrayLike, *, decay_factor: float = 0.01, decay_power: float = 2.0) -> np.ndarray:
    """BERTrend popularity per period: grows with new documents, decays while a topic gets none.

    ``P_t = P_{t-1} + n_t`` when ``n_t > 0`` (new documents in period t); otherwise
    ``P_t = P_{t-1} * exp(-decay_factor * Delta_t^decay_power)`` with ``Delta_t`` the number of periods since the last
    period with documents, so decay accelerates the longer a topic stays silent; ``P_t = 0`` before the first
    document. Defaults are BERTrend's (``decay_factor = 0.01``, ``decay_power = 2``). Popularity is cumulative:
    it never falls while documents keep coming, which is why ``trend_direction`` reads shares, not popularity.
    Accepts one series (returns 1-D) or series x periods (returns 2-D).
    Example: ``[2, 0, 0, 3]`` gives ``[2, 2e^-0.01, 2e^-0.01 e^-0.04, 2e^-0.05 + 3] = [2, 1.980, 1.902, 4.902]``.
    """
    if decay_factor < 0 or decay_power < 0:
        raise ValueError("decay_factor and decay_power must be >= 0")
    matrix = _as_matrix(counts, "counts")
    result = _popularity_rows(matrix, decay_factor, decay_power)
    return result[0] if np.ndim(counts) == 1 else result


@dataclass(frozen=True)
class PopularityThresholds:
    """Lower and upper popularity thresholds separating noise, weak and strong signals."""

    low: float
    high: float


def popularity_thresholds(
    popularities: ArrayLike, *, window: int = 4, lower_percentile: float = 10, upper_percentile: float = 90
) -> PopularityThresholds:
    """BERTrend thresholds: percentiles of all popularity values in the last ``window`` periods of all topics.

    ``popularities`` is topics x periods (from ``popularity``). Values ``<= 1e-5`` (topics that faded away) are left
    out so they do not drag the thresholds down, as in BERTrend. With no values left both thresholds are 0.
    Percentiles use numpy's linear interpolation (as BERTrend's ``np.percentile``).
    """
    if window < 1:
        raise ValueError(f"window must be >= 1 period, got {window}")
    if not 0 <= lower_percentile <= upper_percentile <= 100:
        raise ValueError("percentiles must satisfy 0 <= lower <= upper <= 100")
    matrix = _as_matrix(popularities, "popularities")
    values = matrix[:, -window:].ravel()
    values = values[values > POPULARITY_FLOOR]
    if values.size == 0:
        return PopularityThresholds(low=0.0, high=0.0)
    low, high = np.percentile(values, [lower_percentile, upper_percentile])
    return PopularityThresholds(low=float(low), high=float(high))


def _ols_slope_rows(values: np.ndarray) -> np.ndarray:
    n = values.shape[1]
    if n < 2:
        return np.zeros(values.shape[0])
    t = np.arange(n) - (n - 1) / 2.0
    return (values - values.mean(axis=1, keepdims=True)) @ t / float(t @ t)


def _classify_rows(popularity_matrix: np.ndarray, low: float, high: float, window: int) -> np.ndarray:
    latest = popularity_matrix[:, -1] if popularity_matrix.shape[1] else np.zeros(popularity_matrix.shape[0])
    recent = popularity_matrix[:, -window:]
    rising = _ols_slope_rows(recent) > 0 if recent.shape[1] >= 2 else latest > 0
    classes = np.full(popularity_matrix.shape[0], "noise", dtype=object)
    classes[(latest >= low) & (latest <= high) & rising & (latest > 0)] = "weak"
    classes[latest > high] = "strong"
    return classes


def classify_signal(popularity: ArrayLike, thresholds: PopularityThresholds, *, window: int = 4) -> SignalClass:
    """BERTrend signal class of one topic from its popularity series, as of the last period given.

    With ``P`` the latest popularity: ``P > high`` is "strong"; ``low <= P <= high`` is "weak" if popularity is
    rising (least-squares slope of the last ``window`` values > 0; with a single value, ``P > 0``), else "noise";
    ``P < low`` is "noise". A topic with ``P = 0`` is always "noise".
    """
    series = _one_series(popularity, "popularity")
    if not np.all(np.isfinite(series)) or np.any(series < 0):
        raise ValueError("popularity must be finite and >= 0")
    if window < 1:
        raise ValueError(f"window must be >= 1 period, got {window}")
    return _classify_rows(series[None, :], thresholds.low, thresholds.high, window)[0]


# --------------------------------------------------------------------------------------------------------------------
# trend direction
# --------------------------------------------------------------------------------------------------------------------


def _trend_rows(
    share_matrix: np.ndarray,
    tau: np.ndarray,
    p: np.ndarray,
    s: np.ndarray,
    growth_ratio: np.ndarray,
    *,
    recent: int,
    alpha: float,
    fade_ratio: float,
    rise_ratio: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trend labels plus the recent mean share and the earlier peak (rolling mean) they were judged against."""
    n_rows, n = share_matrix.shape
    recent = max(1, min(recent, n)) if n else 1
    recent_mean = share_matrix[:, -recent:].mean(axis=1) if n else np.zeros(n_rows)
    if n > recent:
        earlier = share_matrix[:, :-recent]
        width = min(recent, earlier.shape[1])
        cumulative = np.cumsum(np.pad(earlier, ((0, 0), (1, 0))), axis=1)
        rolling = (cumulative[:, width:] - cumulative[:, :-width]) / width
        peak = rolling.max(axis=1)
    else:
        peak = np.zeros(n_rows)
    significant_down = (p < alpha) & (s < 0)
    significant_up = (p < alpha) & (s > 0)
    below_peak = (peak > 0) & (recent_mean <= fade_ratio * peak) & (tau <= 0)
    fading = significant_down | below_peak
    rising = ~fading & (significant_up | ((growth_ratio >= rise_ratio) & (tau > 0)))
    labels = np.where(fading, "fading", np.where(rising, "rising", "stable")).astype(object)
    return labels, recent_mean, peak


def trend_direction(
    shares: ArrayLike,
    *,
    window: int = 8,
    recent: int = 4,
    alpha: float = 0.1,
    fade_ratio: float = 0.5,
    rise_ratio: float = 1.5,
    smoothing: float = 1e-3,
) -> Trend:
    """Direction of a topic as of its last period: "rising", "stable" or "fading".

    With MK the Mann–Kendall test on the last ``window`` shares, ``recent_mean`` the mean share of the last ``recent``
    periods and ``peak`` the highest mean share of any ``recent`` consecutive periods before them:

    - fading: MK significantly decreasing (``p < alpha``, ``S < 0``), or the topic is past its peak:
      ``recent_mean <= fade_ratio * peak`` (default: at most half its former level) and ``tau <= 0`` (not
      recovering). This is how a topic that burst earlier (Corona in 2020) is fading years later even though its
      BERTrend popularity, which only decays in silent periods, stays high.
    - rising: not fading, and MK significantly increasing, or ``growth(shares, recent) >= rise_ratio`` with
      ``tau > 0``.
    - stable: everything else, including empty and all-zero series.
    """
    series = _one_series(shares, "shares")
    if not np.all(np.isfinite(series)) or np.any(series < 0):
        raise ValueError("shares must be finite and >= 0")
    if window < 2 or recent < 1:
        raise ValueError("window must be >= 2 and recent >= 1 periods")
    row = series[None, :]
    s, _, _, p, tau = _mann_kendall_rows(row[:, -window:])
    growth_ratio = _growth_rows(row, recent, smoothing)
    labels, _, _ = _trend_rows(
        row, tau, p, s, growth_ratio, recent=recent, alpha=alpha, fade_ratio=fade_ratio, rise_ratio=rise_ratio
    )
    return labels[0]


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
    per-series counts, for cross-source presence). Popularity thresholds are computed across all series given
    (BERTrend compares topics with each other) unless ``thresholds`` is passed.

    Combined score, in [-0.8, 1] (``w`` = ``config.weights``; novelty's weight is dropped when novelty is unknown):

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
    kinds = None if counts_by_kind is None else {kind: [np.sum(values)] for kind, values in counts_by_kind.items()}
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
    "SOURCE_KINDS",
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
