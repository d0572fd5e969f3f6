"""What every API connector hands the pipeline: pages of documents within a date window.

Connectors (OpenAlex, arXiv, EPO) yield one `Page` per response, so the pipeline can store each page
in its own transaction and keep what was fetched when a later page fails. `SourceError` is a failure
of the whole source (bad answer format, quota, missing credentials) with a message for a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sources.document import Document
from sources.files import Problem


class SourceError(Exception):
    """The source cannot go on; the message says what went wrong and, where possible, what to do."""


@dataclass(frozen=True)
class Window:
    """An inclusive range of publication dates to fetch."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"date window starts after it ends: {self.start} > {self.end}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def halves(self) -> tuple[Window, Window]:
        """Split into two windows of (nearly) equal length; a one-day window cannot be split."""
        if self.days < 2:
            raise ValueError("a one-day window cannot be split")
        middle = self.start + timedelta(days=self.days // 2 - 1)
        return Window(self.start, middle), Window(middle + timedelta(days=1), self.end)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


@dataclass
class Page:
    """One response's worth of documents, the records that could not be used, and where it came from."""

    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    location: str = ""
    records: int = 0  # records in the response, usable or not
