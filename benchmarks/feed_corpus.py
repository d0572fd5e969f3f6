"""Benchmark (not a test): feedparser's own test corpus through `foresight ingest --feed`, against feedparser's parse.

feedparser's test suite (2,107 real and hand-made RSS/Atom/CDF feeds: encodings, entities, bozo quirks, dates,
namespaces) is served on 127.0.0.1, each file with the HTTP headers its ``Header:`` comment lines ask for, plus one
feed of labelled date forms: every date string of feedparser's ``test_date_parsers.py`` with its expected day, and
common real-web forms (German ones, numeric, Unix time, named zones, implausible dates) with theirs. The whole lot is
ingested with one ``foresight ingest --feed URL ...`` command into a fresh warehouse, then again (a re-run must add and
update nothing). The same bytes and headers are parsed by feedparser directly, and the script prints:

* feeds: ok / failed, and why, split by feedparser's verdict: well-formed, quirky (bozo, but a feed), no feed version;
* entries: those with a title or text ("keepable"; an entry equal to an earlier one of its feed in guid, link, title
  and text is one item, counted once), how many the warehouse kept, lost, or stored empty;
* dates: for the labelled forms right / wrong / unknown (wrong = a stored day other than the true one, marked as the
  item's own); for the corpus entries, agreement with feedparser where feedparser's day is a reading of the string
  (stable when "today" changes: feedparser fills missing parts from the clock) and plausible;
* the re-run: new / updated documents.

    nice -n 10 .venv/bin/python benchmarks/feed_corpus.py
    nice -n 10 .venv/bin/python benchmarks/feed_corpus.py --limit 200 --show 5     # a quick look
    nice -n 10 .venv/bin/python benchmarks/feed_corpus.py --json /tmp/corpus.json  # every number, for comparison

The corpus lives in ``shared/data/fixtures/feedparser_tests`` (BSD-2-Clause), found above this checkout or given with
``--corpus``. Targets: 0 keepable entries lost, 0 dates stored wrong as genuine, no valid feed failed.
"""

from __future__ import annotations

import argparse
import ast
import calendar
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import duckdb
import feedparser
import feedparser.datetimes.iso8601 as fp_iso8601
import lxml.html

ROOT = Path(__file__).resolve().parents[1]
CORPUS_PARTS = ("wellformed", "illformed", "encoding", "entities", "json")
HEADER_LINE = re.compile(r"^Header:\s+([^:]+):(.*)$", re.MULTILINE)
EARLIEST_NEWS_YEAR = 1990  # the plausibility rule the issue asks for, applied to the reference, not taken from code


def find_corpus() -> Path | None:
    for parent in [ROOT, *ROOT.parents]:
        candidate = parent / "shared" / "data" / "fixtures" / "feedparser_tests" / "tests"
        if candidate.is_dir():
            return candidate
    return None


# -- the corpus as served -----------------------------------------------------------------------------------------


@dataclass
class Feed:
    """One served file: its path below the corpus, bytes, the headers sent, and feedparser's reading of it."""

    path: str
    body: bytes
    headers: dict[str, str]
    url: str = ""
    is_feed: bool = False
    bozo: str | None = None
    entries: int = 0
    keepable: int = 0
    empty_entries: int = 0
    exact_repeats: int = 0  # entries equal to an earlier one of the feed in guid, link, title and text
    dated: list[dict[str, Any]] = field(default_factory=list)  # keepable entries with a date string

    @property
    def source(self) -> str:
        # what `foresight ingest --feed` names the source (sources.settings.feed_source_name), rebuilt here
        return "feed:" + self.url.split("://", 1)[1]


