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

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from models.embeddings import centre_by_language, centre_vectors, normalise_rows, stop_words

REDUCTIONS = ("umap", "pca", "none")
CLUSTERINGS = ("hdbscan", "kmeans")
_TOKEN_EDGES = re.compile(r"^[^\w]+|[^\w]+$")
_HAS_LETTER = re.compile(r"[^\W\d_]")
TERM_JOINER = "_"  # joins the words of a multi-word term into one token for the word-count step


class TopicError(Exception):
    """Topics cannot be fitted from this input (too few documents, bad configuration)."""


@dataclass(frozen=True)
class TopicConfig:
    """How a window is clustered. Defaults were chosen on the backtests (docs/topics.md)."""

    min_topic_size: int = 5  # smallest cluster HDBSCAN keeps (documents); small, because emerging topics are small
    min_topic_share: float = 0.001  # ... but at least this share of the window (0.1 %: 50 of 50,000 documents)
    reduction: str = "umap"  # umap | pca | none
    n_components: int = 5  # dimensions after reduction
    n_neighbors: int = 15  # UMAP neighbourhood
    clustering: str = "hdbscan"  # hdbscan | kmeans
    n_clusters: int = 0  # kmeans only; 0 = about one cluster per 4 * min_topic_size documents
    top_n_words: int = 10
    max_words: int = 50_000  # vocabulary of the c-TF-IDF step (most frequent words over the topics)
    centre: bool = True  # subtract the window mean before reduction (helps transformer embeddings)
    centre_per_language: bool = False  # ... each language's mean instead, when the documents' languages are given
    outlier_min_similarity: float = 0.35  # outliers this close (cosine) to a topic centroid join it
    seed: int = 42
    # Seed words (the lead markets' seed terms): their c-TF-IDF weight is multiplied, so a topic about a lead-market
    # technology is described by that technology's words. They shape topic words and labels, not the clustering.
    seed_words: tuple[str, ...] = ()
    seed_multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.reduction not in REDUCTIONS:
            raise TopicError(f"unknown reduction {self.reduction!r}; use one of {', '.join(REDUCTIONS)}")
        if self.clustering not in CLUSTERINGS:
            raise TopicError(f"unknown clustering {self.clustering!r}; use one of {', '.join(CLUSTERINGS)}")
        if self.min_topic_size < 2:
            raise TopicError("min_topic_size must be at least 2")


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


@dataclass
class TopicFit:
    """The result of fitting one window: assignments (-1 = outlier) and the topics."""

    doc_ids: list[str]
    assignments: np.ndarray
    probabilities: np.ndarray  # cosine of each document to its topic centroid (0 for outliers)
    topics: list[FitTopic] = field(default_factory=list)

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


def term_token(term: str) -> str:
    """The one token the word-count step sees for a term: "grüner Wasserstoff" -> ``grüner_wasserstoff``."""
    return TERM_JOINER.join(term.lower().split())


class TermAnalyzer:
    """Split a text (or an encoded term document) into lower-case tokens without stop words.

    A callable so scikit-learn's CountVectorizer uses it as its analyzer; non-ASCII letters are kept,
    tokens need a letter and two characters, and terms joined by ``_`` stay whole.
    """

    def __init__(self, extra_stop_words: Sequence[str] = ()) -> None:
        self.stop_words = stop_words() | {w.lower() for w in extra_stop_words}

    def __call__(self, text: str) -> list[str]:
        tokens = []
        for raw in text.split():
            token = _TOKEN_EDGES.sub("", raw).lower()
            if len(token) < 2 or not _HAS_LETTER.search(token) or token in self.stop_words:
                continue
            tokens.append(token)
        return tokens


def display_term(token: str) -> str:
    """A token as people read it: ``grüner_wasserstoff`` -> ``grüner wasserstoff``."""
    return token.replace(TERM_JOINER, " ")


def make_label(top_terms: Sequence[str], n: int = 3) -> str:
    """A short readable label: the first `n` top terms, skipping a term contained in one already chosen."""
    chosen: list[str] = []
    for term in top_terms:
        if any(term in other or other in term for other in chosen):
            continue
        chosen.append(term)
        if len(chosen) == n:
            break
    return " / ".join(chosen) if chosen else "(no terms)"


