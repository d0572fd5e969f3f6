"""`foresight import`: one export file into the warehouse, as one recorded run."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import duckdb

from sources.files import FileImport, Problem
from warehouse import Warehouse
from warehouse.documents import upsert_documents
from warehouse.runs import finish_run, record_problems, register_source, start_run


@dataclass
class ImportResult:
    run_id: int
    read: int
    inserted: int
    updated: int
    unchanged: int
    skipped: int
    duplicates: int
    problems: list[Problem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
        }


def import_file(
    warehouse: Warehouse, reader: FileImport, *, config_hash: str | None = None, batch_size: int = 5000
) -> ImportResult:
    """Upsert every usable row of `reader` in one transaction; the run row survives a failure.

    The documents of one file go in together or not at all: a crash half-way leaves the warehouse as
    it was, with a `failed` run row saying why, and the next import starts clean.
    """
    con = warehouse.con
    run_id = start_run(
        con,
        "import",
        source=reader.source,
        config_hash=config_hash,
        details={"file": str(reader.path), "kind": reader.kind, "format": reader.fmt},
    )
    con.execute("begin transaction")
    try:
        counts = upsert_documents(con, reader.documents(), run_id, batch_size=batch_size)
        register_source(con, reader.source, reader.kind, run_id)
        record_problems(con, run_id, reader.source, reader.problems)
        con.execute("commit")
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):  # a failed commit has already ended the transaction
            con.execute("rollback")
        finish_run(con, run_id, "failed", {"read": reader.rows_read}, error=str(exc) or type(exc).__name__)
        raise
    skipped = sum(1 for p in reader.problems if p.skipped)
    result = ImportResult(
        run_id=run_id,
        read=reader.rows_read,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        skipped=skipped,
        duplicates=counts.duplicates,
        problems=list(reader.problems),
    )
    status = "ok" if not skipped else ("partial" if result.inserted + result.updated + result.unchanged else "failed")
    finish_run(con, run_id, status, result.counts())
    return result
