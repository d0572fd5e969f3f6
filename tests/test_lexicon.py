"""The German/English lexicon of the TF-IDF space (`models.lexicon`): induced from the corpus' own words with the
shipped multilingual word encoder (real model, tiny inputs), so a German text and its English translation meet."""

from __future__ import annotations

import numpy as np
import pytest

from models.embeddings import TfidfSvdEmbedder, normalise_rows
from models.lexicon import Translation, language_words, translation_pairs
from models.word_vectors import StaticWordEmbedder

# Each subject in both languages, written for this test: the German texts say what the English ones say.
SUBJECTS = {
    "heat": (
        [
            "Die Wärmepumpe heizt das Haus mit Wärme aus der Luft.",
            "Eine Wärmepumpe im Keller ersetzt die alte Heizung.",
            "Der Strom für die Wärmepumpe kommt vom Dach.",
            "Die Heizung mit Wärmepumpe spart Kosten im Winter.",
        ],
        [
            "The heat pump warms the house with heat from the air.",
            "A heat pump in the cellar replaces the old heating.",
            "The electricity for the heat pump comes from the roof.",
            "Heating with a heat pump saves costs in winter.",
        ],
    ),
    "hydrogen": (
        [
            "Grüner Wasserstoff ersetzt Kohle im Stahlwerk.",
            "Der Elektrolyseur erzeugt Wasserstoff aus Wasser.",
            "Eine Leitung bringt Wasserstoff zum Stahlwerk.",
            "Das Stahlwerk braucht viel Wasserstoff statt Kohle.",
        ],
        [
            "Green hydrogen replaces coal in the steel mill.",
            "The electrolyser produces hydrogen from water.",
            "A pipeline brings hydrogen to the steel mill.",
            "The steel mill needs much hydrogen instead of coal.",
        ],
    ),
    "pension": (
        [
            "Die Rente steigt im Juli für alle Rentner.",
            "Die Regierung plant eine Reform der Rente.",
            "Rentner bekommen mehr Geld aus der Kasse.",
            "Die Reform der Rente kostet viel Geld.",
        ],
        [
            "The pension rises in July for all pensioners.",
            "The government plans a reform of the pension.",
            "Pensioners get more money from the fund.",
            "The reform of the pension costs a lot of money.",
        ],
    ),
}
GERMAN = [text for german, _ in SUBJECTS.values() for text in german]
ENGLISH = [text for _, english in SUBJECTS.values() for text in english]
TEXTS = (GERMAN + ENGLISH) * 2  # twice, so every word reaches the fit's min_df of 2
LANGUAGES = (["de"] * len(GERMAN) + ["en"] * len(ENGLISH)) * 2


@pytest.fixture(scope="module")
def words() -> StaticWordEmbedder:
    return StaticWordEmbedder()  # the real use-m3 encoder, word vectors kept in memory


def _translation_found(vectors: np.ndarray) -> float:
    """Share of the German texts whose nearest English text is their own translation."""
    n = len(GERMAN)
    similarity = vectors[:n] @ vectors[n : 2 * n].T
    return float((similarity.argmax(axis=1) == np.arange(n)).mean())


def test_german_and_english_words_that_translate_each_other_become_one_term(words: StaticWordEmbedder) -> None:
    plain = TfidfSvdEmbedder(dim=8, seed=1).fit_embed(TEXTS)
    model = TfidfSvdEmbedder(dim=8, seed=1)
    joined = model.fit_embed(TEXTS, Translation(LANGUAGES, words))
    pairs = {(de, en) for de, en, _ in model.translations_}
    assert {("wasserstoff", "hydrogen"), ("rente", "pension"), ("kohle", "coal")} <= pairs
    measured = [cosine for _, _, cosine in model.translations_ if not np.isnan(cosine)]
    assert min(measured) >= 0.6  # mutual best partners from 0.6, others from 0.7; NaN: a lead-market seed pair
    assert ("kohle", "coal") in {(de, en) for de, en, cosine in model.translations_ if cosine >= 0.7}
    assert model.concepts_ is not None and model.vocabulary_ is not None
    vocabulary = model.vocabulary_
    assert model.concepts_[vocabulary["wasserstoff"]] == model.concepts_[vocabulary["hydrogen"]]
    assert model.concepts_[vocabulary["wasserstoff"]] != model.concepts_[vocabulary["rente"]]
    # Without the lexicon a German text shares no word with its translation; with it, it finds it.
    assert _translation_found(plain) < 0.5
    assert _translation_found(joined) > _translation_found(plain) + 0.3
    similarity = joined @ joined.T
    hydrogen_de, hydrogen_en, pension_en = 4, len(GERMAN) + 4, len(GERMAN) + 8
    assert similarity[hydrogen_de, hydrogen_en] > similarity[hydrogen_de, pension_en] + 0.3


