"""The `Document` record, the one type that crosses from sources into the warehouse and the models, and the one
date reader every source uses.

A source fills in what it knows and leaves the rest `None`; it never guesses. `content_hash` is what the warehouse
compares to decide whether a re-fetched document is unchanged, updated or new. `read_date` turns what feeds, export
files and APIs write as a date into a day, or says why it gives none.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to read: no title and no text (such a record is reported, never stored)."""
        return not (self.title or "").strip() and not (self.text or "").strip()


# -- the one date reader --------------------------------------------------------------------------------------------
#
# Every source reads its dates here, so a form is read the same way in a feed, an export file and an API answer.
# The rules (docs/sources.md has the table of forms):
# * a day is only ever taken from what is written: a missing year, month or day is never filled in from today
#   (feedparser's ISO reader does that, so "2024/03/05" became 1 December of the year), and a form that could mean
#   two days (05/03/2024: 5 March or May 3) gives no day;
# * a zoned time is converted to UTC before its day is taken, so one instant is one day everywhere; named zones
#   are read (PT, CET, MEZ, ...), the generic North American ones with daylight saving time from the tz database;
# * an implausible day is no day: before 1990 for news (Thu, 01 Jan 1970 is a CMS default), before 1800 for other
#   kinds, or after tomorrow; the reading says why, and the caller keeps the reason;
# * a month or a year alone is stored as its first day with the precision "month" or "year".

EARLIEST_NEWS = date(1990, 1, 1)  # no news site publishes older items; earlier dates are defaults and typos
EARLIEST = date(1800, 1, 1)  # publications, patents, parliamentary records: older ones are typos in practice


@dataclass(frozen=True, slots=True)
class DateReading:
    """What a written date says: a day (the UTC day for a zoned time) with its precision, or why there is none.

    `problem` is empty when nothing was written; otherwise it says why the written value gives no day
    ("not a date form foresight reads", "read as 1970-01-01: before 1990, implausible for news").
    """

    day: date | None = None
    precision: str | None = None  # day | month | year
    problem: str | None = None

    def __bool__(self) -> bool:
        return self.day is not None


def read_date(value: Any, *, kind: str | None = None, today: date | None = None) -> DateReading:
    """Read a publication date as feeds, files and APIs write it; see the module comment above for the rules.

    `kind` sets the earliest plausible day (news: 1990); `today` (default: the UTC date now) the latest, which is
    tomorrow, so that a time zone ahead of UTC is not mistaken for the future.
    """
    today = today or datetime.now(UTC).date()
    try:
        reading = _read(value, today)
    except (ValueError, OverflowError) as exc:  # a date the calendar does not have: 30 February, hour 25
        return DateReading(problem=f"not a valid date ({exc})")
    if reading.day is None:
        return reading
    earliest = EARLIEST_NEWS if kind == "news" else EARLIEST
    if reading.day < earliest:
        what = "news" if kind == "news" else "a document"
        return DateReading(problem=f"read as {reading.day}: before {earliest.year}, implausible for {what}")
    if reading.day > today + timedelta(days=1):
        return DateReading(problem=f"read as {reading.day}: after tomorrow, so not a publication date")
    return reading


def _read(value: Any, today: date) -> DateReading:
    if value is None or isinstance(value, bool):
        return DateReading(problem=None if value is None else "not a date")
    if isinstance(value, datetime):
        return DateReading(_utc_day(value), "day")
    if isinstance(value, date):
        return DateReading(value, "day")
    if isinstance(value, float):
        if value != value:  # NaN from pandas: an empty cell
            return DateReading()
        value = int(value) if value.is_integer() else repr(value)
    text = " ".join(str(value).split())
    if not text or text.lower() in {"nan", "nat", "none", "null"}:
        return DateReading()
    for reader in (_read_digits, _read_iso, _read_words, _read_foreign):
        reading = reader(text, today)
        if reading is not None:
            return reading
    return DateReading(problem="not a date form foresight reads")


def _utc_day(moment: datetime) -> date:
    return (moment.astimezone(UTC) if moment.tzinfo is not None else moment).date()


