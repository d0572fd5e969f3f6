"""The language step of `foresight analyze`: language, terms, places, actors and lead markets for new documents.

Only documents without a `doc_language` row (or whose content changed since) are read, in batches of
`[language] batch_size`, so memory is bounded by one batch however large the warehouse is, and a re-run
processes nothing twice. Worker processes annotate (`pipeline.language_work`, `[language] processes`, one per
core by default) while this process writes: each batch, with its term counts, in its own transaction, so a step
killed at any point keeps the finished batches and the next run continues with the rest. A document that cannot
be processed is recorded as skipped with its reason (and in `run_problems`), never stops the step, and is not
retried until its content changes.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

from models.annotate import Annotator, annotator_for
from models.hanta import keep_learnt_answers
from models.lead_markets import LeadMarketData
from pipeline.config import Config
from pipeline.language_work import LanguagePool, annotate_here, worker_count
from pipeline.runtime import keep_phrase_keys, restore_phrase_keys
from warehouse import Warehouse
from warehouse.language import (
    PendingDocument,
    count_pending,
    pending_documents,
    sync_lead_markets,
    write_language_batch,
)
from warehouse.runs import Run
from warehouse.term_counts import compact_days

log = logging.getLogger(__name__)

ProgressCallback = Callable[..., Any]
COUNT_KEYS = ("processed", "skipped", "failed", "terms", "places", "actors", "lead_markets", "words")


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
    documents (the rest stay pending for the next run). With more than one batch pending it annotates in
    `[language] processes` worker processes (0: one per core) while this process writes.
    """
    settings = config.language
    annotator = annotator or annotator_for(settings)
    restore_phrase_keys(annotator)  # the seed terms' keys of an earlier run: seconds saved at every start
    recorded = (
        warehouse.runs.child(parent, "language", config_hash=config.config_hash())
        if parent is not None
        else warehouse.runs.start("analyze", stage="language", config_hash=config.config_hash())
    )
    counts: Counter[str] = Counter()
    with recorded as run, contextlib.ExitStack() as cleanup:
        with warehouse.transaction():
            sync_lead_markets(warehouse, lead_market_rows(annotator.lead_market_data))
        total = count_pending(warehouse)
        if limit is not None:
            total = min(total, limit)
        counts["pending"] = total
        if progress:
            progress("language", 0, total)
        workers = worker_count(settings.processes, total, settings.batch_size)
        batches = _batches(warehouse, total, settings.batch_size)
        if workers > 1:
            pool = cleanup.enter_context(LanguagePool(annotator, workers))  # shut down however the step ends
            annotated = pool.annotate(batches)
        else:
            annotated = annotate_here(annotator, batches)
        touched: set[date] = set()
        done = 0
        for documents, result in annotated:
            with warehouse.transaction():
                write_language_batch(warehouse, result.batch, run.id)
                run.problems("language", result.problems)
            touched.update(day for d in documents for day in (d.published, d.previous_published) if day)
            counts.update(result.counts)
            for name in ("terms", "places", "actors", "lead_markets"):
                counts[name] += len(getattr(result.batch, name))
            done += len(documents)
            run.counts = {key: int(value) for key, value in counts.items()}
            if progress:
                progress("language", done, total)
        compact_days(warehouse, touched)
        keep_phrase_keys(annotator)
        for tagger in annotator.hanta_taggers().values():
            keep_learnt_answers(tagger)  # HanTa's answers for new word forms: never asked again in a later run
        result_counts = {key: int(counts[key]) for key in ("pending", *COUNT_KEYS)}
        result_counts["processes"] = workers
        run.counts, run.status = result_counts, "partial" if result_counts["failed"] else "ok"
    log.info(
        "language step: %d processed, %d skipped, %d failed",
        result_counts["processed"],
        result_counts["skipped"],
        result_counts["failed"],
    )
    return result_counts


def _batches(warehouse: Warehouse, total: int, batch_size: int) -> Iterator[list[PendingDocument]]:
    """Pending documents in doc_id order, `batch_size` at a time, `total` at most."""
    given, after = 0, None
    while given < total:
        documents = pending_documents(warehouse, min(batch_size, total - given), after=after)
        if not documents:
            return
        given += len(documents)
        after = documents[-1].doc_id
        yield documents


def summary_line(counts: Mapping[str, int]) -> str:
    """One human line for the command: what the step did."""
    return (
        f"language step: {counts.get('processed', 0):,} documents processed, {counts.get('skipped', 0):,} skipped, "
        f"{counts.get('failed', 0):,} failed; {counts.get('words', 0):,} words, {counts.get('terms', 0):,} terms, "
        f"{counts.get('places', 0):,} places, {counts.get('actors', 0):,} actors, "
        f"{counts.get('lead_markets', 0):,} lead-market scores"
    )
