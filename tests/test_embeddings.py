"""Embedding backends: TF-IDF+SVD in depth; the shipped multilingual encoders on one cross-lingual pair; the static
word vectors of `use-m3-words` (real model, tiny inputs) with their warehouse cache; centring per language."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from models.embeddings import (
    EmbeddingError,
    TfidfSvdEmbedder,
    centre_by_language,
    centre_vectors,
    document_text,
    make_embedder,
    needs_fit,
    truncate,
)
from models.word_vectors import content_words, dequantise, quantise, sif_weights
from warehouse.db import Warehouse
from warehouse.word_vectors import WordVectorTable

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


def test_tfidf_fit_embed_gives_the_vectors_of_fit_then_embed() -> None:
    """After a refit everything is embedded again from the fit's own matrix: the same vectors, one tokenisation."""
    fitted = TfidfSvdEmbedder(dim=6, seed=2)
    vectors = fitted.fit_embed(CORPUS)
    again = TfidfSvdEmbedder(dim=6, seed=2).fit(CORPUS).embed(CORPUS)
    assert vectors.shape == (len(CORPUS), 6) and np.allclose(vectors, again, atol=1e-6)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(fitted.embed(CORPUS[:3]), vectors[:3], atol=1e-6)


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


def test_static_word_vectors_put_a_german_word_next_to_its_english_translation() -> None:
    embedder = make_embedder("use-m3-words")
    heat_pump, english, pension, hydrogen, wasserstoff = embedder.embed(
        ["Wärmepumpe", "heat pump", "Rentenversicherung", "hydrogen", "Wasserstoff"]
    )
    assert embedder.dim == 512 and embedder.name == "use-m3-words"
    assert heat_pump @ english > heat_pump @ pension + 0.3
    assert wasserstoff @ hydrogen > wasserstoff @ pension + 0.3
    german, translated, other = embedder.embed(
        [
            "Die Wärmepumpe nutzt Umweltwärme zum Heizen von Gebäuden.",
            "The heat pump uses ambient heat to warm buildings.",
            "Der Bundestag debattiert über die Rente mit 63.",
        ]
    )
    assert german @ translated > german @ other


def test_a_static_document_vector_depends_on_its_text_alone() -> None:
    texts = ["Grüner Wasserstoff für das Stahlwerk in Duisburg", "Neural networks trained on GPUs", "Wärmepumpen"]
    together = make_embedder("use-m3-words").embed(texts)
    alone = make_embedder("use-m3-words").embed(texts[2:])  # another batch, another embedder: same vector
    again = make_embedder("use-m3-words").embed(texts[::-1])
    assert np.array_equal(together[2], alone[0])
    assert np.array_equal(together, again[::-1])
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_text_without_content_words_gets_a_zero_vector() -> None:
    vectors = make_embedder("use-m3-words").embed(["", "und die der the of", "Wasserstoff"])
    assert vectors.shape == (3, 512)
    assert not vectors[:2].any() and np.linalg.norm(vectors[2]) == pytest.approx(1.0, abs=1e-5)


def test_content_words_and_weights_come_from_general_language_not_the_corpus() -> None:
    assert content_words("Die Wärmepumpe und der HEAT-PUMP-Test, 2024!") == ["wärmepumpe", "heat-pump-test"]
    common, rare = sif_weights(["system", "elektrolyseur"])
    assert common < 0.5 < rare <= 1.0  # "system" is frequent in English and German text, "elektrolyseur" is not
    assert sif_weights(["zzqxwort"])[0] == pytest.approx(1.0)


def test_word_vectors_are_encoded_once_and_read_back_from_the_warehouse(tmp_path) -> None:  # noqa: ANN001
    texts = ["Der Elektrolyseur erzeugt grünen Wasserstoff.", "A GPU trains the neural network."]
    words = {w for text in texts for w in content_words(text)}
    with Warehouse.open_writer(tmp_path / "w.duckdb") as wh:
        first = make_embedder("use-m3-words", word_cache=WordVectorTable(wh))
        vectors = first.embed(texts)
        assert first.words_encoded == len(words) and WordVectorTable(wh).count("use-m3") == len(words)
    with Warehouse.open_writer(tmp_path / "w.duckdb") as wh:  # a later run
        second = make_embedder("use-m3-words", word_cache=WordVectorTable(wh))
        assert np.allclose(second.embed(texts), vectors, atol=1e-6)
        assert second.words_encoded == 0
        second.embed(["Der Elektrolyseur im Stahlwerk"])  # one word it has not seen
        assert second.words_encoded == 1 and WordVectorTable(wh).count("use-m3") == len(words) + 1


