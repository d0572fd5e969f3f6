"""How `foresight backtest` judges one checkpoint: plain rules on the rows an analyst sees, no database, no model.

A listed topic is a technology by its words (label, top words, rising terms), by its member documents (a document
truth such as CPC codes), or both (`Technology.match`); emerging and rising terms give early signals; precision reads
a topic's label and words in order; lead time compares the first flag with the period in which a technology's share
of documents first reached the onset share. Every rule is documented, with why, in docs/backtests.md.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from models.boilerplate import is_source_name, source_name_words
from models.periods import add_periods, period_start
from pipeline.backtest_spec import Checkpoint, DocumentMatcher, Precision, Spec, Technology
from sources.document import Document
from warehouse.backtest import FitDescription

STAGES = ("import", "language", "embeddings", "topics", "emergence", "ranking")


# -- matching (pure: rows in, verdicts out) -----------------------------------------------------------------------


def _normalised(text: str) -> str:
    """Language-step terms join words with "_"; match them as the words an analyst reads."""
    return text.replace("_", " ").lower()


def word_matches(technology: Technology, texts: Iterable[str]) -> list[str]:
    """The texts (a label, topic words, rising or emerging terms) that a technology's terms or patterns match.

    A term matches whole words (``wasserstoff`` matches "grüner wasserstoff", not "wasserstoffnetz"; use a pattern
    for compounds); a pattern is a case-insensitive regular expression searched anywhere in the text.
    """
    found = []
    for text in texts:
        if not text:
            continue
        plain = _normalised(str(text))
        if any(re.search(rf"(?<!\w){re.escape(term)}(?!\w)", plain) for term in technology.terms) or any(
            pattern.search(plain) for pattern in technology.patterns
        ):
            found.append(str(text))
    return found


def field_values(document: Document, name: str) -> list[str]:
    """The text(s) of one document field or `extra` key; a list-valued key gives each element."""
    if name == "title_text":
        return [" ".join(t for t in (document.title, document.text) if t)]
    if name in ("title", "text", "url", "source", "language"):
        value = getattr(document, name)
        return [value] if value else []
    value = document.extra.get(name)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def document_matches(matcher: DocumentMatcher, document: Document) -> bool:
    values = field_values(document, matcher.field)
    if matcher.exclude is not None and any(matcher.exclude.search(value) for value in values):
        return False
    return any(matcher.pattern.search(value) for value in values)


def onset_matcher(technology: Technology) -> DocumentMatcher | Technology:
    """Which documents count for a technology's lead time: `documents`, else its truth, else its words in the text."""
    return technology.documents or technology.truth or technology


def matching_documents(technology: Technology, documents: Iterable[Document]) -> set[str]:
    matcher = onset_matcher(technology)
    if isinstance(matcher, DocumentMatcher):
        return {d.doc_id for d in documents if document_matches(matcher, d)}
    return {d.doc_id for d in documents if word_matches(technology, field_values(d, "title_text"))}


def truth_documents(technology: Technology, documents: Iterable[Document]) -> set[str]:
    return {d.doc_id for d in documents if technology.truth and document_matches(technology.truth, d)}


def presence(series: Sequence[int], totals: Sequence[int]) -> float | None:
    """Share of the earlier periods (all but the last) with documents in the corpus in which the topic had some.

    Periods without any document in the corpus are missing, not absent: a history that starts late does not make
    an old topic look young.
    """
    earlier = [(c, t) for c, t in zip(series[:-1], totals[:-1], strict=True) if t > 0]
    if not earlier:
        return None
    return sum(1 for c, _ in earlier if c > 0) / len(earlier)


def judge_technology(precision: Precision, texts: Sequence[str]) -> bool | None:
    """True (a technology), False (not one) or None (unjudged).

    `texts` are read in order (a topic's label parts, then its words, strongest first): the first text that matches
    only technology patterns, or only the others, decides. What a topic leads with is what it is about; a text
    matching both kinds says nothing, and a topic where nothing matches stays unjudged rather than guessed.
    """
    for text in texts:
        if not text:
            continue
        plain = _normalised(text)
        is_tech = any(p.search(plain) for p in precision.technology)
        is_not = any(p.search(plain) for p in precision.not_technology)
        if is_tech != is_not:
            return is_tech
    return None


