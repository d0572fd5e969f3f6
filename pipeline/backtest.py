"""`foresight backtest`: replay a real history checkpoint by checkpoint and judge what `foresight emerging` showed.

At each checkpoint (an as-of date of the spec, `pipeline.backtest_spec`) the documents published since the previous
checkpoint are imported into a fresh warehouse through the import's own code (`pipeline.importing.import_file`),
the real `analyze` runs as of that date, and the real ranking (`rank_topics`, the list `foresight emerging` prints)
is judged against the spec's expectations: hits with their ranks, misses with the best rank found, false alarms,
technology precision of the top N, and the seconds of every stage. Nothing is scored on a document published after
the checkpoint, so a hit is a hit an analyst would have had on that day.

The judging rules are in `pipeline.backtest_judge`; this module reads the input, replays it and assembles the result.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from models.periods import add_periods, period_label, period_start
from pipeline.analyze import AnalyzeError, run_analyze
from pipeline.backtest_judge import (
    STAGES,
    History,
    ListedTopic,
    Sighting,
    judge_checkpoint,
    label_honesty,
    matching_documents,
    onset_period,
    outcomes,
    periods_apart,
    rank_by_score,
    sight,
    summarise,
    technology_precision,
    term_of,
    topic_evidence,
    truth_documents,
)
from pipeline.backtest_spec import Spec, SpecError
from pipeline.importing import import_file
from pipeline.runtime import machine_facts
from sources.document import Document
from sources.files import FileImport, FileImportError, Problem
from warehouse import Warehouse
from warehouse.backtest import fit_descriptions, source_documents, source_names
from warehouse.signals import emerging_terms, emerging_topics, latest_scores
from warehouse.topics import fit_assignments

LEAD_CHECKS = ("expect", "expect_by", "burst", "flagged", "flagged_by", "early")  # a lead time is reported for these


# -- the ranking under test ---------------------------------------------------------------------------------------


def rank_topics(wh: Warehouse, granularity: str, as_of: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every scored topic and every emerging term as of `as_of`, in the order `foresight emerging --as-of` and
    `foresight emerging --terms --as-of` list them (technologies first): the one call to swap when the ranking
    changes."""
    scores = latest_scores(wh, granularity, as_of)
    if scores is None:
        return [], []
    return emerging_topics(wh, scores), emerging_terms(wh, scores)


# -- input ------------------------------------------------------------------------------------------------------


@dataclass
class CheckpointSlice:
    """The documents of one source published since the previous checkpoint, read by `import_file` like a file."""

    path: Path
    kind: str
    source: str
    fmt: str | None
    slice_documents: list[Document]
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0

    def documents(self) -> Iterator[Document]:
        for document in self.slice_documents:
            self.rows_read += 1
            yield document


@dataclass
class LoadedInput:
    documents: list[Document]  # dated, filtered, oldest first
    path: Path
    fmt: str
    read: int
    problems: list[Problem]
    filtered: dict[str, int]


def load_input(spec: Spec, source_db: Path | None) -> LoadedInput:
    """The spec's documents in memory, dated, filtered and sampled as the spec says (the seed makes it repeatable)."""
    spec_input = spec.input
    if spec_input.file is not None:
        assert spec_input.kind is not None and spec_input.source is not None
        try:
            reader = FileImport(
                spec_input.file, spec_input.kind, spec_input.source, spec_input.mapping,
                language=spec_input.language, encoding=spec_input.encoding, fmt=spec_input.fmt,
            )  # fmt: skip
            documents = list(reader.documents())
        except FileImportError as exc:
            raise SpecError(f"{spec.path}: [input]: {exc}") from None
        path, fmt, read, problems = spec_input.file, str(reader.fmt), reader.rows_read, list(reader.problems)
    else:
        if source_db is None or not Path(source_db).is_file():
            raise SpecError(f"{spec.path}: [input] replays a warehouse, but --db {source_db} is not a warehouse file")
        with Warehouse.open_reader(source_db) as source_wh:
            documents = source_documents(source_wh, spec_input.source, spec_input.kind)
        path, fmt, read, problems = Path(source_db), "warehouse", len(documents), []
        if not documents:
            wanted = " and ".join(
                f"{k} {v!r}" for k, v in (("source", spec_input.source), ("kind", spec_input.kind)) if v
            )
            raise SpecError(f"{spec.path}: [input]: the warehouse {source_db} has no dated documents of {wanted}")
    latest = {}
    for document in documents:  # a repeated id keeps its last row, as the import does
        latest[document.doc_id] = document
    documents = list(latest.values())
    filtered = {"read": read, "distinct": len(documents)}
    dated = [d for d in documents if d.published is not None]
    if not dated:
        raise SpecError(f"{spec.path}: [input]: no document has a date; name the date column with date_col")
    filtered["undated"] = len(documents) - len(dated)
    spec_filter = spec_input.filter
    if spec_filter.min_text_chars:
        dated = [d for d in dated if len(d.text or d.title or "") >= spec_filter.min_text_chars]
        filtered["after_min_text_chars"] = len(dated)
    if spec_filter.sample and len(dated) > spec_filter.sample:
        chosen = sorted(random.Random(spec_filter.seed).sample(range(len(dated)), spec_filter.sample))
        dated = [dated[i] for i in chosen]
        filtered["after_sample"] = len(dated)
    dated.sort(key=lambda d: (d.published, d.doc_id))
    return LoadedInput(dated, path, fmt, read, problems, filtered)


