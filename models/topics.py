"""Topic models over precomputed embeddings (BERTopic), readable labels, and stable topic identity across fits.

`fit_topics` clusters one analysis window: BERTopic with our embeddings, a reducer and clusterer chosen in
`TopicConfig`, and a word-count step fed by the language step's terms (multi-word terms kept whole, umlauts
intact, German and English stop words removed). Each fit topic gets a centroid (mean of its documents' raw,
L2-normalised vectors), c-TF-IDF top terms, a label and its most central documents.

`link_topics` maps a new fit's topics onto the stable topics already in the warehouse by centroid cosine
(Hungarian assignment, then a threshold), so a topic keeps its id across scans; unmatched fit topics are new,
and an old topic whose best match was taken by another old topic is recorded as merged into it.

Reproducible: inputs are sorted by document id, every random step takes `TopicConfig.seed`.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from models.boilerplate import (
    Boilerplate,
    generic_words,
    is_source_name,
    source_boilerplate,
    source_name_words,
)
from models.embeddings import centre_by_language, centre_vectors, normalise_rows, stop_words
from models.settings import TopicConfig, TopicError
from models.term_links import TERM_JOINER, canonical_tokens, term_token
from models.topic_words import topic_words, vocabulary_matrix

_TOKEN_EDGES = re.compile(r"^[^\w]+|[^\w]+$")
_HAS_LETTER = re.compile(r"[^\W\d_]")


@dataclass
class FitTopic:
    """One topic of one fit (numbered by BERTopic, 0..k-1)."""

    fit_topic: int
    members: np.ndarray  # indices into TopicFit.doc_ids
    centroid: np.ndarray  # mean of the members' raw vectors, L2-normalised
    top_terms: list[str]
    term_weights: list[float]
    representative_doc_ids: list[str]
    label: str
    term_shares: list[float] = field(default_factory=list)  # share of the topic's documents using each top term
    # the best words a real share of its documents use (`TopicWords.frequent`), with those shares
    frequent_terms: list[str] = field(default_factory=list)
    frequent_shares: list[float] = field(default_factory=list)


@dataclass
class TopicFit:
    """The result of fitting one window: assignments (-1 = outlier) and the topics."""

    doc_ids: list[str]
    assignments: np.ndarray
    similarities: np.ndarray  # cosine of each document to its topic centroid (0 for outliers)
    topics: list[FitTopic] = field(default_factory=list)
    boilerplate: dict[str, Boilerplate] = field(default_factory=dict)  # words left out as source boilerplate
    # Documents x words the topics were described with (boilerplate left out), rows in `doc_ids` order: what the
    # technology score learns the seeds' label frequency from (`models.technology.seed_label_frequency`).
    word_counts: sparse.csr_matrix | None = None
    words: list[str] = field(default_factory=list)

    def topic(self, fit_topic: int) -> FitTopic:
        return next(t for t in self.topics if t.fit_topic == fit_topic)


def terms_document(terms: Sequence[tuple[str, int]], max_repeat: int = 5) -> str:
    """Encode a document's language-step terms for the word-count step.

    Each term becomes one token (its words joined by ``_``) repeated ``min(count, max_repeat)`` times, so
    "grüner Wasserstoff" ×2 becomes ``grüner_wasserstoff grüner_wasserstoff``. BERTopic concatenates the
    documents of a topic with spaces before counting, which keeps such tokens intact.
    """
    tokens = []
    for term, count in terms:
        token = term_token(term)
        if token:
            tokens.extend([token] * max(1, min(int(count or 1), max_repeat)))
    return " ".join(tokens)


_PLAIN_WORD = re.compile(r"[^\W\d_][\w\-.]*[^\W_]|[^\W\d_]", re.UNICODE)


@functools.lru_cache(maxsize=200_000)
def _lemma(word: str, lang: str) -> str:
    import simplemma

    return simplemma.lemmatize(word, lang=lang).lower()


def word_document(title: str | None, text: str | None, language: str | None, max_chars: int = 1_000) -> str:
    """The plain words of a document's title and opening, lemmatised (simplemma), for the word-count step.

    Why next to the language step's terms: a headline or a teaser has two or three terms, so a topic of headlines
    described by terms alone has no word that a tenth of its documents share ("Energie: ..." headlines); their
    common words are what they are about. The opening (`max_chars`) is enough: the terms of a long document already
    describe it, and lemmatising whole speeches would cost minutes.
    """
    lang = language if language in ("de", "en") else "de"
    opening = f"{title or ''} {(text or '')[:max_chars]}"
    return " ".join(_lemma(word, lang) for word in _PLAIN_WORD.findall(opening))


def topic_document(terms: Sequence[tuple[str, int]], title: str | None, text: str | None, language: str | None) -> str:
    """What the word-count step reads for one document: its language-step terms and its plain words."""
    return f"{terms_document(terms)} {word_document(title, text, language)}".strip()


class TermAnalyzer:
    """Split a text (or an encoded term document) into lower-case tokens without stop words.

    A callable so scikit-learn's CountVectorizer uses it as its analyzer; non-ASCII letters are kept,
    tokens need a letter and two characters, and terms joined by ``_`` stay whole.
    """

    def __init__(self, extra_stop_words: Sequence[str] = ()) -> None:
        self.stop_words = stop_words() | {w.lower() for w in extra_stop_words}
        # Each distinct raw token's result ("" where it is dropped). Why: one fit splits every document three
        # times (BERTopic's cluster description, its representative documents, then the topic words), each a
        # regular expression, a lower-casing and a stop-word test per token (13 s of a weekly scan's topic
        # stage, cProfile); a window's distinct raw tokens are few next to its tokens.
        self._tokens: dict[str, str] = {}

    def token(self, raw: str) -> str:
        """One whitespace-separated piece as a token, or "" where it is no token (too short, no letter, stop word)."""
        token = _TOKEN_EDGES.sub("", raw).lower()
        if len(token) < 2 or not _HAS_LETTER.search(token) or token in self.stop_words:
            return ""
        return token

    def __call__(self, text: str) -> list[str]:
        known = self._tokens
        tokens = []
        for raw in text.split():
            token = known.get(raw)
            if token is None:
                token = known[raw] = self.token(raw)
            if token:
                tokens.append(token)
        return tokens


def display_term(token: str) -> str:
    """A token as people read it: ``grüner_wasserstoff`` -> ``grüner wasserstoff``."""
    return token.replace(TERM_JOINER, " ")


#: Up to this many points foresight gives UMAP the exact neighbours (`exact_cosine_neighbours`); above, UMAP's
#: approximate NN-descent (pynndescent). A bound of cost, not of quality (exact is never worse): exact search costs
#: n^2 x dim multiply-adds, 1.3 s at 8,000 x 256 and 13 s at 30,000 on 2 cores. NN-descent took 2 s at 30,000 once
#: compiled, but its first call in a process took 55 s: pynndescent compiles its search for the data's types at
#: run time, outside numba's file cache (31 s of a 63 s topic stage on the weekly scan's 7,917 documents,
#: cProfile). Break-even is near 48,000 points; 30,000 leaves room for a slower machine (docs/performance.md).
EXACT_NEIGHBOURS_UP_TO = 30_000

#: Memory of one block of the distance matrix (rows x all points, float32) in `exact_cosine_neighbours`.
_NEIGHBOUR_BLOCK_BYTES = 64 << 20


def exact_cosine_neighbours(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The `k` nearest neighbours of every row by cosine distance (itself first), exactly as UMAP's small-case path.

    Why: for fewer than 4,096 points UMAP computes all pairwise distances with scikit-learn's
    ``pairwise_distances`` and its numba cosine as a Python callable, one call per pair: 31 s of a 56 s topic stage
    on 3,155 patents (cProfile), for 5 million distances; above, it uses NN-descent, whose compilation costs as
    much again (`EXACT_NEIGHBOURS_UP_TO`). Matrix products give the same distances (``1 - cos``, 0 between two
    zero vectors, 1 between a zero and a non-zero one, as ``umap.distances.cosine``) in a fraction of that time,
    and UMAP takes them as ``precomputed_knn``: the same exact neighbours, the same graph. The distances are
    computed a block of rows at a time, so memory stays at `_NEIGHBOUR_BLOCK_BYTES` whatever the number of points.
    """
    x = np.asarray(vectors, dtype=np.float32)
    n = x.shape[0]
    norms = np.linalg.norm(x, axis=1)
    zero = norms == 0
    unit = x / np.where(zero, 1.0, norms)[:, None]
    k = min(k, n)
    indices = np.empty((n, k), dtype=np.int32)
    distances = np.empty((n, k), dtype=np.float32)
    rows = max(1, _NEIGHBOUR_BLOCK_BYTES // (4 * max(n, 1)))
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        block = 1.0 - unit[start:stop] @ unit.T
        np.clip(block, 0.0, 2.0, out=block)
        if zero.any():
            block_zero = zero[start:stop]
            block[block_zero, :] = 1.0
            block[:, zero] = 1.0
            block[np.ix_(block_zero, zero)] = 0.0
        block[np.arange(stop - start), np.arange(start, stop)] = 0.0
        nearest = np.argpartition(block, k - 1, axis=1)[:, :k]
        order = np.argsort(np.take_along_axis(block, nearest, axis=1), axis=1, kind="stable")
        chosen = np.take_along_axis(nearest, order, axis=1)
        indices[start:stop] = chosen
        distances[start:stop] = np.take_along_axis(block, chosen, axis=1)
    return indices, distances


def _reducer(config: TopicConfig, vectors: np.ndarray):  # noqa: ANN202 - third-party types
    n_docs = vectors.shape[0]
    if config.reduction == "umap":
        from umap import UMAP

        n_neighbors = min(config.n_neighbors, max(2, n_docs - 1))
        exact = n_neighbors < n_docs <= EXACT_NEIGHBOURS_UP_TO
        return UMAP(
            n_neighbors=n_neighbors,
            n_components=config.n_components,
            min_dist=0.0,
            metric="cosine",
            random_state=config.seed,
            low_memory=True,
            precomputed_knn=exact_cosine_neighbours(vectors, n_neighbors) if exact else (None, None, None),
        )
    if config.reduction == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=min(config.n_components, n_docs - 1), random_state=config.seed)
    from bertopic.dimensionality import BaseDimensionalityReduction

    return BaseDimensionalityReduction()