# -- digits: a year, YYYYMMDD, Unix time -----------------------------------------------------------------------------

_DIGITS = re.compile(r"(\d+)(?:\.\d+)?")


def _read_digits(text: str, today: date) -> DateReading | None:
    match = _DIGITS.fullmatch(text)
    if not match:
        return None
    digits = match.group(1)
    if len(digits) == 4 and "." not in text:
        return DateReading(date(int(digits), 1, 1), "year")
    if len(digits) == 8 and "." not in text:
        return DateReading(date(int(digits[:4]), int(digits[4:6]), int(digits[6:])), "day")
    if 9 <= len(digits) <= 11:  # seconds since 1970 (1973-03-03 .. 5138)
        return DateReading(datetime.fromtimestamp(float(text), UTC).date(), "day")
    if 12 <= len(digits) <= 14:  # milliseconds, as JavaScript writes them
        return DateReading(datetime.fromtimestamp(float(text) / 1000, UTC).date(), "day")
    return None  # 5, 6 or 7 digits: no form we can tell apart (031231 is 2003-12-31 or 31 Dec 2003 or a count)


# -- ISO 8601 / W3C-DTF, and SQL's "YYYY-MM-DD HH:MM:SS" ------------------------------------------------------------

_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
_ISO = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>0?\d{1,2})(?:-(?P<day>\d{1,2}))?)?"  # 2003-012-31: Google's zero-padded month
    rf"(?:[Tt ]{_TIME})?\s?(?P<zone>[Zz]|[+-]\d{{2}}(?::?\d{{2}})?)?"
)


def _read_iso(text: str, today: date) -> DateReading | None:
    match = _ISO.fullmatch(text)
    if not match or (match["zone"] and not match["hour"]) or (match["hour"] and not match["day"]):
        return None
    year, month, day = int(match["year"]), int(match["month"] or 1), int(match["day"] or 1)
    precision = "day" if match["day"] else "month" if match["month"] else "year"
    offset = _numeric_offset(match["zone"]) if match["zone"] else None
    return _day_of(year, month, day, precision, match, offset)


# -- words: RFC 822, asctime, German and English forms with month names, numeric day-first forms --------------------

_MONTHS = {
    **dict.fromkeys(("jan", "january", "januar", "jän", "jänner", "jaen", "jaenner"), 1),
    **dict.fromkeys(("feb", "february", "februar", "feber"), 2),
    **dict.fromkeys(("mar", "march", "mär", "märz", "maerz", "mrz"), 3),
    **dict.fromkeys(("apr", "april"), 4),
    **dict.fromkeys(("may", "mai"), 5),
    **dict.fromkeys(("jun", "june", "juni"), 6),
    **dict.fromkeys(("jul", "july", "juli"), 7),
    **dict.fromkeys(("aug", "august"), 8),
    **dict.fromkeys(("sep", "sept", "september"), 9),
    **dict.fromkeys(("oct", "october", "okt", "oktober"), 10),
    **dict.fromkeys(("nov", "november"), 11),
    **dict.fromkeys(("dec", "december", "dez", "dezember"), 12),
}
_WEEKDAY = re.compile(
    r"^(?:mon|tues?|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|urday)?\.?\s"
    r"|^(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|mo|di|mi|do|fr|sa|so)\.?\s"
)
_FILLER = re.compile(r"\s(?:um|at|den|the|of|-|–|—)(?=\s)")
_MON = r"(?P<mon>[a-zäé]{3,9})\.?"
_DAY = r"(?P<day>\d{1,2})(?:\.|st|nd|rd|th)?"
_CLOCK = rf"{_TIME}(?:\s?(?P<ampm>[ap]\.?m\.?))?(?:\s?uhr)?"
_ZONE = r"(?P<zone>[+-]\d{2}:?\d{2}|[+-]\d{2}|(?:gmt|utc|ut)[+-]\d{1,2}(?::?\d{2})?|etc/[a-z]+|[a-z]{1,5})"
_REST = rf"(?:\s{_CLOCK})?(?:\s{_ZONE})?"
_WORD_FORMS = [
    re.compile(rf"{_DAY}\s{_MON}\s(?P<year>\d{{4}}|\d{{2}}){_REST}"),  # 05 Mar 2024 10:00 +0100, 5. März 2024
    re.compile(rf"{_MON}\s{_DAY}\s(?P<year>\d{{4}}){_REST}"),  # March 5, 2024; Aug 30 2012 17:26:16 +0200
    re.compile(rf"{_MON}\s{_DAY}\s{_CLOCK}(?:\s{_ZONE})?\s(?P<year>\d{{4}})"),  # asctime: Jan  4 16:29:06 2004
    re.compile(rf"(?P<year>\d{{4}})(?P<sep>[-/. ])(?P<month>\d{{1,2}})(?P=sep)(?P<day>\d{{1,2}}){_REST}"),  # 2024/03/05
    re.compile(rf"(?P<day>\d{{1,2}})\.\s?(?P<month>\d{{1,2}})\.\s?(?P<year>\d{{4}}|\d{{2}}){_REST}"),  # 05.03.2024
    # 12/31/2023 and 31/12/2023 (the order shows where a number is above 12; where none is, no day is read)
    re.compile(rf"(?P<first>\d{{1,2}})(?P<sep>[/-])(?P<other>\d{{1,2}})(?P=sep)(?P<year>\d{{4}}){_REST}"),
    re.compile(rf"{_MON}\s(?P<year>\d{{4}})"),  # März 2024: a month
    re.compile(r"(?P<month>\d{1,2})[/.](?P<year>\d{4})|(?P<year2>\d{4})/(?P<month2>\d{1,2})"),  # 03/2024: a month
]


