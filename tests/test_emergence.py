"""Tests of the emergence indicators against worked examples computed by hand and against scipy where it has one."""

from __future__ import annotations

import inspect
import itertools
import json
import math
import time
from datetime import date

import numpy as np
import pytest
from scipy import stats
from scipy.special import ndtri

from models.emergence import (
    DEFAULTS,
    EVIDENCE_KEYS,
    EmergenceConfig,
    PopularityThresholds,
    ScoreWeights,
    birth,
    carried_emergence,
    classify_signal,
    cross_source_presence,
    emergence_criteria,
    escore,
    growth,
    kleinberg_bursts,
    life_cycle,
    mann_kendall,
    novelty,
    popularity,
    popularity_thresholds,
    rising_terms,
    score_many,
    score_series,
    score_table,
    sens_slope,
    shares,
    trend_direction,
)

# A Corona-like topic in quarterly parliamentary speeches, 2017Q1..2023Q4 (28 quarters of 1000 speeches each):
# absent until 2019, bursting in 2020/21, dwindling in 2022/23.
CORONA = np.array(
    [0] * 12 + [30, 120, 100, 150, 140, 120, 90, 100, 60, 40, 30, 25, 15, 10, 8, 5],
    dtype=float,
)
QUARTER_TOTALS = np.full(28, 1000.0)
INDEX_2020Q2 = 13
INDEX_2023Q4 = 27


def normal_two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


# ---------------------------------------------------------------------------------------------------------- shares


def test_shares_divide_by_totals_and_give_zero_for_empty_periods():
    assert shares([1, 2, 0], [10, 0, 5]).tolist() == [0.1, 0.0, 0.0]


def test_shares_of_many_series_share_one_row_of_totals():
    result = shares([[1, 2], [3, 4]], [10, 20])
    assert result.shape == (2, 2)
    assert result.tolist() == [[0.1, 0.1], [0.3, 0.2]]


@pytest.mark.parametrize(
    ("counts", "totals", "message"),
    [
        ([1, 2], [10], "counts has 2 periods but totals has 1"),
        ([1, -2], [10, 10], "negative"),
        ([1, float("nan")], [10, 10], "NaN"),
        (3, [10], "single number"),
    ],
)
def test_shares_reject_bad_input_with_a_message(counts, totals, message):
    with pytest.raises(ValueError, match=message):
        shares(counts, totals)


# ---------------------------------------------------------------------------------------------------------- growth


def test_growth_worked_example():
    # recent mean (0.2 + 0.4)/2 = 0.3, earlier mean 0.1, smoothing 0.1: (0.3 + 0.1) / (0.1 + 0.1) = 2
    assert growth([0.1, 0.1, 0.2, 0.4], 2, smoothing=0.1) == pytest.approx(2.0)


def test_growth_of_a_topic_absent_before_stays_finite():
    # (0.1 + 0.01) / (0 + 0.01) = 11
    assert growth([0.0, 0.0, 0.1], 1, smoothing=0.01) == pytest.approx(11.0)


def test_growth_without_earlier_periods_is_neutral():
    assert growth([0.5, 0.5], 2) == 1.0
    assert growth([], 3) == 1.0


def test_growth_of_a_shrinking_share_is_below_one():
    assert growth([0.4, 0.4, 0.1], 1, smoothing=1e-9) == pytest.approx(0.25)


@pytest.mark.parametrize(("recent", "smoothing"), [(0, 0.1), (2, 0.0), (2, -1.0)])
def test_growth_rejects_invalid_parameters(recent, smoothing):
    with pytest.raises(ValueError):
        growth([0.1, 0.2, 0.3], recent, smoothing=smoothing)


# ------------------------------------------------------------------------------------------ Mann–Kendall and Sen


def test_mann_kendall_worked_example_without_ties():
    result = mann_kendall([1, 2, 3, 4, 5])
    assert result.s == 10
    assert result.var_s == pytest.approx(5 * 4 * 15 / 18)
    assert result.z == pytest.approx(9 / math.sqrt(50 / 3))
    assert result.p == pytest.approx(normal_two_sided_p(9 / math.sqrt(50 / 3)))
    assert result.p == pytest.approx(0.0275, abs=1e-4)
    assert result.tau == 1.0
    assert result.slope == 1.0
    assert result.intercept == 1.0  # median 3 - median(0..4)=2 * slope 1
    assert result.trend == "increasing"


def test_mann_kendall_worked_example_with_ties():
    # [1, 1, 2, 2, 3]: 8 increasing pairs, 2 tied pairs -> S = 8.
    # Var(S) = (5*4*15 - 2 * 2*1*9) / 18 = 264 / 18; Z = (8 - 1) / sqrt(264/18)
    result = mann_kendall([1, 1, 2, 2, 3])
    assert result.s == 8
    assert result.var_s == pytest.approx(264 / 18)
    assert result.z == pytest.approx(7 / math.sqrt(264 / 18))
    assert result.p == pytest.approx(normal_two_sided_p(7 / math.sqrt(264 / 18)))
    assert result.tau == pytest.approx(0.8)
    assert result.trend == "no trend"  # p = 0.068 at alpha 0.05
    assert mann_kendall([1, 1, 2, 2, 3], alpha=0.1).trend == "increasing"


def test_mann_kendall_decreasing_series():
    result = mann_kendall([9, 7, 7, 4, 2, 1])
    assert result.s < 0
    assert result.z < 0
    assert result.trend == "decreasing"
    assert result.slope < 0


@pytest.mark.parametrize("values", [[], [4], [3, 3, 3, 3]])
def test_mann_kendall_degenerate_series_are_neutral(values):
    result = mann_kendall(values)
    assert (result.s, result.z, result.p, result.tau, result.slope) == (0, 0, 1.0, 0, 0)
    assert result.trend == "no trend"


def test_mann_kendall_matches_scipy_kendalltau_on_tied_count_series():
    rng = np.random.default_rng(7)
    for _ in range(20):
        values = rng.poisson(2.0, size=int(rng.integers(6, 40))).astype(float)
        if np.all(values == values[0]):
            continue
        result = mann_kendall(values)
        reference = stats.kendalltau(np.arange(values.size), values, method="asymptotic")
        n_pairs = values.size * (values.size - 1) / 2
        _, group_sizes = np.unique(values, return_counts=True)
        tied_pairs = float((group_sizes * (group_sizes - 1) / 2).sum())
        # scipy reports tau-b = S / sqrt(n0 (n0 - n_ties)) and Z = S / sqrt(Var S) (no continuity correction).
        assert result.s == pytest.approx(reference.statistic * math.sqrt(n_pairs * (n_pairs - tied_pairs)))
        if 0 < reference.pvalue < 1 and result.s != 0:
            scipy_z = -ndtri(reference.pvalue / 2)
            assert result.var_s == pytest.approx((abs(result.s) / scipy_z) ** 2, rel=1e-6)


