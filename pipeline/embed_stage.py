"""The embeddings stage of `foresight analyze`: a vector for every document that has none in the current space.

A document is embedded once per embedding space and the vector is kept in the warehouse, so a re-run embeds
nothing and a weekly scan embeds only the week's new documents. A corpus-fitted backend (`tfidf-svd`) is the one
exception: it is (re)fitted when enough new documents arrived, which makes a new space (see `embed_documents`).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from models.embeddings import document_text, make_embedder, needs_fit
from pipeline.config import Config
from pipeline.progress import Progress
from warehouse.db import Warehouse
from warehouse.runs import Run
from warehouse.topics import (
    count_documents,
    current_embedding_model,
    document_ids,
    document_texts,
    documents_without_embedding,
    save_embedding_model,
    write_embeddings,
)
from warehouse.word_vectors import WordVectorTable

if TYPE_CHECKING:
    from pipeline.analyze import AnalyzeResult

EMBED_BATCH = 1_000  # documents read, embedded and written per step (bounded memory)


def embed_documents(
    warehouse: Warehouse, config: Config, as_of: date, run: Run, progress: Progress, result: AnalyzeResult
) -> dict[str, Any]:
    """Embed what has no vector yet; a corpus-fitted backend is (re)fitted when enough new documents arrived.

    Refit rule for TF-IDF+SVD: the documents published up to as-of exceed the ones the current model was fitted on
    by at least `[topics] refit_share` (default 2 %). A refit is a new embedding space, so everything is embedded
    again, from the TF-IDF matrix the fit built (`fit_embed`: each text is tokenised once); without it, the
    vocabulary and directions of a new technology would never enter the model. Returns the stage's counts
    (`embedded` counts the fit's vectors too); `result.space` is the space the later stages read.
    """
    topics = config.topics
    backend = topics.backend
    counts: dict[str, Any] = {}
    embedded_by_fit = 0
    if needs_fit(backend):
        current = current_embedding_model(warehouse, backend)
        available = count_documents(warehouse, as_of)
        if current is None or available - current.fitted_on >= max(1.0, topics.refit_share * current.fitted_on):
            rows = document_texts(warehouse, document_ids(warehouse, as_of))
            ids = [doc_id for doc_id, _, _ in rows]
            texts = [document_text(title, text) for _, title, text in rows]
            model = make_embedder(backend, dim=topics.embedding_dim, seed=topics.model.seed)
            fitted = model.fit_embed(texts)  # type: ignore[attr-defined]  # the fit's own texts: no second read
            state = model.to_state()  # type: ignore[attr-defined]
            current = save_embedding_model(warehouse, backend, state, len(texts), as_of, run.id)
            counts["refitted_on"] = len(texts)
            for start in range(0, len(ids), EMBED_BATCH):
                embedded_by_fit += write_embeddings(warehouse, current.space, ids[start : start + EMBED_BATCH],
                                                    fitted[start : start + EMBED_BATCH], run.id)  # fmt: skip
        space, embedder = current.space, make_embedder(backend, state=current.state)
    else:
        space, embedder = backend, None
    result.space = space
    missing = documents_without_embedding(warehouse, space, published_until=as_of)
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
