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
- ``birth``: the first period of a series' minimal presence, and whether that makes it new.
- ``life_cycle``: per source kind, a topic's first minimal presence, and the order the kinds came in.
- ``rising_terms``: the terms whose share inside a topic rose significantly in the recent periods.
- ``carried_emergence``: the emergence a topic's strongest rising term carries into it (term score x recent share).
- ``score_series`` / ``score_many``: all of the above for one or many series, a combined ``score`` and ``evidence``;
  ``score_table`` gives the same as one array per column (for tens of thousands of term series).

Missing is not zero: a period before the first document of the warehouse (or of a source kind), or without any
documents, has no share. The scorers take an ``observed`` mask (default: periods with documents) and every indicator
reads the observed periods only, in time order (``docs/emergence.md``, "Missing periods").

Outputs never contain NaN or infinity: degenerate inputs (empty series, all zeros, one period) give documented neutral
values (growth 1.0, S = 0, p = 1.0, slope 0.0, no bursts, class "noise", trend "stable"). Invalid inputs (negative or
non-finite counts, mismatched lengths) raise ``ValueError`` with a message saying what to fix.

Import everything from this module; it only gathers the parts: ``emergence_config`` (every setting and default),
``emergence_series`` (shares, growth, Mann–Kendall, trend), ``emergence_bursts`` (Kleinberg), ``emergence_escore``
(Porter–Carley), ``emergence_popularity`` (BERTrend), ``emergence_observed`` (missing periods, birth),
``emergence_sources`` (cross-source presence, life cycle), ``emergence_novelty`` (centroid novelty, rising terms),
``emergence_indicators`` (all indicators of many series), ``emergence_table`` (the combined score as columns) and
``emergence_score`` (one ``EmergenceScore`` record per series).
Documentation: ``docs/emergence.md``.
"""

from __future__ import annotations

from models.emergence_bursts import Burst, BurstResult, kleinberg_bursts
from models.emergence_config import (
    DEFAULTS,
    ESCORE_PP_SCALE,
    GRANULARITY_WINDOWS,
    POPULARITY_FLOOR,
    EmergenceConfig,
    Granularity,
    ScoreWeights,
)
from models.emergence_escore import EmergenceCriteria, EScore, emergence_criteria, escore
from models.emergence_novelty import CarriedEmergence, RisingTerm, carried_emergence, novelty, rising_terms
from models.emergence_observed import Birth, BirthStatus, birth
from models.emergence_popularity import (
    PopularityThresholds,
    SignalClass,
    classify_signal,
    popularity,
    popularity_thresholds,
)
from models.emergence_score import EmergenceScore, score_many, score_series
from models.emergence_series import (
    MannKendall,
    MKTrend,
    Trend,
    growth,
    mann_kendall,
    sens_slope,
    shares,
    trend_direction,
)
from models.emergence_sources import SOURCE_KINDS, CrossSourcePresence, LifeCycle, cross_source_presence, life_cycle
from models.emergence_table import EVIDENCE_KEYS, score_table

__all__ = [
    "DEFAULTS",
    "ESCORE_PP_SCALE",
    "EVIDENCE_KEYS",
    "GRANULARITY_WINDOWS",
    "POPULARITY_FLOOR",
    "SOURCE_KINDS",
    "Granularity",
    "BirthStatus",
    "MKTrend",
    "SignalClass",
    "Trend",
    "Birth",
    "Burst",
    "BurstResult",
    "CarriedEmergence",
    "CrossSourcePresence",
    "EScore",
    "EmergenceConfig",
    "EmergenceCriteria",
    "EmergenceScore",
    "LifeCycle",
    "MannKendall",
    "PopularityThresholds",
    "RisingTerm",
    "ScoreWeights",
    "birth",
    "carried_emergence",
    "classify_signal",
    "cross_source_presence",
    "emergence_criteria",
    "escore",
    "growth",
    "kleinberg_bursts",
    "life_cycle",
    "mann_kendall",
    "novelty",
    "popularity",
    "popularity_thresholds",
    "rising_terms",
    "score_many",
    "score_series",
    "score_table",
    "sens_slope",
    "shares",
    "trend_direction",
]
