"""The language step of `foresight analyze`: language, terms, places, actors and lead markets for new documents.

Only documents without a `doc_language` row (or whose content changed since) are read, in batches of
`[language] batch_size`, so memory is bounded by one batch however large the warehouse is, and a re-run
processes nothing twice. Each batch is written in its own transaction: a step killed half-way keeps the finished
batches and the next run continues with the rest. A document that cannot be processed is recorded as skipped with
its reason (and in `run_problems`), never stops the step, and is not retried until its content changes.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from models.annotate import PROCESSED, Annotation, Annotator, annotator_for
from models.lead_markets import LeadMarketData
from models.settings import LanguageSettings
from pipeline.config import Config
from warehouse import Warehouse
from warehouse.language import (
    LanguageBatch,
    PendingDocument,
    count_pending,
    pending_documents,
    sync_lead_markets,
    write_language_batch,
)
from warehouse.runs import Run

log = logging.getLogger(__name__)

ProgressCallback = Callable[..., Any]


class _Problem:
    """A document the step could not process, in the shape `record_problems` takes."""

    def __init__(self, location: str, message: str) -> None:
        self.location = location
        self.message = message


def lead_market_rows(data: LeadMarketData) -> list[tuple[Any, ...]]:
    """Rows for the `lead_markets` table from the packaged data file."""
    return [(m.id, m.code, m.number, m.name_de, m.name_en, m.description_de, m.description_en) for m in data.markets]


def run_language_step(
    warehouse: Warehouse,
    config: Config,
    *,
    parent: Run | None = None,
    progress: ProgressCallback | None = None,
    annotator: Annotator | None = None,
    limit: int | None = None,
) -> dict[str, int]:
    """Process every pending document; return counts (pending, processed, skipped, failed, terms, places, ...).

    The step is one run: a child ``language`` run of `parent` (analyze's run), or a stand-alone ``language`` run.
    `progress`, if given, is called as ``progress("language", done, total)``. `limit` stops after that many
    documents (the rest stay pending for the next run).
    """
    settings = config.language
    annotator = annotator or annotator_for(settings)
    recorded = (
        warehouse.runs.child(parent, "language", config_hash=config.config_hash())
        if parent is not None
        else warehouse.runs.start("analyze", stage="language", config_hash=config.config_hash())
    )
    counts: Counter[str] = Counter()
    with recorded as run, contextlib.ExitStack() as cleanup:
        sync_lead_markets(warehouse, lead_market_rows(annotator.lead_market_data))
        total = count_pending(warehouse)
        if limit is not None:
            total = min(total, limit)
        counts["pending"] = total
        if progress:
            progress("language", 0, total)
        pool = None
        if settings.processes > 1 and total > settings.batch_size:
            pool = _worker_pool(settings.processes, settings)
            cleanup.callback(pool.shutdown, cancel_futures=True)  # also when a batch fails or the user interrupts
        while counts["done"] < total:
            documents = pending_documents(warehouse, min(settings.batch_size, total - counts["done"]))
            if not documents:
                break
            batch, problems = _annotate_batch(annotator, documents, counts, pool)
            with warehouse.transaction():
                write_language_batch(warehouse, batch, run.id)
                run.problems("language", problems)
            counts["done"] += len(documents)
            run.counts = {key: int(value) for key, value in counts.items() if key != "done"}
            if progress:
                progress("language", counts["done"], total)
        result = {key: int(value) for key, value in counts.items() if key != "done"}
        for key in ("processed", "skipped", "failed", "terms", "places", "actors", "lead_markets", "words"):
            result.setdefault(key, 0)
        run.counts, run.status = result, "partial" if result["failed"] else "ok"
    log.info(
        "language step: %d processed, %d skipped, %d failed", result["processed"], result["skipped"], result["failed"]
    )
    return result


def _worker_pool(processes: int, settings: LanguageSettings) -> ProcessPoolExecutor:
    """Worker processes that each hold their own `Annotator` (forked from this one where the platform allows)."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    return ProcessPoolExecutor(
        max_workers=processes, mp_context=context, initializer=annotator_for, initargs=(settings,)
    )


