"""The emergence score of each series as a record: ``EmergenceScore``, ``score_many`` and ``score_series``.

Part of the emergence indicators (import them from ``models.emergence``). The formula of the score and the reasons
for its parts are in ``score_table``'s docstring and ``docs/emergence.md``; these functions give one record per
series, with its evidence, for topics and reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from models.emergence_config import EmergenceConfig, Granularity
from models.emergence_popularity import PopularityThresholds, SignalClass
from models.emergence_series import Trend
from models.emergence_table import score_table

Evidence = dict[str, float | int | bool | str | None]

# Columns of score_table that are fields of EmergenceScore but not part of its evidence.
_RECORD_ONLY = ("score", "signal_class", "trend", "criteria_met", "in_burst")


@dataclass(frozen=True)
class EmergenceScore:
    """All indicators of one series as of its last observed period, the combined ``score``, class, trend, evidence.

    ``evidence`` holds every number behind ``signal_class``, ``trend`` and ``score`` (plain JSON-serialisable
    values), so a report can say why; the named fields are the ones analysts sort and filter by.
    """

    score: float
    signal_class: SignalClass
    trend: Trend
    n_periods: int  # periods given (after the as-of cut)
    n_observed: int  # of those, periods with documents that the caller did not mark missing
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
    birth_index: int  # period index of the first minimal presence (see ``birth``); -1: never present
    is_new: bool  # born inside the recent window after enough observed periods without it
    evidence: Evidence

    def to_row(self, periods: Sequence[object] | None = None) -> dict[str, object]:
        """The flat values of a ``signals`` row (without run, topic and as-of keys, which the caller adds).

        With ``periods`` (the labels of the periods scored, e.g. their start dates) the row also has ``first_seen``,
        the label of the birth period (``None`` when the series never reached a minimal presence).
        """
        row: dict[str, object] = {
            "score": self.score,
            "signal_class": self.signal_class,
            "trend": self.trend,
            "growth": self.growth,
            "mk_tau": self.mk_tau,
            "mk_p": self.mk_p,
            "sen_slope": self.sen_slope,
            "burst": self.evidence["burst_level"],
            "escore": self.escore,
            "novelty": self.novelty,
            "popularity": self.popularity,
            "birth_index": self.birth_index if self.birth_index >= 0 else None,
            "is_new": self.is_new,
            "evidence": dict(self.evidence),
        }
        if periods is not None:
            if len(periods) != self.n_periods:
                raise ValueError(f"to_row got {len(periods)} period labels for a score over {self.n_periods} periods")
            row["first_seen"] = periods[self.birth_index] if self.birth_index >= 0 else None
        return row


def score_many(
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
) -> list[EmergenceScore]:
    """Score many topic (or term) series at once, as of their last observed period: one record per series.

    The arguments, the missing-period rules and the formula are ``score_table``'s: ``counts`` series x periods,
    ``totals`` one row or one per series, ``observed`` which periods were collected (default: those with documents;
    missing periods are left out of every indicator, not counted as a share of 0). Popularity thresholds are
    computed across all series given unless ``thresholds`` is passed.
    """
    table = score_table(
        counts,
        totals,
        observed=observed,
        granularity=granularity,
        as_of_index=as_of_index,
        novelty=novelty,
        n_actors=n_actors,
        counts_by_kind=counts_by_kind,
        thresholds=thresholds,
        config=config,
    )
    keys = [key for key in table if key not in _RECORD_ONLY]
    rows = zip(*(table[key].tolist() for key in keys), strict=True)
    results: list[EmergenceScore] = []
    for values, score, signal_class, trend, met, in_burst in zip(
        rows, *(table[key].tolist() for key in _RECORD_ONLY), strict=True
    ):
        evidence: Evidence = dict(zip(keys, values, strict=True))
        results.append(
            EmergenceScore(
                score=score,
                signal_class=signal_class,
                trend=trend,
                n_periods=evidence["n_periods"],
                n_observed=evidence["n_observed"],
                total_count=evidence["total_count"],
                last_share=evidence["last_share"],
                recent_share=evidence["recent_share"],
                growth=evidence["growth"],
                mk_tau=evidence["mk_tau"],
                mk_p=evidence["mk_p"],
                sen_slope=evidence["sen_slope"],
                escore=evidence["escore"],
                criteria_met=met,
                in_burst=in_burst,
                burst_weight=evidence["burst_weight"],
                popularity=evidence["popularity"],
                novelty=evidence["novelty"],
                n_kinds=evidence["n_kinds"],
                birth_index=evidence["birth_index"],
                is_new=evidence["is_new"],
                evidence=evidence,
            )
        )
    return results


def score_series(
    counts: ArrayLike,
    totals: ArrayLike,
    *,
    observed: ArrayLike | None = None,
    granularity: Granularity = "quarter",
    as_of_index: int | None = None,
    novelty: float | None = None,
    n_actors: int | None = None,
    counts_by_kind: Mapping[str, ArrayLike | float] | None = None,
    thresholds: PopularityThresholds | None = None,
    config: EmergenceConfig | None = None,
) -> EmergenceScore:
    """Score one series; see ``score_many`` for every formula and for missing periods.

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
        observed=observed,
        granularity=granularity,
        as_of_index=as_of_index,
        novelty=None if novelty is None else [novelty],
        n_actors=None if n_actors is None else [n_actors],
        counts_by_kind=kinds,
        thresholds=thresholds,
        config=config,
    )[0]
