"""`foresight ingest`: gather news feeds, publications and patents into the warehouse.

``foresight ingest`` runs every enabled source of the configuration; ``--source NAME`` one of them
(``news`` for all feeds); ``--since DATE`` re-reads the API sources from that date; ``--feed URL``
(repeatable) fetches ad hoc feeds as news without touching the configuration. Each source is a
child run with its counts; the command ends with exit code 1 when a source failed (the documents of
the others are kept) and prints which one and why.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated

import typer

from pipeline.app import app, console, err_console, fail, open_writer, state
from pipeline.ingest import IngestError, outcome_rows, run_ingest
from pipeline.output import FORMATS, render_rows


@app.command()
def ingest(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        typer.Option("--source", help="Run only this source: a feed name, news (all feeds), openalex, arxiv or epo."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Read the API sources from this date (YYYY-MM-DD) on.")
    ] = None,
    feed: Annotated[
        list[str] | None,
        typer.Option("--feed", help="Fetch this RSS/Atom feed URL as news instead of the configured sources."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Fetch new documents from the configured sources (or ad hoc feeds) into the warehouse."""
    app_state = state(ctx)
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    since_date = None
    if since:
        try:
            since_date = date.fromisoformat(since)
        except ValueError:
            fail(f"--since {since!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-01-01")
    for url in feed or []:
        if not url.startswith(("http://", "https://")):
            fail(f"--feed {url!r} is not an http(s) URL")
    if feed and source:
        fail("--feed and --source cannot be combined: --feed fetches only the given feeds")
    config = app_state.config
    if not app_state.verbose:
        # one line per source is what a person wants; httpx's line per request only with --verbose
        logging.getLogger("httpx").setLevel(logging.WARNING)

    def progress(message: str) -> None:
        err_console.print(message, highlight=False, markup=False)

    with open_writer(app_state) as wh:
        try:
            result = run_ingest(wh, config, only=source, since=since_date, feeds=feed, progress=progress)
        except IngestError as exc:
            fail(str(exc))
    render_rows(
        ["source", "status", "fetched", "new", "updated", "unchanged", "failed", "requests", "seconds", "note"],
        outcome_rows(result),
        fmt,
        title=f"Ingest run {result.run_id}",
    )
    if fmt == "table":
        console.print(
            f"run {result.run_id}: {result.new} new documents from {len(result.outcomes)} source(s), "
            f"{result.requests} requests in {result.seconds:.1f} s"
        )
    if result.failed:
        names = ", ".join(f"{o.source} ({o.error})" for o in result.failed)
        kept = "; documents of the other sources were kept" if len(result.failed) < len(result.outcomes) else ""
        fail(
            f"{len(result.failed)} source(s) failed: {names}{kept}; "
            f'details: foresight sql "select source, status, error from runs where parent_run_id = {result.run_id}"'
        )
