"""A German/English word lexicon learnt from the corpus' own vocabulary, so one TF-IDF space serves both languages.

A corpus-fitted TF-IDF space is monolingual by nature: "Paket" and "package" are different columns, so a German
text and its English translation share only their names and numbers (30-40 % of the Debian translation pairs in
one topic, docs/topics.md). The classic remedy in cross-language retrieval is to translate the vocabulary, not the
documents: map each word onto its translation and count both as one term (a "concept"). No dictionary ships with
the product, so the translations are induced from a multilingual word encoder, the way bilingual lexicon induction
does it (Conneau, Lample, Ranzato, Denoyer and Jégou 2018, "Word translation without parallel data"):

- **Which words.** Only words that belong to one language of the corpus: a word is German when German documents
  hold at least `exclusive_share` (90 %) of its document rate (its share of German documents over the sum of its
  shares of German and English documents), English likewise. Words both languages use ("software", product names,
  numbers) already join the two languages and stay as they are. Per language only the `max_words` most frequent
  such words are candidates (rare words weigh little in a document's vector, and the search is quadratic).
- **Which translation.** Each word's vector comes from the multilingual encoder (`use-m3`, cached per word in the
  warehouse like the `use-m3-words` backend's). A German word's candidate is the English word with the best CSLS
  score, ``2 cos(g, e) - r(g) - r(e)``, where r is a word's mean cosine to its `neighbours` nearest words of the
  other language: CSLS corrects for "hubs", words near everything, which plain nearest neighbours pick far too
  often (Conneau et al. 2018, section 2.3); English words get their German candidate the same way.
- **Which pairs count.** A pair of mutual best partners (the criterion Conneau et al. use for their dictionary) is
  kept when its plain cosine reaches 0.6; a one-way pair (only one word chose the other) needs `min_cosine` (0.7)
  *and* its word must be an inflection of the word its partner is mutual with ("konflikte" -> "conflicts", whose
  mutual partner is "konflikt"): otherwise a "hub" gathers every word with no translation of its own (`_kept`).
  The encoder's cosine scale is a property of the encoder, not of a corpus; measured (docs/topics.md), pairs below
  0.6 are mostly wrong ("grün -> red", "stadium -> theatre"), 0.6-0.7 mixed, and above 0.7 mostly translations or
  inflections of one ("konflikte -> conflicts", "befehlszeile -> command-line"). Some translations of the
  product's own subjects score below it ("wasserstoff"/"hydrogen" 0.68, "rente"/"pension" 0.61), so the lead
  markets' German/English seed names (`models/data/term_links.toml`) of a single word each are pairs as well,
  wherever both are in the vocabulary.
- **Concepts.** Kept pairs are edges of a graph; each connected component is one concept (so "konflikt",
  "konflikte" and "conflicts" become one column). A word in no kept pair is a concept of its own.

A corpus with one language gets no lexicon at all, so its space is exactly the monolingual TF-IDF space. Nor does a
corpus whose second language is strays: fewer than `MIN_LANGUAGE_SHARE` (1 %) of the documents (the English
headlines of a German front page are 0.3 %: a few words that would not make German and English texts meet, but
would make the space differ from the plain one). So the radar's backtests, one language each, are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

if TYPE_CHECKING:
    from models.embeddings import WordEncoder

LANGUAGES = ("de", "en")  # the product's two languages: the lexicon joins these
MIN_LANGUAGE_SHARE = 0.01  # each language holds at least 1 % of the documents, else it is strays, not a language
EXCLUSIVE_SHARE = 0.9  # a word is of one language when that language's documents hold 90 % of its document rate
MIN_COSINE = 0.7  # use-m3 word cosine a translation pair needs (measured; docs/topics.md)
MUTUAL_MIN_COSINE = 0.6  # ... a pair each of whose words is the other's best partner
MAX_ENDING = 3  # letters two inflected forms of one word may differ by at the end (-e, -en, -es; -s, -es, -ed)
MIN_STEM = 4  # ... the shorter form having at least this many
NEIGHBOURS = 10  # k of CSLS's neighbourhood (Conneau et al. 2018 use 10)
MAX_WORDS = 10_000  # candidates per language, most frequent first
BLOCK_ROWS = 2_048  # rows of the similarity matrix computed at a time (2,048 x 10,000 floats: 80 MB)

WordVectors = Callable[[Sequence[str]], np.ndarray]  # words -> L2-normalised rows (e.g. StaticWordEmbedder's)


@dataclass(frozen=True)
class Translation:
    """What a TF-IDF fit needs to join German and English (`TfidfSvdEmbedder.fit`): one language per text, the
    multilingual word encoder, the one-way pairs' cosine floor, and the weight of the mean word vector beside the
    TF-IDF part in a bilingual space (0: none)."""

    languages: Sequence[str | None]
    words: WordEncoder
    min_cosine: float = MIN_COSINE
    word_weight: float = 0.0


def language_words(
    counts: sparse.spmatrix,
    languages: Sequence[str | None],
    *,
    min_df: int = 2,
    exclusive_share: float = EXCLUSIVE_SHARE,
    max_words: int = MAX_WORDS,
    min_language_share: float = MIN_LANGUAGE_SHARE,
) -> dict[str, np.ndarray] | None:
    """The columns of `counts` (documents x words) that belong to German and to English alone, most frequent first.

    None when either language has fewer than `min_language_share` of the documents (and `min_df`), or no word of
    its own in at least `min_df` of its documents: nothing to translate.
    """
    labels = np.array([(language or "").split("-")[0].lower() for language in languages], dtype=object)  # "de-DE"
    rows_of = {language: np.flatnonzero(labels == language) for language in LANGUAGES}
    if any(len(rows) < max(min_df, min_language_share * len(labels)) for rows in rows_of.values()):
        return None  # decided before any work on the matrix: the common case of a one-language window
    present = sparse.csr_matrix(counts, copy=True)
    present.data[:] = 1.0
    frequency: dict[str, np.ndarray] = {}
    rate: dict[str, np.ndarray] = {}
    for language, rows in rows_of.items():
        frequency[language] = np.asarray(present[rows].sum(axis=0)).ravel()
        rate[language] = frequency[language] / len(rows)
    total = sum(rate.values())
    words: dict[str, np.ndarray] = {}
    for language in LANGUAGES:
        share = np.divide(rate[language], total, out=np.zeros_like(total), where=total > 0)
        own = np.flatnonzero((share >= exclusive_share) & (frequency[language] >= min_df))
        if len(own) == 0:
            return None
        words[language] = own[np.argsort(-frequency[language][own], kind="stable")][:max_words]
    return words


def _row_top_mean(block: np.ndarray, k: int) -> np.ndarray:
    """Each row's mean over its `k` largest values."""
    k = min(k, block.shape[1])
    return np.partition(block, block.shape[1] - k, axis=1)[:, block.shape[1] - k :].mean(axis=1)