def smallest_topic(config: TopicConfig, n_docs: int) -> int:
    """Documents a topic needs: ``max(min_topic_size, ceil(min_topic_share * n_docs))``.

    Why both: on 3,000 NVIDIA patents the neural-network topic of 2019 had 12 documents and is only found with a
    floor of 5; on 50,000 documents such a floor gives thousands of fragments, so the share takes over.
    """
    return max(config.min_topic_size, math.ceil(config.min_topic_share * n_docs))


def _clusterer(config: TopicConfig, n_docs: int):  # noqa: ANN202 - third-party types
    if config.clustering == "hdbscan":
        from hdbscan import HDBSCAN

        return HDBSCAN(
            min_cluster_size=smallest_topic(config, n_docs),
            metric="euclidean",
            cluster_selection_method="eom",
            prediction_data=False,
            core_dist_n_jobs=1,
        )
    from sklearn.cluster import KMeans

    k = config.n_clusters or max(2, n_docs // (4 * smallest_topic(config, n_docs)))
    return KMeans(n_clusters=min(k, n_docs), random_state=config.seed, n_init=3)


def fit_topics(
    doc_ids: Sequence[str],
    documents: Sequence[str],
    embeddings: np.ndarray,
    config: TopicConfig | None = None,
    *,
    sources: Sequence[str] | None = None,
    languages: Sequence[str | None] | None = None,
) -> TopicFit:
    """Cluster one window of documents into topics and describe each by its own documents' words.

    `documents` are what the word-count step reads for each document: a `terms_document` where the language
    step has terms for it, else its plain text. `embeddings` are the stored (raw, L2-normalised) vectors.
    `sources` (each document's source) let source boilerplate be learnt and left out of the words.
    `languages` (one per document, None where unknown) are needed for `centre_per_language`.
    Order of the steps: BERTopic clusters (UMAP + HDBSCAN), outliers close to a topic join it, and only then are
    the topics' words counted (`models.topic_words`), so they describe the final members.
    """
    config = config or TopicConfig()
    if len(doc_ids) != len(documents) or len(doc_ids) != len(embeddings):
        raise TopicError("doc_ids, documents and embeddings must have the same length")
    if sources is not None and len(sources) != len(doc_ids):
        raise TopicError("sources must give one source per document")
    if len(doc_ids) < max(3 * config.min_topic_size, 10):
        raise TopicError(
            f"{len(doc_ids)} documents are too few to find topics (need at least "
            f"{max(3 * config.min_topic_size, 10)}); widen the window or lower topics.min_topic_size"
        )
    order = np.argsort(np.asarray(doc_ids, dtype=object), kind="stable")
    ids = [doc_ids[i] for i in order]
    texts = [documents[i] or "" for i in order]
    raw = normalise_rows(np.asarray(embeddings, dtype=np.float32)[order])
    model_input = _centred(raw, [languages[i] for i in order] if languages is not None else None, config)

    from bertopic import BERTopic
    from sklearn.feature_extraction.text import CountVectorizer

    # BERTopic describes its clusters with c-TF-IDF; we describe the final topics ourselves (below), so its own
    # description only needs to be cheap: a small vocabulary.
    analyzer = TermAnalyzer()  # one, so that its memory of tokens serves BERTopic's counts and ours
    model = BERTopic(
        language="multilingual",  # never "english": that strips every non-ASCII letter from topic words
        umap_model=_reducer(config, model_input),
        hdbscan_model=_clusterer(config, len(ids)),
        vectorizer_model=CountVectorizer(analyzer=analyzer, max_features=1_000),
        top_n_words=config.top_n_words,
        min_topic_size=smallest_topic(config, len(ids)),
        calculate_probabilities=False,
        verbose=False,
    )
    with warnings.catch_warnings():  # no search index with exact neighbours: UMAP cannot transform new points,
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")  # which nothing here asks of it
        clusters = np.asarray(model.fit_transform(texts, embeddings=model_input)[0], dtype=np.int64)
    numbers = sorted(set(clusters.tolist()) - {-1})
    # Outliers join topics by their raw vectors, except when centred per language: raw vectors carry the language
    # direction that centring removed, so an outlier would join a topic of its own language rather than its subject's.
    space = model_input if config.centre and config.centre_per_language else raw
    cluster_centroids = [normalise_rows(space[clusters == n].mean(axis=0, keepdims=True))[0] for n in numbers]
    assignments, similarities = _assign_outliers(
        space, clusters, numbers, cluster_centroids, config.outlier_min_similarity
    )
    tokens = [analyzer(text) for text in texts]
    counts, vocabulary = vocabulary_matrix(tokens, canonical_tokens({t for doc in tokens for t in doc}))
    boilerplate: dict[str, Boilerplate] = {}
    if config.learn_boilerplate:
        boilerplate = generic_words(counts, vocabulary, assignments)
        if sources is not None:
            ordered_sources = [sources[i] for i in order]
            boilerplate |= source_boilerplate(counts, vocabulary, ordered_sources, assignments, markers=True)
            names = source_name_words(ordered_sources)
            boilerplate |= {w: Boilerplate(w, (), 0, 1.0, 0.0, 0.0, 0) for w in vocabulary if is_source_name(w, names)}
        if boilerplate:
            keep = np.array([word not in boilerplate for word in vocabulary])
            counts = counts[:, np.flatnonzero(keep)]
            vocabulary = [w for w, k in zip(vocabulary, keep, strict=True) if k]
    words = topic_words(
        counts,
        vocabulary,
        assignments,
        top_n=config.top_n_words,
        min_documents=config.word_min_documents,
        label_min_share=config.label_min_share,
        seed_words=frozenset(term_token(w) for w in config.seed_words) - {""},
        seed_multiplier=config.seed_multiplier,
        seed_min_share=config.seed_min_share,
    )
    topics = []
    for number in numbers:
        members = np.flatnonzero(assignments == number)
        centroid = normalise_rows(raw[members].mean(axis=0, keepdims=True))[0]
        closest = members[np.argsort(-(raw[members] @ centroid), kind="stable")[:3]]
        described = words[number]
        topics.append(
            FitTopic(
                fit_topic=int(number),
                members=members,
                centroid=centroid,
                top_terms=[display_term(w) for w in described.words],
                term_weights=described.weights,
                representative_doc_ids=[ids[i] for i in closest],
                label=" / ".join(display_term(w) for w in described.label.split(" / ")),
                term_shares=described.shares,
                frequent_terms=[display_term(w) for w in described.frequent],
                frequent_shares=described.frequent_shares,
            )
        )
    return TopicFit(ids, assignments, similarities, topics, boilerplate, counts, vocabulary)


def _centred(raw: np.ndarray, languages: Sequence[str | None] | None, config: TopicConfig) -> np.ndarray:
    """What the reducer sees: the raw vectors, minus the window mean or minus each language's mean."""
    if not config.centre:
        return raw
    if config.centre_per_language:
        if languages is None or len(languages) != len(raw):
            raise TopicError("centre_per_language needs one language per document")
        return centre_by_language(raw, languages)
    return centre_vectors(raw)


def _assign_outliers(
    vectors: np.ndarray,
    assignments: np.ndarray,
    numbers: Sequence[int],
    centroids: Sequence[np.ndarray],
    min_similarity: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Give an outlier the topic whose centroid (in `vectors`' space) is nearest if the cosine reaches
    `min_similarity`; every document's cosine to its (final) topic's centroid comes back too (0 for documents left
    outside)."""
    assignments = assignments.copy()
    similarities = np.zeros(len(assignments), dtype=np.float64)
    if not numbers:
        return assignments, similarities
    matrix = np.vstack(centroids)
    labels = np.asarray(numbers)
    similarity = vectors @ matrix.T
    best = similarity.argmax(axis=1)
    best_similarity = similarity[np.arange(len(vectors)), best]
    outliers = (assignments == -1) & (best_similarity >= min_similarity)
    assignments[outliers] = labels[best[outliers]]
    index_of = {n: i for i, n in enumerate(labels.tolist())}
    for row, topic in enumerate(assignments.tolist()):
        if topic != -1:
            similarities[row] = float(np.clip(similarity[row, index_of[topic]], 0.0, 1.0))
    return assignments, similarities


@dataclass(frozen=True)
class Link:
    """How one fit topic relates to the stable topics: `known` is an index into the known centroids or None."""

    fit_topic: int
    known: int | None
    similarity: float | None
    relation: str  # new | continued | merged


def link_topics(
    fit_centroids: np.ndarray, fit_numbers: Sequence[int], known_centroids: np.ndarray, threshold: float = 0.7
) -> list[Link]:
    """Link fit topics to known topics by centroid cosine similarity.

    1. Hungarian assignment maximising total cosine between fit and known centroids.
    2. An assigned pair with cosine >= `threshold` is *continued* (the fit topic takes the known id).
    3. A fit topic without such a pair is *new*.
    4. A known topic left without a pair whose best fit topic (cosine >= threshold) continued another known
       topic is *merged*: one row links that fit topic to the absorbed known topic.
    Known topics not mentioned in the result were not found by this fit.
    """
    from scipy.optimize import linear_sum_assignment

    fit_centroids = np.atleast_2d(np.asarray(fit_centroids, dtype=np.float64))
    numbers = list(fit_numbers)
    if len(numbers) == 0:
        return []
    if known_centroids is None or len(known_centroids) == 0:
        return [Link(n, None, None, "new") for n in numbers]
    known = np.atleast_2d(np.asarray(known_centroids, dtype=np.float64))
    similarity = normalise_rows(fit_centroids).astype(np.float64) @ normalise_rows(known).astype(np.float64).T
    rows, cols = linear_sum_assignment(-similarity)
    continued: dict[int, int] = {}
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        if similarity[r, c] >= threshold:
            continued[r] = c
    links = [
        Link(numbers[r], continued[r], float(similarity[r, continued[r]]), "continued")
        if r in continued
        else Link(numbers[r], None, None, "new")
        for r in range(len(numbers))
    ]
    taken = set(continued.values())
    for c in range(known.shape[0]):
        if c in taken:
            continue
        r = int(similarity[:, c].argmax())
        if similarity[r, c] >= threshold and r in continued:
            links.append(Link(numbers[r], c, float(similarity[r, c]), "merged"))
    return links
