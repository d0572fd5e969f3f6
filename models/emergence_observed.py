"""Observed periods and birth: which periods carry a measurement, and when a series first had a minimal presence.

Part of the emergence indicators (import them from ``models.emergence``).

A period is *observed* when documents were collected in it (its total is > 0) and the caller did not mark it
missing. A period before the first document of the warehouse (or of a source kind), or one with no documents at all,
has no share (0 of 0 documents): it is missing, not a share of 0. Every indicator reads the observed periods only, in
time order, as if the missing ones had never been on the calendar; ``docs/emergence.md`` says why for each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from models.emergence_config import EmergenceConfig, Granularity, check_granularity
from models.emergence_series import _counts_and_totals

BirthStatus = Literal["absent", "new", "established", "unknown"]


def _observed_matrix(observed: ArrayLike | None, totals: np.ndarray) -> np.ndarray:
    """Periods with a measurement per series: ``observed`` (one row, or one per series) and ``totals > 0``.

    A period the caller marks observed but without any documents is still missing: it has no share.
    """
    valid = totals > 0
    if observed is None:
        return valid
    mask = np.asarray(observed)
    if mask.dtype != bool:
        if mask.size and not np.isin(mask, (0, 1)).all():
            raise ValueError("observed must hold booleans (True: the period was collected, False: missing)")
        mask = mask.astype(bool)
    if mask.ndim == 1:
        mask = mask[None, :]
    if mask.ndim != 2 or mask.shape[1] != totals.shape[1] or mask.shape[0] not in (1, totals.shape[0]):
        raise ValueError(
            f"observed has shape {mask.shape} for {totals.shape[0]} series of {totals.shape[1]} periods; "
            "pass one flag per period (one row, or one row per series)"
        )
    return valid & mask


def _observed_groups(valid: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Rows sharing one pattern of observed periods, with the columns of those periods (in time order).

    Series scored together usually share one row of totals, so there is one group and the indicators run on all
    rows at once; per-series totals (a lead market, a source kind) give a few groups.
    """
    n_rows = valid.shape[0]
    if n_rows == 0:
        return [(np.arange(0), np.arange(0))]  # no series: one empty block keeps every indicator's shape
    if (valid == valid[:1]).all():
        return [(np.arange(n_rows), np.flatnonzero(valid[0]))]
    _, inverse = np.unique(np.packbits(valid, axis=1), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    splits = np.flatnonzero(np.diff(inverse[order])) + 1
    return [(rows, np.flatnonzero(valid[rows[0]])) for rows in np.split(order, splits)]


# --------------------------------------------------------------------------------------------------------------------
# birth
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Birth:
    """When a series first had a minimal presence, and whether that makes it new (see ``birth``)."""

    index: int  # period index (into the periods given) of the first minimal presence; -1: never
    observed_before: int  # observed periods before the birth period (all below the minimal presence)
    known: bool  # at least one observed period before it: the birth lies inside the data, not at its edge
    is_new: bool  # born inside the recent window after at least history_before_birth observed periods
    status: BirthStatus  # absent | new | unknown | established
    count: float  # documents of the series in the birth period
    share: float  # its share in that period
    level: float  # the series' peak level the share was compared with


def _rolling_peak_share(counts: np.ndarray, totals: np.ndarray, width: int) -> np.ndarray:
    """Highest pooled share ``sum counts / sum totals`` over ``width`` consecutive periods (all observed)."""
    n_rows, n = counts.shape
    if n == 0:
        return np.zeros(n_rows)
    width = max(1, min(width, n))
    cum_counts = np.cumsum(np.pad(counts, ((0, 0), (1, 0))), axis=1)
    cum_totals = np.cumsum(np.pad(totals, ((0, 0), (1, 0))), axis=1)
    window_counts = cum_counts[:, width:] - cum_counts[:, :-width]
    window_totals = cum_totals[:, width:] - cum_totals[:, :-width]
    pooled = np.divide(window_counts, window_totals, out=np.zeros_like(window_counts), where=window_totals > 0)
    return pooled.max(axis=1)


def _recurring(present: np.ndarray, within: int) -> np.ndarray:
    """The minimal presences that recur: present in t and again in one of the `within` observed periods after it.

    The last observed period has nothing after it and keeps its presence. Why a birth must recur: ``birth``.
    """
    n = present.shape[1]
    cum = np.cumsum(np.pad(present, ((0, 0), (1, 0))), axis=1)  # cum[:, t] = presences in periods 0..t-1
    after = np.arange(1, n + 1)
    recurs = cum[:, np.minimum(after + within, n)] - cum[:, after] > 0  # presences in t+1..t+within
    if n:
        recurs[:, -1] = True
    return present & recurs


def _birth_rows(counts: np.ndarray, totals: np.ndarray, cfg: EmergenceConfig) -> tuple[np.ndarray, ...]:
    """Birth of every row of a block of observed periods only: compact index (-1), known, new, status, count, share,
    level.

    Minimal presence in period t: ``c_t >= birth_min_count`` and ``c_t / T_t >= birth_min_level * level``, with
    ``level`` the highest pooled share over ``birth_level_periods`` consecutive periods. The birth is the first
    minimal presence that recurs (`_recurring`). Compact indices count observed periods, so the index is also the
    number of observed periods before the birth.
    """
    n_rows, n = counts.shape
    share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    level = _rolling_peak_share(counts, totals, cfg.birth_level_periods)
    present = (counts >= cfg.birth_min_count) & (share >= cfg.birth_min_level * level[:, None]) & (level[:, None] > 0)
    present = _recurring(present, cfg.recent)
    born = present.any(axis=1) if n else np.zeros(n_rows, dtype=bool)
    index = np.where(born, present.argmax(axis=1) if n else 0, -1)
    known = born & (index >= 1)
    in_recent = born & (index >= n - cfg.recent)
    is_new = in_recent & (index >= max(cfg.history_before_birth, 1))
    status = np.where(~born, "absent", np.where(is_new, "new", np.where(in_recent, "unknown", "established"))).astype(
        object
    )
    rows = np.arange(n_rows)
    safe = np.maximum(index, 0)
    birth_count = np.where(born, counts[rows, safe] if n else 0.0, 0.0)
    birth_share = np.where(born, share[rows, safe] if n else 0.0, 0.0)
    return index, known, is_new, status, birth_count, birth_share, level


def birth(
    counts: ArrayLike,
    totals: ArrayLike,
    *,
    observed: ArrayLike | None = None,
    granularity: Granularity = "quarter",
    config: EmergenceConfig | None = None,
) -> Birth:
    """Birth of one series: the first observed period in which it had a minimal presence, and whether it is new.

    Minimal presence in an observed period t: at least ``birth_min_count`` documents (default 3) **and** a share of
    at least ``birth_min_level`` (default 10 %) of the series' own level, the highest share it held over
    ``birth_level_periods`` (2) consecutive observed periods (pooled: ``sum counts / sum totals``). The count floor
    keeps one or two stray early documents from being a birth; the relative floor makes the rule independent of the
    size of the corpus (3 of 10,000 documents are not yet a presence for a series that later holds 500 of every
    10,000, however many documents the corpus has). Pooling two periods keeps one tiny period (a partial quarter with
    5 documents, 3 of them the topic's) from setting the level alone. The birth is the first minimal presence that
    **recurs**: the series has a minimal presence again in one of the ``recent`` observed periods after it (the
    last observed period counts as it stands). A presence that does not come back within the recent window is an
    occurrence, not the start of the series: three papers of 2014 that used "diffusion model" in an older sense,
    then none for years, are not the birth of the diffusion models of 2022.

    ``is_new``: born inside the last ``recent`` observed periods, with at least ``history_before_birth`` observed
    periods before the birth, in which the series stayed below its minimal presence. ``status``: ``new``; ``unknown``
    when born inside the recent window with less observed history before it (a series present from the start of the
    observed history may be older than the data: it is not new, its age is unknown); ``established`` when born
    before the recent window; ``absent`` when never present. ``known`` says the birth lies inside the observed
    history (at least one observed period before it); otherwise the birth period is only an upper bound.
    Example (quarters, ``recent`` 4): ``[0, 0, 1, 0, 0, 0, 4, 9]`` of 100 documents each: level 13/200, floors 3
    documents and 0.65 %: the stray document at index 2 is not a birth, index 6 is, with 6 observed periods before
    it: new. Counts ``[0, 0, 0, 0, 0, 0, 4, 9]`` of totals ``[0, 0, 0, 0, 0, 0, 100, 100]`` (the warehouse starts at
    index 6) are born at index 6 with no observed period before it: status unknown, not new, not known.
    """
    check_granularity(granularity)
    cfg = config if config is not None else EmergenceConfig.for_granularity(granularity)
    count_matrix, total_matrix = _counts_and_totals(counts, totals)
    if count_matrix.shape[0] != 1:
        raise ValueError("birth takes one series; use score_many for many series")
    if np.any(count_matrix > total_matrix):
        raise ValueError("counts exceed totals in some period; a series cannot have more documents than all documents")
    (columns,) = np.nonzero(_observed_matrix(observed, total_matrix)[0])
    index, known, is_new, status, birth_count, birth_share, level = _birth_rows(
        count_matrix[:, columns], total_matrix[:, columns], cfg
    )
    compact = int(index[0])
    return Birth(
        index=int(columns[compact]) if compact >= 0 else -1,
        observed_before=max(compact, 0),
        known=bool(known[0]),
        is_new=bool(is_new[0]),
        status=status[0],
        count=float(birth_count[0]),
        share=float(birth_share[0]),
        level=float(level[0]),
    )
