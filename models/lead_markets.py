"""The nine lead markets (Leitmärkte) of the Metropole Ruhr and a multi-label classifier scoring documents per market.

Data: `models/data/lead_markets.toml` (ruhr.md §1, §1.1, §2). Each market has seed terms in German and English;
cross-cutting technologies (hydrogen, AI, batteries, ...) add their terms to several markets with lower weights.

Score per market, between 0 and 1 (`score = SEED_SHARE * seed_score + (1 - SEED_SHARE) * similarity_score`):
* seed_score: lemma-aware seed hits. Seeds and documents are reduced to the same lemma keys by the same spaCy
  pipeline, so "grünen Wasserstoffs" matches the seed "grüner Wasserstoff"; the longest seed wins at each position;
  German compounds also hit through their parts ("Wasserstoffelektrolyseur" hits "Elektrolyseur" and
  "Wasserstoff" at a reduced weight). Hits add up as weight x (1 + ln count), saturating, and a long text needs
  more hits than a short one for the same score.
* similarity: TF-IDF cosine between the document's lemmas and the market's description plus seeds.
Every score carries its evidence: the seed terms that matched (with counts and weights) and the words that
made it similar to the description. Nothing here needs a network or an embedding model.
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

SEED_SHARE = 0.75
SIMILARITY_FULL = 0.4  # a cosine of this size counts as full similarity
COMPOUND_PART_WEIGHT = 0.6
MIN_SCORE = 0.05
SATURATION = 2.0

# turns a phrase into lemma keys with the document pipeline: ("grüner Wasserstoff", "de") -> ("grün", "wasserstoff")
KeyFunction = Callable[[str, str], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class LeadMarket:
    id: str
    code: str
    number: int
    name_de: str
    name_en: str
    description_de: str
    description_en: str
    seeds: Mapping[str, tuple[str, ...]]  # language -> seed terms as written


@dataclass(frozen=True, slots=True)
class CrossCutting:
    name: str
    markets: tuple[str, ...]
    seeds: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class SeedHit:
    term: str
    count: int
    weight: float


@dataclass(frozen=True, slots=True)
class LeadMarketScore:
    """One lead market's score for one document, with the evidence behind it."""

    lead_market_id: str
    name: str
    name_en: str
    score: float
    seed_score: float
    similarity: float
    seed_hits: tuple[SeedHit, ...] = ()
    similar_terms: tuple[str, ...] = ()

    @property
    def evidence_terms(self) -> list[str]:
        """The matched seed terms, strongest first, then the description words that made it similar."""
        seeds = [h.term for h in sorted(self.seed_hits, key=lambda h: (-h.weight * (1 + math.log(h.count)), h.term))]
        known = {t.lower() for t in seeds} | {k for t in seeds for k in t.lower().replace("-", " ").split()}
        return seeds + [t for t in self.similar_terms if t.lower() not in known]

    def evidence(self) -> dict[str, Any]:
        """JSON-ready evidence, as stored in `doc_lead_markets.evidence`."""
        return {
            "seed_terms": [{"term": h.term, "count": h.count, "weight": h.weight} for h in self.seed_hits],
            "similar_terms": list(self.similar_terms),
            "seed_score": self.seed_score,
            "similarity": self.similarity,
        }


@dataclass(frozen=True)
class LeadMarketData:
    markets: tuple[LeadMarket, ...]
    cross_cutting: tuple[CrossCutting, ...]
    primary_weight: float
    secondary_weight: float

    def by_id(self) -> dict[str, LeadMarket]:
        return {m.id: m for m in self.markets}


def load_lead_markets(text: str | None = None) -> LeadMarketData:
    """The packaged `lead_markets.toml` (or the given TOML text), checked for consistency."""
    if text is None:
        text = resources.files("models.data").joinpath("lead_markets.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    markets = tuple(
        LeadMarket(
            id=row["id"],
            code=row["code"],
            number=int(row["number"]),
            name_de=row["name_de"],
            name_en=row["name_en"],
            description_de=" ".join(row["description_de"].split()),
            description_en=" ".join(row["description_en"].split()),
            seeds={"de": tuple(row.get("seeds_de", ())), "en": tuple(row.get("seeds_en", ()))},
        )
        for row in data["lead_market"]
    )
    ids = [m.id for m in markets]
    if len(set(ids)) != len(ids):
        raise ValueError(f"lead_markets.toml: duplicate lead market ids in {ids}")
    cross = []
    for row in data.get("cross_cutting", ()):
        unknown = [m for m in row["markets"] if m not in ids]
        if unknown:
            raise ValueError(f"lead_markets.toml: cross-cutting {row['name']!r} names unknown markets {unknown}")
        cross.append(
            CrossCutting(
                name=row["name"],
                markets=tuple(row["markets"]),
                seeds={"de": tuple(row.get("seeds_de", ())), "en": tuple(row.get("seeds_en", ()))},
            )
        )
    return LeadMarketData(
        markets, tuple(cross), float(data.get("primary_weight", 0.8)), float(data.get("secondary_weight", 0.5))
    )