def test_the_lexicon_travels_with_the_state_and_new_texts_use_it(words: StaticWordEmbedder) -> None:
    model = TfidfSvdEmbedder(dim=8, seed=1)
    fitted = model.fit_embed(TEXTS, Translation(LANGUAGES, words))
    restored = TfidfSvdEmbedder.from_state(model.to_state())
    assert [pair[:2] for pair in restored.translations_] == [pair[:2] for pair in model.translations_]
    assert np.allclose([c for *_, c in restored.translations_], [c for *_, c in model.translations_], equal_nan=True)
    assert restored.concepts_ is not None and np.array_equal(restored.concepts_, model.concepts_)
    assert np.allclose(restored.embed(TEXTS[:6]), fitted[:6], atol=1e-6)
    german, english, other = restored.embed(
        ["Wasserstoff für das Stahlwerk", "hydrogen for the steel mill", "Rente für Rentner"]
    )
    assert german @ english > german @ other + 0.3


def test_a_corpus_of_one_language_keeps_its_plain_space_and_never_loads_the_encoder() -> None:
    class NoEncoder:
        def word_vectors(self, words: object) -> np.ndarray:
            raise AssertionError("a corpus with one language has nothing to translate")

        embed = word_vectors

    plain = TfidfSvdEmbedder(dim=8, seed=1).fit_embed(GERMAN * 2)
    model = TfidfSvdEmbedder(dim=8, seed=1)
    same = model.fit_embed(GERMAN * 2, Translation(["de"] * len(GERMAN) * 2, NoEncoder(), word_weight=1.0))
    assert model.concepts_ is None and model.translations_ == [] and model.word_weight == 0.0
    assert np.array_equal(plain, same)
    assert b"concepts" not in model.to_state()  # the plain state, as before the lexicon existed


def test_only_words_of_one_language_are_candidates_and_shared_words_stay_as_they_are() -> None:
    from sklearn.feature_extraction.text import CountVectorizer

    texts = ["Software Paket Bibliothek", "Software Paket", "software package library", "software package"] * 2
    languages = ["de", "de", "en", "en"] * 2
    counter = CountVectorizer()
    counts = counter.fit_transform(texts)
    own = language_words(counts, languages)
    assert own is not None
    names = counter.get_feature_names_out()
    assert [names[i] for i in own["de"]] == ["paket", "bibliothek"]  # most frequent first; "software" is shared
    assert [names[i] for i in own["en"]] == ["package", "library"]
    assert language_words(counts, ["de"] * len(texts)) is None  # no English documents: nothing to translate
    assert language_words(counts, languages, min_language_share=0.6) is None  # 50 % English: strays by this bar


def test_a_pair_needs_the_higher_cosine_unless_both_words_choose_each_other() -> None:
    german = normalise_rows(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32))
    # English 0 is German 0's translation (cosine 0.8); English 1 is the best English word for German 1 (0.65,
    # each other's best: mutual) and English 2 is nearest German 0 but prefers it less than English 0 does.
    english = normalise_rows(np.array([[0.8, 0.0, 0.6], [0.0, 0.65, 0.76], [0.62, 0.3, 0.72]], dtype=np.float32))
    pairs = {(g, e): (round(c, 2), m) for g, e, c, m in translation_pairs(german, english, neighbours=1)}
    assert pairs[(0, 0)] == (0.8, True)  # mutual, above 0.7
    assert pairs[(1, 1)] == (0.65, True)  # mutual: 0.6 suffices
    assert (0, 2) not in pairs  # English 2's best is German 0, but at 0.62 and not mutual
    assert translation_pairs(german, english, min_cosine=0.9, mutual_min_cosine=0.9, neighbours=1) == []


