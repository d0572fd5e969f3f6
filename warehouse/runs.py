"""Run bookkeeping: every command and stage leaves a `runs` row with its counts and outcome.

A run row is written (and committed) when the work starts, so a process killed half-way leaves a
visible `running` row; `finish_run` records the end. Problems found on the way go to `run_problems`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import duckdb


class HasLocation(Protocol):
    location: str
    message: str


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
    row = con.execute(
        """
        insert into runs (parent_run_id, command, stage, source, started_at, status, config_hash, details)
        values (?, ?, ?, ?, now(), 'running', ?, ?::json)
        returning run_id
        """,
        [parent_run_id, command, stage, source, config_hash, json.dumps(details or {}, default=str)],
    ).fetchone()
    assert row is not None
    return int(row[0])


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    status: str,
    counts: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    con.execute(
        "update runs set finished_at = now(), status = ?, counts = ?::json, error = ? where run_id = ?",
        [status, json.dumps(counts or {}, default=str), error, run_id],
    )


def record_problems(
    con: duckdb.DuckDBPyConnection, run_id: int, source: str | None, problems: Iterable[HasLocation]
) -> int:
    rows = [(run_id, source, p.location, p.message) for p in problems]
    if rows:
        con.executemany("insert into run_problems (run_id, source, location, message) values (?, ?, ?, ?)", rows)
    return len(rows)


def register_source(con: duckdb.DuckDBPyConnection, source: str, kind: str, run_id: int | None = None) -> None:
    """Create the `sources` row on first sight; later calls only move `last_run_id`."""
    con.execute(
        """
        insert into sources (source, kind, first_seen, last_run_id, state) values (?, ?, now(), ?, '{}')
        on conflict (source) do update set last_run_id = excluded.last_run_id
        """,
        [source, kind, run_id],
    )


def source_state(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Any]:
    row = con.execute("select state from sources where source = ?", [source]).fetchone()
    return json.loads(row[0]) if row and row[0] else {}


def save_source_state(con: duckdb.DuckDBPyConnection, source: str, state: Mapping[str, Any]) -> None:
    con.execute("update sources set state = ?::json where source = ?", [json.dumps(state, default=str), source])