@dataclass(eq=False)  # hashed by identity: one object per distinct seed key
class _Seed:
    term: str  # as written in the data file (first spelling seen)
    weights: dict[str, float] = field(default_factory=dict)  # market id -> weight


class LeadMarketClassifier:
    """Scores documents per lead market. Build once (it lemmatises all seeds), then call `score` per document."""

    def __init__(self, data: LeadMarketData, keys: KeyFunction, languages: Iterable[str] = ("de", "en")) -> None:
        self.data = data
        self.markets = data.markets
        self._index: dict[str, dict[str, list[tuple[tuple[str, ...], _Seed]]]] = {}
        self._single: dict[str, dict[str, _Seed]] = {}  # one-word seeds by key, for hits inside compounds
        self._vocabulary: dict[str, dict[str, int]] = {}
        self._idf: dict[str, np.ndarray] = {}
        self._profiles: dict[str, np.ndarray] = {}  # markets x vocabulary, dense: nine rows of a few thousand
        self._features: dict[str, np.ndarray] = {}
        for lang in languages:
            seeds = self._seeds(lang, keys)
            index: dict[str, list[tuple[tuple[str, ...], _Seed]]] = {}
            for key, seed in seeds.items():
                index.setdefault(key[0], []).append((key, seed))
            for candidates in index.values():
                candidates.sort(key=lambda item: -len(item[0]))
            self._index[lang] = index
            self._single[lang] = {key[0]: seed for key, seed in seeds.items() if len(key) == 1}
            features, idf, matrix = tfidf_profiles([self._profile(m, lang, keys) for m in self.markets])
            self._profiles[lang] = matrix
            self._vocabulary[lang] = {word: column for column, word in enumerate(features)}
            self._idf[lang] = idf
            self._features[lang] = np.array(features, dtype=object)

    def _seeds(self, lang: str, keys: KeyFunction) -> dict[tuple[str, ...], _Seed]:
        seeds: dict[tuple[str, ...], _Seed] = {}

        def add(term: str, market: str, weight: float) -> None:
            key = keys(term, lang)
            if not key:
                return
            seed = seeds.setdefault(key, _Seed(term))
            seed.weights[market] = max(seed.weights.get(market, 0.0), weight)

        for market in self.markets:
            for term in market.seeds.get(lang, ()):
                add(term, market.id, 1.0)
        for tech in self.data.cross_cutting:
            for rank, market_id in enumerate(tech.markets):
                weight = self.data.primary_weight if rank == 0 else self.data.secondary_weight
                for term in tech.seeds.get(lang, ()):
                    add(term, market_id, weight)
        return seeds

    def _profile(self, market: LeadMarket, lang: str, keys: KeyFunction) -> list[str]:
        description = market.description_de if lang == "de" else market.description_en
        name = market.name_de if lang == "de" else market.name_en
        words = list(keys(f"{name}. {description}", lang))
        for term in market.seeds.get(lang, ()):
            words.extend(keys(term, lang))
        return [w for w in words if _content_key(w, lang)]

    def seed_terms(self, lang: str) -> set[str]:
        """Every seed term as written, for the term extractor's whitelist."""
        return {seed.term for candidates in self._index.get(lang, {}).values() for _, seed in candidates}

    def match_seeds(self, keys: Sequence[str | None], lang: str) -> Counter[_Seed]:
        """The seeds the document's lemma keys hit, with how often (`seed.term` is the seed as written): what
        `score` counts; pass it on as `matched` so that it is not matched twice."""
        return self._match_seeds(keys, lang) if lang in self._index else Counter()

    def score(
        self,
        keys: Sequence[str | None],
        lang: str,
        *,
        compound_parts: Iterable[tuple[str, str]] = (),
        n_words: int | None = None,
        min_score: float = MIN_SCORE,
        matched: Counter[_Seed] | None = None,
    ) -> list[LeadMarketScore]:
        """Scores for one document, best first, those below `min_score` left out.

        `keys` are the document's lemma keys in order (None marks a sentence boundary), `compound_parts` the
        (modifier, head) keys of its German compound nouns, `matched` what `match_seeds` found in them.
        """
        if lang not in self._index:
            return []
        seed_counts = matched if matched is not None else self._match_seeds(keys, lang)
        part_counts: Counter[tuple[str, str]] = Counter()
        single = self._single[lang]
        for modifier, head in compound_parts:
            for part in (head, modifier):
                if part in single:
                    part_counts[(part, single[part].term)] += 1
        n = n_words if n_words is not None else sum(1 for k in keys if k)
        length_factor = SATURATION * max(1.0, math.sqrt(n / 100.0))
        similarity = self._similarity(keys, lang)
        results = []
        for position, market in enumerate(self.markets):
            hits: dict[str, SeedHit] = {}
            for seed, count in seed_counts.items():
                weight = seed.weights.get(market.id)
                if weight:
                    hits[seed.term] = SeedHit(seed.term, count, weight)
            for (part, term), count in part_counts.items():
                weight = single[part].weights.get(market.id)
                if weight and term not in hits:
                    hits[term] = SeedHit(term, count, round(weight * COMPOUND_PART_WEIGHT, 3))
            total = sum(h.weight * (1.0 + math.log(h.count)) for h in hits.values())
            seed_score = 1.0 - math.exp(-total / length_factor)
            cosine, similar_terms = similarity[position]
            combined = SEED_SHARE * seed_score + (1 - SEED_SHARE) * min(1.0, cosine / SIMILARITY_FULL)
            if combined < min_score:
                continue
            results.append(
                LeadMarketScore(
                    lead_market_id=market.id,
                    name=market.name_de,
                    name_en=market.name_en,
                    score=round(combined, 4),
                    seed_score=round(seed_score, 4),
                    similarity=round(cosine, 4),
                    seed_hits=tuple(sorted(hits.values(), key=lambda h: (-h.weight * (1 + math.log(h.count)), h.term))),
                    similar_terms=similar_terms,
                )
            )
        results.sort(key=lambda r: (-r.score, r.lead_market_id))
        return results

    def _match_seeds(self, keys: Sequence[str | None], lang: str) -> Counter[_Seed]:
        index = self._index[lang]
        counts: Counter[_Seed] = Counter()
        i, n = 0, len(keys)
        while i < n:
            key = keys[i]
            matched = 0
            if key is not None:
                for candidate, seed in index.get(key, ()):
                    length = len(candidate)
                    if i + length <= n and tuple(keys[i : i + length]) == candidate:
                        counts[seed] += 1
                        matched = length
                        break
            i += matched or 1
        return counts

    def _similarity(self, keys: Sequence[str | None], lang: str) -> list[tuple[float, tuple[str, ...]]]:
        """TF-IDF cosine with each market's profile, and the (up to) five words that contribute most to it.

        The document vector is the fitted vectorizer's (sublinear tf x idf, l2-normalised), computed on the
        document's own words only; sums run over its words in vocabulary order, as scikit-learn's sparse
        product does, so the cosines are the same numbers. Ties between contributions go to the word first in
        the vocabulary (alphabetical).
        """
        vocabulary = self._vocabulary[lang]
        counts = Counter(vocabulary[k] for k in keys if k and k in vocabulary and _content_key(k, lang))
        if not counts:
            return [(0.0, ())] * len(self.markets)
        columns = np.array(sorted(counts), dtype=np.intp)
        weights = (np.log(np.array([counts[c] for c in columns], dtype=np.float64)) + 1.0) * self._idf[lang][columns]
        weights /= math.sqrt(float(np.cumsum(weights * weights)[-1]))
        contributions = self._profiles[lang][:, columns] * weights  # markets x the document's words
        cosines = np.cumsum(contributions, axis=1)[:, -1]
        features = self._features[lang]
        out = []
        for position in range(len(self.markets)):
            row = contributions[position]
            top = [features[columns[j]] for j in np.argsort(-row, kind="stable")[:5] if row[j] > 0]
            out.append((float(cosines[position]), tuple(top)))
        return out