def onset_period(counts: Mapping[date, int], totals: Mapping[date, int], share: float) -> tuple[date, float] | None:
    """The first period whose share of matching documents reaches `share`, and that share."""
    for period in sorted(totals):
        if totals[period] and counts.get(period, 0) / totals[period] >= share:
            return period, counts.get(period, 0) / totals[period]
    return None


def periods_apart(first: date, second: date, granularity: str) -> int:
    """How many periods `second` lies after `first` (both period starts); negative when before."""
    steps, current = 0, period_start(first, granularity)
    target = period_start(second, granularity)
    step = 1 if target >= current else -1
    while current != target:
        current = add_periods(current, step, granularity)
        steps += step
    return steps


# -- one checkpoint -------------------------------------------------------------------------------------------------


@dataclass
class ListedTopic:
    """One row of the ranking with what the judgement needs; fields the ranking does not have yet are empty."""

    rank: int
    topic_id: int
    label: str
    words: list[str]
    rising_terms: list[str]
    score: float | None
    signal_class: str | None
    trend: str | None
    burst: float | None
    series: list[int]
    members: list[str] = field(default_factory=list)
    technology: float | None = None  # the ranking's technology score (issue 10 item 3), where it has one
    is_technology: bool | None = None
    rank_all: int | None = None  # its rank by score alone, as `emerging --all` lists it (`rank_by_score`)

    @property
    def rank_everything(self) -> int:
        """Its rank in `emerging --all`; the ranking's own rank where `rank_by_score` has not run."""
        return self.rank if self.rank_all is None else self.rank_all

    @classmethod
    def from_row(cls, rank: int, row: Mapping[str, Any], members: list[str]) -> ListedTopic:
        return cls(
            rank=rank,
            topic_id=int(row["topic_id"]),
            label=str(row.get("label") or ""),
            words=[str(w) for w in row.get("top_terms") or []],
            rising_terms=[term_of(w) if isinstance(w, Mapping) else str(w) for w in row.get("rising_terms") or []],
            score=float(row["score"]) if row.get("score") is not None else None,
            signal_class=row.get("signal_class"),
            trend=row.get("trend"),
            burst=float(row["burst"]) if row.get("burst") is not None else None,
            series=[int(c) for c in row.get("recent_series") or []],
            members=members,
            technology=float(row["technology"]) if row.get("technology") is not None else None,
            is_technology=row.get("is_technology"),
        )

    def shown(self, words: int) -> dict[str, Any]:
        return {"topic_id": self.topic_id, "label": self.label, "words": self.words[:words],
                "rising_terms": self.rising_terms, "size": len(self.members),
                "technology_score": _round(self.technology), "is_technology": self.is_technology}  # fmt: skip


@dataclass
class Sighting:
    """Where a technology showed up at one checkpoint."""

    topics: list[tuple[ListedTopic, float | None]]  # matching topics, best rank first, with their truth share
    closest: tuple[ListedTopic, float] | None  # truth only: the topic with the highest share (for a miss)
    terms: list[dict[str, Any]]  # matching emerging terms in the top N
    rising: list[tuple[ListedTopic, list[str]]]  # top-N topics whose rising terms match

    def in_top(self, top: int) -> list[tuple[ListedTopic, float | None]]:
        return [(t, s) for t, s in self.topics if t.rank <= top]

    def in_top_all(self, top: int) -> list[tuple[ListedTopic, float | None]]:
        """Matching topics in the top N of everything (`emerging --all`), best rank there first."""
        ranked = [(t, s) for t, s in self.topics if t.rank_everything <= top]
        return sorted(ranked, key=lambda ts: ts[0].rank_everything)

    def early(self) -> bool:
        return bool(self.terms or self.rising)

    def flagged(self, top: int) -> bool:
        return bool(self.in_top(top)) or self.early()

    def main(self) -> ListedTopic | None:
        """The matching topic that holds most documents: the one to follow for "fading"."""
        return max((t for t, _ in self.topics), key=lambda t: (len(t.members), -t.rank), default=None)