def check_checkpoints(spec: Spec, documents: Sequence[Document]) -> None:
    """Every checkpoint must lie inside the data: after the first document, not beyond the last one's period."""
    first, last = documents[0].published, documents[-1].published
    assert first is not None and last is not None
    for checkpoint in spec.checkpoints:
        if checkpoint.as_of < first:
            raise SpecError(f"{spec.path}: checkpoint {checkpoint.as_of} is before the first document ({first})")
        if period_start(checkpoint.as_of, spec.granularity) > period_start(last, spec.granularity):
            raise SpecError(
                f"{spec.path}: checkpoint {checkpoint.as_of} is after the data (last document {last}); "
                "remove it or extend the input"
            )


# -- the replay -----------------------------------------------------------------------------------------------------


def run_backtest(
    spec: Spec,
    work_dir: Path,
    *,
    source_db: Path | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Replay the spec's history into a new warehouse in `work_dir` and judge every checkpoint; see the module doc."""
    started = time.perf_counter()
    loaded = load_input(spec, source_db)
    documents = loaded.documents
    check_checkpoints(spec, documents)
    say(f"{spec.name}: {len(documents)} documents from {loaded.path} ({loaded.filtered})")
    last = spec.checkpoints[-1].as_of
    replayed = [d for d in documents if d.published <= last]  # type: ignore[operator]
    truth = {name: truth_documents(t, replayed) for name, t in spec.technologies.items()}
    period_totals = Counter(period_start(d.published, spec.granularity) for d in replayed)  # type: ignore[arg-type]
    run_config = spec.config
    db = Path(work_dir) / "backtest.duckdb"
    if db.exists():
        raise SpecError(f"{db} exists; a backtest replays into a new warehouse, so give an empty --work folder")
    checkpoints: list[dict[str, Any]] = []
    history = History()
    with Warehouse.open_writer(db) as wh:
        previous: date | None = None
        for checkpoint in spec.checkpoints:
            as_of = checkpoint.as_of
            new = [d for d in documents if (previous is None or d.published > previous) and d.published <= as_of]  # type: ignore[operator]
            seconds: dict[str, float] = {}
            clock = time.perf_counter()
            imported = _import(wh, new, loaded, first=previous is None, config_hash=run_config.config_hash())
            seconds["import"] = time.perf_counter() - clock
            try:
                result = run_analyze(wh, run_config, granularity=spec.granularity, as_of=as_of)
            except AnalyzeError as exc:
                raise SpecError(f"{spec.path}: checkpoint {as_of}: {exc}") from None
            for stage in STAGES[1:-1]:
                seconds[stage] = float(result.seconds.get(stage, 0.0))
            clock = time.perf_counter()
            members: dict[int, list[str]] = defaultdict(list)
            if result.fit_run_id is not None:
                for member in fit_assignments(wh, result.fit_run_id):
                    members[member.topic_id].append(member.doc_id)
            topic_rows, terms = rank_topics(wh, spec.granularity, as_of)
            ranking = [
                ListedTopic.from_row(rank, row, members.get(int(row["topic_id"]), []))
                for rank, row in enumerate(topic_rows, start=1)
            ]
            rank_by_score(ranking)
            series_periods = [add_periods(period_start(as_of, spec.granularity), -i, spec.granularity)
                              for i in range(max((len(t.series) for t in ranking), default=0) - 1, -1, -1)]  # fmt: skip
            totals = [period_totals.get(p, 0) for p in series_periods]
            sightings = {
                name: sight(technology, ranking, terms, truth[name], totals, spec)
                for name, technology in spec.technologies.items()
            }
            checks = judge_checkpoint(spec, checkpoint, sightings, history)
            history.record(as_of, sightings, spec.top)
            precision = technology_precision(spec, ranking)
            labels = (
                label_honesty(
                    fit_descriptions(wh, result.fit_run_id), source_names(wh), run_config.topics.model.label_min_share
                )
                if result.fit_run_id is not None
                else None
            )
            seconds["ranking"] = time.perf_counter() - clock
            checkpoints.append(
                {
                    "as_of": as_of.isoformat(),
                    "period": period_label(as_of, spec.granularity),
                    "imported": imported,
                    "documents": sum(1 for d in documents if d.published <= as_of),  # type: ignore[operator]
                    "window_documents": result.window_documents,
                    "topics": len(ranking),
                    "fit": {
                        "new": result.new_topics,
                        "continued": result.continued_topics,
                        "merged": result.merged_topics,
                        "reused": result.fit_reused,
                    },  # fmt: skip
                    "top": [_listed(t, spec, sightings, precision, i) for i, t in enumerate(ranking[: spec.top])],
                    "emerging_terms": [term_of(t) for t in terms[: spec.top]],
                    **outcomes(checks),
                    "checks": checks,
                    "precision": precision,
                    "labels": labels,
                    "seconds": {k: round(v, 2) for k, v in seconds.items()},
                }
            )
            failed = sum(1 for c in checks if not c["holds"])
            say(f"  as of {as_of}: {len(ranking)} topics, {len(checks) - failed}/{len(checks)} checks hold, "
                f"seconds {checkpoints[-1]['seconds']}")  # fmt: skip
            previous = as_of
    first_flagged = {name: dates[0] for name, dates in history.flagged.items() if dates}
    lead_times = _lead_times(spec, replayed, first_flagged)
    return {
        "spec": spec.name,
        "spec_file": str(spec.path),
        "description": spec.description,
        "granularity": spec.granularity,
        "top": spec.top,
        "input": {
            "path": str(loaded.path),
            "format": loaded.fmt,
            **loaded.filtered,
            "replayed": len(replayed),
            "why_filtered": spec.input.filter.why or None,
            "problems": len(loaded.problems),
        },  # fmt: skip
        "settings": dict(spec.overrides),
        "machine": machine_facts(),
        "checkpoints": checkpoints,
        "lead_times": lead_times,
        "summary": summarise(checkpoints, lead_times, time.perf_counter() - started),
    }


def _import(wh: Warehouse, new: list[Document], loaded: LoadedInput, *, first: bool, config_hash: str) -> int:
    """Import one checkpoint's new documents, one run per source, as `foresight import` writes them."""
    by_source: dict[tuple[str, str], list[Document]] = defaultdict(list)
    for document in new:
        by_source[(document.source, document.kind)].append(document)
    for (source, kind), group in sorted(by_source.items()):
        problems = list(loaded.problems) if first else []  # the file's unusable rows, recorded once
        reader = CheckpointSlice(loaded.path, kind, source, loaded.fmt, group, problems)
        import_file(wh, reader, config_hash=config_hash)
        first = False
    return len(new)


def _listed(
    topic: ListedTopic, spec: Spec, sightings: Mapping[str, Sighting], precision: dict[str, Any] | None, index: int
) -> dict[str, Any]:
    matches = [name for name, seen in sightings.items() if any(t is topic for t, _ in seen.topics)]
    row = topic_evidence(topic, None, spec)
    row["matches"] = matches
    row["technology"] = precision["verdicts"][index] if precision else None
    return row


def technology_counts(spec: Spec, documents: Sequence[Document]) -> tuple[Counter[date], dict[str, Counter[date]]]:
    """All documents per period, and per technology those matching it (`onset_matcher`): the share tables."""
    totals = Counter(period_start(d.published, spec.granularity) for d in documents)  # type: ignore[arg-type]
    counts = {}
    for name, technology in spec.technologies.items():
        ids = matching_documents(technology, documents)
        counts[name] = Counter(period_start(d.published, spec.granularity) for d in documents if d.doc_id in ids)  # type: ignore[arg-type]
    return totals, counts


def share_table(spec: Spec, source_db: Path | None = None) -> dict[str, Any]:
    """Per period: all documents and, per technology, the matching ones and their share (`--shares`, no replay).

    This is how a spec is written from the data: when did a subject appear, when did it reach a percent.
    """
    documents = load_input(spec, source_db).documents
    totals, counts = technology_counts(spec, documents)
    return {
        "spec": spec.name,
        "granularity": spec.granularity,
        "periods": [
            {"period": period_label(period, spec.granularity), "documents": totals[period],
             **{name: {"documents": c.get(period, 0), "share": round(c.get(period, 0) / totals[period], 5)}
                for name, c in counts.items()}}
            for period in sorted(totals)
        ],
    }  # fmt: skip


def _lead_times(spec: Spec, documents: Sequence[Document], first_flagged: Mapping[str, date]) -> list[dict[str, Any]]:
    expected = {
        n for cp in spec.checkpoints for check, names in cp.checks.items() if check in LEAD_CHECKS for n in names
    }
    totals, counts = technology_counts(spec, documents)
    rows = []
    for name, technology in spec.technologies.items():
        if name not in expected:
            continue  # only forbidden or fading: there is nothing to be early for
        onset = onset_period(counts[name], totals, spec.onset_share)
        flagged = first_flagged.get(name)
        rows.append(
            {
                "technology": name,
                "label": technology.label,
                "documents": sum(counts[name].values()),
                "onset_period": period_label(onset[0], spec.granularity) if onset else None,
                "onset_share": round(onset[1], 4) if onset else None,
                "first_flagged": flagged.isoformat() if flagged else None,
                "first_flagged_period": period_label(flagged, spec.granularity) if flagged else None,
                # periods from the first flag to the onset: positive = flagged before the share reached the onset
                "lead_periods": periods_apart(period_start(flagged, spec.granularity), onset[0], spec.granularity)
                if onset and flagged
                else None,
            }
        )
    return rows