def test_quantised_word_vectors_keep_their_direction() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((20, 512)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    values, scales = quantise(vectors)
    assert values.dtype == np.int8 and np.abs(values).max() == 127
    assert np.min(np.sum(dequantise(values, scales) * vectors, axis=1)) > 0.9999
    again = quantise(dequantise(values, scales))[0]
    assert np.array_equal(again, values)  # what is stored and read back rounds to the same values


def test_centring_per_language_removes_the_language_direction() -> None:
    rng = np.random.default_rng(0)
    topics = rng.standard_normal((2, 32)).astype(np.float32)
    language = {"de": 3 * rng.standard_normal(32).astype(np.float32), "en": 3 * rng.standard_normal(32)}
    rows, labels, langs = [], [], []
    for lang in ("de", "en"):
        for topic in (0, 1):
            for _ in range(40):
                rows.append(topics[topic] + language[lang] + 0.3 * rng.standard_normal(32))
                labels.append(topic)
                langs.append(lang)
    vectors, labels, langs_array = np.asarray(rows, dtype=np.float32), np.array(labels), np.array(langs)

    def same_topic_across_languages_beats_same_language_across_topics(v: np.ndarray) -> bool:
        similarity = v @ v.T
        same_topic = labels[:, None] == labels[None, :]
        same_language = langs_array[:, None] == langs_array[None, :]
        return similarity[same_topic & ~same_language].mean() > similarity[~same_topic & same_language].mean()

    assert not same_topic_across_languages_beats_same_language_across_topics(centre_vectors(vectors))
    assert same_topic_across_languages_beats_same_language_across_topics(centre_by_language(vectors, langs))
    one_language = centre_by_language(vectors[:80], ["de"] * 80)
    assert np.allclose(one_language, centre_vectors(vectors[:80]), atol=1e-5)


def test_a_language_with_few_documents_keeps_its_content_when_centred() -> None:
    rng = np.random.default_rng(2)
    vectors = rng.standard_normal((60, 16)).astype(np.float32)
    vectors[-2:] = vectors[-2:] + 5.0  # two French documents on a topic of their own
    centred = centre_by_language(vectors, ["de"] * 58 + ["fr", "fr-FR"])
    assert centred[-1] @ centred[-2] > 0.5  # their mean (their topic) was not subtracted in full
    with pytest.raises(ValueError, match="one language per vector"):
        centre_by_language(vectors, ["de"])


def test_a_sources_marker_stays_out_of_the_tfidf_space() -> None:
    """One source heads its texts on every subject with "Plus Abo:"; with the sources given, those words are not
    in the vocabulary, so a marked text gets the vector of its subject, not of the marker (and the state keeps
    what was left out, with its numbers)."""
    texts, sources = [], []
    for i in range(180):  # a third of the texts are the newspaper's, half of those marked (30)
        text = CORPUS[i % 9]
        texts.append(f"Plus Abo: {text}" if i % 6 == 0 else text)
        sources.append("zeitung" if i % 6 in (0, 1) else "blog")
    plain = TfidfSvdEmbedder(dim=4, seed=1).fit(texts)
    assert plain.vocabulary_ is not None and "abo" in plain.vocabulary_
    marked = TfidfSvdEmbedder(dim=4, seed=1, min_df=2)
    marked.fit(texts, sources=sources)
    assert marked.vocabulary_ is not None and not {"plus", "abo"} & set(marked.vocabulary_)
    assert set(marked.markers_) == {"plus", "abo"} and all(c is not None and c < 2 for c in marked.markers_.values())
    assert np.allclose(marked.embed([f"Plus Abo: {CORPUS[0]}"]), marked.embed([CORPUS[0]]), atol=1e-6)
    assert not np.allclose(plain.embed([f"Plus Abo: {CORPUS[0]}"]), plain.embed([CORPUS[0]]), atol=1e-3)
    restored = TfidfSvdEmbedder.from_state(marked.to_state())
    assert restored.markers_ == marked.markers_
    assert np.array_equal(restored.embed(texts[:5]), marked.embed(texts[:5]))
    # one source: nothing is left out, and the space is the plain one
    single = TfidfSvdEmbedder(dim=4, seed=1).fit(texts, sources=["zeitung"] * len(texts))
    assert single.markers_ == {} and np.array_equal(single.embed(texts[:5]), plain.embed(texts[:5]))
