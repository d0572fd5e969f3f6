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

import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import duckdb

from pipeline.config import Config
from pipeline.progress import Progress
from warehouse import Warehouse
from warehouse.runs import finish_run, start_run

log = logging.getLogger("foresight.scan")

INTERRUPTED_MESSAGE = "the process ended before this run finished (killed or crashed); a later scan redid its work"


@dataclass
class ScanContext:
    """What a stage gets: the open warehouse, the configuration and where to report."""

    warehouse: Warehouse
    config: Config
    progress: Progress
    scan_run_id: int
    stage_run_id: int = 0
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
    con = warehouse.con
    progress = progress or Progress()
    started = time.monotonic()
    interrupted = close_interrupted_runs(warehouse)
    if interrupted:
        progress.message(f"closed {interrupted} run(s) left unfinished by an interrupted earlier scan")
    scan_settings = config.section("scan")
    ctx = ScanContext(
        warehouse=warehouse,
        config=config,
        progress=progress,
        scan_run_id=0,
        as_of=as_of,
        report_dir=Path(report_dir or scan_settings.get("report_dir", "reports")),
        alerts_out=alerts_out if alerts_out is not None else _configured_alerts_out(config),
    )
    ctx.scan_run_id = start_run(
        con,
        "scan",
        config_hash=config.config_hash(),
        details={"as_of": as_of.isoformat() if as_of else None, "report_dir": str(ctx.report_dir)},
    )
    outcomes: list[StageOutcome] = []
    try:
        for stage in stages if stages is not None else default_stages():
            outcomes.append(_run_stage(ctx, stage))
    except BaseException:
        finish_run(con, ctx.scan_run_id, "failed", _summary(outcomes), error="interrupted")
        raise
    finally:
        progress.close()
    failed = [o.name for o in outcomes if o.status == "failed"]
    status = "ok"
    if failed:
        status = "failed" if len(failed) == len(outcomes) else "partial"
    elif any(o.status == "partial" for o in outcomes):
        status = "partial"
    error = "; ".join(f"{o.name}: {o.error}" for o in outcomes if o.error) or None
    finish_run(con, ctx.scan_run_id, status, _summary(outcomes), error=error)
    return ScanResult(
        run_id=ctx.scan_run_id,
        status=status,
        seconds=time.monotonic() - started,
        stages=outcomes,
        report_paths=dict(ctx.results.get("report_paths", {})),
        alerts=list(ctx.results.get("alerts", [])),
        interrupted_before=interrupted,
    )


def _run_stage(ctx: ScanContext, stage: Stage) -> StageOutcome:
    con = ctx.warehouse.con
    run_id = start_run(con, "scan", stage=stage.name, parent_run_id=ctx.scan_run_id)
    ctx.stage_run_id = run_id
    started = time.monotonic()
    ctx.progress.message(f"scan: {stage.name} ...")
    try:
        counts = dict(stage.run(ctx) or {})
    except Exception as exc:  # a failing stage is recorded and the scan goes on to the next
        seconds = time.monotonic() - started
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        log.exception("scan stage %s failed", stage.name)
        _rollback_if_open(ctx.warehouse)
        finish_run(con, run_id, "failed", {"seconds": round(seconds, 2)}, error=error)
        ctx.progress.message(f"scan: {stage.name} failed after {seconds:.1f}s: {error}")
        return StageOutcome(stage.name, run_id, "failed", {}, seconds, error)
    except BaseException:
        _rollback_if_open(ctx.warehouse)
        finish_run(con, run_id, "failed", {"seconds": round(time.monotonic() - started, 2)}, error="interrupted")
        raise
    seconds = time.monotonic() - started
    status = str(counts.pop("status", "ok"))
    error = counts.pop("error", None)
    counts["seconds"] = round(seconds, 2)
    finish_run(con, run_id, status, counts, error=error)
    ctx.progress.message(f"scan: {stage.name} {status} in {seconds:.1f}s {_short_counts(counts)}")
    return StageOutcome(stage.name, run_id, status, counts, seconds, error)


def close_interrupted_runs(warehouse: Warehouse) -> int:
    """Mark runs a killed process left `running` as `interrupted`; safe because we hold the write lock."""
    rows = warehouse.con.execute(
        """
        update runs set status = 'interrupted', finished_at = coalesce(finished_at, now()),
               error = coalesce(error, ?)
        where status = 'running'
        returning run_id
        """,
        [INTERRUPTED_MESSAGE],
    ).fetchall()
    return len(rows)


