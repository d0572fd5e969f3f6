"""Source boilerplate learnt from the data: words that belong to a source, not to what its documents are about.

Publisher and site names ("n-tv.de", "tagesspiegel"), bylines ("Von ..."), paywall and navigation words ("Z+",
"abopflichtiger Inhalt", "Merkliste"), title suffixes (" - Publisher") became topic words because they are frequent
in a source's documents. No hand list per site: a word is boilerplate of a source when both hold (the rule is
statistical, so it carries over to sources nobody has looked at):

1. **It is concentrated in a few sources.** The sources whose share of the word's documents is at least
   ``min_lift`` times their share of all documents carry at least ``min_concentration`` of its documents, and
   together they hold at most ``max_source_share`` of all documents. A word spread like the corpus is not a
   source's word; in a warehouse of one source nothing is boilerplate by this rule.
2. **Within those sources it says nothing about the topic**, by one of two measures, one per place:

   - *Before any topic exists: its documents stand apart from the other sources' no more than its sources'
     documents do as a whole* (``cohesion`` below ``max_cohesion``, the same factor 2 as ``min_lift``;
     `cohesion_lifts`, `source_markers`). "SZ Plus" heads features on every subject: they are as close to each other,
     and as far from the other sites' headlines, as any two SZ headlines (1.2-1.8 on the news front pages). "Linux"
     on heise heads documents that share the words of their subject: 3.8-4.1. These *markers* are left out of the
     embedding space's vocabulary (`models.embeddings.TfidfSvdEmbedder`), so that a paywall prefix cannot pull its
     documents into a cluster of its own, which no measure on the topics could undo: the marker would be associated
     with the topic it made.
   - *On the fitted topics: its association with the topics of those sources' documents is negligible*
     (`source_boilerplate`): Cramér's V of the 2 x k table (word present or not x topic, outliers a topic of their
     own) is below ``max_association`` (0.1: Cohen's (1988) threshold of a small effect). A technology word that
     one specialist site uses a lot (heise and "Linux") is concentrated too, but it sits in a few topics: V is
     large. This is what leaves boilerplate out of the topic words.

A word needs ``min_documents`` documents in those sources (and ``min_topics`` distinct topics) before it can be
judged at all. Every finding comes with its numbers (`Boilerplate`), so an analyst can see why a word was dropped.

Two more rules come from the same idea:

- **Topic-independent words** (`generic_words`): a frequent word whose association with the topics of *all* the
  window's documents is negligible says nothing about any topic, whichever source it comes from: the publisher
  suffix of an aggregator feed that carries every publisher (" - n-tv.de" on titles of one source), and everyday
  verbs ("sagen", "liefern"). The same test, on all documents.
- **Source names** (`source_name_words`): the names of the window's sources ("heise.de" -> "heise") are never topic
  words, nor words that begin or end with a name of five or more letters ("heiseshow"). They come from the
  warehouse's own source names, not from a list per site.

Association is Cramér's V with Bergsma's (2013) bias correction: the plain V of a word against 300 small topics is
about 0.17 even when the word is independent of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class Boilerplate:
    """Why a word was judged boilerplate of its sources."""

    word: str
    sources: tuple[str, ...]
    documents: int  # the word's documents in those sources
    concentration: float  # share of all its documents that are in those sources
    source_share: float  # those sources' share of all documents
    association: float | None  # Cramér's V of word presence and topic within those sources (None: no topics yet)
    topics: int  # distinct topics (outliers counted as one) of its documents there
    cohesion: float | None = None  # how much more alike its documents are than its sources' (`cohesion_lifts`)


@dataclass(frozen=True)
class _Concentrated:
    """Rule 1 of the module docstring for every word of a window: which sources carry it, and how much."""

    names: list[str]  # the sources, sorted
    source_of: np.ndarray  # each document's index into `names`
    carrying: np.ndarray  # sources x words: the source's share of the word's documents >= min_lift x its share
    carried: np.ndarray  # per word: its documents in its carrying sources
    concentration: np.ndarray  # per word: carried / its documents
    carried_share: np.ndarray  # per word: the carrying sources' share of all documents
    candidates: np.ndarray  # the words that pass rule 1, column indices


def _concentrated(
    present: sparse.csc_matrix,
    sources: Sequence[str],
    *,
    min_documents: int,
    min_lift: float,
    min_concentration: float,
    max_source_share: float,
) -> _Concentrated | None:
    """Rule 1 (concentrated in a few sources), or None when the window has fewer than two sources or no words."""
    names = sorted(set(sources))
    if len(names) < 2 or present.shape[1] == 0:
        return None
    index = {name: i for i, name in enumerate(names)}
    source_of = np.array([index[s] for s in sources])
    by_source = sparse.csr_matrix(
        (np.ones(len(sources)), (source_of, np.arange(len(sources)))), shape=(len(names), len(sources))
    )
    source_docs = np.asarray(by_source.sum(axis=1)).ravel()
    source_share = source_docs / source_docs.sum()
    word_docs_per_source = np.asarray((by_source @ present).todense())  # sources x words
    word_docs = word_docs_per_source.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = (word_docs_per_source / np.where(word_docs > 0, word_docs, 1)) / source_share[:, None]
    carrying = lift >= min_lift
    carried = np.where(carrying, word_docs_per_source, 0).sum(axis=0)
    carried_share = np.where(carrying, source_share[:, None], 0).sum(axis=0)
    concentration = carried / np.where(word_docs > 0, word_docs, 1)
    candidates = np.flatnonzero(
        (carried >= min_documents) & (concentration >= min_concentration) & (carried_share <= max_source_share)
    )
    return _Concentrated(names, source_of, carrying, carried, concentration, carried_share, candidates)


def cohesion_lifts(counts: sparse.csr_matrix, present: sparse.csc_matrix, found: _Concentrated) -> np.ndarray:
    """For each candidate word: how much more its documents stand apart from the other sources' than the rest of
    its sources' documents do.

    ``(within(D) / between(D, O)) / (within(R) / between(R, O))`` for the word's documents D in its carrying
    sources, the rest R of those sources' documents, and the other sources' documents O. The rest, not the sources
    as a whole: a specialist site's main subject fills most of it, and compared with the whole site it would look
    like a marker; compared with the site's other documents it stands apart.

    ``within`` is the mean cosine of two documents of a set, ``between`` of one of each set, over sublinear TF-IDF
    rows of the *shared* vocabulary: every word that is not concentrated in a few sources, so neither the word,
    nor its companions in a marker ("SZ" and "Plus"), nor a source's other words of its own (its sections, its
    bylines) make its documents alike. The means cost one sum per set, not n^2 products: ``within = (|X|^2 - n) /
    (n (n - 1))`` and ``between = X . Y / (n m)`` for unit rows summed to ``X`` and ``Y``.

    A marker heads documents on every subject of its source, which stand apart from the other sources as the
    source's others do: about 1 (news front pages: 0.6-1.4, "SZ Plus" up to 2.1). A subject word's documents share
    their subject's words, of which other sources write too, and they sit together: "Linux" on heise about 4,
    "Windows" 3-7. A word on a random part of a source that is all one subject cannot be told from a marker by
    this (nor by anything that does not know the subject). A document with no shared word has no row and is left
    out. Infinite where there is nothing to compare (a mean is zero, or too few documents on a side).
    """
    from sklearn.feature_extraction.text import TfidfTransformer

    shared = np.ones(counts.shape[1], dtype=bool)
    shared[found.candidates] = False
    weighted = TfidfTransformer(sublinear_tf=True).fit_transform(counts[:, np.flatnonzero(shared)]).tocsr()
    unit, has_row = unit_rows(weighted)
    per_source_sum = np.vstack(
        [np.asarray(unit[found.source_of == i].sum(axis=0)).ravel() for i in range(len(found.names))]
    )
    per_source_rows = np.bincount(found.source_of[has_row], minlength=len(found.names))
    everything, n_everything = per_source_sum.sum(axis=0), int(per_source_rows.sum())
    lifts = np.full(len(found.candidates), np.inf)
    for k, word in enumerate(found.candidates.tolist()):
        carriers = np.flatnonzero(found.carrying[:, word])
        rows = present[:, word].nonzero()[0]
        rows = rows[np.isin(found.source_of[rows], carriers) & has_row[rows]]
        own, n = np.asarray(unit[rows].sum(axis=0)).ravel(), len(rows)
        sources, n_sources = per_source_sum[carriers].sum(axis=0), int(per_source_rows[carriers].sum())
        rest, n_rest = sources - own, n_sources - n  # the sources' documents without the word
        others, n_others = everything - sources, n_everything - n_sources
        if n < 2 or n_rest < 2 or n_others < 1:
            continue
        apart_word = ((own @ own - n) / (n * (n - 1))) / (own @ others / (n * n_others))
        apart_rest = ((rest @ rest - n_rest) / (n_rest * (n_rest - 1))) / (rest @ others / (n_rest * n_others))
        if np.isfinite(apart_word) and np.isfinite(apart_rest) and apart_rest > 0:
            lifts[k] = apart_word / apart_rest
    return lifts


def unit_rows(matrix: sparse.csr_matrix) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The rows scaled to length 1, and which rows have any length at all (the others stay zero)."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    has_row = norms > 0
    scale = sparse.diags(np.where(has_row, 1.0 / np.where(has_row, norms, 1.0), 0.0))
    return sparse.csr_matrix(scale @ matrix), has_row


def _finding(word: str, index: int, found: _Concentrated, **measures: float | int | None) -> Boilerplate:
    """A finding with rule 1's numbers; an infinite cohesion (its sources' documents share no word) is None."""
    if measures.get("cohesion") is not None and not np.isfinite(measures["cohesion"]):  # type: ignore[arg-type]
        measures["cohesion"] = None
    return Boilerplate(
        word=word,
        sources=tuple(found.names[i] for i in np.flatnonzero(found.carrying[:, index])),
        documents=int(found.carried[index]),
        concentration=float(found.concentration[index]),
        source_share=float(found.carried_share[index]),
        **measures,  # type: ignore[arg-type]
    )


def source_markers(
    counts: sparse.csr_matrix,
    vocabulary: Sequence[str],
    sources: Sequence[str],
    *,
    min_documents: int = 20,
    min_lift: float = 2.0,
    min_concentration: float = 0.8,
    max_source_share: float = 0.5,
    max_cohesion: float = 2.0,
) -> dict[str, Boilerplate]:
    """The source boilerplate that needs no topics (rule 2, first measure): concentrated words whose documents
    stand apart from the other sources' less than twice as much as the rest of their sources' documents do. What
    an embedding space leaves out of its vocabulary, so that a paywall prefix cannot pull its documents into a
    cluster of their own (`models.embeddings.TfidfSvdEmbedder`). Nothing with fewer than two sources."""
    if len(set(sources)) < 2:
        return {}
    counts = counts.copy()  # scipy sorts a matrix's indices in place; the caller's sums must not change by a bit
    present = (counts > 0).astype(np.float64).tocsc()
    found = _concentrated(present, sources, min_documents=min_documents, min_lift=min_lift,
                          min_concentration=min_concentration, max_source_share=max_source_share)  # fmt: skip
    if found is None:
        return {}
    return _markers(counts, present, vocabulary, found, max_cohesion)


def _markers(
    counts: sparse.csr_matrix,
    present: sparse.csc_matrix,
    vocabulary: Sequence[str],
    found: _Concentrated,
    max_cohesion: float,
) -> dict[str, Boilerplate]:
    """The candidates of `found` whose cohesion lift is below `max_cohesion`, with their numbers."""
    if len(found.candidates) == 0:
        return {}
    lifts = cohesion_lifts(counts, present, found)
    return {
        vocabulary[word]: _finding(vocabulary[word], word, found, association=None, topics=0, cohesion=float(lift))
        for word, lift in zip(found.candidates.tolist(), lifts.tolist(), strict=True)
        if lift < max_cohesion
    }


def source_boilerplate(
    counts: sparse.csr_matrix,
    vocabulary: Sequence[str],
    sources: Sequence[str],
    assignments: np.ndarray,
    *,
    min_documents: int = 20,
    min_topics: int = 3,
    min_lift: float = 2.0,
    min_concentration: float = 0.8,
    max_source_share: float = 0.5,
    max_association: float = 0.1,
    markers: bool = False,
    max_cohesion: float = 2.0,
) -> dict[str, Boilerplate]:
    """The boilerplate words of a window's topics (rule 2, second measure): `counts` is documents x words,
    `sources` and `assignments` per document. The markers the first measure finds never reach the topics' space
    (`source_markers`), so their documents spread over the topics, and this measure finds them here too.

    With `markers`, the first measure's findings on these words join them (from the same rule-1 pass), and a word
    both find keeps its association and gets its cohesion: a marker that made a topic of its own is associated
    with it, so only the first measure sees it."""
    present = (counts > 0).astype(np.float64).tocsc()
    found = _concentrated(present, sources, min_documents=min_documents, min_lift=min_lift,
                          min_concentration=min_concentration, max_source_share=max_source_share)  # fmt: skip
    if found is None:
        return {}
    topics = sorted(set(assignments.tolist()))
    topic_index = {t: i for i, t in enumerate(topics)}
    topic_of = np.array([topic_index[a] for a in assignments.tolist()])
    result: dict[str, Boilerplate] = {}
    for word in found.candidates.tolist():
        keep = np.isin(found.source_of, np.flatnonzero(found.carrying[:, word]))
        has = present[:, word].toarray().ravel()[keep] > 0
        groups = topic_of[keep]
        n_topics = len(set(groups[has].tolist()))
        if n_topics < min_topics:
            continue
        association = _cramers_v(has, groups, len(topics))
        if association < max_association:
            result[vocabulary[word]] = _finding(
                vocabulary[word], word, found, association=float(association), topics=n_topics
            )
    if markers:
        for word, marker in _markers(counts.copy(), present, vocabulary, found, max_cohesion).items():
            known = result.get(word)
            result[word] = marker if known is None else replace(known, cohesion=marker.cohesion)
    return result


def _cramers_v(has: np.ndarray, groups: np.ndarray, n_groups: int) -> float:
    """Bias-corrected Cramér's V of a 0/1 variable against a group label (a 2 x k table; Bergsma 2013).

    The plain ``sqrt(chi2 / n)`` grows with the number of groups even under independence (its expectation is about
    ``sqrt((k - 1) / n)``: 0.17 for 300 topics of 10,000 documents), so with many topics every word would look
    associated. Bergsma's correction subtracts that expectation: ``phi2 = max(0, chi2 / n - (k - 1) / (n - 1))``,
    ``k~ = k - (k - 1)^2 / (n - 1)``, ``r~ = 2 - 1 / (n - 1)``, ``V = sqrt(phi2 / min(k~ - 1, r~ - 1))``.
    """
    n = len(has)
    if n < 2:
        return 0.0
    with_word = np.bincount(groups[has], minlength=n_groups).astype(float)
    sizes = np.bincount(groups, minlength=n_groups).astype(float)
    used = sizes > 0
    k = int(used.sum())
    p = with_word.sum() / n
    if p in (0.0, 1.0) or k < 2:
        return 0.0
    without = sizes[used] - with_word[used]
    expected_with, expected_without = sizes[used] * p, sizes[used] * (1 - p)
    chi2 = ((with_word[used] - expected_with) ** 2 / expected_with).sum()
    chi2 += ((without - expected_without) ** 2 / expected_without).sum()
    phi2 = max(0.0, chi2 / n - (k - 1) / (n - 1))
    k_corrected = k - (k - 1) ** 2 / (n - 1)
    r_corrected = 2 - 1 / (n - 1)
    denominator = min(k_corrected - 1, r_corrected - 1)
    return float(np.sqrt(phi2 / denominator)) if denominator > 0 else 0.0


def generic_words(
    counts: sparse.csr_matrix,
    vocabulary: Sequence[str],
    assignments: np.ndarray,
    *,
    min_documents: int = 20,
    min_topics: int = 3,
    max_association: float = 0.1,
) -> dict[str, Boilerplate]:
    """Frequent words with a negligible association to the topics of the whole window (see the module docstring)."""
    present = (counts > 0).astype(np.float64).tocsc()
    frequency = np.asarray(present.sum(axis=0)).ravel()
    topics = sorted(set(assignments.tolist()))
    groups = np.array([topics.index(a) for a in assignments.tolist()])
    found: dict[str, Boilerplate] = {}
    for word in np.flatnonzero(frequency >= min_documents).tolist():
        has = present[:, word].toarray().ravel() > 0
        n_topics = len(set(groups[has].tolist()))
        if n_topics < min_topics:
            continue
        association = _cramers_v(has, groups, len(topics))
        if association < max_association:
            found[vocabulary[word]] = Boilerplate(
                vocabulary[word], (), int(frequency[word]), 1.0, 1.0, float(association), n_topics
            )
    return found


_WEB_PARTS = frozenset({"www", "de", "com", "org", "net", "eu", "info", "feed", "feeds", "rss", "atom", "xml", "html"})
_WWW = re.compile(r"www\d*")  # "www1.wdr.de": a host prefix, not a name
_WWW_PREFIX = re.compile(r"^www\d*\.")


def source_name_words(sources: Sequence[str]) -> frozenset[str]:
    """The name parts of the sources ("heise.de" -> "heise"; "n-tv.de" -> "n-tv", "n-tv.de";
    "feed:news.rub.de/newsfeed" -> "news", "rub", "news.rub.de").

    A host's labels are kept whole with their hyphens ("t-online", not "online": a name, not a general word), and a
    dotted host is a name as a whole too, because headlines end in " - n-tv.de" and the tokeniser keeps it whole.
    Of a source named by its address (a feed without a name: ``feed:host/path?query``, or any name with a "/") only
    the host names it. The path and the query are sections and searches, not names: "feed:www.waz.de/lokales/bochum"
    must not bar "bochum" from every topic, nor a news search for "wasserstoff" the word "wasserstoff", nor a
    section feed ".../wissen" every word that begins with "wissen" ("wissenschaft"). A source's own words in its
    documents are still left out where the data shows them to be its boilerplate (`source_boilerplate`).
    """
    parts = set()
    for source in set(sources):
        lowered = source.lower().strip()
        addressed = lowered.startswith("feed:") or "/" in lowered
        if addressed:
            lowered = re.sub(r"^(feed:)?([a-z][a-z0-9+.-]*://)?", "", lowered)
            lowered = re.split(r"[/?#]", lowered, maxsplit=1)[0]
        for part in re.split(r"[^0-9a-zäöüß-]+", lowered):
            part = part.strip("-")
            if len(part) >= 3 and part not in _WEB_PARTS and not _WWW.fullmatch(part):
                parts.add(part)
        host = lowered.split(":")[-1].split("/")[0]
        if "." in host:
            parts.add(_WWW_PREFIX.sub("", host))
    return frozenset(parts)


def is_source_name(word: str, names: frozenset[str]) -> bool:
    """A source's name, or a word that begins or ends with a name of five or more letters."""
    base = word.split(" (")[0]
    if base in names:
        return True
    return any(len(name) >= 5 and (base.startswith(name) or base.endswith(name)) for name in names)