def test_sens_slope_worked_example_and_scipy_theilslopes():
    assert sens_slope([1, 2, 4]) == 1.5  # pairwise slopes 1, 1.5, 2
    rng = np.random.default_rng(3)
    values = rng.normal(size=25).cumsum()
    assert sens_slope(values) == pytest.approx(stats.theilslopes(values).slope)


def test_sens_slope_ignores_a_single_spike():
    assert sens_slope([1, 1, 1, 50, 1, 1, 1]) == 0.0


# -------------------------------------------------------------------------------------------------- Kleinberg


def test_kleinberg_worked_example():
    result = kleinberg_bursts([0, 0, 5, 5, 0, 0], [10] * 6)
    # p0 = 10/60, p1 = 2 p0. Each burst period saves 5 ln(p1/p0) + 5 ln((1-p1)/(1-p0)) = 5 ln(8/5);
    # entering the burst costs ln(6) = 1.79 < 2 * 2.35, so periods 2..3 burst.
    assert result.base_rate == pytest.approx(1 / 6)
    assert result.states.tolist() == [0, 0, 1, 1, 0, 0]
    assert len(result.bursts) == 1
    burst = result.bursts[0]
    assert (burst.start, burst.end, burst.level) == (2, 3, 1)
    assert burst.weight == pytest.approx(2 * 5 * math.log(8 / 5))
    assert not result.in_burst_now


def test_kleinberg_gamma_makes_short_bursts_too_expensive():
    # entering now costs 10 ln 6 = 17.9 > the 4.70 saved
    result = kleinberg_bursts([0, 0, 5, 5, 0, 0], [10] * 6, gamma=10)
    assert result.states.tolist() == [0] * 6
    assert result.bursts == ()


@pytest.mark.parametrize(
    ("counts", "totals"),
    [([2] * 6, [10] * 6), ([0] * 6, [10] * 6), ([10] * 6, [10] * 6), ([], []), ([0, 0], [0, 0])],
)
def test_kleinberg_finds_no_burst_without_a_change_of_rate(counts, totals):
    result = kleinberg_bursts(counts, totals)
    assert result.states.tolist() == [0] * len(counts)
    assert result.bursts == ()


def _sequence_cost(states, counts, totals, s, gamma):
    """Kleinberg's cost of one state sequence, written out from the paper's definitions (independent of the code)."""
    base = sum(counts) / sum(totals)
    n = len(counts)
    cost, previous = 0.0, 0
    for state, r, d in zip(states, counts, totals, strict=True):
        p = base * s**state
        cost += -(r * math.log(p) + (d - r) * math.log(1 - p))
        cost += max(0, state - previous) * gamma * math.log(n)
        previous = state
    return cost


@pytest.mark.parametrize("n_states", [2, 3])
def test_kleinberg_states_are_the_cheapest_sequence_by_brute_force(n_states):
    rng = np.random.default_rng(11)
    for _ in range(15):
        totals = rng.integers(20, 40, size=6)
        counts = rng.binomial(totals, rng.choice([0.05, 0.1, 0.3], size=6))
        if counts.sum() == 0:
            continue
        result = kleinberg_bursts(counts, totals, s=1.5, n_states=n_states)
        best = min(
            _sequence_cost(seq, counts, totals, 1.5, 1.0) for seq in itertools.product(range(n_states), repeat=6)
        )
        assert _sequence_cost(result.states.tolist(), counts, totals, 1.5, 1.0) == pytest.approx(best)


def test_kleinberg_multi_state_bursts_are_nested_with_weights_per_level():
    counts = [1, 1, 1, 1, 7, 14, 14, 7, 1, 1, 1, 1]
    result = kleinberg_bursts(counts, [20] * 12, n_states=3)
    assert result.states.tolist() == [0, 0, 0, 0, 1, 2, 2, 1, 0, 0, 0, 0]
    outer, inner = result.bursts
    assert (outer.start, outer.end, outer.level) == (4, 7, 1)
    assert (inner.start, inner.end, inner.level) == (5, 6, 2)
    # level 2 weight: sum over periods 5, 6 of sigma(1) - sigma(2) = 14 ln(p2/p1) + 6 ln((1 - p2)/(1 - p1))
    p1, p2 = 2 * 50 / 240, 4 * 50 / 240
    assert inner.weight == pytest.approx(2 * (14 * math.log(p2 / p1) + 6 * math.log((1 - p2) / (1 - p1))))


def test_kleinberg_corona_topic_bursts_from_2020q2_to_2022q1():
    result = kleinberg_bursts(CORONA, QUARTER_TOTALS)
    p0 = CORONA.sum() / QUARTER_TOTALS.sum()
    # A period is cheaper in the burst state when r ln 2 + (1000 - r) ln((1 - 2 p0)/(1 - p0)) > 0, i.e. r >= 54.
    gain = CORONA * math.log(2) + (1000 - CORONA) * math.log((1 - 2 * p0) / (1 - p0))
    assert [b.start for b in result.bursts] == [13]
    assert [b.end for b in result.bursts] == [20]
    assert result.bursts[0].weight == pytest.approx(gain[13:21].sum())
    assert not result.in_burst_now


def test_kleinberg_rejects_bad_parameters_and_impossible_counts():
    with pytest.raises(ValueError, match="s "):
        kleinberg_bursts([1, 2], [5, 5], s=1.0)
    with pytest.raises(ValueError, match="gamma"):
        kleinberg_bursts([1, 2], [5, 5], gamma=0)
    with pytest.raises(ValueError, match="exceed totals"):
        kleinberg_bursts([6, 2], [5, 5])


# ------------------------------------------------------------------------------------------------------ EScore


def _porter_literal(counts, totals):
    """The published formula with literal indices for a 10-period window (active periods a1..a7 = index 3..9)."""
    a, t = counts[3:], totals[3:]

    def damped(indices):
        return sum(a[i] for i in indices) / sum(math.sqrt(t[i]) for i in indices)

    active = damped([4, 5, 6]) - damped([0, 1, 2])
    recent = 10 * (damped([5, 6]) - damped([3, 4]))
    slope = 10 * (a[6] / math.sqrt(t[6]) - a[3] / math.sqrt(t[3])) / 3
    return 2 * active + recent + slope


def test_escore_worked_example():
    result = escore([9, 9, 9, 0, 0, 1, 2, 4, 8, 16], [100] * 10)
    # N(block) = counts / sum sqrt(100): A = 28/30 - 1/30 = 0.9; R = 10 (24 - 6)/20 = 9; M = 10 (1.6 - 0.2)/3
    assert result.active_trend == pytest.approx(0.9)
    assert result.recent_trend == pytest.approx(9.0)
    assert result.slope == pytest.approx(14 / 3)
    assert result.escore == pytest.approx(2 * 0.9 + 9 + 14 / 3)
    assert result.active_periods == 7


