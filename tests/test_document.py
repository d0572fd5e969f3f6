"""The Document record and date parsing: what every source relies on."""

from datetime import date, datetime

import pytest

from sources.document import Document, parse_date


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-05-17", (date(2023, 5, 17), "day")),
        ("2023-05-17T09:30:00+02:00", (date(2023, 5, 17), "day")),
        ("2023-05-17T23:30:00-05:00", (date(2023, 5, 18), "day")),  # zoned times are taken in UTC
        ("2023-05-17T01:30:00Z", (date(2023, 5, 17), "day")),
        ("Tue, 10 Jun 2003 04:00:00 GMT", (date(2003, 6, 10), "day")),
        ("10 Jun 2003 04:00:00 +0200", (date(2003, 6, 10), "day")),  # RSS without weekday
        ("17.05.2023", (date(2023, 5, 17), "day")),
        ("2021", (date(2021, 1, 1), "year")),
        (2021, (date(2021, 1, 1), "year")),
        ("2021-07", (date(2021, 7, 1), "month")),
        (datetime(2020, 1, 2, 3, 4), (date(2020, 1, 2), "day")),
    ],
)
def test_parse_date_accepts_what_exports_write(raw: object, expected: tuple[date, str]) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", "nan", "2019-13-45", "yesterday", "0001-01-01", "99999", float("nan")])
def test_parse_date_rejects_unusable_values(raw: object) -> None:
    assert parse_date(raw) is None


def test_document_validates_kind_and_id() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        Document(doc_id="x:1", kind="tweet", source="x")
    with pytest.raises(ValueError, match="doc_id"):
        Document(doc_id=" ", kind="news", source="x")


def test_content_hash_changes_with_visible_content_only() -> None:
    a = Document(doc_id="x:1", kind="news", source="x", title="Wasserstoff in Duisburg", extra={"b": 1, "a": 2})
    same = Document(doc_id="x:1", kind="news", source="x", title="Wasserstoff in Duisburg", extra={"a": 2, "b": 1})
    changed = Document(doc_id="x:1", kind="news", source="x", title="Wasserstoff in Essen", extra={"a": 2, "b": 1})
    assert a.content_hash() == same.content_hash()
    assert a.content_hash() != changed.content_hash()
