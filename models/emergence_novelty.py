"""What is new: the novelty of a topic centroid, and the terms rising inside a topic.

Part of the emergence indicators (import them from ``models.emergence``). A new technology often first shows as a new
term inside an older, broader topic (a few papers on "large language models" inside "language models") long before
it forms a topic of its own; ``rising_terms`` finds such terms as soon as their rise is measurable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import bdtrc

from models.emergence_config import EmergenceConfig, Granularity, check_granularity
from models.emergence_observed import _observed_matrix
from models.emergence_series import _counts_and_totals


def novelty(centroid: ArrayLike, previous_centroids: ArrayLike) -> float:
    """Novelty of a topic: ``1 - max_k cos(centroid, previous_k)``, clipped to [0, 1].

    1.0 when nothing was seen before (no previous centroids) or when the topic is orthogonal or opposite to all of
    them; 0.0 when it repeats an earlier centroid's direction. Zero vectors have no direction and count as
    similarity 0. ``previous_centroids`` is a (k, d) array (a single (d,) vector is accepted).
    Example: ``[1, 0]`` against ``[[0, 1], [1, 1]]`` has cosines 0 and 0.7071, novelty 0.2929.
    """
    vector = np.asarray(centroid, dtype=float)
    if vector.ndim != 1:
        raise ValueError(f"centroid must be a 1-D vector, got shape {vector.shape}")
    previous = np.asarray(previous_centroids, dtype=float)
    if previous.size == 0:
        return 1.0
    if previous.ndim == 1:
        previous = previous[None, :]
    if previous.ndim != 2 or previous.shape[1] != vector.shape[0]:
        raise ValueError(f"previous_centroids must be (k, {vector.shape[0]}), got shape {previous.shape}")
    if not (np.all(np.isfinite(vector)) and np.all(np.isfinite(previous))):
        raise ValueError("centroids contain NaN or infinite values")
    norm = np.linalg.norm(vector)
    previous_norms = np.linalg.norm(previous, axis=1)
    if norm == 0:
        return 1.0
    denominators = previous_norms * norm
    cosines = np.divide(previous @ vector, denominators, out=np.zeros(len(previous)), where=denominators > 0)
    return float(np.clip(1.0 - cosines.max(), 0.0, 1.0))


# --------------------------------------------------------------------------------------------------------------------
# rising terms inside a topic
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RisingTerm:
    """A term whose share of a topic's documents rose significantly in the recent periods, with its numbers."""

    term: str
    index: int  # row of the term in the counts given
    recent_count: float  # topic documents with the term in the recent periods
    recent_documents: float  # topic documents in the recent periods
    earlier_count: float  # ... in the earlier observed periods
    earlier_documents: float
    recent_share: float  # recent_count / recent_documents
    earlier_share: float
    log2_ratio: float  # smoothed: log2 of (k1 + a) / (n1 + 2a) over (k0 + a) / (n0 + 2a), a = rising_prior
    p_value: float  # one-sided conditional binomial test of recent against earlier rate
    q_value: float  # Benjamini–Hochberg adjusted over the topic's testable terms
    is_new: bool  # absent from the topic's earlier documents

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-serialisable values (for ``rising_terms`` in the JSON output and the evidence)."""
        return asdict(self)


def _testable(min_p: np.ndarray, level: float) -> np.ndarray:
    """Tarone's testable terms: those whose smallest possible p-value could pass, with the threshold level / K.

    K is the smallest number with ``#{terms : min_p <= level / K} <= K`` (Tarone 1990). A term seen in one or two
    documents can never be significant, so it does not count against the others (Gilbert 2005).
    """
    n_terms = min_p.size
    if n_terms == 0:
        return np.zeros(0, dtype=bool)
    sorted_min = np.sort(min_p)
    k = np.arange(1, n_terms + 1)
    passing = np.searchsorted(sorted_min, level / k, side="right")
    smallest = int(k[np.argmax(passing <= k)])  # passing(n_terms) <= n_terms always holds
    return min_p <= level / smallest


def _benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values): ``min_{j >= i} p_(j) m / j``, capped at 1."""
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(adjusted, 1.0)
    return q