def corpus_feeds(corpus: Path, limit: int | None) -> list[Feed]:
    files = sorted(p for part in CORPUS_PARTS for p in (corpus / part).rglob("*") if p.is_file())
    feeds = []
    for path in files[:limit] if limit else files:
        body = path.read_bytes()
        head = body[:4096].decode("utf-8", "ignore")
        declared = {k.strip(): v.strip() for k, v in HEADER_LINE.findall(head)}
        # feedparser's own HTTP tests default to text/xml; a file without headers was parsed from text, which an
        # XML content type without charset (the XML declaration decides) matches best
        content_type = declared.pop("Content-type", "text/xml" if declared else "application/xml")
        headers = {"Content-Type": content_type, **{k: v for k, v in declared.items() if k.lower() != "content-length"}}
        feeds.append(Feed(str(path.relative_to(corpus)), body, headers))
    return feeds


# -- the labelled date forms --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateCase:
    raw: str
    expected: date | None  # the true day in UTC; None where no day can be read with certainty
    precision: str | None  # day | month | year
    origin: str  # feedparser test | real web


def feedparser_date_cases(corpus: Path) -> list[DateCase]:
    """Every (string, expected) pair of feedparser's test_date_parsers.py, read with ast (nothing is executed)."""
    tree = ast.parse((corpus / "test_date_parsers.py").read_text(encoding="utf-8"))
    cases: dict[str, DateCase] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Tuple) and len(node.elts) == 3 and isinstance(node.elts[0], ast.Name)):
            continue
        if not node.elts[0].id.startswith("_parse_date"):
            continue
        raw = ast.literal_eval(node.elts[1])
        expected = ast.literal_eval(node.elts[2])
        if not raw:
            continue
        day = None
        if expected is not None:
            year, month, mday = expected[:3]
            day = date(year, month, mday) if year >= EARLIEST_NEWS_YEAR else None  # year 99: no news date
        if day is None:
            precision = None
        elif re.fullmatch(r"\d{4}", raw):
            precision = "year"
        elif re.fullmatch(r"\d{4}-\d{2}|-\d{2}-?\d{2}", raw):
            precision = "month"
        else:
            precision = "day"
        cases.setdefault(raw, DateCase(raw, day, precision, "feedparser test"))
    return list(cases.values())


def web_date_cases(today: date) -> list[DateCase]:
    """Date forms seen on German and English news sites, with the true UTC day of each."""
    d = date(2024, 3, 5)
    later = today + timedelta(days=400)
    cases = [
        ("2024/03/05 10:00:00", d, "day"),
        ("2024.03.05", d, "day"),
        ("2024 03 05", d, "day"),
        ("20240305", d, "day"),
        ("1709633000", d, "day"),  # 2024-03-05 10:03:20 UTC
        ("1709633000000", d, "day"),  # the same in milliseconds
        ("Mon, 04 Mar 2024 20:00:00 PT", d, "day"),  # 04:00 UTC next day
        ("Mon, 04 Mar 2024 20:00:00 PST", d, "day"),
        ("Mon, 04 Mar 2024 23:30:00 -0800", d, "day"),
        ("Wed, 06 Mar 2024 00:30:00 CET", d, "day"),  # 23:30 UTC the day before
        ("Wed, 06 Mar 2024 00:30:00 MEZ", d, "day"),
        ("06.03.2024, 00:30 MEZ", d, "day"),
        ("Di, 05 Mär 2024 10:00:00 +0100", d, "day"),
        ("Di., 05. Mrz. 2024 10:00:00 +0100", d, "day"),
        ("05. März 2024", d, "day"),
        ("5. Maerz 2024", d, "day"),
        ("05.03.2024 10:00", d, "day"),
        ("05.03.2024", d, "day"),
        ("05.03.24", d, "day"),
        ("Dienstag, 5. März 2024, 10:00 Uhr", d, "day"),
        ("Dienstag, 05.03.2024 - 10:00", d, "day"),
        ("March 5, 2024", d, "day"),
        ("Tuesday, March 5, 2024 10:00 AM", d, "day"),
        ("Mar 5, 2024, 11:45 PM EST", date(2024, 3, 6), "day"),
        ("5 March 2024", d, "day"),
        ("12/31/2023", date(2023, 12, 31), "day"),
        ("31/12/2023", date(2023, 12, 31), "day"),
        ("05/03/2024", None, None),  # 5 March or May 3: no day can be read with certainty
        ("2024-03-05T10:00:00+01:00", d, "day"),
        ("2024-03-04T23:30:00-05:00", d, "day"),
        ("2024-03-05T10:00:00.123456789Z", d, "day"),
        ("2024-03", date(2024, 3, 1), "month"),
        ("März 2024", date(2024, 3, 1), "month"),
        ("March 2024", date(2024, 3, 1), "month"),
        ("2024", date(2024, 1, 1), "year"),
        ("Thu, 01 Jan 1970 00:00:00 GMT", None, None),  # a CMS default, not a publication date
        ("1970-01-01T00:00:00Z", None, None),
        ("0", None, None),
        ("2150-01-01", None, None),
        (later.isoformat(), None, None),  # next year
        (f"{later:%a, %d %b %Y} 10:00:00 GMT", None, None),
        ("5. März", None, None),  # no year: never taken from today
        ("March 5", None, None),
        ("gestern, 10:00 Uhr", None, None),
        ("vor 2 Stunden", None, None),
        ("Mon, 31 Feb 2024 10:00:00 GMT", None, None),
        ("2024-02-30", None, None),
    ]
    return [DateCase(raw, day, precision, "real web") for raw, day, precision in cases]