def test_escore_equals_the_literal_published_formula_with_varying_totals():
    rng = np.random.default_rng(5)
    for _ in range(10):
        totals = rng.integers(50, 500, size=10).astype(float)
        counts = rng.binomial(totals.astype(int), 0.05).astype(float)
        assert escore(counts, totals).escore == pytest.approx(_porter_literal(counts, totals))


def test_escore_reads_only_the_last_seven_periods_for_the_score():
    late = [0, 0, 1, 2, 4, 8, 16]
    assert escore([0] * 3 + late, [100] * 10).escore == escore([50] * 8 + late, [100] * 15).escore


def test_escore_is_zero_for_flat_and_negative_for_declining_series():
    assert escore([5] * 10, [100] * 10).escore == 0.0
    assert escore([16, 8, 4, 2, 1, 0, 0, 0, 0, 0], [100] * 10).escore < 0


def test_escore_of_too_short_series_is_zero():
    result = escore([1, 5], [10, 10])
    assert (result.escore, result.active_periods) == (0.0, 0)


def test_escore_scales_its_blocks_for_shorter_series():
    # 5 periods: base round(5 * 3/10) = 2, active 3: outer and recent blocks of 1, mid period 1.
    result = escore([0, 0, 1, 2, 4], [100] * 5)
    assert result.active_periods == 3
    assert result.active_trend == pytest.approx(0.4 - 0.1)
    assert result.recent_trend == pytest.approx(10 * (0.4 - 0.2))
    assert result.slope == pytest.approx(10 * (0.4 - 0.2) / 1)


# ----------------------------------------------------------------------------------------------------- criteria


def test_criteria_pass_for_a_new_persistent_growing_topic():
    result = emergence_criteria([0, 0, 0, 1, 2, 3, 4, 5, 6, 7], [100] * 10)
    assert (result.novelty, result.persistence, result.growth) == (True, True, True)
    assert result.community is None
    assert result.passed
    assert result.base_share == 0.0
    assert result.periods_present == 7
    assert result.records == 28
    # absent from the base: one pseudo-document of 300 -> (28/700) / (1/300) = 12
    assert result.relative_growth == pytest.approx(12.0)


def test_criteria_fail_novelty_and_growth_for_an_established_topic():
    result = emergence_criteria([20] * 10, [100] * 10)
    assert not result.novelty  # base share 0.2 >= 0.15
    assert not result.growth  # relative growth 1.0
    assert result.relative_growth == pytest.approx(1.0)
    assert not result.passed


def test_criteria_relative_growth_worked_example():
    # base share 3/300 = 0.01, active share 14/700 = 0.02 -> relative growth 2.0
    result = emergence_criteria([1, 1, 1, 2, 2, 2, 2, 2, 2, 2], [100] * 10)
    assert result.relative_growth == pytest.approx(2.0)
    assert result.growth


def test_criteria_persistence_and_community():
    assert not emergence_criteria([0] * 8 + [3, 4], [100] * 10).persistence  # two periods only
    lone = emergence_criteria([0, 0, 0, 1, 2, 3, 4, 5, 6, 7], [100] * 10, n_actors=1)
    assert lone.community is False
    assert not lone.passed


# ------------------------------------------------------------------------------------------------------ novelty


def test_novelty_worked_examples():
    assert novelty([1, 0], [[0, 1], [1, 1]]) == pytest.approx(1 - 1 / math.sqrt(2))
    assert novelty([1, 0], np.empty((0, 2))) == 1.0
    assert novelty([2, 2], [[1, 1]]) == pytest.approx(0.0)
    assert novelty([1, 0], [[-1, 0]]) == 1.0  # opposite direction is clipped to fully novel
    assert novelty([0, 0], [[1, 0]]) == 1.0
    assert novelty([1, 0], [0, 1]) == 1.0  # a single previous vector


def test_novelty_rejects_mismatched_dimensions():
    with pytest.raises(ValueError, match=r"\(k, 2\)"):
        novelty([1, 0], [[1, 0, 0]])


# ----------------------------------------------------------------------------------- popularity and classes


def test_popularity_worked_example():
    expected = [2, 2 * math.exp(-0.01), 2 * math.exp(-0.05), 2 * math.exp(-0.05) + 3]
    assert popularity([2, 0, 0, 3]).tolist() == pytest.approx(expected)


def test_popularity_is_zero_before_the_first_document_and_cumulative_after():
    assert popularity([0, 0, 4, 1, 1]).tolist() == [0, 0, 4, 5, 6]
    np.testing.assert_allclose(
        popularity([[0, 1], [2, 0]], decay_factor=1.0, decay_power=1.0), [[0, 1], [2, 2 * math.exp(-1)]]
    )


def test_popularity_thresholds_are_percentiles_of_the_window():
    matrix = [[1, 2, 3, 4], [0, 0, 0, 0], [10, 20, 30, 40]]
    # values of the last 2 periods above 1e-5: 3, 4, 30, 40 -> 10th 3.3, 90th 37 (linear interpolation)
    thresholds = popularity_thresholds(matrix, window=2)
    assert thresholds.low == pytest.approx(3.3)
    assert thresholds.high == pytest.approx(37.0)
    assert popularity_thresholds(np.zeros((3, 4))) == PopularityThresholds(0.0, 0.0)


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        ([10, 20, 40], "strong"),  # above high
        ([1, 2, 5], "weak"),  # between, rising
        ([5, 4, 3], "noise"),  # between, falling
        ([0.5, 0.5, 0.5], "noise"),  # below low
        ([0, 0, 0], "noise"),
    ],
)
def test_classify_signal_follows_bertrend(series, expected):
    assert classify_signal(series, PopularityThresholds(low=1.0, high=30.0), window=3) == expected


# ------------------------------------------------------------------------------------------------- trend


def test_trend_of_corona_is_rising_in_2020_and_fading_by_2023():
    corona_shares = shares(CORONA, QUARTER_TOTALS)
    assert trend_direction(corona_shares[: INDEX_2020Q2 + 1]) == "rising"
    assert trend_direction(corona_shares[: INDEX_2023Q4 + 1]) == "fading"