def _rollback_if_open(warehouse: Warehouse) -> None:
    """A stage that died inside its own transaction must not leave it open for the next stage."""
    with contextlib.suppress(duckdb.Error):  # raised when no transaction is open: nothing to undo
        warehouse.con.execute("rollback")


def _summary(outcomes: Sequence[StageOutcome]) -> dict[str, Any]:
    return {o.name: {"status": o.status, "seconds": round(o.seconds, 2), **o.counts} for o in outcomes}


def _short_counts(counts: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in counts.items() if k != "seconds" and isinstance(v, int | float | str)}
    return json.dumps(shown, ensure_ascii=False) if shown else ""


def _configured_alerts_out(config: Config) -> Path | None:
    target = str(config.section("alerts").get("file", "") or "")
    return Path(target) if target else None


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
    counts: dict[str, Any] = {}
    imports = ctx.config.section("scan").get("imports", []) or []
    if imports:
        counts["imports"] = import_configured_files(ctx, imports)
    from pipeline.ingest import run_ingest

    result = run_ingest(ctx.warehouse, ctx.config, parent_run_id=ctx.stage_run_id, progress=ctx.progress)
    counts["sources"] = {o.source: {"status": o.status, **o.counts(), "error": o.error} for o in result.outcomes}
    counts["new"] = result.new + sum(int(c.get("inserted", 0)) for c in counts.get("imports", {}).values())
    counts["requests"] = result.requests
    if result.status != "ok":
        counts["status"] = "partial"
        counts["error"] = "; ".join(f"{o.source}: {o.error}" for o in result.failed)
    return counts


def import_configured_files(ctx: ScanContext, imports: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Re-read each configured export file; the upsert makes an unchanged file add nothing."""
    from pipeline.importing import import_file
    from sources.files import ColumnMapping, FileImport

    base = ctx.config.path.parent if ctx.config.path else Path.cwd()
    per_file: dict[str, Any] = {}
    for entry in imports:
        path = Path(str(entry["file"]))
        path = path if path.is_absolute() else base / path
        mapping = ColumnMapping(
            id=entry.get("id_col"),
            title=entry.get("title_col"),
            text=entry.get("text_col"),
            date=entry.get("date_col"),
            url=entry.get("url_col"),
            language=entry.get("lang_col"),
            split=tuple(entry.get("split", ())),
        )
        source = str(entry.get("source") or path.stem)
        reader = FileImport(path, str(entry["kind"]), source, mapping, language=entry.get("language"))
        with ctx.progress.step(f"import {source}") as step:
            result = import_file(ctx.warehouse, reader, config_hash=ctx.config.config_hash())
            step.update(result.read, result.read)
        ctx.warehouse.con.execute(
            "update runs set parent_run_id = ? where run_id = ?", [ctx.stage_run_id, result.run_id]
        ).fetchall()
        per_file[source] = result.counts()
    return per_file


def analyze_stage(ctx: ScanContext) -> dict[str, Any]:
    """Language, embeddings, topics and emergence scores for everything not yet done."""
    from pipeline.analyze import run_analyze

    result = run_analyze(
        ctx.warehouse, ctx.config, as_of=ctx.as_of, parent_run_id=ctx.stage_run_id, progress=ctx.progress
    )
    return counts_of(result)


def report_stage(ctx: ScanContext) -> dict[str, Any]:
    """Write the HTML, Markdown and CSV report of this scan into the report folder."""
    from pipeline.report import build_report, write_report

    report = build_report(ctx.warehouse.con, as_of=ctx.as_of, config=ctx.config)
    assert ctx.report_dir is not None
    paths = write_report(report, ctx.report_dir)
    ctx.results["report_paths"] = paths
    return {"topics": len(report.topics), "files": {fmt: str(path) for fmt, path in paths.items()}}


def alerts_stage(ctx: ScanContext) -> dict[str, Any]:
    """Snapshot this scan's signals and emit the new weak signals and turned-strong topics as JSON lines."""
    from pipeline.alerts import emit_alerts, take_snapshot

    snapshot = take_snapshot(ctx.warehouse.con, ctx.scan_run_id)
    alerts = emit_alerts(ctx.warehouse.con, ctx.scan_run_id, ctx.alerts_out)
    ctx.results["alerts"] = alerts
    return {"topics_snapshot": snapshot, "alerts": len(alerts)}
