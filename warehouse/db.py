"""Opening the warehouse file under one connection policy, and migrating its schema.

Policy: a *writer* (init, import, ingest, analyze, scan) opens the file read-write and so holds
DuckDB's process lock; DuckDB allows one writing process per file, so a second writer gets a clear
`WarehouseLocked` instead of waiting. When a writer closes, it *publishes* the finished state: the
file is checkpointed and copied to ``<name>.published.duckdb`` next to it, then renamed into place
atomically. A *reader* (sql, status, report, emerging, an analyst's own DuckDB session) opens that
published copy read-only. So analysts query the last finished state while a scan writes, never see
half a scan, and never block the scan (a read-only open of the main file would hold a lock that
keeps the next writer out). A reader that already has the old copy open keeps reading it unchanged.

The schema is the ordered list of `migrations/NNN_name.sql`; `schema_version` records each applied
file. A file written by a newer foresight (a version we do not know) is refused, never modified.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import TracebackType

import duckdb

DEFAULT_DB = "foresight.duckdb"
ENV_DB = "FORESIGHT_DB"
_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


class WarehouseError(Exception):
    """A warehouse problem a user can act on; the message says what to do."""


class WarehouseMissing(WarehouseError):
    """A reader asked for a warehouse file that does not exist."""


class WarehouseLocked(WarehouseError):
    """Another process holds the write lock."""


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
    """One open warehouse file. Use as a context manager; `con` is the DuckDB connection."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, read_only: bool) -> None:
        self.path = path  # the warehouse file the user named (a reader actually reads `published_path`)
        self.con = con
        self.read_only = read_only
        self._closed = False

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
            if migrate:
                wh.migrate()
        except BaseException:
            con.close()
            raise
        return wh

    @classmethod
    def open_reader(cls, path: str | os.PathLike[str] | None = None) -> Warehouse:
        """Open the last published state read-only; the schema must be current (readers never migrate).

        A warehouse that was never published (written by an older foresight, or its first writer was
        killed) is published here first, if no writer holds it.
        """
        db = default_db_path(path)
        if not db.exists():
            raise WarehouseMissing(
                f"no warehouse at {db}; create one with `foresight init` (or pass --db / set {ENV_DB})"
            )
        snapshot = published_path(db)
        if not snapshot.exists():
            try:
                cls.open_writer(db, migrate=False).close()
            except WarehouseLocked:
                raise WarehouseLocked(
                    f"{db} has no published state yet and a foresight process is writing it; "
                    "try again when it has finished"
                ) from None
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

    def close(self) -> None:
        """Close; a writer checkpoints and publishes what it committed (see the module docstring)."""
        if self._closed:
            return
        self._closed = True
        if self.read_only:
            self.con.close()
            return
        try:
            self.con.execute("checkpoint")
        finally:
            self.con.close()  # even when the checkpoint fails (a full disk): never publish a state we could not write
        publish(self.path)

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

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
        """Apply every migration newer than the file's version, each in its own transaction."""
        if self.read_only:
            raise WarehouseError("cannot migrate a warehouse opened read-only")
        current = self.schema_version()
        applied = []
        for migration in migrations():
            if migration.version <= current:
                continue
            self.con.execute("begin transaction")
            try:
                self.con.execute(migration.sql)
                self.con.execute(
                    "insert into schema_version (version, name, applied_at) values (?, ?, now())",
                    [migration.version, migration.name],
                )
                self.con.execute("commit")
            except BaseException:
                self.con.execute("rollback")
                raise
            applied.append(migration)
        return applied

    def _refuse_newer(self) -> None:
        current = self.schema_version()
        known = latest_version()
        if current > known:
            raise SchemaTooNew(
                f"{self.path} was written by a newer foresight (schema version {current}, this one knows "
                f"up to {known}); upgrade foresight to use it. The file was not changed."
            )


def publish(db: Path) -> Path:
    """Copy the closed warehouse `db` to its published path atomically and durably; return that path.

    The copy goes to a temporary file in the same folder, is flushed to disk, then renamed over the
    old copy: a reader sees either the old state or the new one, never a mix, even after a crash.
    """
    target = published_path(db)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    _remove_stray_copies(target)
    try:
        shutil.copyfile(db, temporary)
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def _remove_stray_copies(target: Path) -> None:
    """Delete the partial copies of publishers that were killed: each is as large as the warehouse."""
    prefix = f".{target.name}."
    for stray in target.parent.glob(glob.escape(prefix) + "*.tmp"):
        pid = stray.name[len(prefix) : -len(".tmp")]
        if pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
            stray.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


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
