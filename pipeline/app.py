"""The shared parts of the `foresight` command: the Typer app, global options and helpers.

Global options (`--db`, `--config`) are read once here and handed to each command through
`AppState`; commands print for people with Rich and for scripts with `--format csv|json`.
Errors a user can fix end the command with one line on stderr and exit code 1, never a traceback.
Commands live in `pipeline/cli.py` (foundation) and `pipeline/commands_*.py` (one module per area).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from pipeline.config import Config, ConfigError, load_config
from warehouse import Warehouse, WarehouseError, default_db_path
from warehouse.db import ENV_DB

app = typer.Typer(
    name="foresight",
    help="Technology foresight for the Metropole Ruhr: gather, analyse and query emerging topics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("foresight")


@dataclass(frozen=True)
class AppState:
    """What every command needs: the configuration (read and checked once, at start) and the warehouse file."""

    config: Config
    db: Path
    verbose: bool = False


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear line on stderr and stop."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj


def open_writer(app_state: AppState) -> Warehouse:
    try:
        return Warehouse.open_writer(app_state.db)
    except WarehouseError as exc:
        fail(str(exc))


def open_reader(app_state: AppState) -> Warehouse:
    try:
        return Warehouse.open_reader(app_state.db)
    except WarehouseError as exc:
        fail(str(exc))


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Warehouse file (default ./foresight.duckdb or $FORESIGHT_DB)."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Configuration TOML (default ./foresight.toml or $FORESIGHT_CONFIG)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        settings = load_config(config)
    except ConfigError as exc:
        fail(str(exc))
    chosen = db
    if chosen is None and settings.warehouse.path and not os.environ.get(ENV_DB):
        base = settings.path.parent if settings.path else Path.cwd()  # relative to the file, as cron needs it
        chosen = base / settings.warehouse.path
    ctx.obj = AppState(config=settings, db=default_db_path(chosen), verbose=verbose)
