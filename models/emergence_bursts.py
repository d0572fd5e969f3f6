"""Kleinberg burst detection for batched counts (Kleinberg 2003, §4 "enumerating bursts").

Part of the emergence indicators (import them from ``models.emergence``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from models.emergence_config import DEFAULTS
from models.emergence_series import _counts_and_totals

# Probabilities of the burst automaton are kept inside (0, 1) so that logarithms stay finite.
_P_EPS = 1e-12


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
    back = np.zeros((n_rows, n_states, n), dtype=np.int16)  # best previous state; few states, so small ints
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
    counts: ArrayLike,
    totals: ArrayLike,
    *,
    s: float = DEFAULTS.burst_s,
    gamma: float = DEFAULTS.burst_gamma,
    n_states: int = DEFAULTS.burst_states,
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
