"""Opening the warehouse file under one connection policy, and migrating its schema.

Policy: a *writer* (init, import, ingest, analyze, scan) opens the file read-write and so holds
DuckDB's process lock; DuckDB allows one writing process per file, so a second writer gets a clear
`WarehouseLocked` instead of waiting. When a writer's command succeeds, it *publishes* what it
committed, before it lets go of the lock: the analyst-facing tables and views are copied into a fresh
file (``ATTACH``), which is flushed to disk and renamed over ``<name>.published.duckdb`` atomically.
A *reader* (sql, status, report, emerging, an analyst's own DuckDB session) opens that published copy
read-only. So analysts query the last successful state while a scan writes, never see half a scan,
and never block the scan (a read-only open of the main file would hold a lock that keeps the next
writer out). A reader that already has the old copy open keeps reading it unchanged.

Why publishing holds the lock: DuckDB's lock is a lock on the file held by the process for as long
as the database is open. A writer that closed first and copied after (as foresight once did) let
the next writer process take the lock and commit while the copy ran, so readers got a state that
neither writer had finished. Holding the lock across copy and rename orders the renames like the
writers: the snapshot always moves forward to a state one writer finished. Writers inside one
process share DuckDB's lock (a second `duckdb.connect` there gets the same database), so their
publishes take turns on a process-wide lock.

Why not a copy of the file: at a million documents the file is 8.6 GB, of which the readers need
3.7 GB: the vectors (`UNPUBLISHED_TABLES`, 1 GB), which only `analyze` reads, and the keys and
indexes the writer's upserts and lookups use make up the rest. A copy of the whole file doubled
the disk; the snapshot leaves both out. It costs CPU instead (every row is encoded again): at a
million documents on 2 shared cores 114-138 s against 48-52 s for the copy (docs/performance.md).

The schema is the ordered list of `migrations/NNN_name.sql`; `schema_version` records each applied
file. A file written by a newer foresight (a version we do not know) is refused, never modified.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import platform
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from warehouse.runs import Runs

DEFAULT_DB = "foresight.duckdb"
ENV_DB = "FORESIGHT_DB"
_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")

# Tables the readers' snapshot holds empty (with their schema, so every view and query still binds): the writer's
# working state, which no analyst view, report or reading command uses (1 GB at a million documents).
UNPUBLISHED_TABLES: dict[str, str] = {
    "embeddings": "one vector per document and embedding space, read only by analyze",
    "embedding_models": "the fitted TF-IDF+SVD state with which analyze projects new documents",
    "unpublished_writes": "which writer commands may have committed what the snapshot does not hold (migration 015)",
}
_SNAPSHOT = "foresight_snapshot"  # the alias under which a writer attaches the snapshot it is writing
# DuckDB's buffer pool while a snapshot is written. The copy streams row groups, so a small pool copies as fast as
# the default (80 % of RAM), which at a million documents let the writer grow to 5-7 GB (docs/performance.md).
_PUBLISH_MEMORY = "1GB"
_PUBLISHING = threading.Lock()  # writers of one process share DuckDB's lock: their publishes take turns
_COPIES = itertools.count()  # one temporary file name per publish in this process


class WarehouseError(Exception):
    """A warehouse problem a user can act on; the message says what to do."""


class WarehouseMissing(WarehouseError):
    """A reader asked for a warehouse file that does not exist."""


class WarehouseLocked(WarehouseError):
    """Another process holds the write lock."""


class QueryError(WarehouseError):
    """An ad hoc SQL query failed; the message is DuckDB's first line."""