def _annotate_in_worker(settings: LanguageSettings, text: str | None, title: str | None) -> Annotation | str:
    """Run in a worker: the annotation, or the error as text (exceptions need not be picklable)."""
    try:
        return annotator_for(settings).annotate(text, title)
    except Exception as exc:  # reported back and recorded like in-process failures
        return f"{type(exc).__name__}: {exc}"


def _annotate_batch(
    annotator: Annotator,
    documents: list[PendingDocument],
    counts: Counter[str],
    pool: ProcessPoolExecutor | None = None,
) -> tuple[LanguageBatch, list[_Problem]]:
    batch = LanguageBatch()
    problems: list[_Problem] = []
    if pool is not None:
        outcomes: list[Annotation | str] = list(
            pool.map(
                _annotate_in_worker,
                [annotator.settings] * len(documents),
                [d.text for d in documents],
                [d.title for d in documents],
                chunksize=max(1, len(documents) // 16),
            )
        )
    else:
        outcomes = [_annotate_here(annotator, d) for d in documents]
    for document, outcome in zip(documents, outcomes, strict=True):
        if isinstance(outcome, str):
            log.warning("language step: %s could not be processed: %s", document.doc_id, outcome)
            problems.append(_Problem(document.doc_id, f"language step failed: {outcome}"))
            annotation = Annotation(None, "skipped", f"error: {outcome}"[:500])
            counts["failed"] += 1
        else:
            annotation = outcome
            counts["processed" if annotation.status == PROCESSED else "skipped"] += 1
        add_annotation(batch, document.doc_id, document.content_hash, annotation)
    counts["terms"] += len(batch.terms)
    counts["places"] += len(batch.places)
    counts["actors"] += len(batch.actors)
    counts["lead_markets"] += len(batch.lead_markets)
    counts["words"] += sum(row[3] for row in batch.languages)
    return batch, problems


def _annotate_here(annotator: Annotator, document: PendingDocument) -> Annotation | str:
    try:
        return annotator.annotate(document.text, document.title)
    except Exception as exc:  # one broken document must not stop the step; it is recorded, not retried
        log.debug("language step: %s failed", document.doc_id, exc_info=True)
        return f"{type(exc).__name__}: {exc}"


def add_annotation(batch: LanguageBatch, doc_id: str, content_hash: str, annotation: Annotation) -> None:
    """Turn one `Annotation` into rows of the language tables."""
    batch.doc_ids.append(doc_id)
    batch.languages.append(
        (
            doc_id,
            annotation.language,
            annotation.language_confidence,
            annotation.n_words,
            annotation.status,
            annotation.reason,
            annotation.pipeline,
            content_hash,
        )
    )
    for rank, term in enumerate(annotation.terms, start=1):
        batch.terms.append((doc_id, term.text, term.head, term.count, term.termhood, rank))
    places: dict[tuple[str, str], list[Any]] = {}
    for mention in annotation.places:
        key = (mention.place_type, mention.name)
        if key in places:
            places[key][-1] += 1
        else:
            places[key] = [
                doc_id,
                mention.municipality,
                mention.kreis,
                mention.mention,
                mention.place_type,
                mention.name,
                1,
            ]
    batch.places.extend(tuple(row) for row in places.values())
    actors: dict[str, list[Any]] = {}
    for hit in annotation.actors:
        if hit.actor.name in actors:
            actors[hit.actor.name][-1] += 1
        else:
            a = hit.actor
            actors[a.name] = [doc_id, a.name, a.actor_type, a.ror, a.seat, hit.mention, 1]
    batch.actors.extend(tuple(row) for row in actors.values())
    for rank, score in enumerate(annotation.lead_markets, start=1):
        batch.lead_markets.append(
            (doc_id, score.lead_market_id, score.score, score.seed_score, score.similarity, rank, score.evidence())
        )


def summary_line(counts: Mapping[str, int]) -> str:
    """One human line for the command: what the step did."""
    return (
        f"language step: {counts.get('processed', 0):,} documents processed, {counts.get('skipped', 0):,} skipped, "
        f"{counts.get('failed', 0):,} failed; {counts.get('words', 0):,} words, {counts.get('terms', 0):,} terms, "
        f"{counts.get('places', 0):,} places, {counts.get('actors', 0):,} actors, "
        f"{counts.get('lead_markets', 0):,} lead-market scores"
    )