def test_trend_past_peak_is_fading_even_without_a_significant_test():
    # recent mean 0.02 <= half of the earlier peak 0.1, tau over the window <= 0, MK not significant
    series = [0.1, 0.1, 0.1, 0.1, 0.02, 0.03, 0.02, 0.01]
    assert mann_kendall(series[-4:]).p >= 0.1
    assert trend_direction(series, window=4, recent=4) == "fading"


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        ([0.1] * 10, "stable"),
        ([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1], "rising"),
        ([0.1, 0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.02, 0.01], "fading"),
        ([0.05, 0.06, 0.05, 0.06, 0.05, 0.06, 0.05, 0.06], "stable"),
        ([], "stable"),
        ([0.0] * 6, "stable"),
        ([0.3], "stable"),
    ],
)
def test_trend_direction_examples(series, expected):
    assert trend_direction(series) == expected


# ------------------------------------------------------------------------------------------ cross-source


def test_cross_source_presence_worked_example():
    result = cross_source_presence({"news": [1, 2], "patent": 3, "publication": 0})
    assert result.kinds_present == ("news", "patent")
    assert result.n_kinds == 2
    assert result.coverage == 0.5
    assert result.share_by_kind == {"news": 0.5, "patent": 0.5, "publication": 0.0}


def test_cross_source_presence_of_a_topic_without_documents():
    result = cross_source_presence({"news": [0, 0]})
    assert (result.n_kinds, result.share_by_kind, result.total) == (0, {"news": 0.0}, 0.0)


def test_cross_source_presence_rejects_unknown_kinds():
    with pytest.raises(ValueError, match="unknown source kind"):
        cross_source_presence({"tweets": 3})


# ------------------------------------------------------------------------------------------ combined scorer


def _topics() -> tuple[np.ndarray, np.ndarray]:
    """Three yearly topics in 12 years of 500 documents: new and growing, long-standing flat, declining."""
    years = 12
    emerging = [0, 0, 0, 0, 0, 1, 2, 5, 10, 20, 35, 60]
    established = [40, 42, 38, 41, 39, 40, 41, 40, 39, 42, 40, 41]
    declining = [60, 58, 55, 50, 45, 40, 35, 30, 25, 20, 15, 10]
    return np.array([emerging, established, declining], dtype=float), np.full(years, 500.0)


def test_score_ranks_an_emerging_topic_above_established_and_declining_ones():
    counts, totals = _topics()
    emerging, established, declining = score_many(counts, totals, granularity="year")
    assert emerging.score > 0.5
    assert established.score < emerging.score
    assert abs(established.score) < 0.2
    assert declining.score < 0
    assert (emerging.trend, established.trend, declining.trend) == ("rising", "stable", "fading")
    assert emerging.criteria_met and not established.criteria_met
    assert emerging.in_burst


def test_score_matches_its_documented_formula():
    counts, totals = _topics()
    for result in score_many(counts, totals, granularity="year"):
        e = result.evidence
        parts = (
            0.30 * math.tanh(math.log2(e["growth"]) / 2)
            + 0.25 * e["mk_tau"]
            + 0.25 * math.tanh(e["escore_pp"] / 10)
            + 0.10 * e["burst_level"]
        )
        confidence = e["window_count"] / (e["window_count"] + 7)
        assert result.score == pytest.approx(confidence * parts / 0.90)
    # the evidence numbers are the single-series indicators
    emerging = score_many(counts, totals, granularity="year")[0]
    assert emerging.evidence["escore"] == pytest.approx(escore(counts[0], totals).escore)
    assert emerging.growth == pytest.approx(growth(counts[0] / totals, 2, smoothing=1 / 500))
    assert emerging.mk_tau == pytest.approx(mann_kendall((counts[0] / totals)[-6:]).tau)


def test_score_adds_novelty_when_known():
    counts, totals = _topics()
    novel, repeated = score_many(counts[[0, 0]], totals, granularity="year", novelty=[1.0, 0.0])
    assert novel.score > repeated.score
    assert novel.novelty == 1.0 and novel.evidence["novelty"] == 1.0


def test_score_as_of_reads_nothing_after_the_as_of_period():
    counts, totals = _topics()
    as_of = 7
    changed = counts.copy()
    changed[:, as_of + 1 :] = 999  # the future must not matter
    changed_totals = np.concatenate([totals[: as_of + 1], np.full(12 - as_of - 1, 5000.0)])
    original = score_many(counts, totals, granularity="year", as_of_index=as_of)
    altered = score_many(changed, changed_totals, granularity="year", as_of_index=as_of)
    truncated = score_many(counts[:, : as_of + 1], totals[: as_of + 1], granularity="year")
    assert original == truncated
    assert altered == original
    assert all(r.n_periods == as_of + 1 for r in original)


def test_score_series_equals_its_row_in_score_many_with_the_same_thresholds():
    counts, totals = _topics()
    many = score_many(counts, totals, granularity="year")
    thresholds = PopularityThresholds(many[0].evidence["popularity_low"], many[0].evidence["popularity_high"])
    single = score_series(counts[1], totals, granularity="year", thresholds=thresholds)
    assert single == many[1]


def test_score_series_of_corona_as_of_2020_and_2023():
    in_2020 = score_series(CORONA, QUARTER_TOTALS, granularity="quarter", as_of_index=INDEX_2020Q2)
    in_2023 = score_series(CORONA, QUARTER_TOTALS, granularity="quarter", as_of_index=INDEX_2023Q4)
    assert in_2020.trend == "rising" and in_2020.in_burst
    assert in_2023.trend == "fading" and not in_2023.in_burst
    assert in_2023.evidence["burst_start_index"] == -1
    assert in_2020.score > in_2023.score


def test_score_signal_classes_are_relative_to_the_topics_scored_together():
    rng = np.random.default_rng(1)
    counts = rng.poisson(5, size=(50, 8)).astype(float)
    counts[0] = [5, 10, 20, 40, 80, 120, 160, 200]  # far above everyone
    counts[1] = 0  # no documents
    results = score_many(counts, np.full(8, 2000.0), granularity="quarter")
    assert results[0].signal_class == "strong"
    assert results[1].signal_class == "noise"
    assert {r.signal_class for r in results} <= {"noise", "weak", "strong"}


def test_score_reports_cross_source_presence_and_actors():
    counts, totals = _topics()
    results = score_many(
        counts,
        totals,
        granularity="year",
        n_actors=[5, 1, 3],
        counts_by_kind={"news": [10, 0, 0], "patent": [[1, 2], [0, 0], [3, 0]]},
    )
    assert [r.n_kinds for r in results] == [2, 0, 1]
    assert results[0].evidence["share_news"] == pytest.approx(10 / 13)
    assert results[0].evidence["criteria_community"] is True
    assert results[1].evidence["criteria_community"] is False