def date_feed(cases: list[DateCase], base: str) -> bytes:
    items = "".join(
        f"<item><title>date case {i}</title><link>{base}/case-{i}</link><guid>date-case-{i}</guid>"
        f"<description>Item dated {escape(c.raw)}</description><pubDate>{escape(c.raw)}</pubDate></item>"
        for i, c in enumerate(cases)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Date forms</title>'
        f"<link>{base}/</link>{items}</channel></rss>"
    ).encode()


# -- feedparser's reading, the reference ---------------------------------------------------------------------------


def visible(value: Any, content_type: str = "text/html") -> str:
    """The text a reader would see in a feedparser value (HTML removed by lxml where the value is HTML)."""
    text = str(value or "")
    if "html" in (content_type or "") and "<" in text:
        with contextlib.suppress(Exception):
            text = lxml.html.fromstring(f"<div>{text}</div>").text_content()
    return " ".join(text.split())


def entry_text(entry: Any) -> str:
    parts = [visible(entry.get("title"), (entry.get("title_detail") or {}).get("type", "text/plain"))]
    parts.append(visible(entry.get("summary"), (entry.get("summary_detail") or {}).get("type", "text/html")))
    parts += [visible(c.get("value"), c.get("type", "text/html")) for c in entry.get("content") or []]
    return " ".join(p for p in parts if p)


@contextlib.contextmanager
def feedparser_today(day: date) -> Iterator[None]:
    """Make feedparser's ISO 8601 reader believe today is `day` (it fills missing date parts from the clock)."""
    real = fp_iso8601.time
    fake = types.SimpleNamespace(
        gmtime=lambda *a: day.timetuple() if not a else time.gmtime(*a), mktime=time.mktime, localtime=time.localtime
    )
    fp_iso8601.time = fake  # type: ignore[assignment]
    try:
        yield
    finally:
        fp_iso8601.time = real  # type: ignore[assignment]


def feedparser_day(raw: str) -> date | None:
    """feedparser's day for a date string, or None where it has none or where it depends on today's date."""
    days = []
    for today in (date(1999, 6, 15), date(2011, 2, 3)):
        with feedparser_today(today):
            parsed = feedparser.datetimes._parse_date(raw)
        if parsed is None:
            return None
        try:
            days.append(datetime.fromtimestamp(calendar.timegm(parsed), UTC).date())
        except (OverflowError, ValueError, OSError):
            return None
    return days[0] if days[0] == days[1] else None


