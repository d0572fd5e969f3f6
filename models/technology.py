"""How much a topic or a term is about a technology: a score in [0, 1] with the evidence behind it.

The radar must list technologies first: a football coach's transfer ranks below heat pumps even while it bursts. No
model of the world decides that here; five kinds of evidence in the data do, each a share in [0, 1]:

- **lead markets**: the share of the documents whose own words hit a technology of the lead markets' seed
  vocabulary (`technology_terms`: the cross-cutting technologies and the markets' specific seeds, not their everyday
  words), *beyond the share of all the window's documents that do* (`lead_market_excess`): the Ruhr's lead markets
  and future technologies are what a technology is *for* this radar, and a topic is about them only as far as its
  documents name them more often than any document does. Long documents name a seed by the way (a budget speech
  mentions "Digitalisierung" once): in a parliament's speeches a third to two thirds of all documents hit a seed,
  so the raw share would make a VAT-cut topic half a technology; in headlines almost none do;
- **seed words**: the share of the topic's five best words (or the term itself) that are seed terms or end in one
  ("Wasserstoffelektrolyseur" ends in the seed "Elektrolyseur");
- **technical words**: the share of the top words with the morphology of a technical term, a head such as -technik,
  -anlage, -speicher, -zelle, -pumpe or "... system", "... battery" (`models/data/technology.toml`). For both, a
  word counts only if at least a tenth of the topic's documents use it (the label words' rule; `technology`'s
  `shares`): a word few of its documents use is not evidence of what the topic is about. The five are the best
  words that a tenth use, then the other top words (`described_words`);
- **research**: the share of the documents that are patents or publications (present only when the window has
  any): what the patent offices and conferences write about is technology by construction;
- **sources**: the mean technology share of the documents' sources beyond the window's (present only when the
  window has two sources or more): a technology publisher's headlines are mostly about technology though most
  name no seed. A source's share is its seed-hit rate over the share of technology documents that name a seed,
  which positive-unlabelled learning estimates from the window (`seed_label_frequency`,
  `source_technology_shares`).

They are combined as independent pieces of evidence (a noisy-OR): ``score = 1 - prod(1 - e_i)``, so one strong kind
is enough (a patent topic with everyday words is still technology; a news topic whose documents keep naming a lead
market's technologies is too), and weak evidence of several kinds adds up. A topic counts as a technology when its
score reaches ``[analysis] technology_threshold`` (0.5: more likely than not). Every part is kept as evidence.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
from scipy import sparse

from models.term_links import TERM_JOINER, term_token

RESEARCH_KINDS = ("patent", "publication")  # document kinds whose subject is technology by construction
# Zipf frequency (log10 of occurrences per billion words, wordfreq) from which a single word is everyday language:
# van Heuven et al. (2014) call Zipf 1-3 low-frequency and 4-7 high-frequency words.
EVERYDAY_ZIPF = 4.0


def technology_terms(
    market_seeds: Mapping[str, Iterable[str]], cross_cutting_seeds: Mapping[str, Iterable[str]]
) -> frozenset[str]:
    """The seed terms (as written) that name technologies: what counts as technology evidence in a document.

    The cross-cutting future technologies all do (that table lists technologies by definition). A lead market's
    own seed list also holds the market's everyday vocabulary, added so the language step can tell the market
    ("Krankenhaus", "Patient", "Schule", "Tourismus", "Verkehr"): a single word as frequent as everyday language
    (Zipf >= 4) is such an anchor, not a technology. Multi-word and hyphenated seeds are specific by construction
    ("digitale Gesundheit", "Power-to-Heat"), and so are rarer single words ("Wärmepumpe", "Telemedizin").
    """
    from wordfreq import zipf_frequency

    chosen = {term for terms in cross_cutting_seeds.values() for term in terms}
    for lang, terms in market_seeds.items():
        for term in terms:
            single = len(term.split()) == 1 and "-" not in term
            if not single or zipf_frequency(term, lang) < EVERYDAY_ZIPF:
                chosen.add(term)
    return frozenset(chosen)


def lead_market_excess(share: float, base_rate: float | None) -> float:
    """How far a topic's (or term's) share of documents with technology evidence exceeds the window's base rate.

    ``(share - base) / (1 - base)``, clipped to [0, 1]: 0 when its documents name the lead markets' technologies no
    more often than the average document of the window, 1 when all of them do; with no base rate (None) the share
    itself. It is the chance correction of Cohen's kappa and Loevinger's H: what a random set of the window's
    documents would reach is not evidence. A window in which every document has evidence tells nothing apart (0).
    """
    if base_rate is None:
        return min(1.0, max(0.0, share))
    if not 0.0 <= base_rate <= 1.0:
        raise ValueError(f"base_rate must be a share in [0, 1], got {base_rate}")
    if base_rate >= 1.0:
        return 0.0
    return min(1.0, max(0.0, (share - base_rate) / (1.0 - base_rate)))


@dataclass(frozen=True)
class TechnologyVocabulary:
    """Seed terms (as tokens) and technical heads, to judge single words."""

    seeds: frozenset[str]
    heads_de: tuple[str, ...]
    heads_en: frozenset[str]
    compound_seeds: tuple[str, ...] = ()  # one-word seeds of 4+ letters a German compound may end in

    @functools.cached_property
    def compound_seed_set(self) -> frozenset[str]:
        return frozenset(self.compound_seeds)

    def is_seed(self, token: str) -> bool:
        """A seed term, a linked form of one ("wärmepumpe (heat_pump)"), or a German compound ending in one.

        A token ("künstliche_intelligenz") and the form a topic's words are shown in ("künstliche intelligenz (ai)")
        are the same term: topic words reach the score as shown, and a multi-word seed must count there too.
        """
        base = _term_base(token)
        if base in self.seeds or token in self.seeds:
            return True
        last = base.split(TERM_JOINER)[-1]
        # a seed of k letters ends it, with at least three letters before (k runs over the seeds' possible lengths)
        return any(last[-k:] in self.compound_seed_set for k in range(4, len(last) - 2))

    def is_technical(self, token: str) -> bool:
        """The last word names an artefact, process or system (German compound head or English head noun)."""
        last = _term_base(token).split(TERM_JOINER)[-1]
        if last in self.heads_en:
            return True
        return any(last == head or (last.endswith(head) and len(last) > len(head) + 2) for head in self.heads_de)


def _term_base(word: str) -> str:
    """The token of a term without its linked name: "künstliche intelligenz (ai)" -> "künstliche_intelligenz"."""
    return term_token(word.split(" (")[0])


def load_vocabulary(seed_terms: Iterable[str]) -> TechnologyVocabulary:
    """The vocabulary from the given seed terms (the lead markets' and cross-cutting ones) and the shipped heads."""
    data = tomllib.loads(resources.files("models").joinpath("data/technology.toml").read_text(encoding="utf-8"))
    seeds = frozenset(term_token(t) for t in seed_terms if t.strip())
    return TechnologyVocabulary(
        seeds=seeds,
        compound_seeds=tuple(sorted(s for s in seeds if TERM_JOINER not in s and len(s) >= 4)),
        heads_de=tuple(sorted({h.lower() for h in data["heads_de"]}, key=len, reverse=True)),
        heads_en=frozenset(h.lower() for h in data["heads_en"]),
    )


@dataclass(frozen=True)
class Technology:
    """A technology score and its parts (each a share in [0, 1]; research is None without research documents)."""

    score: float
    lead_markets: float  # the excess share over the window's base rate (`lead_market_excess`)
    seed_words: float
    technical_words: float
    research: float | None
    words: tuple[str, ...]  # the words that counted as seed or technical words
    lead_market_raw: float = 0.0  # the share of the documents with technology evidence, before the correction
    lead_market_base: float | None = None  # the share of all the window's documents with technology evidence
    sources: float | None = None  # the excess of its sources' technology share over the window's (None: one source)
    source_raw: float | None = None  # the mean technology share of its documents' sources (`source_technology_shares`)
    source_base: float | None = None  # the same over all the window's documents

    def evidence(self) -> dict[str, object]:
        return {
            "technology": round(self.score, 4),
            "lead_market_share": round(self.lead_markets, 4),
            "lead_market_raw_share": round(self.lead_market_raw, 4),
            "lead_market_base_rate": None if self.lead_market_base is None else round(self.lead_market_base, 4),
            "seed_word_share": round(self.seed_words, 4),
            "technical_word_share": round(self.technical_words, 4),
            "research_share": None if self.research is None else round(self.research, 4),
            "source_share": None if self.sources is None else round(self.sources, 4),
            "source_raw_share": None if self.source_raw is None else round(self.source_raw, 4),
            "source_base_rate": None if self.source_base is None else round(self.source_base, 4),
            "technology_words": list(self.words),
        }


def described_words(
    top_words: Sequence[str],
    top_shares: Sequence[float],
    frequent: Sequence[str],
    frequent_shares: Sequence[float],
) -> tuple[list[str], list[float]]:
    """The words a topic's technology score reads, with their document shares: its best words that a real share of
    its documents use (`frequent`, best first: the words its label is made of), then its other top words.

    Why frequent words first: c-TF-IDF ranks a word by how distinctive it is, and in short texts the most
    distinctive words are rare ones. A heap of 136 headlines about machine learning had "lernen", "programmieren",
    "learning", "maschinelles lernen", "algorithmus" as its five top words, only "lernen" used by a tenth of them,
    while its label read "lernen / künstliche intelligenz (ai)": the seed the analyst reads in the label was not
    evidence, and the topic stayed below the threshold (0.47). The frequent words are judged in the same five
    places, and the other top words still fill the rest, so a car topic whose one frequent word is "auto" keeps one
    technical word of five, not one of one (docs/topics.md, "Technologies first").
    """
    chosen = dict(zip(frequent, frequent_shares, strict=True))
    for word, share in zip(top_words, top_shares, strict=False):
        chosen.setdefault(word, share)
    return list(chosen), list(chosen.values())


def technology(
    words: Sequence[str],
    *,
    documents: int,
    with_lead_market: int,
    research_documents: int | None,
    vocabulary: TechnologyVocabulary,
    top: int = 5,
    base_rate: float | None = None,
    source_share: float | None = None,
    source_base: float | None = None,
    shares: Sequence[float] | None = None,
    min_share: float = 0.0,
) -> Technology:
    """The score of a topic (its top `words`) or a term (``words = [term]``) over its `documents`.

    `shares`, one per word: the share of the topic's documents using it. A top word counts as seed or technical
    evidence only if at least `min_share` of them do (`[topics] label_min_share`, the rule a label word meets),
    still out of all `top` words: a word a few of its documents use says what those documents are about, not the
    topic ("smartphone" in a thirtieth of a heap of 1,209 mixed teasers made the heap half a technology), and the
    other top words still stand against the ones that count (a car topic whose only frequent word is "auto" keeps
    one technical word of five, not one of one).

    `with_lead_market`: how many of them hit a lead market's seeds; `base_rate`: the share of all the window's
    documents that do (the lead-market part is the excess over it, `lead_market_excess`; None: no correction);
    `research_documents`: how many are patents or publications (None when the window has none, so that a
    news-only warehouse is not judged on it); `source_share`: the mean technology share of its documents' sources
    (`source_technology_shares`), `source_base` the same over the window's documents (the part is the excess,
    `lead_market_excess`; None when the window has one source, so that it is not judged on it).
    Example: a topic of 40 documents, 22 with lead-market evidence in a window where 10 % of all documents have
    some, top words wärmepumpe (seed), heizungsgesetz, gebäudeenergiegesetz, habeck, wärmeplanung (seed) gives
    lead markets (0.55 - 0.1) / 0.9 = 0.5 and 1 - (1 - 0.5)(1 - 0.4)(1 - 0) = 0.7.
    """
    used = list(shares) if shares is not None and len(shares) == len(words) else [1.0] * len(words)
    shown = [(w, share) for w, share in zip(words[:top], used[:top], strict=True) if w]
    counted = [w for w, share in shown if share >= min_share]
    seed = [w for w in counted if vocabulary.is_seed(w)]
    technical = [w for w in counted if w not in seed and vocabulary.is_technical(w)]
    n = max(1, len(shown))
    raw = min(1.0, with_lead_market / documents) if documents else 0.0
    parts = [
        lead_market_excess(raw, base_rate) if documents else 0.0,
        len(seed) / n,
        len(technical) / n,
    ]
    research = None if research_documents is None or not documents else min(1.0, research_documents / documents)
    if research is not None:
        parts.append(research)
    from_sources = None
    if source_share is not None and source_base is not None and documents:
        from_sources = lead_market_excess(source_share, source_base)
        parts.append(from_sources)
    remaining = 1.0
    for part in parts:
        remaining *= 1.0 - part
    return Technology(
        score=1.0 - remaining,
        lead_markets=parts[0],
        seed_words=parts[1],
        technical_words=parts[2],
        research=research,
        words=tuple(seed + technical),
        lead_market_raw=raw,
        lead_market_base=base_rate,
        sources=from_sources,
        source_raw=source_share if from_sources is not None else None,
        source_base=source_base if from_sources is not None else None,
    )


MIN_LEARNING_DOCUMENTS = 30  # of each class (with and without seed hits), below which nothing is learnt
LEARNING_FOLDS = 3
LEARNING_SAMPLE = 20_000  # documents the label frequency is learnt on at most: a mean, which a sample pins down


def seed_label_frequency(
    counts: sparse.spmatrix,
    vocabulary: Sequence[str],
    labelled: np.ndarray,
    technology_vocabulary: TechnologyVocabulary,
    *,
    folds: int = LEARNING_FOLDS,
    sample: int = LEARNING_SAMPLE,
    seed: int = 0,
) -> float | None:
    """How often a document about technology names a technology seed: Elkan and Noto's label frequency *c*.

    A document that names a seed is about technology; one that names none may still be ("iPhone 15 mit USB-C",
    "Sicherheitslücke in Chrome"): headlines and teasers are too short to name a seed even when their subject is
    one, and a parliament's speeches name one by the way. Positive-unlabelled learning (Elkan and Noto 2008,
    "Learning classifiers from only positive and unlabeled data") estimates from the data what share of the
    technology documents the seeds find: a classifier g(x) = P(names a seed | the document's *other* words),
    predicted out of fold, averages c over the documents that do name one. The seed words themselves (and
    compounds ending in one) are left out of the features, so that g learns what else technology documents say
    rather than the labelling rule; g is logistic regression on sublinear TF-IDF rows (l2-normalised, so that
    its regularisation means the same whatever the document length). Headlines give a small c (the seeds find
    one technology document in several), long texts a large one.

    `counts` are documents x words, `labelled` says which documents name a seed. None when either kind has fewer
    than `MIN_LEARNING_DOCUMENTS` documents or no word is shared by two documents: nothing to learn from. At most
    `sample` documents (a stratified random sample) are used, so the cost is bounded whatever the window's size.
    """
    labelled = np.asarray(labelled, dtype=bool)
    n = len(labelled)
    if counts.shape[0] != n:
        raise ValueError(f"{counts.shape[0]} rows of counts for {n} documents")
    positives = int(labelled.sum())
    if min(positives, n - positives) < max(MIN_LEARNING_DOCUMENTS, folds):
        return None
    rows = np.arange(n)
    if n > sample:
        rng = np.random.default_rng(seed)
        rows = np.sort(
            np.concatenate([
                rng.choice(np.flatnonzero(labelled), max(folds, round(sample * positives / n)), replace=False),
                rng.choice(np.flatnonzero(~labelled), max(folds, round(sample * (n - positives) / n)), replace=False),
            ])
        )  # fmt: skip
    keep = np.flatnonzero([not technology_vocabulary.is_seed(str(w)) for w in vocabulary])
    matrix = sparse.csr_matrix(counts, dtype=np.float64)[rows][:, keep]
    document_frequency = np.bincount(matrix.indices, minlength=matrix.shape[1])
    matrix = matrix[:, np.flatnonzero(document_frequency >= 2)]  # a word of one document generalises to none
    if matrix.shape[1] == 0:
        return None
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    features = TfidfTransformer(sublinear_tf=True).fit_transform(matrix)
    target = labelled[rows]
    scores = np.zeros(len(rows), dtype=np.float64)
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(rows)), target):
        model = LogisticRegression(max_iter=1_000)
        model.fit(features[train], target[train])
        scores[test] = model.predict_proba(features[test])[:, 1]
    frequency = float(scores[target].mean())
    return frequency if frequency > 0.0 else None