class SchemaTooNew(WarehouseError):
    """The file was written by a newer foresight than this one."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def default_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--db PATH` wins, then `$FORESIGHT_DB`, then ``./foresight.duckdb``."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(ENV_DB) or DEFAULT_DB)


def migrations() -> list[Migration]:
    """All migrations shipped with this version, in order."""
    found = []
    for entry in resources.files("warehouse.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration numbers: {versions}")
    return found


def published_path(db: Path) -> Path:
    """Where readers find the last published state of warehouse `db`."""
    name = db.name[: -len(".duckdb")] if db.name.endswith(".duckdb") else db.name
    return db.with_name(f"{name}.published.duckdb")


def latest_version() -> int:
    return migrations()[-1].version


class Warehouse:
    """One open warehouse file; use it as a context manager.

    This object is the one owner of the DuckDB connection: the functions of the `warehouse` package take it and
    hold every SQL statement; `pipeline/` calls those functions and never the connection (`con` is for the
    `warehouse` package and for tests). Writes that belong together go through `transaction()`; the `runs` table
    through `runs` (see `warehouse/runs.py`).
    """

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, read_only: bool) -> None:
        self.path = path  # the warehouse file the user named (a reader actually reads `published_path`)
        self.con = con
        self.read_only = read_only
        self._closed = False
        self._depth = 0  # open transaction() blocks; only the outermost begins and commits
        self._doomed = False  # an inner block failed: the outermost must roll back, not commit
        self._runs: Runs | None = None
        self._snapshot_was_current = False  # no writer had left anything unpublished when this one opened
        self._nothing_for_readers = False  # this command changed nothing the readers see (`nothing_for_readers`)

    @property
    def runs(self) -> Runs:
        """The run bookkeeping of this warehouse (`warehouse.runs.Runs`)."""
        if self._runs is None:
            from warehouse.runs import Runs

            self._runs = Runs(self)
        return self._runs

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything written inside happens together or not at all.

        A failure inside rolls the transaction back and propagates. Blocks nest: an inner block joins the outer
        transaction, and if it fails the whole outer transaction is rolled back even when the caller catches the
        error (a half-written inner step must never be committed by an outer one).
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            except BaseException:
                self._doomed = True
                raise
            finally:
                self._depth -= 1
            return
        self.con.execute("begin transaction")
        self._depth, self._doomed = 1, False
        try:
            yield
        except BaseException:
            self._depth = 0
            self.rollback()
            raise
        self._depth = 0
        if self._doomed:
            self.rollback()
            raise WarehouseError("a step inside this transaction failed, so nothing of it was saved")
        self.con.execute("commit")  # a failed commit ends the transaction itself (DuckDB rolls back)

    def rollback(self) -> None:
        """Undo an open transaction left by a step that failed inside it; nothing happens when none is open."""
        self._depth, self._doomed = 0, False
        with contextlib.suppress(duckdb.Error):  # raised when no transaction is open: nothing to undo
            self.con.execute("rollback")

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open_writer(cls, path: str | os.PathLike[str] | None = None, *, migrate: bool = True) -> Warehouse:
        """Open (creating if needed) for writing and bring the schema up to date."""
        db = default_db_path(path)
        if db.parent and not db.parent.exists():
            db.parent.mkdir(parents=True, exist_ok=True)
        con = _connect(db, read_only=False)
        wh = cls(db, con, read_only=False)
        try:
            wh._refuse_newer()
            migrated = wh.migrate() if migrate else []
            wh._mark_writing(migrated=bool(migrated))
        except BaseException:
            con.close()
            raise
        return wh

    @classmethod
    def open_reader(cls, path: str | os.PathLike[str] | None = None) -> Warehouse:
        """Open the last published state read-only; the schema must be current (readers never migrate).

        A reader never publishes: that would take the write lock, and a scan starting at that moment would be
        refused. A warehouse with no published state (its first command failed or is still running, or an older
        foresight wrote it) gets one from the next writer command that succeeds, e.g. `foresight init`.
        """
        db = default_db_path(path)
        if not db.exists():
            raise WarehouseMissing(
                f"no warehouse at {db}; create one with `foresight init` (or pass --db / set {ENV_DB})"
            )
        snapshot = published_path(db)
        if not snapshot.exists():
            raise WarehouseMissing(
                f"{db} has no published state yet (readers see what a writer command finished successfully); "
                "run `foresight init` to publish it, or wait until the running scan has finished"
            )
        con = _connect(snapshot, read_only=True)
        wh = cls(db, con, read_only=True)
        try:
            wh._refuse_newer()
            current = wh.schema_version()
            if current < latest_version():
                raise WarehouseError(
                    f"{db} has schema version {current}, this foresight needs {latest_version()}; "
                    "run `foresight init` once to upgrade it"
                )
        except BaseException:
            con.close()
            raise
        return wh

    def nothing_for_readers(self) -> None:
        """Say that this writer command changed nothing the readers see, except its own `runs` rows.

        Then `close` leaves the snapshot as it is, provided it was current when this writer opened: no earlier
        command had left anything unpublished (`unpublished_writes`: a failed or killed command leaves its row).
        Why: rewriting an unchanged snapshot is most of an `analyze` with nothing new (5-13 s of a 7-20 s command at
        100,000 documents, docs/performance.md). What readers miss is the run record of the command that did
        nothing; the next command that publishes brings it.
        """
        self._nothing_for_readers = True

    def close(self, *, publish: bool = True) -> None:
        """Close. A writer rolls back what it left uncommitted, checkpoints, and publishes unless told not to.

        `with Warehouse.open_writer(...)` passes ``publish=False`` when its block raised: a command that failed
        leaves the readers on the last good state (what it committed is published by the next command that
        succeeds). A checkpoint that fails (a full disk) publishes nothing either. A command that changed nothing
        for the readers (`nothing_for_readers`) on a current snapshot publishes nothing and needs not.
        """
        if self._closed:
            return
        self._closed = True
        try:
            if not self.read_only:
                self.rollback()
                self.con.execute("checkpoint")
                if publish and self._nothing_for_readers and self._snapshot_was_current:
                    self._clear_writing()  # the snapshot is still what the readers should see
                elif publish:
                    self.publish()
        finally:
            self.con.close()

    def publish(self) -> Path:
        """Replace the readers' snapshot with what this writer has committed; return the snapshot's path.

        Runs while this writer holds the lock, so no other writer can commit during the copy (see the module
        docstring). The copy goes to a temporary file in the same folder, is flushed to disk, then renamed over the
        old snapshot: a reader sees either the old state or the new one, never a mix, even after a crash.
        """
        if self.read_only or self._depth:
            raise WarehouseError("only a writer outside a transaction can publish (readers read the snapshot)")
        target = published_path(self.path)
        with _PUBLISHING:
            _remove_stray_copies(target)
            temporary = target.with_name(f".{target.name}.{os.getpid()}-{next(_COPIES)}.tmp")
            try:
                _write_snapshot(self.con, temporary)
                _fsync(temporary)
                os.replace(temporary, target)
                _fsync(target.parent)  # the rename itself survives a crash
            finally:
                for partial in (temporary, _wal(temporary)):
                    partial.unlink(missing_ok=True)
            self._clear_writing()  # after the rename: a crash before it leaves the rows, so the next one publishes
        return target

    def _mark_writing(self, *, migrated: bool) -> None:
        """Record that this writer may commit what the snapshot lacks; remember whether the snapshot was current
        (never after a migration: the snapshot has the old schema)."""
        if not self._has_table("unpublished_writes"):
            return  # opened without migrating an older file: every close publishes, as before
        row = self.con.execute("select count(*) from unpublished_writes").fetchone()
        clean = bool(row and row[0] == 0) and not migrated
        self._snapshot_was_current = clean and published_path(self.path).exists()
        self.con.execute(
            "insert into unpublished_writes values (?, current_timestamp)", [f"{os.getpid()}@{platform.node()}"]
        )

    def _clear_writing(self) -> None:
        if self._has_table("unpublished_writes"):
            self.con.execute("delete from unpublished_writes")

    def _has_table(self, name: str) -> bool:
        row = self.con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() and table_name = ?", [name]
        ).fetchone()
        return bool(row and row[0])

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(publish=exc_type is None)  # a block that raised: the readers keep the last good state

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        """An analyst's ad hoc SQL (`foresight sql`): column names and rows; a bad query raises `QueryError`.

        Readers open the published snapshot read-only, so a query can look but never change anything.
        """
        try:
            cursor = self.con.execute(sql, list(params))
            if cursor.description is None:
                return [], []
            return [d[0] for d in cursor.description], cursor.fetchall()
        except duckdb.Error as exc:
            text = str(exc).strip()
            raise QueryError(text.splitlines()[0] if text else type(exc).__name__) from None

    # -- schema -------------------------------------------------------------------------------

    def schema_version(self) -> int:
        # fetchall, not fetchone: a result left unfinished makes the connection refuse the next `con.sql` call
        exists = self.con.execute(
            "select count(*) from information_schema.tables where table_name = 'schema_version'"
        ).fetchall()
        if not exists or exists[0][0] == 0:
            return 0
        rows = self.con.execute("select coalesce(max(version), 0) from schema_version").fetchall()
        return int(rows[0][0]) if rows else 0

    def migrate(self) -> list[Migration]:
        """Apply every migration the file has not had yet, in order, each in its own transaction.

        "Not had yet" is read from `schema_version` row by row, not from its highest number: migrations written in
        parallel land out of order (007 after 010), and a warehouse already at 010 must still get 007.
        """
        if self.read_only:
            raise WarehouseError("cannot migrate a warehouse opened read-only")
        done = self._applied_versions()
        applied = []
        for migration in migrations():
            if migration.version in done:
                continue
            with self.transaction():
                self.con.execute(migration.sql)
                self.con.execute(
                    "insert into schema_version (version, name, applied_at) values (?, ?, now())",
                    [migration.version, migration.name],
                )
            applied.append(migration)
        return applied

    def _applied_versions(self) -> set[int]:
        if self.schema_version() == 0:
            return set()
        return {int(row[0]) for row in self.con.execute("select version from schema_version").fetchall()}

    def _refuse_newer(self) -> None:
        current = self.schema_version()
        known = latest_version()
        if current > known:
            raise SchemaTooNew(
                f"{self.path} was written by a newer foresight (schema version {current}, this one knows "
                f"up to {known}); upgrade foresight to use it. The file was not changed."
            )


def _write_snapshot(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Write the committed state of `con`'s database into the new file `target`, in one transaction.

    The views, sequences and types come as the migrations made them (``copy from database ... (schema)``); each
    table is then made again with ``create table ... as select``, which carries its columns, types and rows but no
    keys and no indexes: they serve the writer's upserts and lookups, and the analyst views answer as fast without
    them (docs/performance.md). `UNPUBLISHED_TABLES` stay empty.
    """
    row = con.execute("select current_database()").fetchone()
    assert row is not None
    source = _identifier(str(row[0]))
    con.execute(f"attach ? as {_SNAPSHOT}", [str(target)])
    try:
        con.execute(f"set memory_limit = '{_PUBLISH_MEMORY}'")
        con.execute("begin transaction")
        con.execute(f"copy from database {source} to {_SNAPSHOT} (schema)")
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database() order by all"
        ).fetchall()
        for schema, table in tables:
            name = f"{_identifier(schema)}.{_identifier(table)}"
            rows = " limit 0" if table in UNPUBLISHED_TABLES else ""
            con.execute(f"drop table {_SNAPSHOT}.{name}")
            con.execute(f"create table {_SNAPSHOT}.{name} as select * from {source}.{name}{rows}")
        con.execute("commit")
        con.execute(f"detach {_SNAPSHOT}")  # writes the rest of the file; if that fails, nothing is renamed
    except BaseException:
        for cleanup in ("rollback", f"detach {_SNAPSHOT}"):  # the copy failed (a full disk): the caller deletes it
            with contextlib.suppress(duckdb.Error):
                con.execute(cleanup)
        raise
    finally:
        with contextlib.suppress(duckdb.Error):
            con.execute("reset memory_limit")


def _remove_stray_copies(target: Path) -> None:
    """Delete the partial snapshots (and their WAL files) of publishers that were killed.

    Called under the write lock, so no other process is publishing: a copy another process left is a stray, alive
    or not (its id may have been reused). Copies of this process are left to the publish that made them.
    """
    prefix = f".{target.name}."
    for stray in target.parent.glob(glob.escape(prefix) + "*.tmp*"):
        pid = stray.name[len(prefix) :].split("-", 1)[0].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid():
            stray.unlink(missing_ok=True)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _connect(db: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(db), read_only=read_only)
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            holder = re.search(r"PID (\d+)", message)
            who = f" (process {holder.group(1)})" if holder else ""
            raise WarehouseLocked(
                f"{db} is being written by another foresight process{who}; "
                "wait for it to finish (a scan can take minutes) and try again"
            ) from None
        raise WarehouseError(f"cannot open {db}: {message}") from None