def read_with_feedparser(feed: Feed) -> None:
    headers = {k.lower(): v for k, v in feed.headers.items()}
    headers["content-location"] = feed.url
    result = feedparser.parse(feed.body, response_headers=headers)
    feed.is_feed = bool(result.get("version")) or bool(result.entries)
    feed.entries = len(result.entries)
    if result.bozo:
        exc = result.get("bozo_exception")
        feed.bozo = type(exc).__name__
    seen: set[tuple[str, ...]] = set()
    for entry in result.entries:
        text = entry_text(entry)
        if not text:
            feed.empty_entries += 1
            continue
        signature = (str(entry.get("id", "")), str(entry.get("link", "")), text)
        if signature in seen:
            feed.exact_repeats += 1
            continue
        seen.add(signature)
        feed.keepable += 1
        title = visible(entry.get("title"), (entry.get("title_detail") or {}).get("type", "text/plain"))
        for key in ("published", "updated", "created"):
            raw = dict.get(entry, key)
            if raw:
                feed.dated.append({"title": title, "raw": str(raw), "feedparser": feedparser_day(str(raw))})
                break


# -- the server ---------------------------------------------------------------------------------------------------


def serve(routes: dict[str, tuple[bytes, dict[str, str]]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            found = routes.get(self.path)
            if found is None:
                self.send_error(404)
                return
            body, headers = found
            self.send_response(200)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# -- running foresight --------------------------------------------------------------------------------------------


def run_foresight(workdir: Path, urls: list[str]) -> tuple[int, float, str]:
    config = workdir / "foresight.toml"
    config.write_text("[http]\nmin_interval_s = 0.0\nretries = 0\nrespect_robots = false\n", encoding="utf-8")
    command = [sys.executable, "-c", "from pipeline.cli import main; main()"]
    command += ["--db", str(workdir / "corpus.duckdb"), "--config", str(config), "ingest", "--format", "json"]
    for url in urls:
        command += ["--feed", url]
    started = time.monotonic()
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment)
    seconds = time.monotonic() - started
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"foresight ingest crashed with exit code {done.returncode}")
    tracebacks = done.stderr.count("Traceback")
    return done.returncode, seconds, f"{tracebacks} traceback(s)"


def warehouse_rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with contextlib.closing(duckdb.connect(str(db), read_only=True)) as con:
        return con.execute(sql).fetchall()


def has_table(db: Path, name: str) -> bool:
    sql = f"select count(*) from information_schema.tables where table_name = '{name}'"
    return warehouse_rows(db, sql)[0][0] > 0


# -- the comparison -----------------------------------------------------------------------------------------------


def failure_reason(error: str) -> str:
    """The error without the feed's URL and the parser's details, so equal causes count together."""
    text = re.sub(r"https?://\S+?:( |$)", "", error or "")
    text = re.sub(r"\(([A-Za-z]+)(Exception|Error|Override|ContentType)?:.*\)", r"(\1\2)", text)
    return text.strip()[:90] or "(no message)"


