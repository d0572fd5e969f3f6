"""The `Document` record: the one type that crosses from sources into the warehouse and the models.

A source fills in what it knows and leaves the rest `None`; it never guesses. `content_hash` is what
the warehouse compares to decide whether a re-fetched document is unchanged, updated or new.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

KINDS: tuple[str, ...] = ("news", "patent", "publication", "policy")


@dataclass(frozen=True, slots=True)
class Document:
    """One gathered text with its provenance.

    `doc_id` is stable across fetches: the source's own id with a prefix (``openalex:W2741809807``,
    ``epo:EP1234567A1``, ``bundestag:ID19100100``) or, for news, a hash of the canonical URL.
    `extra` holds JSON-serialisable source-specific facts (CPC codes, DOI, institutions with ROR, ...).
    """

    doc_id: str
    kind: str
    source: str
    title: str | None = None
    text: str | None = None
    url: str | None = None
    published: date | None = None
    language: str | None = None
    actors: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.doc_id or not self.doc_id.strip():
            raise ValueError("Document.doc_id must be a non-empty string")
        if self.kind not in KINDS:
            raise ValueError(f"Document.kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not self.source:
            raise ValueError("Document.source must be a non-empty string")
        if self.published is not None and isinstance(self.published, datetime):
            # A datetime is a date subclass; keep the record's contract (a calendar date) exact.
            object.__setattr__(self, "published", self.published.date())

    def content_hash(self) -> str:
        """A digest of everything a user could see change; equal hashes mean nothing to update."""
        payload = json.dumps(
            [
                self.kind,
                self.source,
                self.title,
                self.text,
                self.url,
                self.published.isoformat() if self.published else None,
                self.language,
                list(self.actors),
                self.extra,
            ],
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


_YEAR = re.compile(r"^\s*(\d{4})\s*$")
_YEAR_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_GERMAN = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")
_MIN_YEAR, _MAX_YEAR = 1800, 2200
_RFC822_YEAR = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3,}\.?\s+(\d+)\b")


def parse_date(value: Any) -> tuple[date, str] | None:
    """Parse a publication date as files and feeds write it; return ``(date, precision)`` or ``None``.

    Accepted: ``date``/``datetime`` objects, ISO dates (``2023-05-17``), ISO datetimes with or without a
    zone (``2023-05-17T09:30:00+02:00``, ``...Z``; a zoned time is converted to UTC before its date is
    taken, so the same instant gives the same day everywhere), RFC 822 dates as in RSS
    (``Tue, 10 Jun 2003 04:00:00 GMT``), German dates (``17.05.2023``), ``YYYY-MM`` and a bare year.
    Precision is ``day``, ``month`` or ``year``; a month or year is stored as its first day, and the
    precision tells an analyst not to read the day. Years outside 1800..2200 are rejected as typos.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _checked(_utc_date(value), "day")
    if isinstance(value, date):
        return _checked(value, "day")
    if isinstance(value, int | float):
        if value != value:  # NaN from pandas
            return None
        if float(value).is_integer() and _MIN_YEAR <= int(value) <= _MAX_YEAR:
            return date(int(value), 1, 1), "year"
        return None
    text = str(value).strip()
    if not text or text.lower() in {"nan", "nat", "none", "null"}:
        return None
    if m := _YEAR.match(text):
        return _checked_parts(int(m.group(1)), 1, 1, "year")
    if m := _YEAR_MONTH.match(text):
        return _checked_parts(int(m.group(1)), int(m.group(2)), 1, "month")
    if m := _GERMAN.match(text):
        return _checked_parts(int(m.group(3)), int(m.group(2)), int(m.group(1)), "day")
    iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
    try:
        return _checked(_utc_date(datetime.fromisoformat(iso)), "day")
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    written = _RFC822_YEAR.search(text)
    if written and len(written.group(1)) == 4 and int(written.group(1)) != moment.year:
        return None  # email.utils reads the year "0001" as 2001; only a two-digit year means that
    return _checked(_utc_date(moment), "day")


def _utc_date(moment: datetime) -> date:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.date()


def _checked(day: date, precision: str) -> tuple[date, str] | None:
    return (day, precision) if _MIN_YEAR <= day.year <= _MAX_YEAR else None


def _checked_parts(year: int, month: int, day: int, precision: str) -> tuple[date, str] | None:
    try:
        return _checked(date(year, month, day), precision)
    except ValueError:
        return None