def tfidf_profiles(profiles: Sequence[Sequence[str]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The vocabulary (sorted), its idf and the l2-normalised sublinear TF-IDF rows of the market profiles.

    The same numbers as scikit-learn's ``TfidfVectorizer(sublinear_tf=True, norm="l2")`` over these word lists
    (smooth idf ``ln((1 + n) / (1 + df)) + 1``, tf ``1 + ln(count)``, columns in sorted order), in a few lines of
    numpy: nine short profiles do not need scikit-learn, whose import cost every language-step process seconds.
    """
    features = sorted({word for profile in profiles for word in profile})
    column = {word: i for i, word in enumerate(features)}
    counts = np.zeros((len(profiles), len(features)), dtype=np.float64)
    for row, profile in enumerate(profiles):
        for word, count in Counter(profile).items():
            counts[row, column[word]] = count
    document_frequency = (counts > 0).sum(axis=0)
    idf = np.log((1.0 + len(profiles)) / (1.0 + document_frequency)) + 1.0
    weights = np.where(counts > 0, np.log(np.where(counts > 0, counts, 1.0)) + 1.0, 0.0) * idf
    norms = np.sqrt((weights * weights).sum(axis=1, keepdims=True))
    return features, idf, np.divide(weights, norms, out=np.zeros_like(weights), where=norms > 0)


@functools.lru_cache(maxsize=4)
def _stop_words(lang: str) -> frozenset[str]:
    from spacy.util import get_lang_class

    return frozenset(get_lang_class(lang).Defaults.stop_words)


def _content_key(key: str, lang: str) -> bool:
    """Keys worth comparing for similarity: words of three or more characters that are not stop words."""
    return len(key) >= 3 and any(c.isalpha() for c in key) and key not in _stop_words(lang)
