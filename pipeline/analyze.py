"""`foresight analyze`: language step, embeddings, topics and emergence scores for everything not yet done.

Stages, each a child `runs` row of the analyze run with its counts and seconds:

1. **language** — `pipeline.language_step.run_language_step` on documents it has not processed.
2. **embeddings** — vectors for documents published up to the as-of date that have none in the configured
   backend's space (a corpus-fitted backend is fitted on those documents and stored; `pipeline.embed_stage`).
3. **topics** — BERTopic over the analysis window (the last `[analysis] window` periods up to as-of), linked to
   the stable topics by centroid similarity; the same window, documents and settings as the last fit reuse it
   (`pipeline.topic_stage`).
4. **emergence** — per topic and period: counts and shares overall, per source kind and per lead market; the
   indicators and classes of `models.emergence` (`pipeline.emergence_stage`).

"As of T" uses only documents published up to T: the window ends at T and every series ends in T's period.
This module only orders the stages; what each does lives in its own module.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from models.periods import GRANULARITIES, window_start
from pipeline.config import Config
from pipeline.progress import Progress
from warehouse.db import Warehouse
from warehouse.language import language_step_has_work
from warehouse.runs import Run

log = logging.getLogger("foresight.analyze")


class AnalyzeError(Exception):
    """The analysis cannot run with this input or configuration; the message says what to do."""


@dataclass
class AnalyzeResult:
    """What one `analyze` did, for the command's summary line and for tests."""

    run_id: int
    as_of: date
    granularity: str
    language: dict[str, Any] = field(default_factory=dict)
    embedded: int = 0
    fit_run_id: int | None = None
    fit_reused: bool = False
    window_documents: int = 0
    topics: int = 0
    new_topics: int = 0
    continued_topics: int = 0
    merged_topics: int = 0
    space: str | None = None
    bilingual_space: bool = False  # the space joins German and English words (tfidf-svd with a lexicon)
    signals_run_id: int | None = None
    signals: int = 0
    scores_reused: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def changed_nothing(self) -> bool:
        """Nothing new was done: no language step, no vector, the last fit and the last scores reused. Such a run
        leaves only its `runs` rows, so the readers' snapshot need not be written again (`nothing_for_readers`)."""
        return not self.language and self.embedded == 0 and self.fit_reused and self.scores_reused


@dataclass(frozen=True)
class Window:
    """The analysis window: its granularity, first day and as-of date (its last day)."""

    granularity: str
    start: date
    as_of: date


def without_language_step(config: Config) -> Config:
    """The same configuration with `[analysis] run_language = false` (`analyze --skip-language`)."""
    return dataclasses.replace(config, analysis=dataclasses.replace(config.analysis, run_language=False))


def run_analyze(
    warehouse: Warehouse,
    config: Config,
    *,
    granularity: str | None = None,
    as_of: date | None = None,
    parent: Run | None = None,
    progress: Progress | None = None,
    today: date | None = None,
) -> AnalyzeResult:
    """Run every stage for what is not yet done; see the module docstring.

    `granularity` defaults to ``[analysis] granularity``; `as_of` to today (the current period is then partial:
    the indicators work on shares of all documents per period, which a partial period does not bias);
    `parent` hangs the analyze run under a scan's stage.
    """
    from pipeline.embed_stage import embed_documents
    from pipeline.emergence_stage import score_topics
    from pipeline.topic_stage import fit_window

    granularity = granularity or config.analysis.granularity
    if granularity not in GRANULARITIES:
        raise AnalyzeError(f"unknown granularity {granularity!r}; use one of {', '.join(GRANULARITIES)}")
    progress = progress or Progress()
    as_of = as_of or today or date.today()
    window = Window(granularity, window_start(as_of, config.analysis.window.periods(granularity), granularity), as_of)
    details = {"granularity": granularity, "as_of": as_of.isoformat(), "backend": config.topics.backend}
    with warehouse.runs.start(
        "analyze",
        stage="analyze" if parent is not None else None,
        parent=parent,
        config_hash=config.config_hash(),
        details=details,
    ) as run:
        result = AnalyzeResult(run_id=run.id, as_of=as_of, granularity=granularity)
        try:
            if config.analysis.run_language and language_step_has_work(warehouse):
                from models.annotate import release_language_models
                from pipeline.language_step import run_language_step  # loads spaCy: only when there is work

                result.language = run_language_step(warehouse, config, parent=run, progress=progress)
                release_language_models()  # spaCy, lexicons and word lists are not needed for the rest of the run
            with warehouse.runs.child(run, "embeddings") as stage:
                stage.counts = embed_documents(warehouse, config, window.start, as_of, stage, progress, result)
            with warehouse.runs.child(run, "topics") as stage:
                fit_window(warehouse, config, window, stage, result)
            with warehouse.runs.child(run, "emergence") as stage:
                score_topics(warehouse, config, window, stage, result)
        finally:
            run.counts = asdict(result)
        result.seconds = warehouse.runs.stage_seconds(run)
        run.counts = asdict(result)
    return result