def source_technology_shares(
    sources: Sequence[str], labelled: np.ndarray, label_frequency: float | None
) -> dict[str, float] | None:
    """The share of each source's documents that are about technology, as the seed hits and *c* estimate it.

    A source's seed-hit rate r divided by the label frequency c (`seed_label_frequency`) estimates how much of its
    output is technology (clipped to 1): a technology publisher whose headlines name a seed four times as often
    as a general one is mostly technology, though most of its headlines name none. The rate is shrunk towards the
    window's (a prior worth one seed-hitting document: ``(hits + 1) / (documents + 1 / base)``) so that a source
    of a handful of documents cannot look specialised by chance. None with fewer than two sources (nothing to
    tell apart) or without a label frequency.
    """
    labelled = np.asarray(labelled, dtype=bool)
    if label_frequency is None or len(sources) != len(labelled) or len(set(sources)) < 2:
        return None
    base = float(labelled.mean())
    if base <= 0.0:
        return None
    hits: dict[str, int] = {}
    documents: dict[str, int] = {}
    for source, hit in zip(sources, labelled.tolist(), strict=True):
        documents[source] = documents.get(source, 0) + 1
        hits[source] = hits.get(source, 0) + int(hit)
    return {
        source: min(1.0, (hits[source] + 1.0) / (documents[source] + 1.0 / base) / label_frequency)
        for source in documents
    }
