"""The Document record and the one date reader: what every source relies on.

The date table here is the one in docs/sources.md: each form, the day it gives (UTC for a zoned time) and its
precision, or why it gives none. feedparser's own date test cases (tests/fixtures/feedparser/, BSD-2-Clause) are read
too: for every one of them the reader gives feedparser's expected day or none, never another day.
"""

import ast
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from sources.document import Document, read_date

TODAY = date(2026, 12, 1)
MARCH_5 = date(2024, 3, 5)
FEEDPARSER_DATES = Path(__file__).parent / "fixtures" / "feedparser" / "test_date_parsers.py.txt"

# (written, day, precision): the date table of docs/sources.md
DATE_TABLE = [
    ("2024-03-05", MARCH_5, "day"),
    ("2024-03-05T10:00:00+01:00", MARCH_5, "day"),
    ("2024-03-04T23:30:00-05:00", MARCH_5, "day"),  # a zoned time is taken in UTC: 04:30 on 5 March
    ("2024-03-05T10:00:00.123456789Z", MARCH_5, "day"),
    ("2024-03-05 10:00:00", MARCH_5, "day"),  # SQL's form
    ("2024-03", date(2024, 3, 1), "month"),
    ("2024", date(2024, 1, 1), "year"),
    ("20240305", MARCH_5, "day"),
    ("2024/03/05 10:00:00", MARCH_5, "day"),
    ("2024.03.05", MARCH_5, "day"),
    ("2024 03 05", MARCH_5, "day"),
    ("1709633000", MARCH_5, "day"),  # Unix time: 2024-03-05 10:03:20 UTC
    ("1709633000000", MARCH_5, "day"),  # the same in milliseconds
    ("Tue, 05 Mar 2024 10:00:00 GMT", MARCH_5, "day"),
    ("05 Mar 2024 10:00:00 +0100", MARCH_5, "day"),  # RSS without weekday
    ("Mon, 04 Mar 2024 20:00:00 PT", MARCH_5, "day"),  # Pacific time (UTC-8 in March): 04:00 UTC
    ("Mon, 04 Mar 2024 20:00:00 PST", MARCH_5, "day"),
    ("Wed, 06 Mar 2024 00:30:00 CET", MARCH_5, "day"),  # 23:30 UTC the day before
    ("Wed, 06 Mar 2024 00:30:00 MEZ", MARCH_5, "day"),
    ("Mar 5, 2024, 11:45 PM EST", date(2024, 3, 6), "day"),
    ("Di, 05 Mär 2024 10:00:00 +0100", MARCH_5, "day"),
    ("05. März 2024", MARCH_5, "day"),
    ("05.03.2024 10:00", MARCH_5, "day"),
    ("05.03.24", MARCH_5, "day"),
    ("Dienstag, 5. März 2024, 10:00 Uhr", MARCH_5, "day"),
    ("März 2024", date(2024, 3, 1), "month"),
    ("March 5, 2024", MARCH_5, "day"),
    ("Tuesday, March 5, 2024 10:00 AM", MARCH_5, "day"),
    ("5 March 2024", MARCH_5, "day"),
    ("Sun Jan  4 16:29:06 2004", date(2004, 1, 4), "day"),  # asctime
    ("12/31/2023", date(2023, 12, 31), "day"),
    ("31/12/2023", date(2023, 12, 31), "day"),
]

# (written, why it gives no day)
NO_DAY = [
    ("05/03/2024", "day and month cannot be told apart"),  # 5 March or May 3
    ("Thu, 01 Jan 1970 00:00:00 GMT", "before 1990, implausible for news"),  # a CMS default
    ("2150-01-01", "after tomorrow"),
    ("2024-02-30", "not a valid date"),
    ("Mon, 31 Feb 2024 10:00:00 GMT", "not a valid date"),
    ("2024-03-05T25:00:00Z", "not a valid date"),
    ("5. März", "not a date form"),  # no year: never taken from today
    ("gestern, 10:00 Uhr", "not a date form"),
    ("031231", "not a date form"),  # 2003-12-31, 31 Dec 2003 or a count: no way to tell
]


