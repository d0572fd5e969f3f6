"""BERTrend popularity with exponential decay and the noise / weak / strong signal classes.

Part of the emergence indicators (import them from ``models.emergence``). Follows rte-france/BERTrend: popularity
grows with a topic's new documents and decays while it gets none; classes come from the 10th / 90th percentiles of
all topics' popularity in a recent window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from models.emergence_config import DEFAULTS, POPULARITY_FLOOR
from models.emergence_series import _as_matrix, _one_series

SignalClass = Literal["noise", "weak", "strong"]


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


def popularity(
    counts: ArrayLike, *, decay_factor: float = DEFAULTS.decay_factor, decay_power: float = DEFAULTS.decay_power
) -> np.ndarray:
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


def _thresholds_of_values(
    values: np.ndarray, lower_percentile: float, upper_percentile: float, floor: float
) -> PopularityThresholds:
    if not 0 <= lower_percentile <= upper_percentile <= 100:
        raise ValueError("percentiles must satisfy 0 <= lower <= upper <= 100")
    values = values[values > floor]
    if values.size == 0:
        return PopularityThresholds(low=0.0, high=0.0)
    low, high = np.percentile(values, [lower_percentile, upper_percentile])
    return PopularityThresholds(low=float(low), high=float(high))


def popularity_thresholds(
    popularities: ArrayLike,
    *,
    window: int = DEFAULTS.popularity_window,
    lower_percentile: float = DEFAULTS.lower_percentile,
    upper_percentile: float = DEFAULTS.upper_percentile,
    floor: float = POPULARITY_FLOOR,
) -> PopularityThresholds:
    """BERTrend thresholds: percentiles of all popularity values in the last ``window`` periods of all topics.

    ``popularities`` is topics x periods (from ``popularity``). Values ``<= floor`` (1e-5: topics that faded away)
    are left out so they do not drag the thresholds down, as in BERTrend. With no values left both thresholds are 0.
    Percentiles use numpy's linear interpolation (as BERTrend's ``np.percentile``).
    """
    if window < 1:
        raise ValueError(f"window must be >= 1 period, got {window}")
    matrix = _as_matrix(popularities, "popularities")
    return _thresholds_of_values(matrix[:, -window:].ravel(), lower_percentile, upper_percentile, floor)


def _ols_slope_rows(values: np.ndarray) -> np.ndarray:
    n = values.shape[1]
    if n < 2:
        return np.zeros(values.shape[0])
    t = np.arange(n) - (n - 1) / 2.0
    return (values - values.mean(axis=1, keepdims=True)) @ t / float(t @ t)


def _popularity_rising(popularity_matrix: np.ndarray, window: int) -> np.ndarray:
    """Whether popularity rises: least-squares slope of the last ``window`` values > 0 (one value: it is > 0)."""
    latest = popularity_matrix[:, -1] if popularity_matrix.shape[1] else np.zeros(popularity_matrix.shape[0])
    recent = popularity_matrix[:, -window:]
    return _ols_slope_rows(recent) > 0 if recent.shape[1] >= 2 else latest > 0


def _classes(latest: np.ndarray, rising: np.ndarray, low: float, high: float) -> np.ndarray:
    classes = np.full(latest.shape[0], "noise", dtype=object)
    classes[(latest >= low) & (latest <= high) & rising & (latest > 0)] = "weak"
    classes[latest > high] = "strong"
    return classes


def _classify_rows(popularity_matrix: np.ndarray, low: float, high: float, window: int) -> np.ndarray:
    latest = popularity_matrix[:, -1] if popularity_matrix.shape[1] else np.zeros(popularity_matrix.shape[0])
    return _classes(latest, _popularity_rising(popularity_matrix, window), low, high)


def classify_signal(
    popularity: ArrayLike, thresholds: PopularityThresholds, *, window: int = DEFAULTS.popularity_window
) -> SignalClass:
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
