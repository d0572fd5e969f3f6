"""Commands for the weekly routine: `scan`, `report`, `alerts`, `schedule` and the offline `demo`.

`scan` is the one command analysts schedule; `report` and `alerts` re-read what the last scan left
(read-only, so they work while the next scan runs); `schedule` prints the crontab line or systemd
units for the scan; `demo` runs the real scan on bundled data through a local replay server.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from pipeline.app import AppState, app, console, err_console, fail, open_reader, open_writer, state
from pipeline.output import render_rows


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-03-31")


def _alerts_target(value: str | None) -> Path | None:
    return None if value is None else Path(value)


@app.command()
def scan(
    ctx: typer.Context,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Score as of this date (default: today; the current period counts so far)."),
    ] = None,
    report_dir: Annotated[
        Path | None, typer.Option("--report-dir", help="Where the report goes (default [scan] report_dir).")
    ] = None,
    alerts: Annotated[
        str | None,
        typer.Option("--alerts", help="Append alerts (JSON lines) to FILE, or '-' for stdout (default [alerts] file)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output, only the summary.")] = False,
) -> None:
    """Ingest, analyze, report and alert in one recorded run; the command to schedule weekly."""
    from pipeline.progress import make_progress
    from pipeline.scan import run_scan

    app_state = state(ctx)
    scan_as_of = _parse_date(as_of, "--as-of")
    cfg = app_state.config
    with open_writer(app_state) as wh:
        result = run_scan(
            wh,
            cfg,
            as_of=scan_as_of,
            progress=make_progress(quiet=quiet),
            report_dir=report_dir,
            alerts_out=_alerts_target(alerts),
        )
    render_rows(
        ["stage", "status", "seconds", "counts", "error"],
        [(s.name, s.status, round(s.seconds, 1), _brief(s.counts), s.error or "") for s in result.stages],
        "table",
        title=f"scan run {result.run_id}: {result.status} in {result.seconds:.1f}s",
        console=err_console,
    )
    for fmt, path in result.report_paths.items():
        console.print(f"report ({fmt}): {path}", highlight=False, soft_wrap=True)
    console.print(f"alerts: {len(result.alerts)} (new weak signals and topics turned strong)", highlight=False)
    if result.status == "failed":
        fail(f"scan {result.run_id} failed; see `foresight status` and the errors above")


def _brief(counts: dict) -> str:
    shown = []
    for key, value in counts.items():
        if key == "seconds" or isinstance(value, dict | list):
            continue
        shown.append(f"{key}={value}")
    return ", ".join(shown[:8])


@app.command()
def report(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Use the scores held for this date.")] = None,
    granularity: Annotated[
        str | None, typer.Option("--granularity", help="week, month, quarter or year (default [analysis]).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="An .html file (with .md/.csv beside it) or a folder (default [scan] report_dir)."),
    ] = None,
    formats: Annotated[str, typer.Option("--format", help="Comma-separated: html, md, csv.")] = "html,md,csv",
) -> None:
    """Write the analyst report (self-contained HTML, Markdown, CSV) from the warehouse, read-only."""
    from pipeline.report import FORMATS, ReportError, build_report, write_report

    app_state = state(ctx)
    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        fail(f"unknown report format {', '.join(unknown) or '(none)'}; use a list of {', '.join(FORMATS)}")
    report_as_of = _parse_date(as_of, "--as-of")
    target = out or Path(app_state.config.scan.report_dir)
    with open_reader(app_state) as wh:
        try:
            built = build_report(wh, as_of=report_as_of, config=app_state.config, granularity=granularity)
        except ReportError as exc:
            fail(str(exc))
    paths = write_report(built, target, chosen)
    for fmt, path in paths.items():
        console.print(f"report ({fmt}): {path}", highlight=False, soft_wrap=True)


@app.command()
def alerts(
    ctx: typer.Context,
    out: Annotated[str | None, typer.Option("--out", help="Append to this file instead of printing to stdout.")] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Every topic (default: [alerts] technologies_only, technologies only).")
    ] = False,
) -> None:
    """Print the new weak signals and topics turned strong of the latest scores, as JSON lines."""
    from pipeline.alerts import alerts_from, signal_changes, write_alerts
    from pipeline.commands_topics import chosen_scores

    app_state = state(ctx)
    with open_reader(app_state) as wh:
        everything = everything or not app_state.config.alerts.technologies_only
        changes = signal_changes(wh, chosen_scores(wh, app_state, None, None), everything=everything)
    found = alerts_from(changes, None)
    write_alerts(found, Path(out) if out and out != "-" else sys.stdout)
    against = (
        f"the snapshot of scan {changes.baseline_scan_run_id}"
        if changes.baseline_scan_run_id is not None
        else "no earlier scan (these are the first scores)"
    )
    err_console.print(f"{len(found)} alert(s), compared with {against}", highlight=False)


@app.command()
def schedule(
    ctx: typer.Context,
    print_format: Annotated[str, typer.Option("--print", help="cron or systemd.")] = "cron",
    weekday: Annotated[str, typer.Option("--weekday", help="mon, tue, ..., sun.")] = "mon",
    at: Annotated[str, typer.Option("--time", help="Time of day, HH:MM (local time of the machine).")] = "06:00",
    workdir: Annotated[
        Path | None, typer.Option("--workdir", help="Folder the scan runs in (default: the current one).")
    ] = None,
) -> None:
    """Print a ready crontab line or systemd service and timer that run `foresight scan` weekly."""
    from pipeline.schedule import ScanSchedule, ScheduleError, default_executable, schedule_text

    app_state: AppState = state(ctx)
    folder = (workdir or Path.cwd()).absolute()
    config_path = app_state.config.path
    try:
        plan = ScanSchedule(
            executable=default_executable(),
            db=app_state.db if app_state.db.is_absolute() else (Path.cwd() / app_state.db),
            workdir=folder,
            config=config_path.absolute() if config_path else None,
            weekday=weekday.lower(),
            time=at,
        )
        sys.stdout.write(schedule_text(print_format, plan))
    except ScheduleError as exc:
        fail(str(exc))


@app.command()
def demo(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the demo warehouse and report (default: a new temporary folder)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Run the real scan offline on bundled data (Bundestag speeches, recorded feeds and APIs) and write the report."""
    from pipeline.demo import DemoError, run_demo
    from pipeline.progress import make_progress

    try:
        outcome = run_demo(out, progress=make_progress(quiet=quiet))
    except DemoError as exc:
        fail(str(exc))
    render_rows(
        ["topic", "label", "signal", "trend", "score", "lead markets"],
        [
            (
                t["topic_id"],
                t["label"],
                t["signal_class"],
                t["trend"],
                round(float(t["score"] or 0), 2),
                ", ".join((t["lead_markets"] or [])[:2]),
            )
            for t in outcome.top_topics
        ],
        "table",
        title="Top emerging topics",
    )
    console.print(f"demo finished in {outcome.seconds:.0f}s; warehouse: {outcome.db}", highlight=False)
    console.print(f"report: {outcome.report}", highlight=False, soft_wrap=True)
    console.print(
        f"try: foresight --db {outcome.db} --config {outcome.config} emerging --top 10",
        highlight=False,
        soft_wrap=True,
    )
