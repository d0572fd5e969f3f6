"""Static multilingual word vectors distilled from a sentence encoder: cross-lingual document vectors at lookup speed.

``use-m3-words``: every distinct word is embedded once, on its own, by the multilingual Universal Sentence Encoder
(`models.embeddings.UseEmbedder`), and its vector is kept in a cache (the warehouse table ``word_vectors``, see
`warehouse.word_vectors`). A document is the SIF-weighted mean of its words' vectors (Arora, Liang and Ma 2017, "A
simple but tough-to-beat baseline for sentence embeddings"; the same idea as model2vec's distilled static models):

    v(doc) = normalise( sum over the document's word tokens w of  a / (a + p(w)) * v(w) )

with p(w) the word's general-language frequency (wordfreq; the largest over German and English, so a function
word of either language weighs little whichever language a document is in) and a = `SMOOTHING`.

Why this design:

- **Cross-lingual.** The encoder maps "Wärmepumpe" and "heat pump" close together; averages of such vectors keep
  that, so a German and an English text on one technology land close (docs/topics.md has the measurements).
- **Fast.** The encoder runs once per *new word*, never per document: once a corpus' vocabulary is cached a
  document costs a tokenisation and a sparse matrix product (thousands of documents per second on one core),
  and a weekly scan only pays for the few words it has not seen before.
- **Stable.** Word vectors and weights depend on the word alone, never on the corpus, so a stored document
  vector never needs recomputing when the corpus grows (unlike a corpus-fitted TF-IDF space), and the same text
  always gets the same vector. The corpus-dependent step (removing the common direction, per language) happens
  in `models.topics.fit_topics`, on the window being clustered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np
from scipy import sparse

from models.embeddings import _WORD, Embedder, normalise_rows, stop_words

SMOOTHING = 1e-4  # SIF's a: a word as frequent as 1 in 10,000 running words gets half the weight of a rare one
FREQUENCY_LANGUAGES = ("de", "en")  # the languages of the product's sources
MAX_WORD_CHARS = 40  # longer "words" are identifiers, hashes or URLs: no meaning a word vector could hold
_TOKEN = re.compile(_WORD)


class WordVectorCache(Protocol):
    """Where word vectors are kept between runs (the warehouse implements it; None keeps them in memory only).

    Vectors travel as `quantise` gives them (int8 values and one scale per word), which is also the precision the
    embedder computes with, so a document gets the same vector whether its words were just encoded or read back.
    """

    def load(self, model: str, words: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Those of `words` that are stored, with their int8 values ``(n, dim)`` and scales ``(n,)``."""
        ...

    def save(self, model: str, words: Sequence[str], values: np.ndarray, scales: np.ndarray) -> None:
        """Keep new word vectors for later runs; a word already stored is left as it is."""
        ...


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows as int8 values and one scale per row (the largest magnitude becomes 127).

    Why: a third of the storage of float32 for the word-vector cache; the rounding moves a word's cosine to its
    float vector by about 1e-4 and a document's by less.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    scales = np.abs(vectors).max(axis=1) / 127.0 if len(vectors) else np.zeros(0, np.float32)
    scales[scales == 0] = 1.0
    return np.round(vectors / scales[:, None]).astype(np.int8), scales.astype(np.float32)


