"""Honest topic words: class-based TF-IDF over a topic's own documents, after every document has its final topic.

Why our own step and not BERTopic's stored representation: BERTopic describes HDBSCAN's clusters before outliers are
reassigned, so the words miss the documents that join a topic later; and its seed words multiply a word's weight
whether or not the topic's documents use it, which painted lead-market words onto celebrity clusters. Here:

- the words are counted over each topic's final members (the order of BERTopic's ``reduce_outliers`` then
  ``update_topics``), weighted with BERTopic's c-TF-IDF (Grootendorst 2022): ``w(t, x) = sqrt(tf(t, x) / |t|) *
  log(1 + A / f(x))`` with ``tf`` the count of word x in topic t's documents, ``|t|`` the words of topic t, ``A`` the
  mean words per topic and ``f(x)`` the count of x over all topics (``reduce_frequent_words``);
- a word is a topic word only if at least ``min_documents`` of the topic's documents contain it;
- a seed word (a lead market's technology) is weighed up by ``seed_multiplier`` only when at least
  ``seed_min_share`` of the topic's documents contain it: seeds may raise a word the documents use, never add one;
- a label word must occur in at least ``label_min_share`` of the topic's documents (10 %: a word that one document
  in twenty uses does not describe the topic);
- words that are source boilerplate (`models.boilerplate`) or stop words never count;
- words linked across languages (`models.term_links`: "Wärmepumpe" / "heat pump") are counted as one word.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class TopicWords:
    """A topic's words, best first, with their c-TF-IDF weights and the share of the topic's documents using each."""

    words: list[str]
    weights: list[float]
    shares: list[float]
    label: str
    documents: int
    # The best words that at least `label_min_share` of the documents use, best first, with those shares: what the
    # label is made of, and what the technology score reads (`models.technology.described_words`).
    frequent: list[str] = field(default_factory=list)
    frequent_shares: list[float] = field(default_factory=list)


def vocabulary_matrix(
    tokens: Sequence[Sequence[str]], canonical: Mapping[str, str] | None = None, exclude: frozenset[str] = frozenset()
) -> tuple[sparse.csr_matrix, list[str]]:
    """Documents x words counts (CSR) and the vocabulary, with linked words merged and excluded words left out."""
    index: dict[str, int] = {}
    rows, cols = [], []
    canonical = canonical or {}
    for row, doc in enumerate(tokens):
        for token in doc:
            word = canonical.get(token, token)
            if word in exclude or token in exclude:
                continue
            col = index.setdefault(word, len(index))
            rows.append(row)
            cols.append(col)
    data = np.ones(len(rows), dtype=np.float64)
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(tokens), len(index)))
    matrix.sum_duplicates()
    return matrix, list(index)


def topic_indicator(assignments: np.ndarray, topics: Sequence[int]) -> sparse.csr_matrix:
    """Topics x documents 0/1 matrix (outliers, -1, belong to no row)."""
    position = {t: i for i, t in enumerate(topics)}
    rows = [position[a] for a in assignments.tolist() if a in position]
    cols = [i for i, a in enumerate(assignments.tolist()) if a in position]
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(topics), len(assignments)))


def make_label(words: Sequence[str], n: int = 3) -> str:
    """A short readable label: the first `n` words, skipping a word contained in one already chosen."""
    chosen: list[str] = []
    for word in words:
        if any(word in other or other in word for other in chosen):
            continue
        chosen.append(word)
        if len(chosen) == n:
            break
    return " / ".join(chosen) if chosen else "(no terms)"


def topic_words(
    counts: sparse.csr_matrix,
    vocabulary: Sequence[str],
    assignments: np.ndarray,
    *,
    top_n: int = 10,
    label_words: int = 3,
    min_documents: int = 2,
    label_min_share: float = 0.10,
    seed_words: frozenset[str] = frozenset(),
    seed_multiplier: float = 2.0,
    seed_min_share: float = 0.10,
) -> dict[int, TopicWords]:
    """Words and label of every topic in `assignments` (see the module docstring for every rule).

    `counts` is documents x words (from `vocabulary_matrix`), `assignments` each document's final topic (-1 none).
    Example: a topic of 20 documents where 15 use "wärmepumpe" and 1 uses the seed word "geothermie" gets
    "wärmepumpe" weighed up (75 % >= 10 %) and "geothermie" not (5 % < 10 %), and only the first can be a label word.
    """
    topics = sorted(set(assignments.tolist()) - {-1})
    if not topics or counts.shape[1] == 0:
        return {t: TopicWords([], [], [], "(no terms)", int((assignments == t).sum())) for t in topics}
    members = topic_indicator(assignments, topics)
    tf = np.asarray((members @ counts).todense(), dtype=np.float64)  # topics x words
    df = np.asarray((members @ (counts > 0).astype(np.float64)).todense())
    sizes = np.asarray(members.sum(axis=1)).ravel()
    words_per_topic = tf.sum(axis=1, keepdims=True)
    frequency = tf.sum(axis=0)
    average = words_per_topic.mean()
    idf = np.log1p(average / np.where(frequency > 0, frequency, 1.0))
    weights = np.sqrt(tf / np.where(words_per_topic > 0, words_per_topic, 1.0)) * idf
    shares = df / np.where(sizes > 0, sizes, 1.0)[:, None]
    seeded = np.array([word in seed_words for word in vocabulary])
    boost = np.where(seeded[None, :] & (shares >= seed_min_share), seed_multiplier, 1.0)
    weights = np.where(df >= min_documents, weights * boost, 0.0)
    result: dict[int, TopicWords] = {}
    for row, topic in enumerate(topics):
        positive = np.flatnonzero(weights[row] > 0)
        ranked = positive[np.argsort(-weights[row, positive], kind="stable")]
        order = [int(i) for i in ranked[:top_n]]
        words = [vocabulary[i] for i in order]
        frequent = ranked[shares[row, ranked] >= label_min_share][: 4 * label_words]
        labelled = [vocabulary[int(i)] for i in frequent]
        result[topic] = TopicWords(
            words=words,
            weights=[float(weights[row, i]) for i in order],
            shares=[float(shares[row, i]) for i in order],
            label=make_label(labelled, label_words),
            documents=int(sizes[row]),
            frequent=labelled,
            frequent_shares=[float(shares[row, int(i)]) for i in frequent],
        )
    return result