def _reducer(config: TopicConfig, n_docs: int):  # noqa: ANN202 - third-party types
    if config.reduction == "umap":
        from umap import UMAP

        return UMAP(
            n_neighbors=min(config.n_neighbors, max(2, n_docs - 1)),
            n_components=config.n_components,
            min_dist=0.0,
            metric="cosine",
            random_state=config.seed,
            low_memory=True,
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
    languages: Sequence[str | None] | None = None,
) -> TopicFit:
    """Cluster one window of documents into topics.

    `documents` are what the word-count step reads for each document: a `terms_document` where the language
    step has terms for it, else its plain text. `embeddings` are the stored (raw, L2-normalised) vectors.
    `languages` (one per document, None where unknown) are needed for `centre_per_language`.
    """
    config = config or TopicConfig()
    if len(doc_ids) != len(documents) or len(doc_ids) != len(embeddings):
        raise TopicError("doc_ids, documents and embeddings must have the same length")
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
    from bertopic.vectorizers import ClassTfidfTransformer
    from sklearn.feature_extraction.text import CountVectorizer

    # BERTopic fits this on one concatenated document per topic, so min_df would count topics, not documents:
    # keep every word and let c-TF-IDF weigh them.
    vectorizer = CountVectorizer(analyzer=TermAnalyzer(), max_features=config.max_words)
    model = BERTopic(
        language="multilingual",  # never "english": that strips every non-ASCII letter from topic words
        umap_model=_reducer(config, len(ids)),
        hdbscan_model=_clusterer(config, len(ids)),
        vectorizer_model=vectorizer,
        ctfidf_model=ClassTfidfTransformer(
            reduce_frequent_words=True,
            seed_words=sorted({term_token(w) for w in config.seed_words} - {""}) or None,
            seed_multiplier=config.seed_multiplier,
        ),
        top_n_words=config.top_n_words,
        min_topic_size=smallest_topic(config, len(ids)),
        calculate_probabilities=False,
        verbose=False,
    )
    assignments = np.asarray(model.fit_transform(texts, embeddings=model_input)[0], dtype=np.int64)
    topics = _describe_topics(model, ids, raw, assignments, config)
    # Outliers join topics by their raw vectors, except when centred per language: raw vectors carry the language
    # direction that centring removed, so an outlier would join a topic of its own language rather than its subject's.
    space = model_input if config.centre and config.centre_per_language else raw
    assignments, probabilities = _assign_outliers(space, assignments, topics, config.outlier_min_similarity)
    for topic in topics:
        topic.members = np.flatnonzero(assignments == topic.fit_topic)
        topic.centroid = normalise_rows(raw[topic.members].mean(axis=0, keepdims=True))[0]
    return TopicFit(doc_ids=ids, assignments=assignments, probabilities=probabilities, topics=topics)


def _centred(raw: np.ndarray, languages: Sequence[str | None] | None, config: TopicConfig) -> np.ndarray:
    """What the reducer sees: the raw vectors, minus the window mean or minus each language's mean."""
    if not config.centre:
        return raw
    if config.centre_per_language:
        if languages is None or len(languages) != len(raw):
            raise TopicError("centre_per_language needs one language per document")
        return centre_by_language(raw, languages)
    return centre_vectors(raw)


def _describe_topics(
    model: object, ids: list[str], raw: np.ndarray, assignments: np.ndarray, config: TopicConfig
) -> list[FitTopic]:
    topics = []
    for fit_topic in sorted(set(assignments.tolist()) - {-1}):
        members = np.flatnonzero(assignments == fit_topic)
        centroid = normalise_rows(raw[members].mean(axis=0, keepdims=True))[0]
        words = [(w, s) for w, s in (model.get_topic(fit_topic) or []) if w]  # type: ignore[attr-defined]
        terms = [display_term(w) for w, _ in words][: config.top_n_words]
        weights = [float(s) for _, s in words][: config.top_n_words]
        closest = members[np.argsort(-(raw[members] @ centroid), kind="stable")[:3]]
        topics.append(
            FitTopic(
                fit_topic=int(fit_topic),
                members=members,
                centroid=centroid,
                top_terms=terms,
                term_weights=weights,
                representative_doc_ids=[ids[i] for i in closest],
                label=make_label(terms),
            )
        )
    return topics


def _assign_outliers(
    vectors: np.ndarray, assignments: np.ndarray, topics: list[FitTopic], min_similarity: float
) -> tuple[np.ndarray, np.ndarray]:
    """Give an outlier the topic whose centroid (in `vectors`' space) is nearest if the cosine reaches
    `min_similarity`; every document's probability is its cosine to its topic's centroid."""
    assignments = assignments.copy()
    probabilities = np.zeros(len(assignments), dtype=np.float64)
    if not topics:
        return assignments, probabilities
    numbers = np.array([t.fit_topic for t in topics])
    centroids = normalise_rows(np.vstack([vectors[assignments == n].mean(axis=0) for n in numbers.tolist()]))
    similarity = vectors @ centroids.T
    best = similarity.argmax(axis=1)
    best_similarity = similarity[np.arange(len(vectors)), best]
    outliers = (assignments == -1) & (best_similarity >= min_similarity)
    assignments[outliers] = numbers[best[outliers]]
    index_of = {n: i for i, n in enumerate(numbers.tolist())}
    for row, topic in enumerate(assignments.tolist()):
        if topic != -1:
            probabilities[row] = float(np.clip(similarity[row, index_of[topic]], 0.0, 1.0))
    return assignments, probabilities


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