@pytest.mark.parametrize(
    ("counts", "totals"),
    [([], []), ([0, 0, 0], [0, 0, 0]), ([0, 0, 0], [10, 10, 10]), ([3], [10]), ([0, 5], [0, 10]), ([4], [4])],
)
def test_score_of_degenerate_series_is_finite_and_json_serialisable(counts, totals):
    result = score_series(counts, totals, granularity="month")
    numbers = [result.score, result.growth, result.mk_p, result.sen_slope, result.escore, result.popularity]
    assert all(math.isfinite(x) for x in numbers)
    json.dumps(result.evidence, allow_nan=False)
    assert result.signal_class in {"noise", "weak", "strong"}
    assert result.trend in {"rising", "stable", "fading"}
    if not any(counts):
        assert (result.score, result.signal_class, result.trend) == (0.0, "noise", "stable")


def test_score_rejects_bad_arguments():
    with pytest.raises(ValueError, match="granularity"):
        score_series([1, 2], [10, 10], granularity="day")
    with pytest.raises(ValueError, match="as_of_index"):
        score_series([1, 2], [10, 10], as_of_index=2)
    with pytest.raises(ValueError, match="novelty has 1 values for 2 series"):
        score_many([[1, 2], [3, 4]], [10, 10], novelty=[0.5])
    with pytest.raises(ValueError, match="unknown source kind"):
        score_many([[1, 2]], [10, 10], counts_by_kind={"blog": [1]})
    with pytest.raises(ValueError, match="counts exceed totals"):
        score_many([[5, 5]], [0, 10])


def test_config_for_granularity_and_overrides():
    assert EmergenceConfig.for_granularity("year").recent == 2
    assert EmergenceConfig.for_granularity("week", recent=8).recent == 8
    heavy_trend = EmergenceConfig.for_granularity("year", weights=ScoreWeights(growth=0, trend=1, escore=0, burst=0))
    counts, totals = _topics()
    result = score_many(counts, totals, config=heavy_trend, granularity="year")[2]
    confidence = result.evidence["confidence"]
    assert result.score == pytest.approx(confidence * result.mk_tau)


def _one_by_one_seconds(counts: np.ndarray, totals: np.ndarray, granularity: str, sample: int = 100) -> float:
    """Seconds `score_series` would take for every row, one call per series (measured on `sample` rows).

    The speed tests compare the vectorised scorers with this, measured in the same run: a ratio holds on a loaded
    machine, where an absolute limit (once 2.5 s) failed under three backtests although the code was as fast."""
    rows = totals if totals.ndim == 2 else np.broadcast_to(totals, counts.shape)
    started = time.perf_counter()
    for i in range(sample):
        score_series(counts[i], rows[i], granularity=granularity)
    return (time.perf_counter() - started) / sample * len(counts)


def test_scoring_10000_series_of_50_periods_is_fast():
    rng = np.random.default_rng(0)
    counts = rng.poisson(3.0, size=(10_000, 50)).astype(float)
    totals = np.full(50, 1000.0)
    score_many(counts[:10], totals, granularity="month")  # first-call costs (imports, caches) are not the point
    started = time.perf_counter()
    results = score_many(counts, totals, granularity="month")
    elapsed = time.perf_counter() - started
    assert len(results) == 10_000
    one_by_one = _one_by_one_seconds(counts, totals, "month")
    # about 75x on 2 cores (2026-12-03: 0.22 s against 16.8 s); 10x leaves room for noise, not for a loop per series
    assert elapsed * 10 < one_by_one, f"scoring took {elapsed:.2f} s, one series at a time {one_by_one:.2f} s"


def test_score_as_of_cuts_per_period_kind_counts_too():
    counts = np.array([[0, 1, 2, 3, 4, 5]], dtype=float)
    by_kind = {"news": [[0, 1, 2, 3, 4, 5]], "patent": [[0, 0, 0, 0, 0, 9]]}
    as_of_2 = score_many(counts, np.full(6, 10.0), granularity="year", as_of_index=2, counts_by_kind=by_kind)[0]
    assert as_of_2.n_kinds == 1  # the patent of the last period is not yet known
    assert as_of_2.evidence["share_news"] == 1.0
    single = score_series(counts[0], np.full(6, 10.0), granularity="year", counts_by_kind=by_kind)
    assert single.n_kinds == 2


# ------------------------------------------------------------------------------------------ missing periods


def test_constant_share_after_an_empty_start_is_stable_without_burst():
    # Periods 0..2 have no documents at all: missing, not a share of 0. On the five observed periods the share is a
    # constant 10 %: growth (0.1 + a) / (0.1 + a) = 1; every pair tied, so S = 0 and p = 1; base rate 0.1 in every
    # period, so no burst; flat counts, so EScore 0: every part of the score is 0.
    result = score_series([0, 0, 0, 10, 10, 10, 10, 10], [0, 0, 0, 100, 100, 100, 100, 100])
    assert result.trend == "stable"
    assert not result.in_burst and result.evidence["burst_periods"] == 0
    assert result.growth == pytest.approx(1.0)
    assert (result.mk_tau, result.mk_p, result.sen_slope, result.escore) == (0.0, 1.0, 0.0, 0.0)
    assert result.score == pytest.approx(0.0, abs=1e-12)
    assert (result.n_periods, result.n_observed, result.evidence["first_observed_index"]) == (8, 5, 3)
    # present from the first observed period: not new, and its birth is only an upper bound
    assert result.birth_index == 3 and not result.is_new and result.evidence["birth_known"] is False


def test_the_same_counts_against_real_empty_periods_are_a_real_appearance():
    # With 100 documents in periods 0..2 the topic really had 0 % then: recent mean 0.1, earlier (0+0+0+0.1)/4,
    # smoothing 1/100: growth 0.11 / 0.035 = 3.14 and Mann–Kendall p = 0.037 (the numbers of issue 10).
    result = score_series([0, 0, 0, 10, 10, 10, 10, 10], [100] * 8)
    assert result.growth == pytest.approx(0.11 / 0.035)
    assert result.mk_p == pytest.approx(0.0369, abs=1e-4)
    assert result.trend == "rising" and result.score > 0.5


def test_a_period_marked_missing_is_left_out_and_its_counts_ignored():
    # The current quarter has 12 documents so far and none of the topic's yet; marked missing, the score is the one
    # of the seven complete quarters (only n_periods differs).
    counts = [5, 6, 5, 7, 6, 8, 9, 0]
    totals = [100] * 7 + [12]
    masked = score_series(counts, totals, observed=[True] * 7 + [False])
    complete = score_series(counts[:7], totals[:7])
    assert (masked.n_periods, masked.n_observed) == (8, 7)
    assert {k: v for k, v in masked.evidence.items() if k != "n_periods"} == {
        k: v for k, v in complete.evidence.items() if k != "n_periods"
    }
    assert (masked.score, masked.trend, masked.signal_class) == (complete.score, complete.trend, complete.signal_class)
    unmasked = score_series(counts, totals)
    assert unmasked.last_share == 0.0 and unmasked.score != masked.score