def test_a_bilingual_space_can_carry_the_mean_word_vector_beside_its_tfidf_part(words: StaticWordEmbedder) -> None:
    """`word_weight` > 0: each vector is the TF-IDF part and the document's mean use-m3 word vector side by side,
    kept in the state, so documents embedded later get the same two parts (read through the word-vector cache)."""
    lexicon_only = TfidfSvdEmbedder(dim=8, seed=1).fit_embed(TEXTS, Translation(LANGUAGES, words))
    model = TfidfSvdEmbedder(dim=8, seed=1)
    both = model.fit_embed(TEXTS, Translation(LANGUAGES, words, word_weight=1.0))
    assert both.shape == (len(TEXTS), model.dim + 512) and model.word_weight == 1.0
    assert np.allclose(np.linalg.norm(both, axis=1), 1.0, atol=1e-5)
    assert _translation_found(both) >= _translation_found(lexicon_only)
    restored = TfidfSvdEmbedder.from_state(model.to_state())
    assert restored.word_weight == 1.0 and restored.words is not None  # an encoder of its own (no cache given)
    restored.words = words  # the same word vectors, as the warehouse's cache gives them back
    assert np.allclose(restored.embed(TEXTS[:4]), both[:4], atol=1e-5)
    german_only = Translation(["de"] * len(GERMAN) * 2, words, word_weight=1.0)
    assert TfidfSvdEmbedder(dim=8, seed=1).fit_embed(GERMAN * 2, german_only).shape[1] == 8


def test_a_refit_computes_only_the_vectors_it_stores_and_they_are_the_full_fits(words: StaticWordEmbedder) -> None:
    """A refit learns from more documents than it stores (a sample beyond the window): `rows` gives exactly those
    rows of the full result, in the order asked, and the word part reads only their texts."""

    class Counting:
        def __init__(self) -> None:
            self.texts: list[str] = []

        def word_vectors(self, batch: object) -> np.ndarray:
            return words.word_vectors(batch)

        def embed(self, texts: list[str]) -> np.ndarray:
            self.texts.extend(texts)
            return words.embed(texts)

    full = TfidfSvdEmbedder(dim=8, seed=1).fit_embed(TEXTS, Translation(LANGUAGES, words, word_weight=1.0))
    counting = Counting()
    chosen = [len(TEXTS) - 1, 0, 5]
    some = TfidfSvdEmbedder(dim=8, seed=1).fit_embed(
        TEXTS, Translation(LANGUAGES, counting, word_weight=1.0), rows=chosen
    )  # type: ignore[arg-type]
    assert some.shape == (3, full.shape[1]) and np.allclose(some, full[chosen], atol=1e-6)
    assert counting.texts == [TEXTS[i] for i in chosen]
    assert TfidfSvdEmbedder(dim=8, seed=1).fit_embed(TEXTS, rows=[]).shape[0] == 0


def test_a_one_way_pair_is_kept_only_as_an_inflection_so_no_hub_gathers_untranslated_words() -> None:
    from models.lexicon import _kept, inflections

    assert inflections("konflikte", "konflikt") and inflections("files", "file")
    assert not inflections("aufwerfen", "anstoßen") and not inflections("amt", "amtes")  # stem too short
    found = [
        ("konflikt", "conflicts", 0.93, True),
        ("konflikte", "conflicts", 0.9, False),  # an inflection of the mutual partner: the same word
        ("zielen", "aimed", 0.8, True),
        ("anstoßen", "aimed", 0.74, False),  # words with no translation of their own that chose a hub
        ("aufwerfen", "aimed", 0.72, False),
        ("befeuern", "aimed", 0.71, False),
    ]
    assert _kept(found) == [("konflikt", "conflicts", 0.93), ("konflikte", "conflicts", 0.9), ("zielen", "aimed", 0.8)]
