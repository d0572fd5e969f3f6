"""File import: CSV, JSONL and Parquet exports (optionally gzip-compressed) as `Document` records.

Analysts receive exports from patent databases, OpenAlex snapshots, parliamentary archives. This
module maps their columns onto the record, keeps every other column in `extra`, and reports each
broken row with its file and line instead of giving up: one bad row never costs the good ones.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sources.document import KINDS, Document, read_date

FORMATS = ("csv", "jsonl", "parquet")
# Candidate column names tried in order when the user names none; an explicit name must exist.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("doc_id", "id", "patent_id", "speech_id", "guid", "identifier", "publication_number"),
    "title": ("title", "headline", "name"),
    "text": ("text", "abstract", "body", "content", "summary", "description"),
    "date": ("published", "date", "publication_date", "pubdate", "grant_date", "date_est", "year"),
    "url": ("url", "link", "href"),
    "language": ("language", "lang"),
}
MAX_FIELD_BYTES = 64 * 1024 * 1024  # one CSV field larger than this is an error, not a memory blow-up


class FileImportError(Exception):
    """The file cannot be imported at all (missing column, empty or unreadable file)."""


class MappingError(FileImportError):
    """A named column does not exist; the message names it and the columns that do."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One row (or the file) that could not be used, with where it is and why."""

    location: str
    message: str
    skipped: bool = True  # False for notes about rows that were still used (a repeated id, an encoding)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which export column feeds which `Document` field; `None` means 'find it by the usual names'."""

    id: str | None = None
    title: str | None = None
    text: str | None = None
    date: str | None = None
    url: str | None = None
    language: str | None = None
    split: tuple[str, ...] = ()  # columns whose values are ';'-separated lists (e.g. CPC codes)
    separator: str = ";"
    # A column naming each row's source (a news export of many sites): never guessed, only when named. The
    # document ids keep the file's source as prefix, so they stay stable whatever the column says.
    source: str | None = None

    def resolve(self, columns: Sequence[str], where: str) -> dict[str, str | None]:
        """Return field -> column for the columns present; raise `MappingError` if a named one is missing."""
        present = list(columns)
        resolved: dict[str, str | None] = {}
        for name in DEFAULT_COLUMNS:
            wanted = getattr(self, name)
            if wanted is not None:
                if wanted not in present:
                    raise MappingError(
                        f"{where}: column {wanted!r} (--{name}-col) not found; "
                        f"columns present: {', '.join(present) or '(none)'}"
                    )
                resolved[name] = wanted
            else:
                resolved[name] = next((c for c in DEFAULT_COLUMNS[name] if c in present), None)
        if resolved["id"] is None:
            raise MappingError(
                f"{where}: no id column found (tried {', '.join(DEFAULT_COLUMNS['id'])}); "
                f"name one with --id-col; columns present: {', '.join(present) or '(none)'}"
            )
        if self.source is not None and self.source not in present:
            raise MappingError(
                f"{where}: column {self.source!r} (--source-col) not found; columns present: {', '.join(present)}"
            )
        resolved["source"] = self.source
        for col in self.split:
            if col not in present:
                raise MappingError(
                    f"{where}: column {col!r} (--split) not found; columns present: {', '.join(present)}"
                )
        return resolved