def test_a_period_without_documents_in_the_middle_is_skipped_and_sen_uses_true_distances():
    # Shares 1 %, 2 %, (missing), 4 %, 5 %. Mann–Kendall on the four observed shares: all 6 pairs increase, S = 6,
    # tau = 1 (the gap is no dip to 0). Sen's pairwise slopes over the true distances: 0.01/1, 0.03/3, 0.04/4,
    # 0.02/2, 0.03/3, 0.01/1 = 0.01 each (over positions 0..3 their median would be 0.0142).
    result = score_series([1, 2, 0, 4, 5], [100, 100, 0, 100, 100], granularity="year")
    assert result.evidence["mk_s"] == 6 and result.mk_tau == 1.0
    assert result.sen_slope == pytest.approx(0.01)
    assert result.last_share == pytest.approx(0.05)


def test_popularity_decays_per_observed_period_only():
    # Observed periods 0, 2, 3 with 2, 0, 3 documents: 2, then 2 e^-0.01 (one silent observed period), then + 3.
    # Counting the empty period 1 as silent too would give 2 e^-0.05 + 3.
    result = score_series([2, 0, 0, 3], [10, 0, 10, 10], granularity="year")
    assert result.popularity == pytest.approx(2 * math.exp(-0.01) + 3)


def test_series_with_different_observed_periods_score_as_if_scored_alone():
    counts = np.array([[0, 0, 3, 5, 8, 13], [1, 2, 3, 5, 8, 13], [0, 4, 4, 0, 5, 6], [0, 0, 0, 0, 0, 0]])
    totals = np.array([[0, 0, 100, 100, 100, 100], [100] * 6, [50, 50, 50, 0, 50, 50], [0] * 6])  # per-series totals
    many = score_many(counts, totals, granularity="year")
    thresholds = PopularityThresholds(many[0].evidence["popularity_low"], many[0].evidence["popularity_high"])
    for i, result in enumerate(many):
        assert score_series(counts[i], totals[i], granularity="year", thresholds=thresholds) == result
    assert [r.n_observed for r in many] == [4, 6, 5, 0]
    assert (many[3].score, many[3].trend, many[3].birth_index) == (0.0, "stable", -1)


def test_observed_is_checked():
    with pytest.raises(ValueError, match="observed has shape"):
        score_series([1, 2, 3], [10, 10, 10], observed=[True, True])
    with pytest.raises(ValueError, match="booleans"):
        score_series([1, 2, 3], [10, 10, 10], observed=[1, 2, 1])
    with pytest.raises(ValueError, match="counts exceed totals"):
        score_series([5, 2], [0, 10], observed=[False, True])  # impossible counts are an error even when masked


# ------------------------------------------------------------------------------------------------------ birth


def test_birth_worked_example_and_a_stray_early_document():
    # Level: highest share over 2 consecutive periods, (4 + 9) / 200 = 0.065; floors 3 documents and 0.65 %.
    # The stray document at index 2 is below 3 documents; index 6 qualifies, with 6 observed periods before it,
    # inside the recent 4 quarters: new.
    result = birth([0, 0, 1, 0, 0, 0, 4, 9], [100] * 8)
    assert (result.index, result.observed_before, result.status) == (6, 6, "new")
    assert result.is_new and result.known
    assert (result.count, result.share, result.level) == (4.0, 0.04, pytest.approx(0.065))


def test_birth_at_the_start_of_the_observed_history_is_unknown_not_new():
    result = birth([0, 0, 0, 0, 0, 0, 4, 9], [0, 0, 0, 0, 0, 0, 100, 100])
    assert (result.index, result.observed_before, result.known, result.is_new) == (6, 0, False, False)
    assert result.status == "unknown"
    # the same rise after three observed empty quarters: too little history to call it new (4 needed)
    assert birth([0, 0, 0, 0, 0, 4, 9], [0, 0, 100, 100, 100, 100, 100]).status == "unknown"
    assert birth([0, 0, 0, 0, 0, 0, 4, 9], [0, 0, 100, 100, 100, 100, 100, 100]).status == "new"


def test_birth_does_not_depend_on_the_size_of_the_corpus():
    # A background of 4-6 documents in 10,000 (above the 3-document floor) is no presence for a series that later
    # holds 500 of 10,000: level (500 + 500) / 20,000 = 5 %, floor 0.5 % = 50 documents, first met at index 6 (60).
    # Ten times the corpus and the series: the same birth.
    counts = np.array([5, 4, 6, 5, 5, 5, 60, 150, 300, 500, 500, 500], dtype=float)
    for scale in (1, 10):
        result = birth(counts * scale, np.full(12, 10_000.0 * scale))
        assert (result.index, result.status) == (6, "established")  # born before the recent 4 quarters
        assert result.level == pytest.approx(0.05)


def test_a_presence_that_does_not_recur_is_no_birth():
    # Years of 1,000 papers (recent window 2 years): 3 papers in year 1 use the term in an older sense, then none
    # (or 1-2) for years, then 8 and 40. Level (8 + 40) / 2,000 = 2.4 %, share floor 0.24 %: year 1 (0.3 %) is a
    # minimal presence, but none follows within 2 years, so the birth is year 8, which recurs in year 9: new.
    counts = [0, 3, 1, 0, 2, 0, 0, 0, 8, 40]
    result = birth(counts, [1_000] * 10, granularity="year")
    assert (result.index, result.status, result.count) == (8, "new", 8.0)
    # the same early papers followed within the recent window by another presence start the series there
    assert birth([0, 3, 0, 3, 0, 0, 0, 0, 8, 40], [1_000] * 10, granularity="year").index == 1
    # weekly presences every other week come back within the 4-week recent window: born at the first one
    weekly = [0] * 8 + [3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0]
    assert birth(weekly, [100] * len(weekly), granularity="week").index == 8
    # a presence in the last period alone stands (nothing after it to recur in); one just before it that did not
    # recur is dropped
    assert birth([0, 0, 0, 0, 0, 0, 0, 5], [100] * 8).index == 7
    assert birth([0, 0, 0, 0, 0, 0, 5, 0], [100] * 8).status == "absent"


def test_birth_of_a_series_never_present():
    result = birth([1, 0, 2, 1], [100] * 4)  # never 3 documents in a period
    assert (result.index, result.status, result.count) == (-1, "absent", 0.0)


