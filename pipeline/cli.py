"""The `foresight` command line: foundation commands (init, import, sql, status) and the entry point.

Each area adds its commands in a module `pipeline/commands_<area>.py` that registers on the shared
`app` from `pipeline.app`; `main` imports them all, so adding an area never edits this file.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Annotated

import duckdb
import typer

import pipeline
from pipeline.app import app, console, err_console, fail, open_reader, open_writer, state
from pipeline.output import FORMATS, render_rows
from pipeline.runtime import configure_runtime
from sources.document import KINDS
from sources.files import ColumnMapping, FileImport, FileImportError
from warehouse.db import QueryError, latest_version
from warehouse.documents import document_count, documents_per_source


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the warehouse (or upgrade its schema) and show where it is."""
    app_state = state(ctx)
    with open_writer(app_state) as wh:
        version = wh.schema_version()
    console.print(f"warehouse [bold]{app_state.db}[/] ready, schema version {version}")


@app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV, JSONL or Parquet export (may be .gz).")],
    kind: Annotated[str, typer.Option("--kind", help=f"Document kind: {', '.join(KINDS)}.")],
    source: Annotated[str | None, typer.Option("--source", help="Source name (default: the file name).")] = None,
    source_col: Annotated[
        str | None, typer.Option("--source-col", help="Column naming each row's source (e.g. the site).")
    ] = None,
    id_col: Annotated[str | None, typer.Option("--id-col", help="Column with the record id.")] = None,
    title_col: Annotated[str | None, typer.Option("--title-col")] = None,
    text_col: Annotated[str | None, typer.Option("--text-col")] = None,
    date_col: Annotated[str | None, typer.Option("--date-col", help="Date, datetime or bare year.")] = None,
    url_col: Annotated[str | None, typer.Option("--url-col")] = None,
    lang_col: Annotated[str | None, typer.Option("--lang-col")] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="Language of all rows when the file has no column, e.g. de.")
    ] = None,
    split: Annotated[
        list[str] | None, typer.Option("--split", help="Column holding ';'-separated lists (repeatable).")
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv, jsonl or parquet (default: from the name).")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="Text encoding (default: UTF-8, else cp1252).")] = "auto",
    show_problems: Annotated[int, typer.Option("--show-problems", help="How many problems to list.")] = 20,
) -> None:
    """Import an export file as documents; every row that cannot be used is reported with its line."""
    app_state = state(ctx)
    if kind not in KINDS:
        fail(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    mapping = ColumnMapping(
        id=id_col,
        title=title_col,
        text=text_col,
        date=date_col,
        url=url_col,
        language=lang_col,
        split=tuple(split or ()),
        source=source_col,
    )
    source_name = source or _source_name(file)
    try:
        reader = FileImport(file, kind, source_name, mapping, language=language, encoding=encoding, fmt=fmt)
    except FileImportError as exc:
        fail(str(exc))
    from pipeline.importing import import_file

    batch_size = app_state.config.import_.batch_size
    with open_writer(app_state) as wh:
        try:
            result = import_file(wh, reader, config_hash=app_state.config.config_hash(), batch_size=batch_size)
        except FileImportError as exc:
            fail(str(exc))
    for problem in result.problems[:show_problems]:
        label = "[yellow]skipped[/]" if problem.skipped else "[cyan]note[/]"
        err_console.print(f"{label} {problem}", highlight=False, soft_wrap=True)
    if len(result.problems) > show_problems:
        err_console.print(
            f"... and {len(result.problems) - show_problems} more; "
            f'see `foresight sql "select * from run_problems where run_id = {result.run_id}"`'
        )
    console.print(
        f"run {result.run_id}: {source_name} ({kind}): read {result.read}, inserted {result.inserted}, "
        f"updated {result.updated}, unchanged {result.unchanged}, skipped {result.skipped}, "
        f"repeated ids {result.duplicates}"
    )
    if result.read == 0 or (result.skipped and result.inserted + result.updated + result.unchanged == 0):
        fail("no usable rows in the file", code=2)


@app.command()
def sql(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="A DuckDB SQL query; the warehouse is opened read-only.")],
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Run ad hoc SQL on the warehouse (read-only) and print the result."""
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    with open_reader(state(ctx)) as wh:
        try:
            columns, rows = wh.query(query)
        except QueryError as exc:
            fail(f"SQL error: {exc}")
    if columns:
        render_rows(columns, rows, fmt)


@app.command()
def status(ctx: typer.Context) -> None:
    """Documents per kind, source and year; the last runs; the schema version."""
    app_state = state(ctx)
    with open_reader(app_state) as wh:
        version = wh.schema_version()
        per_source = documents_per_source(wh)
        runs = wh.runs.latest(10)
        total = document_count(wh)
    console.print(
        f"warehouse [bold]{app_state.db}[/]: schema version {version} (latest {latest_version()}), {total} documents"
    )
    render_rows(["kind", "source", "year", "documents"], per_source, "table", title="Documents")
    render_rows(
        ["run", "command", "stage", "source", "started", "status", "counts", "error"],
        runs,
        "table",
        title="Last runs",
    )


def _source_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet", ".pq"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "import"


def register_commands() -> None:
    """Import every `pipeline/commands_*.py` so its commands join the app (idempotent)."""
    for module in sorted(pkgutil.iter_modules(pipeline.__path__), key=lambda m: m.name):
        if module.name.startswith("commands_"):
            importlib.import_module(f"pipeline.{module.name}")


_DISK_ERRORS = ("No space left", "File too large", "Disk quota", "Read-only file system")


def main() -> None:
    """Console-script entry point; a full disk ends any command with one line, not a traceback."""
    configure_runtime()
    register_commands()
    try:
        app()
    except (OSError, duckdb.Error) as exc:
        message = " ".join(str(exc).split())
        if not any(marker in message for marker in _DISK_ERRORS):
            raise
        err_console.print(
            f"[bold red]error:[/] could not write: {message}. Free disk space and run the command again; "
            "the warehouse keeps its last committed state.",
            highlight=False,
            soft_wrap=True,
        )
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