def dequantise(values: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Float32 rows back from `quantise`, L2-normalised."""
    return normalise_rows(np.asarray(values, dtype=np.float32) * np.asarray(scales, dtype=np.float32)[:, None])


def content_words(text: str, stops: frozenset[str] | None = None) -> list[str]:
    """The lower-case words of a text that carry content: 2+ letters, not a German or English stop word."""
    stops = stop_words() if stops is None else stops
    words = (w.lower() for w in _TOKEN.findall(text or ""))
    return [w for w in words if w not in stops and len(w) <= MAX_WORD_CHARS]


@lru_cache(maxsize=len(FREQUENCY_LANGUAGES))
def _frequencies(language: str) -> dict[str, float]:
    import wordfreq

    return wordfreq.get_frequency_dict(language)


def sif_weights(
    words: Sequence[str], smoothing: float = SMOOTHING, languages: Sequence[str] = FREQUENCY_LANGUAGES
) -> np.ndarray:
    """``a / (a + p(w))`` per word, p = the largest general-language frequency over `languages` (0 if unknown)."""
    tables = [_frequencies(language) for language in languages]
    p = np.array([max(table.get(w, 0.0) for table in tables) for w in words], dtype=np.float64)
    return (smoothing / (smoothing + p)).astype(np.float32)


class StaticWordEmbedder:
    """Documents as SIF-weighted means of cached word vectors from a multilingual encoder (see the module docstring).

    `encoder` embeds single words (it must be the model named `encoder_name`: the cache is keyed by that name);
    `cache` keeps word vectors across runs. Within one process, up to `max_memory_words` recently used word
    vectors are also held in memory.
    """

    def __init__(
        self,
        encoder: Embedder | Callable[[], Embedder] | None = None,
        cache: WordVectorCache | None = None,
        *,
        encoder_name: str = "use-m3",
        max_memory_words: int = 100_000,
    ) -> None:
        self._encoder = encoder
        self.cache = cache
        self.encoder_name = encoder_name
        self.name = f"{encoder_name}-words"
        self.dim = 512 if encoder_name == "use-m3" else int(getattr(encoder, "dim", 0))
        self.max_memory_words = max_memory_words
        self._memory: dict[str, np.ndarray] = {}
        self._weights: dict[str, float] = {}
        self._stops: frozenset[str] | None = None  # loaded on first use: spaCy's lists cost 1.5 s to import
        self.words_encoded = 0  # words this embedder had to run the encoder for (the cost that is not a lookup)

    @property
    def encoder(self) -> Embedder:
        """The sentence encoder, loaded on first need: a run whose words are all cached never loads it."""
        if self._encoder is None:
            from models.embeddings import UseEmbedder

            self._encoder = UseEmbedder(max_chars=MAX_WORD_CHARS, batch_size=1_024)
        elif not isinstance(self._encoder, Embedder):
            self._encoder = self._encoder()
        return self._encoder

    def word_vectors(self, words: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per word: from memory, else from the cache, else encoded now (and cached)."""
        wanted = list(dict.fromkeys(words))
        missing = [w for w in wanted if w not in self._memory]
        if len(self._memory) + len(missing) > self.max_memory_words:
            self._memory = {w: self._memory[w] for w in wanted if w in self._memory}
        if missing and self.cache is not None:
            found, values, scales = self.cache.load(self.encoder_name, missing)
            self._memory.update(zip(found, dequantise(values, scales), strict=True))
            missing = [w for w in missing if w not in self._memory]
        if missing:
            values, scales = quantise(normalise_rows(self.encoder.embed(missing)))
            self.words_encoded += len(missing)
            if self.cache is not None:
                self.cache.save(self.encoder_name, missing, values, scales)
            self._memory.update(zip(missing, dequantise(values, scales), strict=True))
        if not words:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self._memory[w] for w in words]).astype(np.float32, copy=False)

    def weights(self, words: Sequence[str]) -> np.ndarray:
        """SIF weights of `words` (remembered per word: they depend on the word alone)."""
        new = [w for w in dict.fromkeys(words) if w not in self._weights]
        if new:
            self._weights.update(zip(new, sif_weights(new).tolist(), strict=True))
        return np.array([self._weights[w] for w in words], dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` L2-normalised vectors; a text without content words gets a zero row."""
        if self._stops is None:
            self._stops = stop_words()
        documents = [content_words(text, self._stops) for text in texts]
        vocabulary = sorted({w for words in documents for w in words})
        if not vocabulary:
            return np.zeros((len(texts), self.dim), dtype=np.float32)
        column = {w: i for i, w in enumerate(vocabulary)}
        counts = sparse.csr_matrix(
            (
                np.ones(sum(map(len, documents)), dtype=np.float32),
                [column[w] for words in documents for w in words],
                np.cumsum([0, *map(len, documents)]),
            ),
            shape=(len(documents), len(vocabulary)),
        )
        weighted = counts @ sparse.diags(self.weights(vocabulary))
        return normalise_rows(np.asarray(weighted @ self.word_vectors(vocabulary), dtype=np.float32))