def _read_words(text: str, today: date) -> DateReading | None:
    normal = _WEEKDAY.sub("", " ".join(text.lower().replace(",", " ").split()) + " ").strip()
    normal = _FILLER.sub("", f" {normal} ").strip()
    for form in _WORD_FORMS:
        match = form.fullmatch(normal)
        if match is None:
            continue
        groups = match.groupdict()
        if groups.get("mon") is not None:
            month = _MONTHS.get(groups["mon"])
            if month is None:
                continue
        elif groups.get("first") is not None:
            first, other = int(groups["first"]), int(groups["other"])
            if first != other and first <= 12 and other <= 12:
                return DateReading(problem="day and month cannot be told apart (DD/MM or MM/DD)")
            month, groups["day"] = (first, str(other)) if other > 12 else (other, str(first))
        else:
            month = int(groups.get("month") or groups.get("month2"))
        year_text = groups.get("year") or groups.get("year2")
        year = _full_year(year_text, today)
        day = groups.get("day")
        offset = _zone(groups["zone"]) if groups.get("zone") else None
        return _day_of(year, month, int(day or 1), "day" if day else "month", groups, offset)
    return None


def _full_year(text: str, today: date) -> int:
    """A two-digit year is the latest year with those digits that is not after next year (24 -> 2024, 99 -> 1999)."""
    year = int(text)
    if len(text) > 2:
        return year
    century = (today.year + 1) // 100 * 100
    return century + year if century + year <= today.year + 1 else century - 100 + year


# -- time zones --------------------------------------------------------------------------------------------------

_ZONE_HOURS = {
    **dict.fromkeys(("z", "ut", "utc", "gmt", "wet", "etc/gmt", "etc/utc", "etc/ut"), 0.0),
    **dict.fromkeys(("west", "bst"), 1.0),  # Western European / British Summer Time
    **dict.fromkeys(("cet", "met", "mez"), 1.0),  # Central European (German: MEZ)
    **dict.fromkeys(("cest", "mest", "mesz"), 2.0),
    **dict.fromkeys(("eet", "oez"), 2.0),
    **dict.fromkeys(("eest", "oesz", "msk"), 3.0),
    "est": -5.0, "edt": -4.0, "cst": -6.0, "cdt": -5.0, "mst": -7.0, "mdt": -6.0, "pst": -8.0, "pdt": -7.0,
    "ast": -4.0, "adt": -3.0, "akst": -9.0, "akdt": -8.0, "hst": -10.0, "nst": -3.5, "ndt": -2.5,
    "jst": 9.0, "kst": 9.0, "hkt": 8.0, "sgt": 8.0, "aest": 10.0, "aedt": 11.0, "nzst": 12.0, "nzdt": 13.0,
}  # fmt: skip
# Generic North American names (no standard/daylight letter): their offset depends on the date, so the tz database
# decides (PT in January is UTC-8, in July UTC-7).
_REGION_ZONES = {"et": "America/New_York", "ct": "America/Chicago", "mt": "America/Denver",
                 "pt": "America/Los_Angeles", "at": "America/Halifax"}  # fmt: skip