def test_a_new_series_gets_its_birth_as_one_more_part_of_the_score():
    # 12 quarters of 100 documents: absent for 10, then 4 and 8. Born at index 10 (level 12/200, floors 3 documents
    # and 0.6 %), with 10 observed quarters before it, inside the recent 4: new, and the part w_new = 0.10 counts.
    counts = [0] * 10 + [4, 8]
    new = score_series(counts, [100] * 12)
    assert (new.is_new, new.birth_index, new.evidence["birth_status"]) == (True, 10, "new")
    e = new.evidence
    parts = (
        0.30 * math.tanh(math.log2(e["growth"]) / 2)
        + 0.25 * e["mk_tau"]
        + 0.25 * math.tanh(e["escore_pp"] / 10)
        + 0.10 * e["burst_level"]
    )
    assert new.score == pytest.approx(e["confidence"] * (parts + 0.10) / (0.90 + 0.10))
    # the same two quarters right after the warehouse started: too little history to call it new, no birth part
    late = score_series(counts, [0] * 9 + [100] * 3)
    assert (late.is_new, late.birth_index, late.evidence["birth_status"]) == (False, 10, "unknown")
    e = late.evidence
    parts = 0.30 * math.tanh(math.log2(e["growth"]) / 2) + 0.25 * e["mk_tau"] + 0.25 * math.tanh(e["escore_pp"] / 10)
    assert late.score == pytest.approx(e["confidence"] * (parts + 0.10 * e["burst_level"]) / 0.90)
    assert late.score < new.score


def test_birth_in_score_many_follows_as_of():
    counts, totals = _topics()
    # The emerging topic as of year 7: [0, 0, 0, 0, 0, 1, 2, 5] of 500 a year, level (2 + 5)/1000, floors 3
    # documents and 0.07 %: born in year 7, with 7 observed years before it, inside the recent 2: new.
    as_of_7 = score_many(counts, totals, granularity="year", as_of_index=7)[0]
    assert (as_of_7.birth_index, as_of_7.is_new, as_of_7.evidence["birth_status"]) == (7, True, "new")
    # As of year 11 its level is (35 + 60)/1000 and the share floor 0.95 % = 4.75 documents: still born in year 7
    # (5 documents), now before the recent window.
    latest = score_many(counts, totals, granularity="year")[0]
    assert (latest.birth_index, latest.is_new, latest.evidence["birth_status"]) == (7, False, "established")


# ------------------------------------------------------------------------------------------------ life cycle


def test_life_cycle_worked_example():
    # Each kind 100 documents a year, 2018..2023. Publication: level 18/200, floor 3 documents -> 2019 (5);
    # patent: level 13/200 -> 2021 (4); news: level 13/200, floor 3 documents -> 2023 (12; 2022 has 1).
    kinds = ("publication", "patent", "news")
    result = life_cycle(
        {"publication": [0, 5, 6, 8, 9, 9], "patent": [0, 0, 0, 4, 6, 7], "news": [0, 0, 0, 0, 1, 12]},
        {kind: [100] * 6 for kind in kinds},
        granularity="year",
    )
    assert result.first_presence == {"news": 5, "patent": 3, "publication": 1}
    assert result.order == ("publication", "patent", "news")
    assert result.describe(range(2018, 2024)) == "publication 2019 -> patent 2021 -> news 2023"


def test_life_cycle_uses_each_kinds_own_observed_periods_and_groups_ties():
    # Patents are only collected from 2021: present from their first observed year, so "<=2021".
    # Policy is judged against its own small volume: 3 of 10 documents is a presence.
    result = life_cycle(
        {"publication": [0, 5, 6, 8, 9, 9], "patent": [0, 0, 0, 4, 6, 7], "policy": [0, 0, 0, 3, 3, 4]},
        {"publication": [100] * 6, "patent": [0, 0, 0, 100, 100, 100], "policy": [10] * 6},
        granularity="year",
    )
    assert result.known == {"patent": False, "publication": True, "policy": True}
    assert result.stages() == [(1, ("publication",)), (3, ("patent", "policy"))]
    assert result.describe(range(2018, 2024)) == "publication 2019 -> patent + policy <=2021"


def test_life_cycle_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown source kind"):
        life_cycle({"blog": [1]}, {"blog": [1]})
    with pytest.raises(ValueError, match="totals_by_kind lacks"):
        life_cycle({"news": [1, 2]}, {})
    with pytest.raises(ValueError, match="same periods"):
        life_cycle({"news": [1, 2], "patent": [1]}, {"news": [5, 5], "patent": [5]})


# ---------------------------------------------------------------------------------------------- rising terms


