"""A word's topicality: whether the documents sharing it are about one thing (models/topicality.py)."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from models.embeddings import TfidfSvdEmbedder
from models.topicality import topicality_factors, word_topicality

SUBJECTS = {
    "heat": ["wärmepumpe", "heizung", "gebäude", "heizkosten", "sanierung", "fernwärme"],
    "phone": ["iphone", "apple", "smartphone", "kamera", "akku", "display"],
    "football": ["bundesliga", "trainer", "tor", "spieltag", "verein", "stadion"],
    "rail": ["bahn", "zug", "fahrplan", "gleis", "stellwerk", "pendler"],
}


def headlines(n: int = 400, seed: int = 0) -> tuple[list[str], list[str]]:
    """Headlines of four subjects, three subject words each; every fourth one says "bringt" whatever its subject."""
    rng = np.random.default_rng(seed)
    names = sorted(SUBJECTS)
    texts, labels = [], []
    for i in range(n):
        subject = names[i % len(names)]
        words = list(rng.choice(SUBJECTS[subject], 3, replace=False))
        if rng.random() < 0.25:
            words.insert(1, "bringt")
        texts.append(" ".join(words))
        labels.append(subject)
    return texts, labels


def _tfidf(texts: list[str]) -> tuple[sparse.csr_matrix, dict[str, int]]:
    counter = CountVectorizer(token_pattern=r"(?u)\b\w+\b")
    counts = counter.fit_transform(texts)
    return TfidfTransformer(sublinear_tf=True).fit_transform(counts).tocsr(), counter.vocabulary_


def test_a_word_on_every_subject_has_topicality_near_one_a_subject_word_far_above() -> None:
    texts, _ = headlines()
    matrix, vocabulary = _tfidf(texts)
    topicality = word_topicality(matrix)
    verb = topicality[vocabulary["bringt"]]
    assert 0.8 < verb < 1.2  # its documents are as alike as any two: the verb says nothing about the subject
    for word in ("wärmepumpe", "iphone", "bundesliga", "stellwerk"):
        assert topicality[vocabulary[word]] > 3.0  # their documents share the subject's other words
    factors = topicality_factors(topicality)
    assert factors[vocabulary["bringt"]] < 0.3 * np.median(factors)
    # measured exactly: with a cost bound that forces a sample the estimates stay close
    sampled = word_topicality(matrix, cost=matrix.nnz * 2.0, min_documents=10)
    measured = np.isfinite(sampled)
    assert measured.sum() > 20 and np.corrcoef(np.log(sampled[measured]), np.log(topicality[measured]))[0, 1] > 0.8


def test_too_few_documents_are_not_measured_and_keep_the_typical_weight() -> None:
    texts, _ = headlines()
    texts += ["seltenes wort hier", "seltenes wort dort"]
    matrix, vocabulary = _tfidf(texts)
    topicality = word_topicality(matrix)
    assert np.isnan(topicality[vocabulary["seltenes"]])
    assert topicality_factors(topicality)[vocabulary["seltenes"]] == 1.0
    assert (topicality_factors(np.full(3, np.nan)) == 1.0).all()


def test_headlines_sharing_only_the_verb_grow_apart_in_the_space() -> None:
    """Without the factor, "bringt" made headlines of different subjects alike and clustering grouped them."""
    texts, labels = headlines(800)
    plain = TfidfSvdEmbedder(dim=16, min_df=2).fit_embed(texts)
    weighed_model = TfidfSvdEmbedder(dim=16, min_df=2, topicality=True)
    weighed = weighed_model.fit_embed(texts)
    with_verb = np.array(["bringt" in t for t in texts])
    label = np.array(labels)

    def verb_pairs(vectors: np.ndarray) -> float:
        """Mean cosine of two headlines of different subjects that both say "bringt"."""
        rows = vectors[with_verb]
        same = label[with_verb][:, None] == label[with_verb][None, :]
        return float((rows @ rows.T)[~same].mean())

    assert verb_pairs(weighed) < 0.5 * verb_pairs(plain)
    state = TfidfSvdEmbedder.from_state(weighed_model.to_state())
    assert np.allclose(state.embed(texts[:20]), weighed[:20], atol=1e-5)  # new documents get the same weights
    assert state.topicality_ is not None and np.isfinite(state.topicality_).sum() > 20