def rank_by_score(ranking: Sequence[ListedTopic]) -> None:
    """Set each topic's `rank_all`: its place by score alone (ties by the ranking's order), what `emerging --all`
    shows. The ranking itself lists technologies first."""
    ordered = sorted(ranking, key=lambda t: (t.score is None, -(t.score or 0.0), t.rank))
    for rank, topic in enumerate(ordered, start=1):
        topic.rank_all = rank


def sight(
    technology: Technology,
    ranking: Sequence[ListedTopic],
    terms: Sequence[Mapping[str, Any]],
    truth_ids: set[str],
    totals: Sequence[int],
    spec: Spec,
) -> Sighting:
    """Find a technology in the ranking (all of it) and in the emerging terms and rising terms of the top N."""
    matches: list[tuple[ListedTopic, float | None]] = []
    closest: tuple[ListedTopic, float] | None = None
    for topic in ranking:
        if technology.min_presence is not None:
            present = presence(topic.series, totals[-len(topic.series) :] if topic.series else [])
            if present is None or present < technology.min_presence:
                continue
        shown = not technology.by_words or bool(
            word_matches(technology, [topic.label, *topic.words[: spec.words], *topic.rising_terms])
        )
        if technology.by_truth and technology.truth is not None:
            share = sum(1 for d in topic.members if d in truth_ids) / len(topic.members) if topic.members else 0.0
            if shown and share >= technology.truth.min_share:
                matches.append((topic, share))
            elif shown and (closest is None or share > closest[1]):
                closest = (topic, share)  # what the analyst sees, with too few documents behind it
        elif shown:
            matches.append((topic, None))
    shown_terms = [
        t
        for t in terms[: spec.top]
        if (technology.terms or technology.patterns) and word_matches(technology, [term_of(t)])
    ]
    rising = [
        (topic, hits)
        for topic in ranking[: spec.top]
        if (technology.terms or technology.patterns) and (hits := word_matches(technology, topic.rising_terms))
    ]
    return Sighting(matches, closest, shown_terms, rising)


def term_of(row: Mapping[str, Any]) -> str:
    return str(row.get("term") or row.get("label") or "")


@dataclass
class History:
    """The checkpoints (as-of dates) at which each technology was in the top N, and at which it was flagged."""

    listed: dict[str, list[date]] = field(default_factory=lambda: defaultdict(list))
    flagged: dict[str, list[date]] = field(default_factory=lambda: defaultdict(list))

    def record(self, as_of: date, sightings: Mapping[str, Sighting], top: int) -> None:
        for name, seen in sightings.items():
            if seen.in_top(top):
                self.listed[name].append(as_of)
            if seen.flagged(top):
                self.flagged[name].append(as_of)

    @staticmethod
    def earlier(dates: Sequence[date], since: date | None) -> list[date]:
        return [d for d in dates if since is None or d >= since]


