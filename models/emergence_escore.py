"""Porter–Carley emergence score (EScore) and the emergence criteria of scientometrics.

Part of the emergence indicators (import them from ``models.emergence``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from models.emergence_config import DEFAULTS
from models.emergence_series import _counts_and_totals

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


def escore(
    counts: ArrayLike,
    totals: ArrayLike,
    *,
    base_periods: int = DEFAULTS.base_periods,
    active_periods: int = DEFAULTS.active_periods,
) -> EScore:
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
    base_periods: int = DEFAULTS.base_periods,
    active_periods: int = DEFAULTS.active_periods,
    max_base_share: float = DEFAULTS.max_base_share,
    min_periods_present: int = DEFAULTS.min_periods_present,
    min_records: float = DEFAULTS.min_records,
    min_actors: int = DEFAULTS.min_actors,
    min_relative_growth: float = DEFAULTS.min_relative_growth,
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