@dataclass
class FileImport:
    """Reads one export file lazily; iterate `documents()`, then read `rows_read` and `problems`.

    `language` is the language of every document when the export has no language column and the
    user knows it (the Bundestag corpus is German).
    """

    path: Path
    kind: str
    source: str
    mapping: ColumnMapping = field(default_factory=ColumnMapping)
    language: str | None = None
    encoding: str = "auto"
    fmt: str | None = None
    today: date | None = None  # the latest plausible date is the day after this (default: today)
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    _non_utf8: int = 0
    _first_line: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if self.kind not in KINDS:
            raise FileImportError(f"unknown kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if not self.path.is_file():
            raise FileImportError(f"{self.path}: no such file")
        self.fmt = self.fmt or detect_format(self.path)

    def documents(self) -> Iterator[Document]:
        """Yield a `Document` per usable row; unusable rows become `problems`."""
        rows = {"csv": self._csv_rows, "jsonl": self._jsonl_rows, "parquet": self._parquet_rows}[self.fmt]
        columns: dict[str, str | None] | None = None
        for location, row, header in rows():
            if columns is None:
                columns = self.mapping.resolve(header, str(self.path))
            self.rows_read += 1
            try:
                doc = self._document(row, columns, location)
            except ValueError as exc:
                self.problems.append(Problem(location, str(exc)))
                continue
            first = self._first_line.setdefault(doc.doc_id, location)
            if first != location:
                self.problems.append(
                    Problem(location, f"id {doc.doc_id} repeats {first}; this later row replaces it", skipped=False)
                )
            yield doc
        if self._non_utf8:
            self.problems.append(
                Problem(
                    str(self.path),
                    f"{self._non_utf8} byte sequence(s) were not UTF-8 and were read as Windows-1252; "
                    "pass --encoding if that is wrong",
                    skipped=False,
                )
            )

    # -- rows ---------------------------------------------------------------------------------

    def _document(self, row: Mapping[str, Any], columns: dict[str, str | None], location: str) -> Document:
        raw_id = _cell(row, columns, "id")
        if raw_id is None:
            raise ValueError(f"no id in column {columns['id']!r}; row skipped")
        title = _cell(row, columns, "title")
        text = _cell(row, columns, "text")
        extra: dict[str, Any] = {}
        published = None
        if columns["date"]:
            raw_date = row.get(columns["date"])
            reading = read_date(raw_date, kind=self.kind, today=self.today)
            if reading.day is None:
                shown = "empty" if _clean(raw_date) is None else f"{str(raw_date)[:40]!r}: {reading.problem}"
                raise ValueError(f"id {raw_id}: no usable date in column {columns['date']!r} ({shown}); row skipped")
            published = reading.day
            if reading.precision != "day":
                extra["date_precision"] = reading.precision
        mapped = {c for c in columns.values() if c}
        for key, value in row.items():
            if key in mapped or key is None:
                continue
            value = _jsonable(value)
            if value is None:
                continue
            if key in self.mapping.split and isinstance(value, str):
                value = [part.strip() for part in value.split(self.mapping.separator) if part.strip()]
            extra[str(key)] = value
        language = _cell(row, columns, "language")
        return Document(
            doc_id=f"{self.source}:{raw_id}",
            kind=self.kind,
            source=_cell(row, columns, "source") or self.source,
            title=title,
            text=text,
            url=_cell(row, columns, "url"),
            published=published,
            language=(language or self.language),
            extra=extra,
        )

    def _csv_rows(self) -> Iterator[tuple[str, dict[str, Any], list[str]]]:
        csv.field_size_limit(MAX_FIELD_BYTES)
        with self._text_stream() as stream:
            reader = csv.reader(stream)
            try:
                header = next(reader)
            except StopIteration:
                raise FileImportError(f"{self.path}: file is empty") from None
            header = [h.strip().lstrip("\ufeff") for h in header]
            if not any(header):
                raise FileImportError(f"{self.path}: first line has no column names")
            last_line = reader.line_num
            while True:
                start = last_line + 1
                try:
                    fields = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    self.rows_read += 1
                    self.problems.append(Problem(f"{self.path}:{start}", f"malformed CSV ({exc}); row skipped"))
                    last_line = reader.line_num
                    continue
                last_line = reader.line_num
                if not fields or all(not f.strip() for f in fields):
                    continue  # blank line
                location = f"{self.path}:{start}"
                if len(fields) != len(header):
                    self.rows_read += 1
                    self.problems.append(
                        Problem(location, f"expected {len(header)} fields, found {len(fields)}; row skipped")
                    )
                    continue
                yield location, dict(zip(header, fields, strict=True)), header

    def _jsonl_rows(self) -> Iterator[tuple[str, dict[str, Any], list[str]]]:
        header = self._jsonl_header()
        if not header:
            raise FileImportError(f"{self.path}: file is empty (no JSON object on any line)")
        with self._text_stream() as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                location = f"{self.path}:{number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    self.rows_read += 1
                    self.problems.append(Problem(location, f"malformed JSON ({exc.msg}); line skipped"))
                    continue
                if not isinstance(record, dict):
                    self.rows_read += 1
                    self.problems.append(Problem(location, "line is not a JSON object; skipped"))
                    continue
                yield location, record, header

    def _jsonl_header(self, sample_lines: int = 1000) -> list[str]:
        """The keys of the first objects: JSONL records may omit keys, so one record is not enough."""
        header: dict[str, None] = {}
        with self._text_stream() as stream:
            for number, line in enumerate(stream):
                if number >= sample_lines:
                    break
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(record, dict):
                    header.update(dict.fromkeys(record))
        self._non_utf8 = 0  # counted again on the real pass
        return list(header)

    def _parquet_rows(self) -> Iterator[tuple[str, dict[str, Any], list[str]]]:
        import pyarrow.parquet as pq  # only needed for Parquet

        try:
            parquet = pq.ParquetFile(self.path)
        except Exception as exc:  # pyarrow raises several types for a broken file
            raise FileImportError(f"{self.path}: not a readable Parquet file ({exc})") from None
        header = parquet.schema_arrow.names
        if parquet.metadata.num_rows == 0:
            raise FileImportError(f"{self.path}: file is empty (0 rows)")
        number = 0
        for batch in parquet.iter_batches(batch_size=10_000):
            for record in batch.to_pylist():
                number += 1
                yield f"{self.path}:row {number}", record, header

    def _text_stream(self) -> IO[str]:
        raw: IO[bytes] = open(self.path, "rb")  # noqa: SIM115 - wrapped and closed by the caller's with
        if raw.read(2) == b"\x1f\x8b":
            raw.seek(0)
            raw = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
        else:
            raw.seek(0)
        if self.encoding == "auto":
            codecs.register_error("foresight-cp1252", self._cp1252_fallback)
            return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="foresight-cp1252", newline="")
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raw.close()
            raise FileImportError(f"unknown encoding {self.encoding!r}; try utf-8, cp1252 or latin-1") from None
        return io.TextIOWrapper(raw, encoding=self.encoding, errors="replace", newline="")

    def _cp1252_fallback(self, exc: UnicodeError) -> tuple[str, int]:
        """Decode bytes that are not UTF-8 as Windows-1252 (the usual culprit in German exports)."""
        assert isinstance(exc, UnicodeDecodeError)
        self._non_utf8 += 1
        bad = exc.object[exc.start : exc.end]
        return bytes(bad).decode("cp1252", errors="replace"), exc.end


def detect_format(path: Path) -> str:
    """Tell the format from the file name (``.csv``, ``.jsonl``/``.ndjson``, ``.parquet``, each maybe ``.gz``)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith((".csv", ".tsv")):
        return "csv"
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    raise FileImportError(f"{path}: cannot tell the format from the name; use --format csv|jsonl|parquet")


def _cell(row: Mapping[str, Any], columns: Mapping[str, str | None], name: str) -> str | None:
    """The cleaned text of the column mapped to field `name`, or None when no column is mapped or it is empty."""
    column = columns[name]
    return _clean(row.get(column)) if column else None


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def _jsonable(value: Any) -> Any:
    """Turn a cell into something JSON can hold; empty cells become `None` so they are not stored."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return _jsonable(value.item())
    return str(value)
