"""Run bookkeeping: every command and stage leaves a `runs` row with its counts and outcome.

A run row is written (and committed) when the work starts, so a process killed half-way leaves a visible
`running` row (the next scan closes it as `interrupted`). The work itself goes inside ``with wh.runs.start(...)``
or ``with wh.runs.child(parent, "topics")``: leaving the block records the end — its `status` (``ok`` unless
the work set ``partial``/``skipped``), its `counts` and `error`; an exception rolls back the open transaction,
marks the run ``failed`` with the error text and propagates. Work that must record its end atomically with its
writes calls `Run.finish` inside its own ``wh.transaction()``; the block then leaves the row alone. Problems
found on the way go to `run_problems` (`Run.problems`), per-source state to `sources`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import duckdb

if TYPE_CHECKING:
    from warehouse.db import Warehouse

INTERRUPTED_MESSAGE = "the process ended before this run finished (killed or crashed); a later scan redid its work"


class HasLocation(Protocol):
    location: str
    message: str


@dataclass
class Run:
    """One `runs` row while its work goes on. Set `status`, `counts` and `error` before the block ends."""

    warehouse: Warehouse = field(repr=False)
    id: int
    command: str
    stage: str | None = None
    source: str | None = None
    status: str = "ok"  # what the row gets when the block ends without an exception: ok | partial | skipped
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    finished: bool = False

    def finish(
        self, status: str | None = None, counts: Mapping[str, Any] | None = None, error: str | None = None
    ) -> None:
        """Record the end now (e.g. inside the transaction that wrote the run's results); the block then stops."""
        if status is not None:
            self.status = status
        if counts is not None:
            self.counts = dict(counts)
        if error is not None:
            self.error = error
        _finish_row(self.warehouse.con, self.id, self.status, self.counts, self.error)
        self.finished = True

    def problems(self, source: str | None, problems: Iterable[HasLocation]) -> int:
        """Record skipped rows or failed requests of this run in `run_problems`; returns how many."""
        rows = [(self.id, source, p.location, p.message) for p in problems]
        if rows:
            self.warehouse.con.executemany(
                "insert into run_problems (run_id, source, location, message) values (?, ?, ?, ?)", rows
            )
        return len(rows)

    def update_details(self, details: Mapping[str, Any]) -> None:
        """Add keys to the run's `details` JSON (e.g. the fit key a later run compares with)."""
        self.warehouse.con.execute(
            "update runs set details = json_merge_patch(coalesce(details, '{}'::json), ?::json) where run_id = ?",
            [json.dumps(dict(details), default=str), self.id],
        ).fetchall()


class Runs:
    """The `runs` table of one warehouse: start runs, nest stages under them, read them back."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    @contextlib.contextmanager
    def start(
        self,
        command: str,
        *,
        stage: str | None = None,
        source: str | None = None,
        parent: Run | int | None = None,
        config_hash: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Iterator[Run]:
        """Record a run around the block (see the module docstring); `parent` nests it under another run."""
        parent_id = parent.id if isinstance(parent, Run) else parent
        run_id = _start_row(self.warehouse.con, command, stage, source, parent_id, config_hash, details)
        run = Run(self.warehouse, run_id, command, stage, source)
        try:
            yield run
        except BaseException as exc:
            self.warehouse.rollback()
            if not run.finished:
                interrupted = isinstance(exc, KeyboardInterrupt | SystemExit)
                error = "interrupted" if interrupted else (str(exc) or type(exc).__name__)
                _finish_row(self.warehouse.con, run.id, "failed", run.counts, error)
                run.finished = True
            raise
        if not run.finished:
            run.finish()

    def child(self, parent: Run, stage: str, **options: Any) -> contextlib.AbstractContextManager[Run]:
        """A stage of `parent`: same command, the stage's name, nested under it."""
        return self.start(parent.command, stage=stage, parent=parent, **options)

    def close_interrupted(self) -> int:
        """Mark runs a killed process left `running` as `interrupted`; safe only under the write lock."""
        rows = self.warehouse.con.execute(
            """
            update runs set status = 'interrupted', finished_at = coalesce(finished_at, now()),
                   error = coalesce(error, ?)
            where status = 'running'
            returning run_id
            """,
            [INTERRUPTED_MESSAGE],
        ).fetchall()
        return len(rows)

    def counts(self, run_id: int) -> dict[str, Any]:
        """The recorded counts of a run ({} when it has none)."""
        rows = self.warehouse.con.execute("select counts from runs where run_id = ?", [run_id]).fetchall()
        return json.loads(rows[0][0]) if rows and rows[0][0] else {}

    def stage_seconds(self, parent: Run | int) -> dict[str, float]:
        """Seconds of each finished stage under a run, in the order they ran."""
        parent_id = parent.id if isinstance(parent, Run) else parent
        rows = self.warehouse.con.execute(
            "select stage, epoch(finished_at - started_at) from runs where parent_run_id = ? order by run_id",
            [parent_id],
        ).fetchall()
        return {str(stage): round(float(seconds), 3) for stage, seconds in rows if seconds is not None}

    def latest(self, limit: int = 10) -> list[tuple[Any, ...]]:
        """The newest top-level runs: run_id, command, stage, source, started_at, status, counts, error."""
        return self.warehouse.con.execute(
            """
            select run_id, command, coalesce(stage, '') as stage, coalesce(source, '') as source,
                   started_at, status, counts, coalesce(error, '') as error
            from runs where parent_run_id is null order by run_id desc limit ?
            """,
            [limit],
        ).fetchall()

    def root_of(self, run_id: int) -> tuple[int, str, Any] | None:
        """(run_id, command, started_at) of the top-level run above `run_id` (itself if it has no parent)."""
        rows = self.warehouse.con.execute(RUN_ROOT_SQL, [run_id]).fetchall()
        return (int(rows[0][0]), str(rows[0][1]), rows[0][2]) if rows else None


# The top-level run above a run (the scan or stand-alone command it belongs to). One definition, used by the report
# (which scan produced the scores) and the alerts (which snapshot came before them).
RUN_ROOT_SQL = """with recursive up(run_id, parent_run_id, command, started_at) as (
    select run_id, parent_run_id, command, started_at from runs where run_id = ?
    union all
    select r.run_id, r.parent_run_id, r.command, r.started_at from runs r join up on r.run_id = up.parent_run_id)
select run_id, command, started_at from up where parent_run_id is null"""


def _start_row(
    con: duckdb.DuckDBPyConnection,
    command: str,
    stage: str | None,
    source: str | None,
    parent_run_id: int | None,
    config_hash: str | None,
    details: Mapping[str, Any] | None,
) -> int:
    row = con.execute(
        """
        insert into runs (parent_run_id, command, stage, source, started_at, status, config_hash, details)
        values (?, ?, ?, ?, now(), 'running', ?, ?::json)
        returning run_id
        """,
        [parent_run_id, command, stage, source, config_hash, json.dumps(dict(details or {}), default=str)],
    ).fetchone()
    assert row is not None
    return int(row[0])


def _finish_row(
    con: duckdb.DuckDBPyConnection, run_id: int, status: str, counts: Mapping[str, Any] | None, error: str | None
) -> None:
    con.execute(
        "update runs set finished_at = now(), status = ?, counts = ?::json, error = ? where run_id = ?",
        [status, json.dumps(dict(counts or {}), default=str), error, run_id],
    )


def start_run(
    con: duckdb.DuckDBPyConnection,
    command: str,
    *,
    stage: str | None = None,
    source: str | None = None,
    parent_run_id: int | None = None,
    config_hash: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> int:
    """A bare `running` row (tests and tools that build warehouses by hand); the product uses `Runs.start`."""
    return _start_row(con, command, stage, source, parent_run_id, config_hash, details)


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    status: str,
    counts: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """End a row made by `start_run`."""
    _finish_row(con, run_id, status, counts, error)


def register_source(warehouse: Warehouse, source: str, kind: str, run: Run | int | None = None) -> None:
    """Create the `sources` row on first sight; later calls only move `last_run_id`."""
    run_id = run.id if isinstance(run, Run) else run
    warehouse.con.execute(
        """
        insert into sources (source, kind, first_seen, last_run_id, state) values (?, ?, now(), ?, '{}')
        on conflict (source) do update set last_run_id = excluded.last_run_id
        """,
        [source, kind, run_id],
    )


def source_state(warehouse: Warehouse, source: str) -> dict[str, Any]:
    """What a source kept from its last successful run (ETag, Last-Modified, date cursors)."""
    row = warehouse.con.execute("select state from sources where source = ?", [source]).fetchone()
    return json.loads(row[0]) if row and row[0] else {}


def save_source_state(warehouse: Warehouse, source: str, state: Mapping[str, Any]) -> None:
    warehouse.con.execute(
        "update sources set state = ?::json where source = ?", [json.dumps(dict(state), default=str), source]
    )
