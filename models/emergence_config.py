"""Every tunable window, weight and threshold of the emergence indicators, declared once with its default.

Part of the emergence indicators (import them from ``models.emergence``). ``EmergenceConfig`` is frozen and flat (plus
the nested ``ScoreWeights``) so that a TOML section maps onto it key by key; the field names are a stable contract
for that mapping. The indicator functions take their keyword defaults from ``DEFAULTS`` so that a default is written
in exactly one place. Formulas and the reasons for each default: ``docs/emergence.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, get_args

Granularity = Literal["week", "month", "quarter", "year"]

#: ``tanh(escore_pp / ESCORE_PP_SCALE)`` is the EScore part of the combined score (a steady gain of one percentage
#: point of share over the 7 active periods gives ``escore_pp`` of about 6, so about 0.54).
ESCORE_PP_SCALE = 10.0

#: Popularity values at or below this are "faded away" and ignored for percentile thresholds (as in BERTrend).
POPULARITY_FLOOR = 1e-5


@dataclass(frozen=True)
class ScoreWeights:
    """Weights of the parts of the combined emergence score (see ``score_many``); they need not sum to 1."""

    growth: float = 0.30  # tanh(log2(growth) / growth_log2_scale): size of the rise of the share
    trend: float = 0.25  # Kendall's tau of the shares over the trend window: consistency of the rise
    escore: float = 0.25  # tanh(escore_pp / escore_pp_scale): Porter–Carley acceleration
    burst: float = 0.10  # Kleinberg level of the last observed period over the highest level
    novelty: float = 0.10  # centroid novelty; counted only when the caller passes novelty
    new: float = 0.10  # birth inside the recent window; counted only for series that are new (see ``birth``)


@dataclass(frozen=True)
class EmergenceConfig:
    """Windows and parameters of the emergence indicators; ``for_granularity`` gives the defaults per granularity.

    Every window counts *observed* periods of the series' granularity (periods with documents; see ``score_many``).
    """

    # -- windows (per granularity in GRANULARITY_WINDOWS) --------------------------------------------------------
    recent: int = 4  # last periods that count as "recent" for growth, trend, birth and rising terms
    trend_window: int = 8  # last periods read by Mann–Kendall, Sen's slope and the confidence count
    popularity_window: int = 4  # last periods read by BERTrend's thresholds and popularity slope
    history_before_birth: int = 4  # observed periods needed before a birth to call the series new (not unknown)
    base_periods: int = 3  # Porter–Carley base periods (criteria only)
    active_periods: int = 7  # Porter–Carley active periods (EScore and criteria)
    # -- growth and trend ------------------------------------------------------------------------------------------
    pseudo_count: float = 1.0  # growth smoothing in documents at the series' average volume
    growth_log2_scale: float = 2.0  # tanh(log2(growth) / this) in the score: x2 gives 0.46, x4 0.76
    alpha: float = 0.1  # Mann–Kendall significance level for rising / fading
    fade_ratio: float = 0.5  # fading when the recent mean share is at most this part of the earlier peak
    rise_ratio: float = 1.5  # rising (with tau > 0) when growth is at least this
    # -- BERTrend popularity and classes ---------------------------------------------------------------------------
    decay_factor: float = 0.01  # popularity decay exp(-decay_factor * silent_periods^decay_power)
    decay_power: float = 2.0
    lower_percentile: float = 10  # popularity percentile below which a topic is noise
    upper_percentile: float = 90  # popularity percentile above which a topic is a strong signal
    popularity_floor: float = POPULARITY_FLOOR  # popularity at or below this is "faded" and left out of percentiles
    # -- Kleinberg bursts ------------------------------------------------------------------------------------------
    burst_s: float = 2.0  # rate multiplier between burst levels
    burst_gamma: float = 1.0  # cost of moving up one level, in units of ln(periods)
    burst_states: int = 2  # automaton levels including the base level
    # -- Porter–Carley criteria and the EScore part ----------------------------------------------------------------
    min_records: float = 7  # persistence: documents in the window; also the confidence half-point N / (N + this)
    min_periods_present: int = 3  # persistence: periods with documents
    max_base_share: float = 0.15  # novelty: share in the base periods below this
    min_relative_growth: float = 1.5  # growth: active share over base share at least this
    min_actors: int = 2  # community: distinct organisations at least this
    escore_pp_scale: float = ESCORE_PP_SCALE  # tanh(escore_pp / this) in the score
    # -- birth (minimal presence) ----------------------------------------------------------------------------------
    birth_min_count: float = 3  # documents of the series in one period for a minimal presence
    birth_min_level: float = 0.1  # share in that period at least this part of the series' peak level
    birth_level_periods: int = 2  # the peak level is the highest share pooled over this many consecutive periods
    # -- rising terms inside a topic -------------------------------------------------------------------------------
    rising_fdr: float = 0.05  # false discovery rate of the rising-terms test over a topic's testable terms
    rising_prior: float = 0.5  # pseudo-documents in the smoothed log-ratio (Jeffreys: 0.5 of 1)
    rising_max_terms: int = 10  # rising terms returned per topic, best first
    weights: ScoreWeights = field(default_factory=ScoreWeights)

    def __post_init__(self) -> None:
        for name in (
            "recent",
            "trend_window",
            "popularity_window",
            "active_periods",
            "burst_states",
            "birth_level_periods",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"emergence setting {name} must be >= 1, got {getattr(self, name)}")
        if self.history_before_birth < 0 or self.base_periods < 0:
            raise ValueError("emergence settings history_before_birth and base_periods must be >= 0")
        if self.birth_min_count <= 0 or not 0 <= self.birth_min_level <= 1:
            raise ValueError("birth_min_count must be > 0 and birth_min_level between 0 and 1")
        if not 0 < self.rising_fdr < 1 or self.rising_prior <= 0 or self.rising_max_terms < 0:
            raise ValueError("rising_fdr must be in (0, 1), rising_prior > 0 and rising_max_terms >= 0")
        if self.pseudo_count <= 0 or self.growth_log2_scale <= 0 or self.escore_pp_scale <= 0:
            raise ValueError("pseudo_count, growth_log2_scale and escore_pp_scale must be > 0")

    @classmethod
    def for_granularity(cls, granularity: Granularity, **overrides: object) -> EmergenceConfig:
        """Defaults per granularity (``GRANULARITY_WINDOWS``), then ``overrides`` by field name."""
        windows = GRANULARITY_WINDOWS.get(granularity)
        if windows is None:
            raise ValueError(f"granularity must be one of {list(get_args(Granularity))}, got {granularity!r}")
        unknown = sorted(set(overrides) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown emergence setting(s) {unknown}; known: {sorted(cls.__dataclass_fields__)}")
        return replace(cls(**windows), **overrides) if overrides else cls(**windows)


#: Windows per granularity: the recent window is the last 4 weeks, 3 months, 4 quarters or 2 years; the trend window
#: a quarter of weeks, a year of months, two years of quarters, six years; and a series is new after as many observed
#: periods below its minimal presence as the recent window is long.
GRANULARITY_WINDOWS: dict[str, dict[str, int]] = {
    "week": {"recent": 4, "trend_window": 13, "popularity_window": 4, "history_before_birth": 4},
    "month": {"recent": 3, "trend_window": 12, "popularity_window": 3, "history_before_birth": 3},
    "quarter": {"recent": 4, "trend_window": 8, "popularity_window": 4, "history_before_birth": 4},
    "year": {"recent": 2, "trend_window": 6, "popularity_window": 2, "history_before_birth": 2},
}

#: The defaults of every indicator function's keywords (one declaration: the fields above).
DEFAULTS = EmergenceConfig()


def check_granularity(granularity: str) -> None:
    """Raise ``ValueError`` naming the valid granularities."""
    if granularity not in GRANULARITY_WINDOWS:
        raise ValueError(f"granularity must be one of {list(get_args(Granularity))}, got {granularity!r}")
