"""Annotating documents into language-table rows, in this process or in worker processes (`LanguagePool`).

The language step spends nearly all its time here (tagging, terms, lead markets), so it runs on every core: a
pool of worker processes forked from the step's process after its `Annotator` has loaded (pipelines, seeds and
lexicons are shared, not loaded again per worker). Workers only compute; every write stays in the step's process,
one transaction per batch. So whatever is killed, nothing is half-written:

* the step's process killed: its open batch is not committed; the workers notice their parent is gone and exit;
* a worker killed (out of memory on a monster text, or by hand): the pool breaks, the batch is annotated again one
  document per task on a fresh pool, and a document that kills its worker again is recorded as skipped with that
  reason (and in `run_problems`), never retried until its content changes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from models.annotate import PROCESSED, SKIPPED, Annotation, Annotator, annotator_for
from models.settings import LanguageSettings
from warehouse.language import LanguageBatch, PendingDocument

log = logging.getLogger(__name__)

MAX_AUTOMATIC_PROCESSES = 4  # `processes = 0` uses the machine's cores, at most this many (each worker ~0.5 GB)
CHUNKS_PER_WORKER = 4  # a batch is split into this many tasks per worker, so a slow document delays little
PARENT_CHECK_SECONDS = 1.0
WORKER_DIED = "the worker process died while annotating it (out of memory or killed)"

_ANNOTATOR: Annotator | None = None  # the step's annotator; forked workers inherit it


@dataclass
class Problem:
    """A document the step could not process, in the shape `Run.problems` takes."""

    location: str
    message: str


Answers = dict[str, list[tuple[tuple[str, bool], tuple[str, str]]]]  # language -> HanTa's (question, answer) pairs


@dataclass
class ChunkResult:
    """Rows of some documents, the problems met, counts (processed, skipped, failed, words), and what HanTa was
    asked on the way (`learned`: shared with the other workers, so each new word form costs HanTa once)."""

    batch: LanguageBatch = field(default_factory=LanguageBatch)
    problems: list[Problem] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    learned: Answers = field(default_factory=dict)

    def merge(self, other: ChunkResult) -> None:
        for name in ("doc_ids", "languages", "terms", "places", "actors", "lead_markets"):
            getattr(self.batch, name).extend(getattr(other.batch, name))
        self.batch.redo = self.batch.redo or other.batch.redo
        self.problems.extend(other.problems)
        self.counts.update(other.counts)
        for lang, answers in other.learned.items():
            self.learned.setdefault(lang, []).extend(answers)


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers and `taskset` restrict)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def worker_count(processes: int, pending: int, batch_size: int) -> int:
    """How many worker processes to use: `processes`, or the cores (at most MAX_AUTOMATIC_PROCESSES) for 0.

    One batch or less is annotated here: starting workers would cost more than it saves.
    """
    wanted = processes if processes > 0 else min(available_cores(), MAX_AUTOMATIC_PROCESSES)
    return wanted if wanted > 1 and pending > batch_size else 1


def annotate_chunk(annotator: Annotator, documents: Iterable[PendingDocument]) -> ChunkResult:
    """Annotate documents into rows; a document that breaks the annotator is recorded as skipped, never raised."""
    result = ChunkResult()
    for document in documents:
        try:
            annotation = annotator.annotate(document.text, document.title)
        except Exception as exc:  # one broken document must not stop the step; it is recorded, not retried
            log.debug("language step: %s failed", document.doc_id, exc_info=True)
            record_failure(result, document, f"{type(exc).__name__}: {exc}")
            continue
        result.counts["processed" if annotation.status == PROCESSED else "skipped"] += 1
        result.counts["words"] += annotation.n_words
        add_annotation(result.batch, document, annotation)
    return result


def record_failure(result: ChunkResult, document: PendingDocument, error: str) -> None:
    log.warning("language step: %s could not be processed: %s", document.doc_id, error)
    result.problems.append(Problem(document.doc_id, f"language step failed: {error}"))
    result.counts["failed"] += 1
    add_annotation(result.batch, document, Annotation(None, SKIPPED, f"error: {error}"[:500]))


def add_annotation(batch: LanguageBatch, document: PendingDocument, annotation: Annotation) -> None:
    """Turn one `Annotation` into rows of the language tables."""
    doc_id = document.doc_id
    batch.doc_ids.append(doc_id)
    batch.redo = batch.redo or document.redo
    batch.languages.append(
        (
            doc_id,
            annotation.language,
            annotation.language_confidence,
            annotation.n_words,
            annotation.status,
            annotation.reason,
            annotation.pipeline,
            document.content_hash,
            document.published,
            document.kind,
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


# -- worker processes --------------------------------------------------------------------------------------------


def _start_worker(settings: LanguageSettings, parent: int) -> None:
    """In each worker: Ctrl-C is the parent's to handle; exit when the parent is gone (killed, crashed)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _ANNOTATOR
    if _ANNOTATOR is None:  # started with spawn (no fork on this platform): build our own
        _ANNOTATOR = annotator_for(settings)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)  # orphaned: nobody will read our results

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _annotate_in_worker(documents: list[PendingDocument], known: Answers) -> ChunkResult:
    """Annotate in a worker, first taking what the other workers learnt from HanTa, then reporting what we did."""
    assert _ANNOTATOR is not None
    taggers = _ANNOTATOR.hanta_taggers()
    for lang, answers in known.items():
        if lang in taggers:
            taggers[lang].remember(answers)
    marks = {lang: tagger.answer_count() for lang, tagger in taggers.items()}
    result = annotate_chunk(_ANNOTATOR, documents)
    result.learned = {lang: tagger.answers_since(marks.get(lang, 0)) for lang, tagger in taggers.items()}
    return result


