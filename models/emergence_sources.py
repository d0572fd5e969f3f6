"""A topic across source kinds: in which kinds it is present, and the order in which the kinds took it up.

Part of the emergence indicators (import them from ``models.emergence``). A technology typically shows up in
publications, then patents, then news and policy; the order a topic followed says where it stands in that life cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from models.emergence_config import EmergenceConfig, Granularity, check_granularity
from models.emergence_observed import birth

#: Source kinds of a ``Document`` (see ``sources/document.py``), in report order.
SOURCE_KINDS: tuple[str, ...] = ("news", "patent", "publication", "policy")


def _check_kinds(kinds: object, name: str) -> None:
    unknown = sorted(set(kinds) - set(SOURCE_KINDS))  # type: ignore[call-overload]
    if unknown:
        raise ValueError(f"unknown source kind(s) {unknown} in {name}; expected some of {list(SOURCE_KINDS)}")


@dataclass(frozen=True)
class CrossSourcePresence:
    """In which source kinds a topic has documents, and each kind's share of the topic's documents."""

    kinds_present: tuple[str, ...]
    n_kinds: int
    coverage: float
    share_by_kind: dict[str, float]
    total: float


def cross_source_presence(counts_by_kind: Mapping[str, ArrayLike | float]) -> CrossSourcePresence:
    """Cross-source presence: ``n_kinds = #{kind : sum of its counts > 0}`` over news, patent, publication, policy.

    ``counts_by_kind`` maps a kind to a count or a per-period count series (summed). ``share_by_kind[k] = count_k /
    sum of all counts`` (0 for all kinds when the topic has no documents); ``coverage = n_kinds / 4``. Why: a
    technology that shows up in patents and publications and news at once is more credible than a news-only buzz.
    Example: ``{"news": [1, 2], "patent": 3, "publication": 0}`` gives 2 kinds, coverage 0.5, shares 0.5 / 0.5 / 0.
    """
    _check_kinds(counts_by_kind, "counts_by_kind")
    sums: dict[str, float] = {}
    for kind in SOURCE_KINDS:
        if kind not in counts_by_kind:
            continue
        values = np.asarray(counts_by_kind[kind], dtype=float)
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"counts for kind {kind!r} must be finite and >= 0")
        sums[kind] = float(values.sum())
    total = sum(sums.values())
    present = tuple(kind for kind, value in sums.items() if value > 0)
    return CrossSourcePresence(
        kinds_present=present,
        n_kinds=len(present),
        coverage=len(present) / len(SOURCE_KINDS),
        share_by_kind={kind: (value / total if total > 0 else 0.0) for kind, value in sums.items()},
        total=total,
    )


@dataclass(frozen=True)
class LifeCycle:
    """Per source kind, the first period of a minimal presence of one topic, and the order the kinds came in."""

    first_presence: dict[str, int]  # kind -> period index of its first minimal presence; -1: never
    known: dict[str, bool]  # False: present from the start of the kind's observed history (at or before that period)
    order: tuple[str, ...]  # kinds with a presence, earliest first; one period: in SOURCE_KINDS order

    def stages(self) -> list[tuple[int, tuple[str, ...]]]:
        """The kinds grouped by the period they arrived in, earliest first: ``[(3, ("publication",)), ...]``."""
        grouped: dict[int, list[str]] = {}
        for kind in self.order:
            grouped.setdefault(self.first_presence[kind], []).append(kind)
        return [(index, tuple(kinds)) for index, kinds in grouped.items()]

    def describe(self, labels: Sequence[object]) -> str:
        """``publication 2019 -> patent 2021 -> news + policy 2023`` with ``labels`` naming each period.

        A kind present from the start of its observed history is written ``<=2019``: it may have come earlier.
        """
        steps = []
        for index, kinds in self.stages():
            unknown = not all(self.known[kind] for kind in kinds)
            steps.append(f"{' + '.join(kinds)} {'<=' if unknown else ''}{labels[index]}")
        return " -> ".join(steps)


def life_cycle(
    counts_by_kind: Mapping[str, ArrayLike],
    totals_by_kind: Mapping[str, ArrayLike],
    *,
    observed_by_kind: Mapping[str, ArrayLike] | None = None,
    granularity: Granularity = "quarter",
    config: EmergenceConfig | None = None,
) -> LifeCycle:
    """Cross-source life cycle of one topic: per kind, its ``birth`` on the kind's counts against the kind's totals.

    ``counts_by_kind[k]`` are the topic's documents of kind k per period, ``totals_by_kind[k]`` all documents of
    kind k per period (same periods for every kind), ``observed_by_kind[k]`` optionally which periods kind k was
    collected in (default: periods with documents of that kind). The rule is ``birth``'s minimal presence, applied
    within each kind, so a kind with little volume (policy) is judged against its own volume and level, and the
    periods before a kind's first document are missing for that kind, not absence. A kind whose presence begins
    with its observed history is ``known = False``: the topic may have been there before the kind was collected.
    Example (years 2018..2023, each kind 100 documents a year): publication ``[0, 5, 6, 8, 9, 9]``, patent
    ``[0, 0, 0, 4, 6, 7]``, news ``[0, 0, 0, 0, 1, 12]``: first presence 1, 3, 5, order publication -> patent -> news,
    ``describe`` gives ``publication 2019 -> patent 2021 -> news 2023``.
    """
    check_granularity(granularity)
    cfg = config if config is not None else EmergenceConfig.for_granularity(granularity)
    _check_kinds(counts_by_kind, "counts_by_kind")
    missing = sorted(set(counts_by_kind) - set(totals_by_kind))
    if missing:
        raise ValueError(f"totals_by_kind lacks the kind(s) {missing}; pass all documents per period of each kind")
    lengths = {kind: np.size(values) for kind, values in counts_by_kind.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"every kind needs the same periods; got lengths {lengths}")
    first: dict[str, int] = {}
    known: dict[str, bool] = {}
    for kind in SOURCE_KINDS:
        if kind not in counts_by_kind:
            continue
        observed = None if observed_by_kind is None else observed_by_kind.get(kind)
        result = birth(
            counts_by_kind[kind], totals_by_kind[kind], observed=observed, granularity=granularity, config=cfg
        )
        first[kind], known[kind] = result.index, result.known
    order = tuple(sorted((kind for kind in first if first[kind] >= 0), key=lambda kind: first[kind]))
    return LifeCycle(first_presence=first, known=known, order=order)
