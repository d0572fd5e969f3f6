"""Settings of the `models` layer as light frozen dataclasses: `[language]` and the topic model of `[topics]`.

Kept apart from the modules that use them (which import spaCy, BERTopic and scikit-learn) so that reading the
configuration, which every `foresight` command does first, loads none of them. The field defaults are the defaults
of foresight; `pipeline/default_config.toml` documents them and a test checks it says the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SUPPORTED_LANGUAGES: tuple[str, ...] = ("de", "en")
REDUCTIONS = ("umap", "pca", "none")
CLUSTERINGS = ("hdbscan", "kmeans")


@dataclass(frozen=True)
class LanguageSettings:
    """`[language]`, with the defaults foresight runs with offline.

    `trained` names a trained spaCy pipeline per language; it is used when installed (`spacy.util.is_package`),
    otherwise the blank+HanTa pipeline is. `languages` are the languages processed; others are skipped with a
    reason. `max_chunk_chars` bounds memory on very long texts: they are processed in pieces of that size.
    """

    languages: tuple[str, ...] = SUPPORTED_LANGUAGES
    trained: Mapping[str, str] = field(default_factory=dict)
    batch_size: int = 200  # documents read, annotated and written per transaction
    processes: int = 0  # worker processes annotating in parallel; 0 = one per core (at most 4)
    max_chunk_chars: int = 100_000
    min_words: int = 3  # fewer words: skipped as "too short"
    detect_chars: int = 5_000  # characters sampled (start, middle, end) for language detection

    def __post_init__(self) -> None:
        unknown = [lang for lang in self.languages if lang not in SUPPORTED_LANGUAGES]
        if unknown:
            raise ValueError(
                f"languages: {', '.join(unknown)} not supported; foresight analyses {', '.join(SUPPORTED_LANGUAGES)}"
            )
        object.__setattr__(self, "languages", tuple(self.languages))
        object.__setattr__(self, "trained", {str(k): str(v) for k, v in dict(self.trained).items() if v})
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if self.processes < 0:
            raise ValueError("processes must be 0 (one per core) or a number of worker processes")


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
    centre_per_language: bool = False  # ... each language's mean instead (one topic across languages)
    outlier_min_similarity: float = 0.35  # outliers this close (cosine) to a topic centroid join it
    seed: int = 42
    # Seed words (the lead markets' seed terms): their c-TF-IDF weight is multiplied, so a topic about a lead-market
    # technology is described by that technology's words. They shape topic words and labels, not the clustering.
    seed_words: tuple[str, ...] = ()
    seed_multiplier: float = 2.0
    seed_min_share: float = 0.10  # ... but only words at least this share of the topic's documents use
    label_min_share: float = 0.10  # a label word occurs in at least this share of the topic's documents
    word_min_documents: int = 2  # a topic word occurs in at least this many of the topic's documents
    learn_boilerplate: bool = True  # leave source boilerplate (publisher names, bylines) out of topic words

    def __post_init__(self) -> None:
        if self.reduction not in REDUCTIONS:
            raise TopicError(f"unknown reduction {self.reduction!r}; use one of {', '.join(REDUCTIONS)}")
        if self.clustering not in CLUSTERINGS:
            raise TopicError(f"unknown clustering {self.clustering!r}; use one of {', '.join(CLUSTERINGS)}")
        if self.min_topic_size < 2:
            raise TopicError("min_topic_size must be at least 2")