def rising_terms(
    term_counts: ArrayLike,
    topic_documents: ArrayLike,
    *,
    terms: Sequence[str] | None = None,
    observed: ArrayLike | None = None,
    granularity: Granularity = "quarter",
    config: EmergenceConfig | None = None,
) -> list[RisingTerm]:
    """A topic's rising terms: terms whose share of the topic's documents rose most in the recent periods.

    ``term_counts`` is terms x periods: the topic's documents containing each term per period (oldest first);
    ``topic_documents`` the topic's documents per period. Periods without topic documents (or marked False in
    ``observed``) are missing. With ``k1`` of ``n1`` topic documents in the last ``recent`` observed periods and
    ``k0`` of ``n0`` in the observed periods before them:

    - **test**: if the term's rate did not change, each of its ``K = k0 + k1`` documents falls in the recent periods
      with probability ``pi = n1 / (n0 + n1)``, so ``k1 ~ Binomial(K, pi)`` (the conditional test of two Poisson
      rates, Przyborowski & Wilenski 1940); ``p = P(X >= k1)``. It is exact for small counts, where normal
      approximations fail, and slightly conservative against Fisher's exact test for document shares.
    - **floor**: a term is rising when its Benjamini–Hochberg q-value is at most ``rising_fdr`` (5 %) among the
      topic's *testable* terms (Tarone 1990; Gilbert 2005): the smallest possible p of a term, ``pi^K`` (all its
      documents recent), must be able to pass, so the thousands of terms seen once or twice do not raise the bar.
      1 -> 2 documents is never significant; a term new to an old topic is, as soon as its documents in the recent
      periods are more than chance allows (with ``pi = 1/4``: 5 to 7 documents, however large the topic).
    - **rank**: rising terms are ordered by ``log2_ratio``, the log2 ratio of the recent to the earlier share,
      each smoothed with ``rising_prior`` (Jeffreys' 1/2) pseudo-documents, so a term new to the topic (``k0 = 0``)
      ranks by how many recent documents carry it; ties by p-value.

    Returns at most ``rising_max_terms`` terms, best first; none when the topic has no observed period before the
    recent window (a topic born in it has no earlier share to rise from).
    Example: a topic with 300 documents a year for 8 years (recent = 2 years: n1 = 600, n0 = 1800, pi = 1/4) and a
    term in 0 earlier and 8 recent documents: p = 0.25^8 = 1.5e-5, log2_ratio = log2((8.5/601) / (0.5/1801)) = 5.67.
    """
    check_granularity(granularity)
    cfg = config if config is not None else EmergenceConfig.for_granularity(granularity)
    count_matrix, document_matrix = _counts_and_totals(term_counts, topic_documents)
    if document_matrix.shape[0] != 1 and not np.all(document_matrix == document_matrix[:1]):
        raise ValueError("topic_documents must be one row: the topic's documents per period")
    n_terms = count_matrix.shape[0]
    labels = [str(i) for i in range(n_terms)] if terms is None else [str(term) for term in terms]
    if len(labels) != n_terms:
        raise ValueError(f"terms has {len(labels)} names for {n_terms} rows of term_counts")
    if np.any(count_matrix > document_matrix):
        raise ValueError("a term is in more documents than the topic has in some period; check the counts")
    (columns,) = np.nonzero(_observed_matrix(observed, document_matrix[:1])[0])
    recent = min(cfg.recent, columns.size)
    if n_terms == 0 or columns.size - recent < 1:
        return []
    recent_columns, earlier_columns = columns[-recent:], columns[:-recent]
    k1 = np.floor(count_matrix[:, recent_columns].sum(axis=1)).astype(np.int64)
    k0 = np.floor(count_matrix[:, earlier_columns].sum(axis=1)).astype(np.int64)
    n1 = float(document_matrix[0, recent_columns].sum())
    n0 = float(document_matrix[0, earlier_columns].sum())
    total = k0 + k1
    pi = n1 / (n0 + n1)
    p = np.where(k1 > 0, bdtrc(np.maximum(k1 - 1, 0), total, pi), 1.0)
    min_p = np.where(total > 0, pi**total, 1.0)
    testable = _testable(min_p, cfg.rising_fdr)
    q = np.ones(n_terms)
    q[testable] = _benjamini_hochberg(p[testable])
    a = cfg.rising_prior
    log2_ratio = np.log2((k1 + a) / (n1 + 2 * a)) - np.log2((k0 + a) / (n0 + 2 * a))
    rising = np.flatnonzero((q <= cfg.rising_fdr) & (log2_ratio > 0))
    ranked = sorted(rising.tolist(), key=lambda i: (-log2_ratio[i], p[i], i))[: cfg.rising_max_terms]
    return [
        RisingTerm(
            term=labels[i],
            index=i,
            recent_count=float(k1[i]),
            recent_documents=n1,
            earlier_count=float(k0[i]),
            earlier_documents=n0,
            recent_share=float(k1[i] / n1),
            earlier_share=float(k0[i] / n0),
            log2_ratio=float(log2_ratio[i]),
            p_value=float(p[i]),
            q_value=float(q[i]),
            is_new=bool(k0[i] == 0),
        )
        for i in ranked
    ]


@dataclass(frozen=True)
class CarriedEmergence:
    """The emergence a rising term carries into its topic: the term's own score times its recent share there."""

    term: str
    term_score: float  # the term's emergence score over the whole window (term emergence)
    recent_share: float  # share of the topic's recent documents that carry it (`RisingTerm.recent_share`)
    score: float  # term_score * recent_share

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def carried_emergence(
    rising: Sequence[Mapping[str, object]], term_scores: Mapping[str, float]
) -> CarriedEmergence | None:
    """The strongest emergence a topic's rising terms carry into it, or None when none of them is scored.

    A new technology often grows inside an older topic before it is a topic of its own: the Deutschlandticket
    inside a parliament's public-transport topic, whose own share of speeches stayed level while the ticket went
    from 2 of its 36 earlier speeches to 12 of its 21 recent ones. The topic's series says "stable", the term's
    series (term emergence, the same score over all the window's documents) says "emerging", and the analyst's
    question is the term's. The topic carries the term's emergence in proportion to how much of its recent output
    the term is: ``term_score * recent_share``, the expected score of one of its recent documents if those with the
    term score as the term and the rest nothing. A term a few of its recent documents mention carries little; a
    term most of them carry makes the topic that term's topic now. The strongest rising term decides; the caller
    ranks the topic by the larger of its own score and this one and keeps both as evidence.
    """
    best: CarriedEmergence | None = None
    for row in rising:  # `RisingTerm.to_dict()` rows, as stored in `signals.rising_terms`
        term, share = str(row["term"]), float(row["recent_share"])  # type: ignore[arg-type]
        score = term_scores.get(term)
        if score is None or not np.isfinite(score):
            continue
        carried = CarriedEmergence(term, float(score), share, float(score) * share)
        if best is None or carried.score > best.score:
            best = carried
    return best
