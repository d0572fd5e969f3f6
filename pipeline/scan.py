"""The weekly scan: ingest -> analyze -> report -> alerts, recorded as one parent run with a child run per stage.

Why one function: analysts schedule one command a week and read what it found. `run_scan` runs the
stages in order on one open writer (DuckDB's file lock makes it the only scan on that warehouse), and
records each stage as a child `runs` row with its status, counts and seconds, so `foresight status`
and SQL show what happened and where a failure was.

Kill-safety comes from the stages themselves being idempotent (documents are upserted by id, language
and embeddings only touch documents not yet processed, topics are linked to existing ids); the scan
adds three things: rows left `running` by a killed process are closed as `interrupted` at the next
start, a failing stage does not stop the later ones (a report of last week's state is better than
none), and the signal snapshot that alerts compare against is written in one transaction at the end.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from pipeline.config import Config, ScanImport
from pipeline.progress import Progress
from warehouse import Warehouse
from warehouse.runs import Run

log = logging.getLogger("foresight.scan")


@dataclass
class ScanContext:
    """What a stage gets: the open warehouse, the configuration and where to report."""

    warehouse: Warehouse
    config: Config
    progress: Progress
    scan_run: Run | None = None
    stage_run: Run | None = None
    as_of: date | None = None
    report_dir: Path | None = None
    alerts_out: TextIO | Path | None = None
    results: dict[str, Any] = field(default_factory=dict)  # what earlier stages handed on (report paths, ...)


StageFunction = Callable[[ScanContext], Mapping[str, Any]]


@dataclass(frozen=True)
class Stage:
    """One named step of the scan; `run` returns its counts (a ``status`` key may say ``partial``)."""

    name: str
    run: StageFunction


@dataclass
class StageOutcome:
    name: str
    run_id: int
    status: str  # ok | partial | failed
    counts: dict[str, Any]
    seconds: float
    error: str | None = None


@dataclass
class ScanResult:
    run_id: int
    status: str  # ok | partial | failed
    seconds: float
    stages: list[StageOutcome]
    report_paths: dict[str, Path] = field(default_factory=dict)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    interrupted_before: int = 0  # runs left `running` by a killed earlier process, closed at start

    def stage(self, name: str) -> StageOutcome | None:
        return next((s for s in self.stages if s.name == name), None)


def run_scan(
    warehouse: Warehouse,
    config: Config,
    *,
    as_of: date | None = None,
    progress: Progress | None = None,
    report_dir: Path | None = None,
    alerts_out: TextIO | Path | None = None,
    stages: Sequence[Stage] | None = None,
) -> ScanResult:
    """Run every stage once, in order, under one parent run; return what each did.

    `report_dir` defaults to ``[scan] report_dir``; `alerts_out` (a path or an open text stream)
    defaults to ``[alerts] file``. A stage that raises is recorded as failed with its error and the
    scan goes on; a KeyboardInterrupt (or any BaseException) marks the open runs and propagates.
    """
    progress = progress or Progress()
    started = time.monotonic()
    interrupted = warehouse.runs.close_interrupted()
    if interrupted:
        progress.message(f"closed {interrupted} run(s) left unfinished by an interrupted earlier scan")
    ctx = ScanContext(
        warehouse=warehouse,
        config=config,
        progress=progress,
        as_of=as_of,
        report_dir=Path(report_dir or config.scan.report_dir),
        alerts_out=alerts_out if alerts_out is not None else _configured_alerts_out(config),
    )
    outcomes: list[StageOutcome] = []
    details = {"as_of": as_of.isoformat() if as_of else None, "report_dir": str(ctx.report_dir)}
    try:
        with warehouse.runs.start("scan", config_hash=config.config_hash(), details=details) as scan_run:
            ctx.scan_run = scan_run
            for stage in stages if stages is not None else default_stages():
                outcomes.append(_run_stage(ctx, stage))
            scan_run.counts = _summary(outcomes)
            failed = [o.name for o in outcomes if o.status == "failed"]
            if failed:
                scan_run.status = "failed" if len(failed) == len(outcomes) else "partial"
            elif any(o.status == "partial" for o in outcomes):
                scan_run.status = "partial"
            scan_run.error = "; ".join(f"{o.name}: {o.error}" for o in outcomes if o.error) or None
    finally:
        progress.close()
    return ScanResult(
        run_id=scan_run.id,
        status=scan_run.status,
        seconds=time.monotonic() - started,
        stages=outcomes,
        report_paths=dict(ctx.results.get("report_paths", {})),
        alerts=list(ctx.results.get("alerts", [])),
        interrupted_before=interrupted,
    )


def _run_stage(ctx: ScanContext, stage: Stage) -> StageOutcome:
    """One stage under its own child run; an ordinary failure is recorded and the scan goes on to the next."""
    assert ctx.scan_run is not None
    started = time.monotonic()
    ctx.progress.message(f"scan: {stage.name} ...")
    run: Run | None = None
    try:
        with ctx.warehouse.runs.child(ctx.scan_run, stage.name) as run:
            ctx.stage_run = run
            try:
                counts = dict(stage.run(ctx) or {})
            finally:  # a failed stage's row says how long it ran too
                run.counts = {"seconds": round(time.monotonic() - started, 2)}
            run.status = str(counts.pop("status", "ok"))
            run.error = counts.pop("error", None)
            run.counts = {**counts, **run.counts}
    except Exception as exc:  # a failing stage is recorded (by the run block) and the scan goes on to the next
        seconds = time.monotonic() - started
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        log.exception("scan stage %s failed", stage.name)
        ctx.progress.message(f"scan: {stage.name} failed after {seconds:.1f}s: {error}")
        return StageOutcome(stage.name, run.id if run else 0, "failed", {}, seconds, error)
    seconds = time.monotonic() - started
    ctx.progress.message(f"scan: {stage.name} {run.status} in {seconds:.1f}s {_short_counts(run.counts)}")
    return StageOutcome(stage.name, run.id, run.status, run.counts, seconds, run.error)


def _summary(outcomes: Sequence[StageOutcome]) -> dict[str, Any]:
    return {o.name: {"status": o.status, "seconds": round(o.seconds, 2), **o.counts} for o in outcomes}


def _short_counts(counts: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in counts.items() if k != "seconds" and isinstance(v, int | float | str)}
    return json.dumps(shown, ensure_ascii=False) if shown else ""


def _configured_alerts_out(config: Config) -> Path | None:
    return Path(config.alerts.file) if config.alerts.file else None


def counts_of(result: Any) -> dict[str, Any]:
    """Turn whatever a stage function returned (dict, dataclass, object with `counts()`) into run counts.

    Stage functions are owned by different modules; the scan records their scalar numbers and
    per-source breakdowns without depending on each result class.
    """
    if result is None:
        return {}
    if hasattr(result, "counts") and callable(result.counts):
        raw = result.counts()
    elif isinstance(result, Mapping):
        raw = dict(result)
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        raw = dataclasses.asdict(result)
    else:
        raw = dict(vars(result)) if hasattr(result, "__dict__") else {"result": str(result)}
    return {k: _jsonable(v) for k, v in raw.items() if not k.startswith("_")}


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return json.loads(json.dumps(value, default=str))


# -- the default stages ------------------------------------------------------------------------------


def default_stages() -> list[Stage]:
    """ingest -> analyze -> report -> alerts, each backed by its own module."""
    return [
        Stage("ingest", ingest_stage),
        Stage("analyze", analyze_stage),
        Stage("report", report_stage),
        Stage("alerts", alerts_stage),
    ]


def ingest_stage(ctx: ScanContext) -> dict[str, Any]:
    """Configured export files (``[[scan.imports]]``) first, then every enabled online source."""
    from pipeline.ingest import any_source_enabled, run_ingest

    counts: dict[str, Any] = {}
    if ctx.config.scan.imports:
        counts["imports"] = import_configured_files(ctx, ctx.config.scan.imports)
    imported = sum(int(c.get("inserted", 0)) for c in counts.get("imports", {}).values())
    if counts and not any_source_enabled(ctx.config):
        # A scan fed only by export files is a valid set-up (an intranet, a licensed database's weekly dump):
        # no online source to run is not a failure of this stage.
        return counts | {"sources": {}, "new": imported, "requests": 0}
    result = run_ingest(ctx.warehouse, ctx.config, parent=ctx.stage_run, progress=ctx.progress)
    counts["sources"] = {o.source: {"status": o.status, **o.counts(), "error": o.error} for o in result.outcomes}
    counts["new"] = result.new + imported
    counts["requests"] = result.requests
    if result.status != "ok":
        counts["status"] = "partial"
        counts["error"] = "; ".join(f"{o.source}: {o.error}" for o in result.failed)
    return counts


def import_configured_files(ctx: ScanContext, imports: Sequence[ScanImport]) -> dict[str, Any]:
    """Re-read each configured export file (a child run of the ingest stage); an unchanged file adds nothing."""
    from pipeline.importing import import_file
    from sources.files import ColumnMapping, FileImport

    base = ctx.config.path.parent if ctx.config.path else Path.cwd()
    per_file: dict[str, Any] = {}
    for entry in imports:
        path = Path(entry.file)
        path = path if path.is_absolute() else base / path
        mapping = ColumnMapping(
            id=entry.id_col or None,
            title=entry.title_col or None,
            text=entry.text_col or None,
            date=entry.date_col or None,
            url=entry.url_col or None,
            language=entry.lang_col or None,
            split=entry.split,
        )
        source = entry.source or path.stem
        reader = FileImport(path, entry.kind, source, mapping, language=entry.language or None)
        with ctx.progress.step(f"import {source}") as step:
            result = import_file(
                ctx.warehouse,
                reader,
                config_hash=ctx.config.config_hash(),
                batch_size=ctx.config.import_.batch_size,
                parent=ctx.stage_run,
            )
            step.update(result.read, result.read)
        per_file[source] = result.counts()
    return per_file


def analyze_stage(ctx: ScanContext) -> dict[str, Any]:
    """Language, embeddings, topics and emergence scores for everything not yet done."""
    from pipeline.analyze import run_analyze

    result = run_analyze(ctx.warehouse, ctx.config, as_of=ctx.as_of, parent=ctx.stage_run, progress=ctx.progress)
    ctx.results["scores"] = (result.granularity, result.as_of)
    return counts_of(result)


def _scores(ctx: ScanContext):  # noqa: ANN202 - warehouse.signals.ScoresRun | None
    """The scores this scan shows: those its analyze stage produced, else the latest of the configured granularity."""
    from warehouse.signals import latest_scores

    granularity, as_of = ctx.results.get("scores", (ctx.config.analysis.granularity, None))
    return latest_scores(ctx.warehouse, granularity, as_of) or latest_scores(ctx.warehouse, granularity)


def report_stage(ctx: ScanContext) -> dict[str, Any]:
    """Write the HTML, Markdown and CSV report of this scan into the report folder."""
    from pipeline.report import build_report, write_report

    scores = _scores(ctx)
    report = build_report(
        ctx.warehouse,
        as_of=scores.as_of if scores else ctx.as_of,
        config=ctx.config,
        granularity=scores.granularity if scores else None,
    )
    assert ctx.report_dir is not None
    paths = write_report(report, ctx.report_dir)
    ctx.results["report_paths"] = paths
    return {"topics": len(report.topics), "files": {fmt: str(path) for fmt, path in paths.items()}}


def alerts_stage(ctx: ScanContext) -> dict[str, Any]:
    """Snapshot this scan's signals and emit the new weak signals and turned-strong topics as JSON lines."""
    from pipeline.alerts import emit_alerts, take_snapshot

    assert ctx.scan_run is not None
    scores = _scores(ctx)
    snapshot = take_snapshot(ctx.warehouse, ctx.scan_run.id, scores)
    alerts = emit_alerts(
        ctx.warehouse, scores, ctx.scan_run.id, ctx.alerts_out, everything=not ctx.config.alerts.technologies_only
    )
    ctx.results["alerts"] = alerts
    return {"topics_snapshot": snapshot, "alerts": len(alerts)}