@pytest.mark.parametrize(("written", "day", "precision"), DATE_TABLE)
def test_date_table(written: str, day: date, precision: str) -> None:
    reading = read_date(written, kind="news", today=TODAY)
    assert (reading.day, reading.precision, reading.problem) == (day, precision, None)


@pytest.mark.parametrize(("written", "reason"), NO_DAY)
def test_forms_that_give_no_day_say_why(written: str, reason: str) -> None:
    reading = read_date(written, kind="news", today=TODAY)
    assert reading.day is None and reason in (reading.problem or ""), reading


@pytest.mark.parametrize("written", ["2024/03/05 10:00:00", "2024.03.05", "2024 03 05", "5. März", "2024-03", "2024"])
def test_a_missing_part_is_never_taken_from_today(written: str) -> None:
    assert read_date(written, today=date(2025, 1, 15)) == read_date(written, today=date(2026, 7, 31))


def test_plausibility_depends_on_kind_and_today() -> None:
    assert read_date("1975-06-01", kind="policy", today=TODAY).day == date(1975, 6, 1)  # a Bundestag sitting
    assert read_date("1975-06-01", kind="news", today=TODAY).day is None
    assert read_date(TODAY + timedelta(days=1), today=TODAY).day == TODAY + timedelta(days=1)  # a zone ahead of UTC
    too_late = read_date(TODAY + timedelta(days=2), today=TODAY)
    assert too_late.day is None and "after tomorrow" in (too_late.problem or "")


def test_feedparsers_own_date_cases_give_its_day_or_none() -> None:
    """Every case of feedparser's test_date_parsers.py: the reader agrees with feedparser's day or reads none."""
    tree = ast.parse(FEEDPARSER_DATES.read_text(encoding="utf-8"))
    cases = [
        (ast.literal_eval(node.elts[1]), ast.literal_eval(node.elts[2]))
        for node in ast.walk(tree)
        if isinstance(node, ast.Tuple) and len(node.elts) == 3 and isinstance(node.elts[0], ast.Name)
    ]
    assert len(cases) > 60
    unread = []
    for written, expected in cases:
        day = read_date(written, kind="news", today=TODAY).day
        if day is None:
            if expected is not None and expected[0] >= 1990:
                unread.append(written)
            continue
        assert expected is not None and day == date(*expected[:3]), (written, day, expected)
    # two-digit-year ISO forms only: each could be read as another day as well
    assert sorted(unread) == sorted(["-0312", "031231", "03-12-31", "-03-12", "03335"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2020, 1, 2, 3, 4), (date(2020, 1, 2), "day")),
        (datetime(2020, 1, 2, 23, 30, tzinfo=timezone(timedelta(hours=-5))), (date(2020, 1, 3), "day")),
        (date(2020, 1, 2), (date(2020, 1, 2), "day")),
        (2021, (date(2021, 1, 1), "year")),
        (2021.0, (date(2021, 1, 1), "year")),  # a year column pandas read as float
        (1709633000, (MARCH_5, "day")),
    ],
)
def test_values_from_typed_columns(value: object, expected: tuple[date, str]) -> None:
    reading = read_date(value, today=TODAY)
    assert (reading.day, reading.precision) == expected


@pytest.mark.parametrize("value", [None, "", "  ", "nan", float("nan")])
def test_empty_values_give_no_day_and_no_problem(value: object) -> None:
    assert read_date(value, today=TODAY).day is None and read_date(value, today=TODAY).problem is None


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


def test_a_document_without_title_and_text_is_empty() -> None:
    assert Document(doc_id="x:1", kind="news", source="x", title=" ", text=None, url="https://x.de/a").is_empty
    assert not Document(doc_id="x:1", kind="news", source="x", title=None, text="Text").is_empty