def translation_pairs(
    german: np.ndarray,
    english: np.ndarray,
    *,
    min_cosine: float = MIN_COSINE,
    mutual_min_cosine: float = MUTUAL_MIN_COSINE,
    neighbours: int = NEIGHBOURS,
) -> list[tuple[int, int, float, bool]]:
    """``(german row, english row, cosine, mutual)`` of each word's best CSLS partner, kept where the cosine reaches
    `mutual_min_cosine` for a pair of mutual best partners and `min_cosine` for a one-way one.

    `german` and `english` are L2-normalised word vectors. Both directions are searched (a German word's best
    English word, an English word's best German word); a pair found both ways is listed once, as mutual. Works a
    block of German rows at a time, so memory stays at ``BLOCK_ROWS x len(english)`` floats whatever the vocabulary.
    """
    n_de, n_en = len(german), len(english)
    if n_de == 0 or n_en == 0:
        return []
    k_en = min(neighbours, n_de)
    r_de = np.empty(n_de, dtype=np.float32)
    top_en = np.full((k_en, n_en), -np.inf, dtype=np.float32)  # each English word's best cosines so far
    for start in range(0, n_de, BLOCK_ROWS):
        block = german[start : start + BLOCK_ROWS] @ english.T
        r_de[start : start + len(block)] = _row_top_mean(block, neighbours)
        both = np.vstack([top_en, block])
        top_en = np.partition(both, len(both) - k_en, axis=0)[len(both) - k_en :]
    r_en = top_en.mean(axis=0)
    best_en = np.empty(n_de, dtype=np.int64)  # German row -> its best English column
    best_de = np.zeros(n_en, dtype=np.int64)  # English column -> its best German row
    best_de_score = np.full(n_en, -np.inf, dtype=np.float32)
    pairs: dict[tuple[int, int], float] = {}  # each word's best partner, either way round
    for start in range(0, n_de, BLOCK_ROWS):
        cosine = german[start : start + BLOCK_ROWS] @ english.T
        csls = 2 * cosine - r_de[start : start + len(cosine), None] - r_en[None, :]
        best_en[start : start + len(cosine)] = csls.argmax(axis=1)
        rows = csls.argmax(axis=0)
        better = csls[rows, np.arange(n_en)] > best_de_score
        best_de_score[better] = csls[rows[better], np.flatnonzero(better)]
        best_de[better] = rows[better] + start
        for row, column in enumerate(best_en[start : start + len(cosine)]):
            pairs[(start + row, int(column))] = float(cosine[row, column])
    for column, row in enumerate(best_de):
        if (int(row), column) not in pairs:
            pairs[(int(row), column)] = float(german[row] @ english[column])
    mutual = {(int(g), int(e)) for g, e in enumerate(best_en) if best_de[e] == g}
    return [
        (g, e, value, (g, e) in mutual)
        for (g, e), value in sorted(pairs.items())
        if value >= (mutual_min_cosine if (g, e) in mutual else min_cosine)
    ]


