"""Every indicator of many series at once, on observed periods only: the arrays behind ``score_many``.

Part of the emergence indicators (import them from ``models.emergence``). ``block_indicators`` reads a block of series
that share their observed periods, with the missing periods already left out, so each indicator is the plain formula
of its own module applied to the observed sub-series in time order; ``score_many`` groups the series, calls it once
per group and combines the arrays into scores.
"""

from __future__ import annotations

import numpy as np

from models.emergence_bursts import _burst_states
from models.emergence_config import EmergenceConfig
from models.emergence_escore import _criteria_rows, _escore_rows, _porter_windows
from models.emergence_observed import _birth_rows
from models.emergence_popularity import _ols_slope_rows, _popularity_rising, _popularity_rows
from models.emergence_series import _growth_rows, _mann_kendall_rows, _sen_rows, _trend_rows


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


def _to_period(compact_index: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Map indices into the observed periods back to indices into all periods given (-1 stays -1)."""
    if columns.size == 0:
        return np.full(compact_index.shape, -1)
    return np.where(compact_index >= 0, columns[np.maximum(compact_index, 0)], -1)


def block_indicators(
    counts: np.ndarray, totals: np.ndarray, columns: np.ndarray, cfg: EmergenceConfig
) -> dict[str, np.ndarray]:
    """All indicator arrays (one value per row) of series observed in exactly the periods ``columns``.

    ``counts`` and ``totals`` hold only those periods (every total > 0), oldest first; ``columns`` are their indices
    among all periods given, used for Sen's slope distances and to report burst start and birth as period indices.
    Also returns ``popularity_tail``, the last ``popularity_window`` popularity values per row, for the thresholds.
    """
    n_rows, n = counts.shape
    share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    mean_total = totals.mean(axis=1) if n else np.zeros(n_rows)
    smoothing = np.where(mean_total > 0, cfg.pseudo_count / np.where(mean_total > 0, mean_total, 1.0), 1.0)
    growth_ratio = _growth_rows(share, cfg.recent, smoothing)

    window_shares = share[:, -cfg.trend_window :]
    mk_s, _, mk_z, mk_p, mk_tau = _mann_kendall_rows(window_shares)
    sen, _ = _sen_rows(window_shares, columns[-cfg.trend_window :])

    base, active = _porter_windows(n, cfg.base_periods, cfg.active_periods)
    e_total, e_active, e_recent, e_slope = _escore_rows(counts, totals, active)
    active_mean_total = totals[:, -active:].mean(axis=1) if active else np.zeros(n_rows)
    escore_pp = np.divide(
        e_total * 100.0, np.sqrt(active_mean_total), out=np.zeros(n_rows), where=active_mean_total > 0
    )
    novelty_ok, persistence_ok, growth_ok, base_share, relative_growth, present, records = _criteria_rows(
        counts,
        totals,
        base=base,
        active=active,
        max_base_share=cfg.max_base_share,
        min_periods_present=cfg.min_periods_present,
        min_records=cfg.min_records,
        min_relative_growth=cfg.min_relative_growth,
    )

    states, costs, base_rate = _burst_states(
        counts, totals, s=cfg.burst_s, gamma=cfg.burst_gamma, n_states=cfg.burst_states
    )
    burst_level, burst_weight, burst_start = _current_burst(states, costs)

    popularity_matrix = _popularity_rows(counts, cfg.decay_factor, cfg.decay_power)
    trends, recent_share, peak_share = _trend_rows(
        share,
        mk_tau,
        mk_p,
        mk_s,
        growth_ratio,
        recent=cfg.recent,
        alpha=cfg.alpha,
        fade_ratio=cfg.fade_ratio,
        rise_ratio=cfg.rise_ratio,
    )
    birth_index, birth_known, is_new, birth_status, birth_count, birth_share, birth_level = _birth_rows(
        counts, totals, cfg
    )
    return {
        "n_observed": np.full(n_rows, n),
        "first_observed_index": np.full(n_rows, int(columns[0]) if n else -1),
        "total_count": counts.sum(axis=1),
        "window_count": counts[:, -cfg.trend_window :].sum(axis=1),
        "last_share": share[:, -1] if n else np.zeros(n_rows),
        "recent_share": recent_share,
        "peak_share_before_recent": peak_share,
        "growth": growth_ratio,
        "growth_smoothing": smoothing,
        "mk_s": mk_s,
        "mk_z": mk_z,
        "mk_p": mk_p,
        "mk_tau": mk_tau,
        "sen_slope": sen,
        "escore": e_total,
        "escore_active_trend": e_active,
        "escore_recent_trend": e_recent,
        "escore_slope": e_slope,
        "escore_pp": escore_pp,
        "criteria_novelty": novelty_ok,
        "criteria_persistence": persistence_ok,
        "criteria_growth": growth_ok,
        "base_share": base_share,
        "relative_growth": relative_growth,
        "periods_present": present,
        "burst_level": burst_level,
        "burst_weight": burst_weight,
        "burst_start_index": _to_period(burst_start, columns),
        "burst_periods": (states > 0).sum(axis=1),
        "burst_base_rate": base_rate,
        "popularity": popularity_matrix[:, -1] if n else np.zeros(n_rows),
        "popularity_slope": _ols_slope_rows(popularity_matrix[:, -cfg.popularity_window :]),
        "popularity_rising": _popularity_rising(popularity_matrix, cfg.popularity_window),
        "popularity_tail": popularity_matrix[:, -cfg.popularity_window :] if n else np.zeros((n_rows, 1)),
        "trend": trends,
        "birth_index": _to_period(birth_index, columns),
        "observed_before_birth": np.maximum(birth_index, 0),
        "birth_status": birth_status,
        "birth_known": birth_known,
        "is_new": is_new,
        "birth_count": birth_count,
        "birth_share": birth_share,
        "birth_level": birth_level,
    }
