"""Count series basics for emergence: input checks, shares, growth, Mann–Kendall with Sen's slope, trend direction.

Part of the emergence indicators (import them from ``models.emergence``); every function is a documented formula on
arrays, never reads past the last element it is given, and returns finite numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from models.emergence_config import DEFAULTS

Trend = Literal["rising", "stable", "fading"]
MKTrend = Literal["increasing", "decreasing", "no trend"]

# Pairwise arrays (n_periods^2 per series) are built for blocks of series holding at most this many pairs,
# so that memory stays around 100 MB however many or long the series are.
_PAIRS_PER_BLOCK = 4_000_000


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


def _sen_rows(values: np.ndarray, positions: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sen's slope and intercept for every row (vectorised).

    ``positions`` are the periods' places in time (increasing; default 0..n-1). With missing periods left out, the
    pairwise slopes divide by the true distance in periods, as pymannkendall does with NaN values, so the slope stays
    in share per period; the intercept is taken at the median position.
    """
    n_rows, n = values.shape
    if n < 2:
        intercept = values[:, 0].copy() if n == 1 else np.zeros(n_rows)
        return np.zeros(n_rows), intercept
    later, earlier = np.triu_indices(n, 1)[::-1]
    time = np.arange(n, dtype=float) if positions is None else np.asarray(positions, dtype=float)
    distance = time[later] - time[earlier]
    slope = np.empty(n_rows)
    rows_per_block = max(1, _PAIRS_PER_BLOCK // (n * n))
    for start in range(0, n_rows, rows_per_block):
        block = values[start : start + rows_per_block]
        slope[start : start + len(block)] = np.median((block[:, later] - block[:, earlier]) / distance, axis=1)
    intercept = np.median(values, axis=1) - np.median(time) * slope
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
    window: int = DEFAULTS.trend_window,
    recent: int = DEFAULTS.recent,
    alpha: float = DEFAULTS.alpha,
    fade_ratio: float = DEFAULTS.fade_ratio,
    rise_ratio: float = DEFAULTS.rise_ratio,
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