def _numeric_offset(zone: str) -> timedelta:
    if zone.lower() == "z":
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        raise ValueError(f"zone offset {zone} out of range")
    return sign * timedelta(hours=hours, minutes=minutes)


def _zone(zone: str) -> timedelta | ZoneInfo | None:
    """The offset or tz-database zone of a written zone; None for a name we do not know.

    An unknown name leaves the time as written (like a time without zone): the day is the publisher's own calendar
    day, at most one day from the UTC day, and no zone is invented for it.
    """
    if zone[0] in "+-":
        return _numeric_offset(zone)
    prefix = re.match(r"(?:gmt|utc|ut)(?=[+-])", zone)
    if prefix:
        sign, rest = zone[prefix.end()], zone[prefix.end() + 1 :].replace(":", "")
        hours, minutes = (rest[:-2] or "0", rest[-2:]) if len(rest) > 2 else (rest, "0")
        return _numeric_offset(f"{sign}{int(hours):02d}{int(minutes):02d}")
    if zone in _ZONE_HOURS:
        return timedelta(hours=_ZONE_HOURS[zone])
    if zone in _REGION_ZONES:
        try:
            return ZoneInfo(_REGION_ZONES[zone])
        except ZoneInfoNotFoundError:  # no tz database on this system: the name stays unknown
            return None
    return None


def _clock(groups: Mapping[str, Any]) -> tuple[int, int, int]:
    if not groups.get("hour"):
        return 0, 0, 0
    hour, minute, second = int(groups["hour"]), int(groups["minute"]), int(groups.get("second") or 0)
    ampm = (groups.get("ampm") or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError(f"hour {hour} with {ampm}")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59 or second > 60:
        raise ValueError(f"time {hour}:{minute:02d}:{second:02d}")
    return hour, minute, min(second, 59)


def _day_of(
    year: int, month: int, day: int, precision: str, groups: Any, offset: timedelta | ZoneInfo | None
) -> DateReading:
    """The calendar day, checked; with a time and a zone, the UTC day of that instant."""
    groups = groups.groupdict() if isinstance(groups, re.Match) else groups
    local = datetime(year, month, day, *_clock(groups))
    if offset is None or not groups.get("hour"):
        return DateReading(local.date(), precision)
    zone = offset if isinstance(offset, ZoneInfo) else timezone(offset)
    return DateReading(local.replace(tzinfo=zone).astimezone(UTC).date(), precision)


# -- non-Latin forms: feedparser's readers where they are exact ---------------------------------------------------


def _read_foreign(text: str, today: date) -> DateReading | None:
    """Korean (Nate, OnBlog), Greek and Hungarian forms, through feedparser's readers for them.

    Only these: each needs a full year, month and day in the string. feedparser's ISO reader is not used, because
    it fills missing parts from today's date and reads times in the machine's local zone.
    """
    for reader in _foreign_readers():
        try:
            parsed = reader(text)
        except (KeyError, OverflowError, ValueError, AttributeError, IndexError):
            continue
        if parsed:
            return DateReading(datetime(*parsed[:6], tzinfo=UTC).date(), "day")
    return None


@functools.cache
def _foreign_readers() -> tuple[Any, ...]:
    try:
        from feedparser.datetimes import (
            _parse_date_greek,
            _parse_date_hungarian,
            _parse_date_nate,
            _parse_date_onblog,
        )
    except ImportError:  # a feedparser that renamed them: these rare forms stay unread, nothing else changes
        return ()
    return (_parse_date_nate, _parse_date_onblog, _parse_date_greek, _parse_date_hungarian)