def _broad_topic(n_terms: int = 2000, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """An old, broad topic: 300 documents a year for 8 years, terms at steady rates (nothing rises)."""
    rng = np.random.default_rng(seed)
    rates = np.exp(rng.normal(-5, 1.5, n_terms)).clip(0, 0.6)
    return rng.binomial(300, rates[:, None], size=(n_terms, 8)).astype(float), np.full(8, 300.0)


def test_rising_terms_worked_example_of_a_new_term_in_an_old_topic():
    # Recent = 2 years: n1 = 600, n0 = 1800, pi = 1/4. A term in 0 earlier and 8 recent documents (1.3 % of the
    # recent documents): p = P(X >= 8 | 8, 1/4) = 0.25^8 = 1.5e-5; log2 ratio = log2((8.5/601) / (0.5/1801)) = 5.67.
    counts, documents = _broad_topic()
    new_term = np.array([[0, 0, 0, 0, 0, 0, 3, 5]])
    result = rising_terms(np.vstack([counts, new_term]), documents, granularity="year")
    assert [term.index for term in result] == [len(counts)]
    term = result[0]
    assert (term.recent_count, term.recent_documents, term.earlier_count, term.earlier_documents) == (8, 600, 0, 1800)
    assert term.p_value == pytest.approx(0.25**8)
    assert term.log2_ratio == pytest.approx(math.log2((8.5 / 601) / (0.5 / 1801)))
    assert term.is_new and term.q_value <= 0.05
    json.dumps(term.to_dict())


def test_rising_terms_need_more_than_chance_and_rank_by_smoothed_ratio():
    counts, documents = _broad_topic()
    noise = np.array([[0, 0, 0, 1, 0, 0, 1, 1]])  # 1 -> 2 documents
    weak_new = np.array([[0, 0, 0, 0, 0, 0, 1, 2]])  # 3 recent documents: p = 1/64, not enough among many terms
    old_rising = np.array([[15, 15, 15, 15, 15, 15, 45, 45]])  # 5 % -> 15 %
    stacked = np.vstack([counts, noise, weak_new, old_rising, [[0, 0, 0, 0, 0, 0, 4, 6]]])
    result = rising_terms(stacked, documents, terms=[f"t{i}" for i in range(len(stacked))], granularity="year")
    n = len(counts)
    assert [term.term for term in result] == [f"t{n + 3}", f"t{n + 2}"]  # new term first (log2 5.9 vs 1.6)
    assert result[1].log2_ratio == pytest.approx(math.log2((90.5 / 601) / (90.5 / 1801)))


def test_rising_terms_single_term_and_edge_cases():
    # One term alone is the only testable one: 3 of 3 documents recent with pi = 1/4 give p = 1/64 <= 0.05.
    result = rising_terms([[0, 0, 0, 0, 0, 0, 1, 2]], np.full(8, 300.0), granularity="year")
    assert len(result) == 1 and result[0].p_value == pytest.approx(1 / 64) and result[0].q_value == result[0].p_value
    # a topic observed only in the recent window has no earlier share to rise from
    assert rising_terms([[0, 0, 3, 5]], [0, 0, 100, 100], granularity="year") == []
    with pytest.raises(ValueError, match="more documents than the topic"):
        rising_terms([[5, 1]], [3, 3])
    with pytest.raises(ValueError, match="names for"):
        rising_terms([[1, 1]], [3, 3], terms=["a", "b"])


# -------------------------------------------------------------------------------------- rows, table, settings


def test_to_row_has_the_signal_columns_and_the_birth():
    counts = [0] * 10 + [4, 8]
    periods = [date(2020 + i // 4, 1 + 3 * (i % 4), 1) for i in range(12)]
    result = score_series(counts, [100] * 12)
    row = result.to_row(periods)
    assert row["first_seen"] == date(2022, 7, 1) and row["birth_index"] == 10 and row["is_new"] is True
    assert (row["score"], row["trend"], row["burst"], row["escore"]) == (
        result.score,
        result.trend,
        result.evidence["burst_level"],
        result.escore,
    )
    assert set(row) >= {"signal_class", "growth", "mk_tau", "mk_p", "sen_slope", "novelty", "popularity", "evidence"}
    json.dumps(row["evidence"], allow_nan=False)
    assert score_series([1, 1], [100, 100]).to_row()["birth_index"] is None
    with pytest.raises(ValueError, match="period labels"):
        result.to_row(periods[:3])


def test_score_table_columns_are_the_records_values():
    counts, totals = _topics()
    table = score_table(counts, totals, granularity="year", counts_by_kind={"news": [3, 0, 1]})
    records = score_many(counts, totals, granularity="year", counts_by_kind={"news": [3, 0, 1]})
    assert list(table)[:5] == ["score", "signal_class", "trend", "criteria_met", "in_burst"]
    assert set(EVIDENCE_KEYS) < set(table)
    for i, record in enumerate(records):
        assert table["score"][i] == record.score and table["trend"][i] == record.trend
        assert {key: table[key][i] for key in record.evidence} == record.evidence


def test_settings_are_declared_once_and_checked():
    assert inspect.signature(kleinberg_bursts).parameters["gamma"].default == DEFAULTS.burst_gamma
    assert inspect.signature(trend_direction).parameters["fade_ratio"].default == DEFAULTS.fade_ratio
    assert inspect.signature(emergence_criteria).parameters["min_records"].default == DEFAULTS.min_records
    year = EmergenceConfig.for_granularity("year")
    assert (year.recent, year.history_before_birth, year.trend_window) == (2, 2, 6)
    with pytest.raises(ValueError, match="unknown emergence setting"):
        EmergenceConfig.for_granularity("year", recnet=3)
    with pytest.raises(ValueError, match="birth_min_count"):
        EmergenceConfig(birth_min_count=0)
    with pytest.raises(ValueError, match="recent"):
        EmergenceConfig(recent=0)


def test_scoring_series_with_many_observed_patterns_is_fast():
    rng = np.random.default_rng(2)
    totals = np.tile(rng.integers(500, 1500, size=20).astype(float), (10_000, 1))
    starts = np.arange(10_000) % 10  # ten different starts of the observed history
    totals[:, :10] *= np.arange(10)[None, :] >= starts[:, None]
    counts = rng.binomial(totals.astype(int), 0.01).astype(float)
    score_table(counts[:10], totals[:10], granularity="quarter")
    started = time.perf_counter()
    table = score_table(counts, totals, granularity="quarter")
    elapsed = time.perf_counter() - started
    assert sorted(set(table["n_observed"].tolist())) == list(range(11, 21))
    one_by_one = _one_by_one_seconds(counts, totals, "quarter")
    assert elapsed * 10 < one_by_one, f"scoring took {elapsed:.2f} s, one series at a time {one_by_one:.2f} s"


def test_scoring_no_series_gives_empty_results():
    assert score_many(np.zeros((0, 5)), [10] * 5) == []
    table = score_table(np.zeros((0, 5)), [10] * 5)
    assert set(EVIDENCE_KEYS) < set(table) and all(len(column) == 0 for column in table.values())


def test_a_rising_term_carries_its_emergence_into_its_topic_in_proportion_to_its_recent_share():
    # The Bundestag's public-transport topic as of 2023-12-31: "deutschlandticket" in 12 of its 21 recent speeches
    # (2 of 36 earlier); the topic itself is level, the term emerges.
    rising = [
        {"term": "deutschlandticket", "recent_share": 12 / 21},
        {"term": "fahrgastrechte", "recent_share": 0.1},
        {"term": "unscored", "recent_share": 0.9},
    ]
    carried = carried_emergence(rising, {"deutschlandticket": 0.5, "fahrgastrechte": 0.9, "other": 2.0})
    assert carried is not None and carried.term == "deutschlandticket"
    assert carried.score == pytest.approx(0.5 * 12 / 21) and carried.recent_share == pytest.approx(12 / 21)
    assert carried_emergence(rising, {"other": 1.0}) is None  # no rising term is scored
    assert carried_emergence([], {"deutschlandticket": 0.5}) is None
    assert carried_emergence(rising[:1], {"deutschlandticket": float("nan")}) is None
    json.dumps(carried.to_dict())


def test_the_topic_ranks_by_the_carried_emergence_only_where_it_is_the_larger_and_keeps_its_own():
    from pipeline.emergence_stage import carry_rising_term

    row = {"score": -0.07, "trend": "stable", "evidence": {"growth": 1.0}}
    rising = [{"term": "deutschlandticket", "recent_share": 0.6}]
    carried = carry_rising_term(row, rising, {"deutschlandticket": 0.5})
    assert carried["score"] == pytest.approx(0.3) and carried["trend"] == "stable"
    assert carried["evidence"]["own_score"] == -0.07 and carried["evidence"]["growth"] == 1.0
    assert carried["evidence"]["carried_by"]["term"] == "deutschlandticket"
    assert carry_rising_term({**row, "score": 0.4}, rising, {"deutschlandticket": 0.5})["score"] == 0.4
    assert "own_score" not in carry_rising_term({**row, "score": 0.4}, rising, {"deutschlandticket": 0.5})["evidence"]
    assert math.isnan(carry_rising_term({**row, "score": float("nan")}, rising, {"deutschlandticket": 0.5})["score"])