def inflections(word: str, other: str, *, max_ending: int = MAX_ENDING, min_stem: int = MIN_STEM) -> bool:
    """Whether two words of one language differ only by an ending ("konflikt", "konflikte"; "file", "files")."""
    short, long = sorted((word, other), key=len)
    return len(short) >= min_stem and long.startswith(short) and len(long) - len(short) <= max_ending


def _kept(pairs: list[tuple[str, str, float, bool]]) -> list[tuple[str, str, float]]:
    """Mutual pairs, and a one-way pair where its word is an inflection of the one its partner is mutual with.

    Without the second condition a one-way pair lets a "hub" collect words: 50 German verbs of parliamentary
    speeches ("anstoßen", "aufwerfen", "befeuern", ...) each chose "aimed" as their nearest English word, and one
    concept then stood for all of them (measured on the mixed warehouse, docs/topics.md). An inflection of a
    mutual partner ("konflikte" -> "conflicts", whose mutual partner is "konflikt") is the same word.
    """
    partner: dict[tuple[int, str], str] = {}  # (language, word) -> its mutual partner
    for de, en, _, mutual in pairs:
        if mutual:
            partner[(0, de)], partner[(1, en)] = en, de
    return [
        (de, en, cosine)
        for de, en, cosine, mutual in pairs
        if mutual or inflections(de, partner.get((1, en), "")) or inflections(en, partner.get((0, de), ""))
    ]


def concept_columns(
    vocabulary: Sequence[str],
    counts: sparse.spmatrix,
    languages: Sequence[str | None],
    word_vectors: WordVectors,
    *,
    min_df: int = 2,
    min_cosine: float = MIN_COSINE,
    exclusive_share: float = EXCLUSIVE_SHARE,
    max_words: int = MAX_WORDS,
) -> tuple[np.ndarray, list[tuple[str, str, float]]] | None:
    """The concept of each vocabulary column (an int array, concepts numbered from 0 in order of first column), and
    the translation pairs behind them, or None where the corpus gives nothing to translate (see the module doc)."""
    own = language_words(counts, languages, min_df=min_df, exclusive_share=exclusive_share, max_words=max_words)
    if own is None:
        return None
    german, english = own["de"], own["en"]
    found = translation_pairs(
        word_vectors([vocabulary[i] for i in german]),
        word_vectors([vocabulary[i] for i in english]),
        min_cosine=min_cosine,
    )
    pairs = _kept([(vocabulary[int(german[g])], vocabulary[int(english[e])], c, m) for g, e, c, m in found])
    pairs += seed_pairs(vocabulary, {(de, en) for de, en, _ in pairs})
    if not pairs:
        return None
    column = {word: i for i, word in enumerate(vocabulary)}
    size = len(vocabulary)
    edges = sparse.coo_matrix(
        (np.ones(len(pairs)), ([column[de] for de, _, _ in pairs], [column[en] for _, en, _ in pairs])),
        shape=(size, size),
    )
    _, labels = connected_components(edges, directed=False)
    _, first = np.unique(labels, return_index=True)  # renumber concepts in order of their first column
    order = np.empty(len(first), dtype=np.int64)
    order[np.argsort(first, kind="stable")] = np.arange(len(first))
    return order[labels].astype(np.int32), pairs


def seed_pairs(vocabulary: Sequence[str], known: set[tuple[str, str]]) -> list[tuple[str, str, float]]:
    """The lead markets' single-word German/English seed names in `vocabulary`, as pairs (cosine NaN: not measured).

    One link row names one technology, so every German name of a row is paired with every English one
    ("wasserstoff", "elektrolyse" with "hydrogen", "electrolysis"); a name both languages write alike is its own
    column already.
    """
    from models.term_links import TERM_JOINER, load_links

    present = set(vocabulary)
    pairs = []
    for link in load_links():
        de = [t for t in link.de if TERM_JOINER not in t and t in present]
        en = [t for t in link.en if TERM_JOINER not in t and t in present and t not in link.de]
        pairs += [(g, e, float("nan")) for g in de for e in en if g != e and (g, e) not in known]
    return pairs
