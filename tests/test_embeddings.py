"""Embedding backends: TF-IDF+SVD in depth; the shipped multilingual encoders on one cross-lingual pair."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from models.embeddings import (
    EmbeddingError,
    TfidfSvdEmbedder,
    centre_vectors,
    document_text,
    make_embedder,
    needs_fit,
    truncate,
)

CORPUS = [
    "Die Wärmepumpe heizt das Gebäude mit Umweltwärme; eine Wärmepumpe spart Gas.",
    "Wärmepumpen im Neubau: Förderung für die Wärmepumpe und die Gebäudeheizung.",
    "Der Einbau einer Wärmepumpe im Altbau senkt die Heizkosten im Gebäude.",
    "Grüner Wasserstoff aus dem Elektrolyseur ersetzt Kokskohle im Stahlwerk.",
    "Ein Elektrolyseur erzeugt Wasserstoff für die Stahlindustrie in Duisburg.",
    "Wasserstoff-Pipelines verbinden den Elektrolyseur mit dem Stahlwerk.",
    "A neural network is trained with deep learning on graphics processors.",
    "Deep learning trains the neural network weights on a GPU cluster.",
    "Training a neural network for image recognition with deep learning.",
] * 3


def test_tfidf_places_documents_on_the_same_technology_together() -> None:
    model = TfidfSvdEmbedder(dim=3).fit(CORPUS)
    vectors = model.embed(CORPUS[:9])
    assert vectors.shape == (9, model.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    same_topic = similarity[0, 1]  # two heat-pump texts
    other_topic = similarity[0, 3]  # heat pump vs hydrogen
    assert same_topic > other_topic + 0.3


def test_tfidf_keeps_umlauts_and_drops_stop_words() -> None:
    model = TfidfSvdEmbedder(dim=4).fit(CORPUS)
    assert model.vocabulary_ is not None
    assert "wärmepumpe" in model.vocabulary_
    assert "gebäude" in model.vocabulary_
    assert not {"die", "der", "the", "with", "und"} & set(model.vocabulary_)


def test_tfidf_state_round_trip_gives_identical_vectors() -> None:
    model = TfidfSvdEmbedder(dim=6, seed=3).fit(CORPUS)
    restored = TfidfSvdEmbedder.from_state(model.to_state())
    assert np.array_equal(model.embed(CORPUS[:5]), restored.embed(CORPUS[:5]))
    assert make_embedder("tfidf-svd", state=model.to_state()).dim == model.dim


def test_tfidf_fit_is_reproducible() -> None:
    first = TfidfSvdEmbedder(dim=6, seed=1).fit(CORPUS).embed(CORPUS[:4])
    second = TfidfSvdEmbedder(dim=6, seed=1).fit(CORPUS).embed(CORPUS[:4])
    assert np.array_equal(first, second)


def test_unfitted_tfidf_and_unknown_backends_say_what_to_do() -> None:
    with pytest.raises(EmbeddingError, match="not fitted"):
        TfidfSvdEmbedder().embed(["text"])
    with pytest.raises(EmbeddingError, match="unknown embedding backend 'word2vec'"):
        make_embedder("word2vec")
    assert needs_fit("tfidf-svd") and not needs_fit("use-m3")


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is not None, reason="sentence-transformers is installed"
)
def test_sentence_transformers_backend_without_the_package_fails_clearly() -> None:
    with pytest.raises(EmbeddingError, match="needs sentence-transformers"):
        make_embedder("st:/models/paraphrase-multilingual")


def test_centring_removes_the_common_direction() -> None:
    rng = np.random.default_rng(0)
    common = np.ones(16, dtype=np.float32)
    vectors = common + 0.1 * rng.standard_normal((50, 16)).astype(np.float32)
    raw_cosines = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)) @ (
        vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    ).T
    centred = centre_vectors(vectors)
    assert raw_cosines.min() > 0.9  # everything looks alike before
    assert np.allclose(np.linalg.norm(centred, axis=1), 1.0, atol=1e-5)
    assert abs(float((centred @ centred.T)[np.triu_indices(50, 1)].mean())) < 0.1


def test_document_text_and_truncate() -> None:
    assert document_text("Titel", "Text  mit\n Umbruch") == "Titel. Text mit Umbruch"
    assert document_text(None, "nur Text") == "nur Text"
    assert truncate("eins zwei drei vier", 10) == "eins zwei"


@pytest.mark.parametrize("backend", ["use-m3", "e5-small"])
def test_shipped_multilingual_encoders_match_german_and_english_on_one_technology(backend: str) -> None:
    embedder = make_embedder(backend)
    vectors = embedder.embed(
        [
            "Die Wärmepumpe nutzt Umweltwärme zum Heizen von Gebäuden.",
            "The heat pump uses ambient heat to warm buildings.",
            "Der Bundestag debattiert über die Rente mit 63.",
        ]
    )
    assert vectors.shape == (3, embedder.dim)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