def judge_checkpoint(
    spec: Spec, checkpoint: Checkpoint, sightings: Mapping[str, Sighting], history: History
) -> list[dict[str, Any]]:
    """Every check of one checkpoint with whether it holds and the evidence (rank, topic, terms).

    `history` holds the earlier checkpoints only; `expect_by` and `flagged_by` also count those on or after the
    checkpoint's `since`.
    """
    top = spec.top
    results = []
    for check, names in checkpoint.checks.items():
        for name in names:
            seen = sightings[name]
            listed = seen.in_top(top)
            row: dict[str, Any] = {"check": check, "technology": name}
            best = seen.topics[0] if seen.topics else None
            if check == "expect":
                row["holds"] = bool(listed)
            elif check == "expect_by":
                before = History.earlier(history.listed.get(name, []), checkpoint.since)
                row["holds"], row["now"] = bool(listed) or bool(before), bool(listed)
                row["earlier"] = [d.isoformat() for d in before]
            elif check == "burst":
                # A burst is an event, not a technology: it is read in the ranking of everything by score
                # (`emerging --all`), where a pandemic is not pushed below every technology topic.
                bursting = [(t, s) for t, s in seen.in_top_all(top) if (t.burst or 0) > 0]
                row["holds"] = bool(bursting)
                best = bursting[0] if bursting else best
                row["rank_all"] = best[0].rank_all if best else None
            elif check == "fading":
                main = seen.main()
                row["holds"] = not listed and main is not None and main.trend == "fading"
                row["main_topic"] = topic_evidence(main, None, spec) if main else None
            elif check == "forbid":
                row["holds"] = not listed
                row["false_alarms"] = [topic_evidence(t, s, spec) for t, s in listed]
            elif check == "flagged":
                row["holds"] = seen.flagged(top)
            elif check == "flagged_by":
                before = History.earlier(history.flagged.get(name, []), checkpoint.since)
                row["holds"], row["now"] = seen.flagged(top) or bool(before), seen.flagged(top)
                row["earlier"] = [d.isoformat() for d in before]
            elif check == "early":
                row["holds"] = seen.early()
            row["rank"] = best[0].rank if best else None
            row["topic"] = topic_evidence(best[0], best[1], spec) if best else None
            if best is None and seen.closest is not None:
                row["closest"] = topic_evidence(*seen.closest, spec)
            row["emerging_terms"] = [term_of(t) for t in seen.terms]
            row["rising_terms"] = [{"topic_id": t.topic_id, "terms": hits} for t, hits in seen.rising]
            results.append(row)
    return results


def topic_evidence(topic: ListedTopic, truth_share: float | None, spec: Spec) -> dict[str, Any]:
    evidence = {"rank": topic.rank, **topic.shown(spec.words), "score": _round(topic.score),
                "class": topic.signal_class, "trend": topic.trend, "burst": topic.burst}  # fmt: skip
    if truth_share is not None:
        evidence["truth_share"] = round(truth_share, 3)
    return evidence


def technology_precision(spec: Spec, ranking: Sequence[ListedTopic]) -> dict[str, Any] | None:
    if spec.precision is None:
        return None
    verdicts = [
        judge_technology(spec.precision, [*t.label.split(" / "), *t.words[: spec.words]]) for t in ranking[: spec.top]
    ]
    technology = sum(1 for v in verdicts if v is True)
    not_technology = sum(1 for v in verdicts if v is False)
    listed = len(verdicts)
    result: dict[str, Any] = {
        "technology": technology,
        "not_technology": not_technology,
        "unjudged": listed - technology - not_technology,
        "precision": round(technology / (technology + not_technology), 3) if technology + not_technology else None,
        "technology_share": round(technology / listed, 3) if listed else None,
        "verdicts": verdicts,
    }
    if spec.precision.min_share is not None:
        # Unjudged topics are not counted as technologies: a check never rests on a guess.
        result["min_share"] = spec.precision.min_share
        result["holds"] = listed > 0 and technology / listed >= spec.precision.min_share
    return result


