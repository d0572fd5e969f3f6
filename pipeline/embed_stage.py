"""The embeddings stage of `foresight analyze`: a vector for every document that has none in the current space.

A document is embedded once per embedding space, when a stage first needs its vector (its window), and the vector
is kept in the warehouse, so a re-run embeds nothing and a weekly scan embeds only the week's new documents. A
corpus-fitted backend (`tfidf-svd`) is the one exception: it is refitted when the history grew enough, which makes
a new space; the refit learns from a bounded sample and re-embeds the window, not the history (`embed_documents`).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from models.embeddings import document_text, make_embedder, needs_fit
from models.lexicon import Translation
from models.word_vectors import StaticWordEmbedder
from pipeline.config import Config
from pipeline.progress import Progress
from warehouse.db import Warehouse
from warehouse.runs import Run
from warehouse.topics import (
    count_documents,
    current_embedding_model,
    document_languages,
    document_sources,
    document_texts,
    documents_to_embed,
    fit_sample_ids,
    save_embedding_model,
    write_embeddings,
)
from warehouse.word_vectors import WordVectorTable

if TYPE_CHECKING:
    from pipeline.analyze import AnalyzeResult

EMBED_BATCH = 1_000  # documents read, embedded and written per step (bounded memory)


def embed_documents(
    warehouse: Warehouse,
    config: Config,
    window_start: date,
    as_of: date,
    run: Run,
    progress: Progress,
    result: AnalyzeResult,
) -> dict[str, Any]:
    """Embed what the later stages read and has no vector yet; a corpus-fitted backend is refitted when due.

    What is read: the window ``[window_start, as_of]`` and the members of the stable topics' latest fits
    (`documents_to_embed`). Refit rule for TF-IDF+SVD: the documents published up to as-of exceed the history at
    the last fit by at least `[topics] refit_share` (default 2 %); without it, the vocabulary and directions of a
    new technology would never enter the model. A refit learns from at most `[topics] fit_documents_max`
    documents, the window's first (`fit_sample_ids`), and is a new embedding space: what is read is embedded
    again, from the TF-IDF matrix the fit built where the sample holds it (`fit_embed`: each text is tokenised
    once). So a refit costs the window and the sample, whatever the size of the history. Returns the stage's
    counts (`embedded` counts the fit's vectors too); `result.space` is the space the later stages read.
    """
    topics = config.topics
    backend = topics.backend
    counts: dict[str, Any] = {}
    embedded_by_fit = 0
    if needs_fit(backend):
        current = current_embedding_model(warehouse, backend)
        available = count_documents(warehouse, as_of)
        history = current.history_documents if current else 0
        if current is None or available - history >= max(1.0, topics.refit_share * history):
            limit = max(1, topics.fit_documents_max)
            rows = document_texts(warehouse, fit_sample_ids(warehouse, window_start, as_of, limit))
            ids = [doc_id for doc_id, _, _ in rows]
            texts = [document_text(title, text) for _, title, text in rows]
            model = make_embedder(
                backend, dim=topics.embedding_dim, seed=topics.model.seed, topicality=topics.topicality
            )
            translation = None
            if topics.translate_words:  # German and English words that translate each other: one term
                by_id = document_languages(warehouse, ids)
                translation = Translation(
                    [by_id.get(doc_id) for doc_id in ids],
                    StaticWordEmbedder(cache=WordVectorTable(warehouse)),
                    topics.translation_min_cosine,
                    topics.translation_word_weight,
                )
            sources = None
            if topics.source_markers:  # a source's markers stay out of the space (models.boilerplate)
                by_source = document_sources(warehouse, ids)
                sources = [by_source[doc_id] for doc_id in ids]
            wanted = set(documents_to_embed(warehouse, None, window_start, as_of))  # what the new space must hold
            keep = [i for i, doc_id in enumerate(ids) if doc_id in wanted]
            fitted = model.fit_embed(  # type: ignore[attr-defined]  # no second read
                texts, translation, rows=keep, sources=sources
            )
            counts["translations"] = len(getattr(model, "translations_", []))
            counts["source_markers"] = getattr(model, "markers_", {})
            if (topicality := getattr(model, "topicality_", None)) is not None:  # [topics] topicality
                counts["topicality_measured"] = int(np.isfinite(topicality).sum())
            state = model.to_state()  # type: ignore[attr-defined]
            current = save_embedding_model(
                warehouse, backend, state, len(texts), as_of, run.id, history_documents=available
            )
            counts["refitted_on"] = len(texts)
            for start in range(0, len(keep), EMBED_BATCH):
                batch_ids = [ids[i] for i in keep[start : start + EMBED_BATCH]]
                embedded_by_fit += write_embeddings(warehouse, current.space, batch_ids,
                                                    fitted[start : start + EMBED_BATCH], run.id)  # fmt: skip
            del fitted
        space = current.space
        embedder = make_embedder(backend, state=current.state, word_cache=WordVectorTable(warehouse))
        result.bilingual_space = getattr(embedder, "concepts_", None) is not None
    else:
        space, embedder = backend, None
    result.space = space
    missing = documents_to_embed(warehouse, space, window_start, as_of)
    counts.update({"space": space, "embedded": embedded_by_fit})
    if missing:
        embedder = embedder or make_embedder(backend, word_cache=WordVectorTable(warehouse))
        with progress.step("embeddings", total=len(missing)) as step:
            for start in range(0, len(missing), EMBED_BATCH):
                batch = document_texts(warehouse, missing[start : start + EMBED_BATCH])
                vectors = embedder.embed([document_text(title, text) for _, title, text in batch])
                counts["embedded"] += write_embeddings(
                    warehouse, space, [doc_id for doc_id, _, _ in batch], vectors, run.id
                )
                step.advance(len(batch))
        counts["words_encoded"] = getattr(embedder, "words_encoded", None)  # use-m3-words: words new to the cache
    result.embedded = int(counts["embedded"])
    return counts
