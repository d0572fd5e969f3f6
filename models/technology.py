"""How much a topic or a term is about a technology: a score in [0, 1] with the evidence behind it.

The radar must list technologies first: a football coach's transfer ranks below heat pumps even while it bursts. No
model of the world decides that here; four kinds of evidence in the data do, each a share in [0, 1]:

- **lead markets**: the share of the documents whose own words hit a technology of the lead markets' seed
  vocabulary (`technology_terms`: the cross-cutting technologies and the markets' specific seeds, not their everyday
  words), *beyond the share of all the window's documents that do* (`lead_market_excess`): the Ruhr's lead markets
  and future technologies are what a technology is *for* this radar, and a topic is about them only as far as its
  documents name them more often than any document does. Long documents name a seed by the way (a budget speech
  mentions "Digitalisierung" once): in a parliament's speeches a third to two thirds of all documents hit a seed,
  so the raw share would make a VAT-cut topic half a technology; in headlines almost none do;
- **seed words**: the share of the topic's top words (or the term itself) that are seed terms or end in one
  ("Wasserstoffelektrolyseur" ends in the seed "Elektrolyseur");
- **technical words**: the share of the top words with the morphology of a technical term, a head such as -technik,
  -anlage, -speicher, -zelle, -pumpe or "... system", "... battery" (`models/data/technology.toml`);
- **research**: the share of the documents that are patents or publications (present only when the window has
  any): what the patent offices and conferences write about is technology by construction.

They are combined as independent pieces of evidence (a noisy-OR): ``score = 1 - prod(1 - e_i)``, so one strong kind
is enough (a patent topic with everyday words is still technology; a news topic whose documents keep naming a lead
market's technologies is too), and weak evidence of several kinds adds up. A topic counts as a technology when its
score reaches ``[analysis] technology_threshold`` (0.5: more likely than not). Every part is kept as evidence.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

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

    def is_seed(self, token: str) -> bool:
        """A seed term, a linked form of one ("wärmepumpe (heat_pump)"), or a German compound ending in one."""
        base = token.split(" (")[0]
        if base in self.seeds or token in self.seeds:
            return True
        last = base.split(TERM_JOINER)[-1]
        return any(last.endswith(seed) and len(last) > len(seed) + 2 for seed in self.compound_seeds)

    def is_technical(self, token: str) -> bool:
        """The last word names an artefact, process or system (German compound head or English head noun)."""
        last = token.split(" (")[0].split(TERM_JOINER)[-1]
        if last in self.heads_en:
            return True
        return any(last == head or (last.endswith(head) and len(last) > len(head) + 2) for head in self.heads_de)


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

    def evidence(self) -> dict[str, object]:
        return {
            "technology": round(self.score, 4),
            "lead_market_share": round(self.lead_markets, 4),
            "lead_market_raw_share": round(self.lead_market_raw, 4),
            "lead_market_base_rate": None if self.lead_market_base is None else round(self.lead_market_base, 4),
            "seed_word_share": round(self.seed_words, 4),
            "technical_word_share": round(self.technical_words, 4),
            "research_share": None if self.research is None else round(self.research, 4),
            "technology_words": list(self.words),
        }


def technology(
    words: Sequence[str],
    *,
    documents: int,
    with_lead_market: int,
    research_documents: int | None,
    vocabulary: TechnologyVocabulary,
    top: int = 5,
    base_rate: float | None = None,
) -> Technology:
    """The score of a topic (its top `words`) or a term (``words = [term]``) over its `documents`.

    `with_lead_market`: how many of them hit a lead market's seeds; `base_rate`: the share of all the window's
    documents that do (the lead-market part is the excess over it, `lead_market_excess`; None: no correction);
    `research_documents`: how many are patents or publications (None when the window has none, so that a
    news-only warehouse is not judged on it).
    Example: a topic of 40 documents, 22 with lead-market evidence in a window where 10 % of all documents have
    some, top words wärmepumpe (seed), heizungsgesetz, gebäudeenergiegesetz, habeck, wärmeplanung (seed) gives
    lead markets (0.55 - 0.1) / 0.9 = 0.5 and 1 - (1 - 0.5)(1 - 0.4)(1 - 0) = 0.7.
    """
    shown = [w for w in words[:top] if w]
    seed = [w for w in shown if vocabulary.is_seed(w)]
    technical = [w for w in shown if w not in seed and vocabulary.is_technical(w)]
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
    )