def label_honesty(
    descriptions: Sequence[FitDescription], sources: Sequence[str], min_share: float
) -> dict[str, Any] | None:
    """Are the fit's labels honest? Every label word of every topic in at least `min_share` of the topic's documents
    (the share the fit recorded for that word among its top terms), and no source's name among any topic's words.

    Why over every fit and not only the top 10: an analyst opens any topic (`foresight topic ID`), and a fit whose
    lower topics carry lying labels would carry them into the top 10 when they grow. Returns None for no fit.
    """
    if not descriptions:
        return None
    names = source_name_words(sources)
    shares: list[float] = []
    below: list[dict[str, Any]] = []
    unknown = 0
    named: list[dict[str, Any]] = []
    for topic in descriptions:
        share_of = dict(zip(topic.top_terms, topic.term_shares, strict=False))
        for word in (w for w in topic.label.split(" / ") if w and topic.label != "(no terms)"):
            share = share_of.get(word)
            if share is None:
                unknown += 1
                continue
            shares.append(share)
            if share < min_share:
                below.append({"topic_id": topic.topic_id, "word": word, "share": round(share, 3)})
        named += [{"topic_id": topic.topic_id, "word": w} for w in topic.top_terms if is_source_name(w, names)]
    ordered = sorted(shares)

    def quantile(q: float) -> float | None:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3) if ordered else None

    return {
        "topics": len(descriptions),
        "label_words": len(shares) + unknown,
        "min_share": min_share,
        "share_min": quantile(0.0),
        "share_p10": quantile(0.1),
        "share_median": quantile(0.5),
        "below_min": below[:20],
        "below_min_count": len(below),
        "not_among_top_terms": unknown,
        "source_name_words": named[:20],
        # a label word beyond the recorded top terms has no recorded share here (the rule in models.topic_words
        # still picked it from words used by >= min_share of the documents); it is counted, not failed
        "holds": not below and not named,
    }


def outcomes(checks: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The checks of one checkpoint as an analyst asks for them: hits, misses (with the best rank), false alarms."""
    hits, misses, false_alarms = [], [], []
    for check in checks:
        if check["check"] == "forbid":
            false_alarms += [{"technology": check["technology"], **alarm} for alarm in check["false_alarms"]]
            continue
        if check["check"] == "fading":
            continue  # a condition on the trend, neither hit nor miss
        topic = check.get("topic") or {}
        shown = {k: topic.get(k) for k in ("topic_id", "label", "words")}
        if check["holds"]:
            hits.append({"technology": check["technology"], "check": check["check"], "rank": check["rank"], **shown})
        else:
            miss = {"technology": check["technology"], "check": check["check"], "best_rank": check["rank"], **shown}
            if check.get("closest"):
                closest = check["closest"]
                miss["closest"] = {k: closest.get(k) for k in ("rank", "topic_id", "label", "words", "truth_share")}
            misses.append(miss)
    return {"hits": hits, "misses": misses, "false_alarms": false_alarms}


def summarise(
    checkpoints: Sequence[Mapping[str, Any]], lead_times: Sequence[Mapping[str, Any]], seconds: float
) -> dict[str, Any]:
    checks = [c for cp in checkpoints for c in cp["checks"]]
    expected = [c for c in checks if c["check"] in ("expect", "expect_by")]
    early = [c for c in checks if c["check"] == "early"]
    precision = [cp["precision"] for cp in checkpoints if cp["precision"] and "holds" in cp["precision"]]
    labels = [cp["labels"] for cp in checkpoints if cp.get("labels")]
    failed = (
        [c for c in checks if not c["holds"]]
        + [p for p in precision if not p["holds"]]
        + [label for label in labels if not label["holds"]]
    )
    stage_seconds = {stage: round(sum(cp["seconds"].get(stage, 0.0) for cp in checkpoints), 1) for stage in STAGES}
    return {
        "expected": len(expected),
        "hits": sum(1 for c in expected if c["holds"]),
        "hit_share": round(sum(1 for c in expected if c["holds"]) / len(expected), 3) if expected else None,
        "false_alarms": sum(len(c.get("false_alarms", [])) for c in checks if c["check"] == "forbid"),
        "early": len(early),
        "early_flagged": sum(1 for c in early if c["holds"]),
        "checks": len(checks) + len(precision) + len(labels),
        "labels_honest": sum(1 for label in labels if label["holds"]),
        "label_share_min": min(
            (label["share_min"] for label in labels if label["share_min"] is not None), default=None
        ),
        "failed": len(failed),
        "passed": not failed,
        "seconds": round(seconds, 1),
        "stage_seconds": stage_seconds,
    }


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None
