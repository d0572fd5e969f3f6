"""Topic fitting on small synthetic corpora, term handling with umlauts, labels, and linking fits to stable topics."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from models.embeddings import TfidfSvdEmbedder
from models.topic_words import make_label
from models.topics import (
    TermAnalyzer,
    TopicConfig,
    TopicError,
    display_term,
    exact_cosine_neighbours,
    fit_topics,
    link_topics,
    smallest_topic,
    terms_document,
)

pytestmark = pytest.mark.usefixtures("topic_model_ready")

VOCABULARY = {
    "heat": ["Wärmepumpe", "Gebäude", "Heizung", "Umweltwärme", "Fußbodenheizung", "Erdwärme", "Heizkörper"],
    "hydrogen": [
        "Wasserstoff",
        "Elektrolyseur",
        "Stahlwerk",
        "Direktreduktion",
        "Pipeline",
        "Ammoniak",
        "Brennstoffzelle",
    ],
    "ai": ["neural", "network", "training", "inference", "transformer", "gradient", "backpropagation"],
}
FAST = TopicConfig(reduction="pca", n_components=5, clustering="hdbscan", min_topic_size=5, seed=7)


def synthetic_corpus(per_topic: int = 20, seed: int = 0) -> tuple[list[str], list[str], list[str]]:
    """Documents drawn from three vocabularies plus shared filler words; returns ids, texts and true groups."""
    rng = np.random.default_rng(seed)
    filler = ["Projekt", "Region", "Ruhr", "neue", "Jahr", "system"]
    ids, texts, groups = [], [], []
    for group, words in VOCABULARY.items():
        for i in range(per_topic):
            chosen = list(rng.choice(words, size=8)) + list(rng.choice(filler, size=3))
            ids.append(f"{group}-{i:03d}")
            texts.append(" ".join(chosen))
            groups.append(group)
    return ids, texts, groups


def embed(texts: list[str]) -> np.ndarray:
    return TfidfSvdEmbedder(dim=12, seed=0).fit(texts).embed(texts)


def test_three_technologies_come_out_as_three_topics_with_umlauts_in_their_words() -> None:
    ids, texts, groups = synthetic_corpus()
    fit = fit_topics(ids, texts, embed(texts), FAST)
    assert len(fit.topics) == 3
    group_of = dict(zip(ids, groups, strict=True))
    for topic in fit.topics:
        members = {group_of[fit.doc_ids[i]] for i in topic.members}
        assert len(members) == 1, f"topic {topic.label} mixes {members}"
        assert len(topic.members) >= 18
        assert topic.representative_doc_ids[0] in {fit.doc_ids[i] for i in topic.members}
    words = {term for topic in fit.topics for term in topic.top_terms}
    assert {"wärmepumpe", "fußbodenheizung", "elektrolyseur"} <= words  # non-ASCII survives BERTopic
    heat = next(t for t in fit.topics if "wärmepumpe" in t.top_terms)
    assert heat.label.split(" / ")[0] == heat.top_terms[0]


def test_fit_is_reproducible_and_independent_of_input_order() -> None:
    ids, texts, _ = synthetic_corpus()
    vectors = embed(texts)
    first = fit_topics(ids, texts, vectors, FAST)
    order = np.random.default_rng(1).permutation(len(ids))
    second = fit_topics([ids[i] for i in order], [texts[i] for i in order], vectors[order], FAST)
    assert first.doc_ids == second.doc_ids
    assert np.array_equal(first.assignments, second.assignments)
    assert [t.top_terms for t in first.topics] == [t.top_terms for t in second.topics]


def test_centring_per_language_gives_topics_by_subject_not_by_language() -> None:
    """Vectors as a multilingual encoder gives them: the subject plus a strong direction per language."""
    ids, texts, groups = synthetic_corpus(per_topic=100)
    rng = np.random.default_rng(4)
    subject = {g: rng.standard_normal(24) for g in VOCABULARY}
    accent = {"de": 2.5 * rng.standard_normal(24), "en": 2.5 * rng.standard_normal(24)}
    languages = ["de" if i % 2 else "en" for i in range(len(ids))]
    vectors = np.array(
        [subject[g] + accent[lang] + 0.8 * rng.standard_normal(24) for g, lang in zip(groups, languages, strict=True)]
    )
    language_of = dict(zip(ids, languages, strict=True))

    def languages_per_topic(fit: object) -> list[int]:
        return [len({language_of[fit.doc_ids[i]] for i in t.members}) for t in fit.topics]  # type: ignore[attr-defined]

    window = fit_topics(ids, texts, vectors, FAST)
    assert languages_per_topic(window) == [1] * 6  # each subject split in two by the language direction
    per_language = fit_topics(ids, texts, vectors, replace(FAST, centre_per_language=True), languages=languages)
    assert languages_per_topic(per_language) == [2, 2, 2]
    group_of = dict(zip(ids, groups, strict=True))
    majority = [
        max(set(members), key=members.count)
        for members in ([group_of[per_language.doc_ids[i]] for i in t.members] for t in per_language.topics)
    ]
    assert sorted(majority) == sorted(VOCABULARY)
    topic_subject = dict(zip([t.fit_topic for t in per_language.topics], majority, strict=True))
    pairs = zip(per_language.doc_ids, per_language.assignments.tolist(), strict=True)
    right = [topic_subject.get(topic) == group_of[doc_id] for doc_id, topic in pairs]
    assert np.mean(right) > 0.95  # outliers joined by subject too, not by language
    with pytest.raises(TopicError, match="needs one language per document"):
        fit_topics(ids, texts, vectors, replace(FAST, centre_per_language=True))


def test_too_few_documents_and_bad_settings_raise_clear_errors() -> None:
    ids, texts, _ = synthetic_corpus(per_topic=3)
    with pytest.raises(TopicError, match="too few to find topics"):
        fit_topics(ids, texts, embed(texts), FAST)
    with pytest.raises(TopicError, match="unknown reduction 'tsne'"):
        TopicConfig(reduction="tsne")
    with pytest.raises(TopicError, match="same length"):
        fit_topics(ids, texts[:-1], embed(texts), FAST)


def test_language_step_terms_stay_whole_and_stop_words_go() -> None:
    encoded = terms_document([("grüner Wasserstoff", 2), ("Elektrolyseur", 1), ("die", 3)])
    assert encoded.split() == ["grüner_wasserstoff", "grüner_wasserstoff", "elektrolyseur", "die", "die", "die"]
    analyzer = TermAnalyzer()
    assert analyzer(encoded + " the Größe, (Wärmepumpe) 2023 x") == [
        "grüner_wasserstoff",
        "grüner_wasserstoff",
        "elektrolyseur",
        "größe",
        "wärmepumpe",
    ]
    assert display_term("grüner_wasserstoff") == "grüner wasserstoff"


def test_topics_from_terms_show_multi_word_terms() -> None:
    ids, texts, groups = synthetic_corpus()
    term_docs = [
        terms_document([("grüner Wasserstoff", 2), ("Elektrolyseur", 1)]) if g == "hydrogen" else t
        for t, g in zip(texts, groups, strict=True)
    ]
    fit = fit_topics(ids, term_docs, embed(texts), FAST)
    assert any("grüner wasserstoff" in t.top_terms for t in fit.topics)


def test_label_skips_terms_contained_in_earlier_ones() -> None:
    assert make_label(["wasserstoff", "grüner wasserstoff", "elektrolyseur", "stahl"]) == (
        "wasserstoff / elektrolyseur / stahl"
    )
    assert make_label([]) == "(no terms)"


def test_linking_continues_creates_and_merges() -> None:
    known = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.9, 0.3]])  # topics A, B, B'
    fit = np.array([[0.95, 0.05, 0.0], [0.0, 0.97, 0.2], [0.0, 0.0, 1.0]])  # A again, B+B' together, something new
    links = {(link.fit_topic, link.relation): link for link in link_topics(fit, [10, 11, 12], known, threshold=0.7)}
    assert links[(10, "continued")].known == 0
    assert links[(11, "continued")].known in (1, 2)
    merged = links[(11, "merged")]
    assert {merged.known, links[(11, "continued")].known} == {1, 2}
    assert links[(12, "new")].known is None
    assert links[(10, "continued")].similarity == pytest.approx(0.9986, abs=1e-3)


def test_linking_without_known_topics_or_below_threshold_makes_new_topics() -> None:
    fit = np.eye(2)
    assert [link.relation for link in link_topics(fit, [0, 1], np.zeros((0, 2)))] == ["new", "new"]
    far = np.array([[0.6, 0.8]])  # cosine 0.6 with topic 0 and 0.8 with topic 1
    links = link_topics(far, [0], np.eye(2), threshold=0.85)
    assert [(link.relation, link.known) for link in links] == [("new", None)]


def test_smallest_topic_has_a_floor_and_grows_with_the_window() -> None:
    config = TopicConfig(min_topic_size=5, min_topic_share=0.001)
    assert smallest_topic(config, 3_000) == 5
    assert smallest_topic(config, 12_345) == 13
    assert smallest_topic(config, 50_000) == 50


def test_lead_market_seed_words_lift_their_terms_in_topic_words_without_changing_the_clusters() -> None:
    ids, texts, groups = synthetic_corpus()
    vectors = embed(texts)
    plain = fit_topics(ids, texts, vectors, FAST)
    hydrogen_plain = next(t for t in plain.topics if "wasserstoff" in t.top_terms)
    seed = hydrogen_plain.top_terms[-1]  # the hydrogen topic's weakest top word
    seeded = fit_topics(ids, texts, vectors, TopicConfig(**{**FAST.__dict__, "seed_words": (seed.title(),)}))
    hydrogen_seeded = next(t for t in seeded.topics if "wasserstoff" in t.top_terms)
    assert hydrogen_seeded.top_terms.index(seed) < hydrogen_plain.top_terms.index(seed)
    assert [list(t.members) for t in seeded.topics] == [list(t.members) for t in plain.topics]


def test_exact_neighbours_are_umaps_own_and_give_umap_the_same_graph() -> None:
    """The neighbours handed to UMAP are the exact cosine ones it would compute itself, and its graph is the same."""
    import warnings

    from sklearn.metrics import pairwise_distances
    from umap import UMAP

    rng = np.random.default_rng(3)
    vectors = (rng.normal(size=(6, 16))[rng.integers(0, 6, 300)] + 0.5 * rng.normal(size=(300, 16))).astype(np.float32)
    vectors[7] = 0.0  # an empty document: distance 1 to every other, 0 to itself
    indices, distances = exact_cosine_neighbours(vectors, 10)
    expected = pairwise_distances(vectors, metric="cosine")
    np.fill_diagonal(expected, 0.0)
    assert indices.shape == distances.shape == (300, 10)
    assert (indices[:, 0] == np.arange(300)).all() and (distances[:, 0] == 0).all()  # itself first
    assert np.allclose(distances, np.sort(expected, axis=1)[:, :10], atol=1e-5)
    assert np.allclose(distances, np.take_along_axis(expected, indices.astype(int), axis=1), atol=1e-5)
    assert (distances[7, 1:] == 1.0).all()
    # Computed a block of rows at a time (memory bounded whatever the size), the neighbours are the same.
    import models.topics as topics_module

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(topics_module, "_NEIGHBOUR_BLOCK_BYTES", 4 * 300 * 7)  # 7 rows a block, the last one short
        blocked_indices, blocked_distances = exact_cosine_neighbours(vectors, 10)
    assert np.array_equal(blocked_indices[:, 0], indices[:, 0]) and (blocked_distances[7, 1:] == 1.0).all()
    assert np.allclose(blocked_distances, distances, atol=1e-6)
    assert (blocked_indices[np.arange(300) != 7] == indices[np.arange(300) != 7]).all()  # row 7: all ties at 1
    # The graph, on vectors without ties (the empty document's neighbours are all at distance 1: any ten will do).
    vectors = np.delete(vectors, 7, axis=0)
    settings = {"n_neighbors": 10, "n_components": 5, "min_dist": 0.0, "metric": "cosine", "random_state": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        own = UMAP(**settings).fit(vectors).graph_
        given = UMAP(**settings, precomputed_knn=exact_cosine_neighbours(vectors, 10)).fit(vectors).graph_
    assert abs(own - given).max() < 1e-3 and own.nnz == given.nnz