class LanguagePool:
    """Worker processes that annotate batches while this process writes the previous one."""

    def __init__(self, annotator: Annotator, workers: int) -> None:
        global _ANNOTATOR
        annotator.warm()  # load every pipeline before forking, so workers share them instead of loading their own
        _ANNOTATOR = annotator
        self.annotator = annotator
        self.workers = workers
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        self._context = multiprocessing.get_context(method)
        self._pool = self._new_pool(workers)
        self._to_share: Answers = {}  # HanTa answers reported since the last batch was submitted

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=self._context,
            initializer=_start_worker,
            initargs=(self.annotator.settings, os.getpid()),
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> LanguagePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def annotate(self, batches: Iterator[list[PendingDocument]]) -> Iterator[tuple[list[PendingDocument], ChunkResult]]:
        """Each batch with its rows, in order; the next batch is submitted before this one is handed back."""
        current = next(batches, None)
        futures = self._submit(current) if current else []
        while current:
            following = next(batches, None)
            following_futures = self._submit(following) if following else []
            try:
                result = self._collect(futures)
            except BrokenProcessPool:
                result = self._isolate(current)
                following_futures = self._submit(following) if following else []
            yield current, result
            current, futures = following, following_futures

    def _submit(self, documents: list[PendingDocument]) -> list[Future[ChunkResult]]:
        size = max(1, -(-len(documents) // (self.workers * CHUNKS_PER_WORKER)))
        known, self._to_share = self._to_share, {}
        try:
            return [
                self._pool.submit(_annotate_in_worker, documents[i : i + size], known)
                for i in range(0, len(documents), size)
            ]
        except BrokenProcessPool:
            return []  # collected as broken: annotated again one by one

    def _collect(self, futures: list[Future[ChunkResult]]) -> ChunkResult:
        if not futures:
            raise BrokenProcessPool("the pool broke before the batch was submitted")
        result = ChunkResult()
        for future in futures:
            result.merge(future.result())
        self._take_answers(result)
        return result

    def _take_answers(self, result: ChunkResult) -> None:
        """HanTa's answers the workers got: for the other workers, and for this process, which keeps them for the
        next run (`models.hanta.keep_learnt_answers`)."""
        taggers = self.annotator.hanta_taggers()
        for lang, answers in result.learned.items():
            self._to_share.setdefault(lang, []).extend(answers)
            if lang in taggers:
                taggers[lang].remember(answers)
        result.learned = {}

    def _isolate(self, documents: list[PendingDocument]) -> ChunkResult:
        """After a worker died: one document per task on a fresh pool, so the document that kills it is found."""
        log.warning("language step: a worker process died; annotating this batch again one document at a time")
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = self._new_pool(1)
        result = ChunkResult()
        for document in documents:
            try:
                result.merge(self._pool.submit(_annotate_in_worker, [document], {}).result())
            except BrokenProcessPool:
                failed = ChunkResult()
                record_failure(failed, document, WORKER_DIED)
                result.merge(failed)
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = self._new_pool(1)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = self._new_pool(self.workers)
        self._take_answers(result)
        return result


def annotate_here(
    annotator: Annotator, batches: Iterator[list[PendingDocument]]
) -> Iterator[tuple[list[PendingDocument], ChunkResult]]:
    """The same as `LanguagePool.annotate`, in this process."""
    for documents in batches:
        yield documents, annotate_chunk(annotator, documents)
