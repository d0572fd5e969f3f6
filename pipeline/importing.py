"""`foresight import`: one export file into the warehouse, as one recorded run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sources.document import Document
from sources.files import Problem
from warehouse import Warehouse
from warehouse.documents import upsert_documents
from warehouse.runs import Run, register_source


class DocumentReader(Protocol):
    """What an import reads: `sources.files.FileImport`, or a backtest's slice of documents (`pipeline.backtest`)."""

    path: Path
    kind: str
    source: str
    fmt: str | None
    rows_read: int
    problems: list[Problem]

    def documents(self) -> Iterator[Document]: ...


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
    warehouse: Warehouse,
    reader: DocumentReader,
    *,
    config_hash: str | None = None,
    batch_size: int = 5000,
    parent: Run | None = None,
) -> ImportResult:
    """Upsert every usable row of `reader` in one transaction; the run row survives a failure.

    The documents of one file go in together or not at all: a crash half-way leaves the warehouse as it was, with a
    `failed` run row saying why, and the next import starts clean. `parent` nests the run under a scan's stage.
    """
    details = {"file": str(reader.path), "kind": reader.kind, "format": reader.fmt}
    with warehouse.runs.start(
        "import", source=reader.source, parent=parent, config_hash=config_hash, details=details
    ) as run:
        sources: set[str] = set()

        def documents() -> Iterator[Document]:
            for document in reader.documents():
                sources.add(document.source)  # a source column gives rows their own sources
                yield document

        with warehouse.transaction():
            counts = upsert_documents(warehouse, documents(), run.id, batch_size=batch_size)
            for source in sorted(sources or {reader.source}):
                register_source(warehouse, source, reader.kind, run)
            run.problems(reader.source, reader.problems)
        skipped = sum(1 for p in reader.problems if p.skipped)
        result = ImportResult(
            run_id=run.id,
            read=reader.rows_read,
            inserted=counts.inserted,
            updated=counts.updated,
            unchanged=counts.unchanged,
            skipped=skipped,
            duplicates=counts.duplicates,
            problems=list(reader.problems),
        )
        run.counts = result.counts()
        if skipped:
            run.status = "partial" if result.inserted + result.updated + result.unchanged else "failed"
    return result
