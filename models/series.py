"""Count series of an analysis window: documents per topic, period, source kind and lead market, and novelty input.

Pure functions over small records (anything with `doc_id`, `kind`, `published` and, for members, `topic_id`): the
warehouse hands them over, the emergence indicators (`models.emergence`) score what comes out. Nothing here reads
a database or the clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np

from models.periods import period_start


class DatedDocument(Protocol):
    """A document as the series need it."""

    @property
    def doc_id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def published(self) -> date | None: ...


class TopicMember(DatedDocument, Protocol):
    """A document assigned to a topic in one fit."""

    @property
    def topic_id(self) -> int: ...


@dataclass
class Series:
    """Counts per topic and period (overall and per kind) and all documents per period (overall and per kind)."""

    periods: list[date]
    totals: list[int]
    kind_totals: dict[str, list[int]]
    topic_counts: dict[int, list[int]]
    kind_counts: dict[int, dict[str, list[int]]]


@dataclass
class MarketSeries:
    """Counts per topic, lead market and period, and all documents per lead market and period."""

    periods: list[date]
    totals: dict[str, list[int]]
    counts: dict[tuple[int, str], list[int]]


def _index(periods: Sequence[date], granularity: str):  # noqa: ANN202 - a small closure
    position = {p: i for i, p in enumerate(periods)}

    def of(day: date | None) -> int | None:
        return None if day is None else position.get(period_start(day, granularity))

    return of


def build_series(
    members: Sequence[TopicMember], everything: Sequence[DatedDocument], periods: list[date], granularity: str
) -> Series:
    """Count topic members and all documents per period (and per source kind); undated documents count nowhere."""
    index = _index(periods, granularity)
    totals = [0] * len(periods)
    kind_totals: dict[str, list[int]] = defaultdict(lambda: [0] * len(periods))
    for doc in everything:
        i = index(doc.published)
        if i is not None:
            totals[i] += 1
            kind_totals[doc.kind][i] += 1
    topic_counts: dict[int, list[int]] = defaultdict(lambda: [0] * len(periods))
    kind_counts: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for doc in members:
        i = index(doc.published)
        if i is None:
            continue
        topic_counts[doc.topic_id][i] += 1
        kind_counts[doc.topic_id].setdefault(doc.kind, [0] * len(periods))[i] += 1
    return Series(periods, totals, dict(kind_totals), dict(topic_counts), dict(kind_counts))


def build_market_series(
    members: Sequence[TopicMember],
    everything: Sequence[DatedDocument],
    markets: Mapping[str, Sequence[tuple[str, float]]],
    periods: list[date],
    granularity: str,
) -> MarketSeries:
    """A document counts once for each lead market it has (multi-label, as the language step scores it)."""
    index = _index(periods, granularity)
    totals: dict[str, list[int]] = defaultdict(lambda: [0] * len(periods))
    for doc in everything:
        i = index(doc.published)
        if i is not None:
            for market, _ in markets.get(doc.doc_id, ()):
                totals[market][i] += 1
    counts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * len(periods))
    for doc in members:
        i = index(doc.published)
        if i is not None:
            for market, _ in markets.get(doc.doc_id, ()):
                counts[(doc.topic_id, market)][i] += 1
    return MarketSeries(periods, dict(totals), dict(counts))


@dataclass(frozen=True)
class TopicMarket:
    """One lead market of a topic: how many of its documents carry it and their summed lead-market score."""

    lead_market_id: str
    documents: int
    weight: float
    rank: int


def topic_lead_markets(
    members: Sequence[TopicMember],
    markets: Mapping[str, Sequence[tuple[str, float]]],
    min_share: float,
    min_documents: float = 0.0,
    max_markets: int = 3,
) -> dict[int, list[TopicMarket]]:
    """A topic's lead markets: summed document scores, best first, kept when the topic's documents support them.

    Kept when (1) the market holds at least `min_share` of the topic's summed lead-market weight, and (2) at least
    `min_documents` (a share) of *all* the topic's documents carry it: a drug-pricing topic whose few education words
    made 12 % of a small total weight is not an education topic when 3 % of its documents are about education.
    At most `max_markets`: cross-cutting topics touch many markets, and a list of all nine says nothing.
    """
    weight: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    documents: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sizes: dict[int, int] = defaultdict(int)
    for doc in members:
        sizes[doc.topic_id] += 1
        for market, score in markets.get(doc.doc_id, ()):
            weight[doc.topic_id][market] += score
            documents[doc.topic_id][market] += 1
    result: dict[int, list[TopicMarket]] = {}
    for topic_id in sorted(weight):
        total = sum(weight[topic_id].values())
        ranked = sorted(weight[topic_id].items(), key=lambda kv: (-kv[1], kv[0]))
        kept = [
            (m, w)
            for m, w in ranked
            if total > 0 and w / total >= min_share and documents[topic_id][m] >= min_documents * sizes[topic_id]
        ][:max_markets]
        result[topic_id] = [
            TopicMarket(market, documents[topic_id][market], w, rank) for rank, (market, w) in enumerate(kept, 1)
        ]
    return result


@dataclass(frozen=True)
class Centroids:
    """Per topic, the centroid of its documents in the recent periods; and every topic's centroid before them."""

    recent: dict[int, np.ndarray]
    prior: dict[int, np.ndarray]

    def everything_before(self) -> np.ndarray:
        """All prior centroids as one (k, d) matrix: what a topic's recent documents are compared with."""
        if self.prior:
            return np.vstack(list(self.prior.values()))
        dim = next(iter(self.recent.values())).shape[0] if self.recent else 1
        return np.zeros((0, dim), dtype=np.float32)


def recent_and_prior_centroids(
    members: Sequence[TopicMember], vectors: Mapping[str, np.ndarray], cut: date
) -> Centroids:
    """Novelty input: each topic's mean vector of documents published from `cut` on, and of those before it."""
    recent: dict[int, list[np.ndarray]] = defaultdict(list)
    prior: dict[int, list[np.ndarray]] = defaultdict(list)
    for m in members:
        vector = vectors.get(m.doc_id)
        if vector is not None and m.published is not None:
            (recent if m.published >= cut else prior)[m.topic_id].append(vector)
    return Centroids(
        recent={t: np.mean(v, axis=0) for t, v in recent.items()},
        prior={t: np.mean(v, axis=0) for t, v in prior.items()},
    )