def compare(feeds: list[Feed], cases: list[DateCase], db: Path, today: date, show: int) -> dict[str, Any]:
    runs = warehouse_rows(db, "select source, status, error, counts from runs where source is not null order by run_id")
    first_run: dict[str, tuple[str, str | None]] = {}
    for source, status, error, _ in runs:
        first_run.setdefault(source, (status, error))
    attributed: dict[str, set[str]] = defaultdict(set)
    for doc_id, source in warehouse_rows(db, "select doc_id, source from documents"):
        attributed[source].add(doc_id)
    if has_table(db, "document_sources"):
        for doc_id, source in warehouse_rows(db, "select doc_id, source from document_sources"):
            attributed[source].add(doc_id)
    documents = warehouse_rows(
        db,
        "select source, title, published, extra->>'date_source', extra->>'date_precision', "
        "coalesce(trim(title), '') = '' and coalesce(trim(text), '') = '' from documents",
    )
    empty_stored = sum(1 for row in documents if row[5])

    out: dict[str, Any] = {"feeds": {}, "entries": {}, "dates": {}, "examples": defaultdict(list)}
    groups = (
        "valid (well-formed for feedparser)",
        "quirky (bozo, but feedparser reads a feed)",
        "no feed version (feedparser)",
    )
    status: Counter[tuple[str, str]] = Counter()
    reasons: dict[str, Counter[str]] = {group: Counter() for group in groups}
    for feed in feeds:
        run_status, error = first_run.get(feed.source, ("missing", "no run row"))
        group = groups[2] if not feed.is_feed else groups[1] if feed.bozo else groups[0]
        status[(group, "failed" if run_status == "failed" else "ok")] += 1
        if run_status == "failed":
            reasons[group][failure_reason(error or "")] += 1
            if group != groups[2] and len(out["examples"][f"{group.split()[0]} feed failed"]) < show:
                out["examples"][f"{group.split()[0]} feed failed"].append(f"{feed.path} ({feed.bozo}): {error}")
    out["feeds"] = {
        group: {
            "ok": status[(group, "ok")],
            "failed": status[(group, "failed")],
            "reasons": dict(reasons[group].most_common()),
        }
        for group in groups
    }

    keepable = kept = lost = 0
    for feed in feeds:
        have = len(attributed.get(feed.source, ()))
        keepable += feed.keepable
        kept += min(have, feed.keepable)
        missing = max(0, feed.keepable - have)
        lost += missing
        if missing and len(out["examples"]["entries lost"]) < show:
            out["examples"]["entries lost"].append(f"{feed.path}: {missing} of {feed.keepable}")
    out["entries"] = {
        "entries (feedparser)": sum(f.entries for f in feeds),
        "keepable (title or text)": keepable,
        "kept": kept,
        "lost": lost,
        "exact repeats (not counted)": sum(f.exact_repeats for f in feeds),
        "without title and text (feedparser)": sum(f.empty_entries for f in feeds),
        "empty documents stored": empty_stored,
    }

    by_title: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for row in documents:
        by_title[(row[0], row[1] or "")].append(row)

    def genuine(source: str | None) -> bool:
        return bool(source) and not str(source).startswith("first_seen")

    # labelled forms
    date_source_name = feeds[-1].source
    labelled = Counter()
    for i, case in enumerate(cases):
        rows = by_title.get((date_source_name, f"date case {i}"), [])
        if not rows:
            labelled["missing"] += 1
            continue
        _, _, published, source, precision, _ = rows[0]
        precision = precision or "day"
        if not genuine(source):
            verdict = "unknown" if case.expected is not None else "right (unknown)"
        elif case.expected is None or published != case.expected:
            verdict = "wrong"
        elif precision != case.precision:
            verdict = "wrong precision"
        else:
            verdict = "right"
        labelled[verdict] += 1
        if verdict in ("wrong", "wrong precision", "unknown") and len(out["examples"][f"date {verdict}"]) < 3 * show:
            out["examples"][f"date {verdict}"].append(
                f"{case.raw!r}: stored {published} ({source}, {precision}), true {case.expected} ({case.precision})"
            )
    out["dates"]["labelled forms"] = {"cases": len(cases), **dict(sorted(labelled.items()))}

    corpus = Counter()
    for feed in feeds[:-1]:
        titles = Counter(d["title"] for d in feed.dated)
        for dated in feed.dated:
            rows = by_title.get((feed.source, dated["title"]), [])
            if titles[dated["title"]] != 1 or len(rows) != 1:
                corpus["not matched to one document"] += 1
                continue
            _, _, published, source, _, _ = rows[0]
            reference = dated["feedparser"]
            plausible = reference is not None and date(EARLIEST_NEWS_YEAR, 1, 1) <= reference <= today + timedelta(1)
            if reference is None:
                verdict = "feedparser: no day of its own; ours " + ("stored" if genuine(source) else "unknown")
            elif not plausible:
                verdict = "feedparser: implausible day; ours " + ("stored" if genuine(source) else "unknown")
            elif not genuine(source):
                verdict = "unknown where feedparser has a day"
            elif published == reference:
                verdict = "agree"
            else:
                verdict = "differ"
            corpus[verdict] += 1
            listed = verdict in ("differ", "unknown where feedparser has a day") or verdict.endswith("stored")
            if listed and len(out["examples"][f"corpus {verdict}"]) < show:
                out["examples"][f"corpus {verdict}"].append(
                    f"{feed.path}: {dated['raw']!r}: ours {published} ({source}), feedparser {reference}"
                )
    out["dates"]["corpus entries with a date"] = dict(sorted(corpus.items()))
    out["dates"]["wrong"] = labelled["wrong"] + labelled["wrong precision"] + corpus["differ"]
    out["dates"]["unknown"] = labelled["unknown"] + corpus["unknown where feedparser has a day"]
    out["examples"] = dict(out["examples"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=find_corpus(), help="feedparser's tests/ folder")
    parser.add_argument("--limit", type=int, default=None, help="only the first N files (a quick look)")
    parser.add_argument("--show", type=int, default=8, help="examples to list per finding")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the warehouse here (default: a temp dir)")
    parser.add_argument("--json", type=Path, default=None, help="write every number to this file")
    args = parser.parse_args()
    if args.corpus is None or not (args.corpus / "test_date_parsers.py").is_file():
        raise SystemExit("feedparser's tests/ folder not found; pass --corpus .../feedparser_tests/tests")
    today = datetime.now(UTC).date()
    feeds = corpus_feeds(args.corpus, args.limit)
    cases = feedparser_date_cases(args.corpus) + web_date_cases(today)
    routes: dict[str, tuple[bytes, dict[str, str]]] = {}
    server = serve(routes)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    for feed in feeds:
        feed.url = f"{base}/corpus/{feed.path}"
        routes[f"/corpus/{feed.path}"] = (feed.body, feed.headers)
    dates = Feed("date forms", date_feed(cases, f"{base}/dates"), {"Content-Type": "application/rss+xml"})
    dates.url = f"{base}/dates/forms.xml"
    routes["/dates/forms.xml"] = (dates.body, dates.headers)
    feeds.append(dates)
    for feed in feeds:
        read_with_feedparser(feed)

    with contextlib.ExitStack() as stack:
        workdir = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="feed-corpus-")))
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "corpus.duckdb").unlink(missing_ok=True)
        (workdir / "corpus.published.duckdb").unlink(missing_ok=True)
        urls = [f.url for f in feeds]
        code, seconds, crashes = run_foresight(workdir, urls)
        db = workdir / "corpus.published.duckdb"
        result = compare(feeds, cases, db, today, args.show)
        code2, seconds2, crashes2 = run_foresight(workdir, urls)
        rerun = warehouse_rows(
            db,
            "select sum((counts->>'new')::int), sum((counts->>'updated')::int) from runs "
            "where source is not null and parent_run_id = (select max(run_id) from runs where parent_run_id is null)",
        )[0]
        result["runs"] = {
            "feeds": len(feeds),
            "first run": f"exit {code}, {seconds:.0f} s, {crashes}",
            "re-run": f"exit {code2}, {seconds2:.0f} s, {crashes2}, {rerun[0]} new, {rerun[1]} updated",
        }
    server.shutdown()
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")


def print_report(result: dict[str, Any]) -> None:
    runs = result["runs"]
    print(f"feedparser corpus: {runs['feeds']} feeds (the last one: the labelled date forms)")
    print(f"  ingest: {runs['first run']}; re-run: {runs['re-run']}")
    for group, numbers in result["feeds"].items():
        print(f"feeds, {group}: {numbers['ok']} ok, {numbers['failed']} failed")
        for reason, count in numbers["reasons"].items():
            print(f"    {count:5d}  {reason}")
    entries = result["entries"]
    print("entries: " + ", ".join(f"{k} {v}" for k, v in entries.items()))
    dates = result["dates"]
    print(f"dates: wrong {dates['wrong']}, unknown {dates['unknown']}")
    for group in ("labelled forms", "corpus entries with a date"):
        print(f"  {group}: " + ", ".join(f"{k} {v}" for k, v in dates[group].items()))
    for finding, lines in result["examples"].items():
        print(f"examples, {finding}:")
        for line in lines:
            print(f"    {line}")


if __name__ == "__main__":
    main()
