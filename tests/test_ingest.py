"""`foresight ingest` against a replay of every source on 127.0.0.1: counts, re-runs, failures, secrets."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import Result
from werkzeug import Request, Response

from pipeline.config import Config, load_config
from pipeline.ingest import IngestError, IngestResult, run_ingest
from tests.sources_replay import (
    ENVIRON,
    EXPECTED_DOCUMENTS,
    FRAUNHOFER_LAST_MODIFIED,
    RUB_ETAG,
    SECRETS,
    Replay,
    fixture,
    merged,
    replay_settings,
    write_config,
)
from warehouse import Warehouse


def _config(server: HTTPServer, tmp_path: Path, override: dict[str, Any] | None = None, **kw: Any) -> Config:
    settings = merged(replay_settings(server, **kw), override or {})
    return load_config(write_config(tmp_path / "foresight.toml", settings))


def _ingest(db: Path, config: Config, **kw: Any) -> IngestResult:
    kw.setdefault("environ", ENVIRON)
    with Warehouse.open_writer(db) as wh:
        return run_ingest(wh, config, **kw)


def _rows(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with Warehouse.open_writer(db) as wh:
        return wh.con.execute(sql, params or []).fetchall()


def _by_source(result: IngestResult) -> dict[str, Any]:
    return {o.source: o for o in result.outcomes}


def test_full_ingest_then_a_rerun_adds_nothing_and_asks_conditionally(
    server: HTTPServer, tmp_path: Path, db_path: Path
) -> None:
    Replay(server).install()
    config = _config(server, tmp_path)
    first = _ingest(db_path, config)
    assert first.status == "ok"
    assert {o.source: o.new for o in first.outcomes} == EXPECTED_DOCUMENTS
    assert {o.source: o.requests for o in first.outcomes} == {
        "rub-news": 1,
        "fraunhofer": 1,
        "openalex": 2,
        "arxiv": 2,
        "epo": 3,
    }
    documents = dict(_rows(db_path, "select source, count(*) from documents group by source"))
    assert documents == EXPECTED_DOCUMENTS
    server.clear_log()

    second = _ingest(db_path, config)
    assert second.status == "ok" and second.new == 0
    outcomes = _by_source(second)
    assert outcomes["rub-news"].not_modified and outcomes["fraunhofer"].not_modified
    assert outcomes["openalex"].unchanged == 6 and outcomes["epo"].unchanged == 6 and outcomes["arxiv"].unchanged == 6
    assert sum(o.updated for o in second.outcomes) == 0
    seen = {r.path: r.headers for r, _ in server.log}
    assert seen["/feeds/rub"]["If-None-Match"] == RUB_ETAG
    assert seen["/feeds/fraunhofer"]["If-Modified-Since"] == FRAUNHOFER_LAST_MODIFIED
    assert [response.status_code for r, response in server.log if r.path.startswith("/feeds/")] == [304, 304]

    runs = _rows(
        db_path,
        "select source, stage, status, counts from runs where parent_run_id = ? order by run_id",
        [second.run_id],
    )
    assert [(r[0], r[1], r[2]) for r in runs] == [(name, "ingest", "ok") for name in EXPECTED_DOCUMENTS]
    assert json.loads(runs[0][3]) == {
        "fetched": 0,
        "new": 0,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
        "requests": 1,
        "not_modified": True,
    }
    assert _rows(db_path, "select count(*) from documents") == [(25,)]
    state = json.loads(_rows(db_path, "select state from sources where source = 'rub-news'")[0][0])
    assert state["validators"]["etag"] == RUB_ETAG


def test_a_failing_source_keeps_its_first_page_and_all_other_sources(
    server: HTTPServer, tmp_path: Path, db_path: Path
) -> None:
    replay = Replay(server).install()
    healthy = replay.openalex

    def page_two_breaks(request: Request) -> Response:
        if request.args.get("cursor") != "*":
            return Response("upstream error", status=500)
        return healthy(request)

    server.clear_all_handlers()
    server.expect_request("/openalex/works").respond_with_handler(page_two_breaks)
    replay.install()  # the other handlers; /openalex/works is answered by the first match above
    config = _config(server, tmp_path)
    result = _ingest(db_path, config)
    assert result.status == "partial"
    openalex = _by_source(result)["openalex"]
    assert openalex.status == "failed" and "HTTP 500 Internal Server Error after 3 attempt(s)" in (openalex.error or "")
    assert openalex.new == 3  # the first page was stored before page 2 failed
    counts = dict(_rows(db_path, "select source, count(*) from documents group by source"))
    assert counts == {**EXPECTED_DOCUMENTS, "openalex": 3}
    (row,) = _rows(
        db_path,
        "select status, error, counts from runs where parent_run_id = ? and source = 'openalex'",
        [result.run_id],
    )
    assert row[0] == "failed" and "HTTP 500" in row[1] and json.loads(row[2])["new"] == 3
    (parent,) = _rows(db_path, "select status, error, counts from runs where run_id = ?", [result.run_id])
    assert parent[0] == "partial" and parent[1].startswith("openalex: ")
    assert json.loads(parent[2])["failed_sources"] == ["openalex"]

    # the upstream heals: the next run fetches the rest and adds nothing twice
    server.clear_all_handlers()
    replay.install()
    again = _by_source(_ingest(db_path, config))["openalex"]
    assert again.status == "ok" and again.new == 3 and again.unchanged == 3


def test_sources_without_credentials_are_skipped_not_failed(server: HTTPServer, tmp_path: Path, db_path: Path) -> None:
    Replay(server).install()
    result = _ingest(db_path, _config(server, tmp_path), environ={})
    outcomes = _by_source(result)
    assert result.status == "ok"
    assert outcomes["openalex"].status == "skipped" and "FORESIGHT_OPENALEX_API_KEY" in (
        outcomes["openalex"].error or ""
    )
    assert outcomes["epo"].status == "skipped" and "FORESIGHT_EPO_KEY" in (outcomes["epo"].error or "")
    assert outcomes["arxiv"].status == "ok" and outcomes["rub-news"].new == 4
    skipped = _rows(db_path, "select source from runs where status = 'skipped' order by source")
    assert skipped == [("epo",), ("openalex",)]
    assert not any(r.path.startswith(("/openalex", "/epo")) for r, _ in server.log)


def test_transient_faults_are_retried_within_the_ingest(server: HTTPServer, tmp_path: Path, db_path: Path) -> None:
    replay = Replay(server)
    server.expect_oneshot_request("/arxiv/api/query").respond_with_data(
        "Rate exceeded.", status=429, headers={"Retry-After": "0"}
    )
    server.expect_oneshot_request("/epo/rest-services/published-data/search/biblio").respond_with_data(
        fixture("epo/fault_429.xml"), status=503
    )

    def slow_once(request: Request, calls: list[int] = []) -> Response:  # noqa: B006 (counts calls)
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.6)
        return Response(fixture("rss/fraunhofer_podcast.rss.xml"), content_type="application/rss+xml")

    server.expect_request("/feeds/fraunhofer").respond_with_handler(slow_once)
    replay.install()
    config = _config(server, tmp_path, {"http": {"read_timeout_s": 0.3}})
    result = _ingest(db_path, config)
    assert result.status == "ok" and {o.source: o.new for o in result.outcomes} == EXPECTED_DOCUMENTS
    outcomes = _by_source(result)
    assert outcomes["arxiv"].requests == 3 and outcomes["epo"].requests == 4 and outcomes["fraunhofer"].requests == 2
    time.sleep(0.4)  # let the slow answer finish before the server is reused


FEED_FAULTS = {
    "404": (lambda: Response("not found", status=404), "HTTP 404 Not Found"),
    "410": (lambda: Response("gone", status=410), "HTTP 410 Gone"),
    "html": (
        lambda: Response("<!doctype html><html><body>Startseite</body></html>", content_type="text/html"),
        "the server returned an HTML page, not a feed",
    ),
    "malformed": (
        lambda: Response(b"<rss version='2.0'><channel><title>x</title><ite", content_type="application/rss+xml"),
        "not a readable feed",
    ),
    "oversized": (
        lambda: Response(fixture("rss/rub_newsfeed.rss.xml") * 10, content_type="application/rss+xml"),
        "exceeds max_response_bytes = 50,000",
    ),
    "truncated": (
        lambda: _truncated(fixture("rss/rub_newsfeed.rss.xml")[:3000]),
        "peer closed connection without sending complete message body",
    ),
    "500": (lambda: Response("boom", status=500), "HTTP 500 Internal Server Error after 3 attempt(s)"),
}


def _truncated(body: bytes) -> Response:
    response = Response(body, content_type="application/rss+xml")
    response.headers["Content-Length"] = str(len(body) * 4)
    return response


@pytest.mark.parametrize("fault", list(FEED_FAULTS))
def test_a_broken_feed_fails_with_its_reason_and_the_other_feed_is_kept(
    server: HTTPServer, tmp_path: Path, db_path: Path, fault: str
) -> None:
    make, reason = FEED_FAULTS[fault]
    server.expect_request("/feeds/broken").respond_with_handler(lambda request: make())
    Replay(server).install()
    config = _config(server, tmp_path, {"http": {"max_response_bytes": 50_000}})
    result = _ingest(db_path, config, feeds=[server.url_for("/feeds/broken"), server.url_for("/feeds/rub")])
    broken, rub = result.outcomes
    assert broken.status == "failed" and reason in (broken.error or ""), broken.error
    assert rub.status == "ok" and rub.new == 4
    (row,) = _rows(db_path, "select source, error from runs where run_id = ?", [broken.run_id])
    assert row[0] == f"feed:{server.url_for('/feeds/broken').split('://', 1)[1]}" and reason in row[1]


def test_a_feed_with_a_wrong_charset_is_read_with_a_note(server: HTTPServer, tmp_path: Path, db_path: Path) -> None:
    server.expect_request("/feeds/latin").respond_with_data(
        fixture("rss/rub_newsfeed.rss.xml"), content_type="application/rss+xml; charset=iso-8859-1"
    )
    result = _ingest(db_path, _config(server, tmp_path), feeds=[server.url_for("/feeds/latin")])
    assert result.outcomes[0].status == "ok" and result.outcomes[0].new == 4
    titles = [t for (t,) in _rows(db_path, "select title from documents order by title")]
    assert "Schlaue Vögel denken smart und sparsam" in titles
    (note,) = _rows(db_path, "select message from run_problems where run_id = ?", [result.outcomes[0].run_id])
    assert "declared charset iso-8859-1 but the feed is UTF-8" in note[0]


ARTICLE = (
    "<html><head><title>RUB</title></head><body><article><h1>{title}</h1>"
    + "<p>Volltext des Artikels über {title} an der Ruhr-Universität Bochum mit vielen Einzelheiten. </p>" * 5
    + "</article></body></html>"
)


def test_full_text_is_fetched_once_per_page_and_robots_is_obeyed(
    server: HTTPServer, tmp_path: Path, db_path: Path
) -> None:
    base = server.url_for("/").rstrip("/")
    feed = fixture("rss/rub_newsfeed.rss.xml").replace(b"https://news.rub.de/", f"{base}/".encode())
    server.expect_request("/feeds/rub-local").respond_with_data(feed, content_type="application/rss+xml")
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /studium/\n")
    server.expect_request(
        "/wissenschaft/2022-09-09-biopsychologie-schlaue-voegel-denken-smart-und-sparsam"
    ).respond_with_data(ARTICLE.format(title="Vogelgehirne").encode(), content_type="text/html; charset=utf-8")
    server.expect_request(
        "/hochschulpolitik/2022-09-09-erstes-alumni-treffen-erfolgreich-ueber-die-studienbruecke-gegangen"
    ).respond_with_data("gone", status=410)
    server.expect_request(
        "/wissenschaft/2022-09-08-geisteswissenschaften-neues-promotionskolleg-der-rub"
    ).respond_with_data("<html><body></body></html>", content_type="text/html")
    feeds = [{"name": "rub-local", "url": f"{base}/feeds/rub-local", "full_text": True}]
    config = _config(server, tmp_path, {"sources": {"news": {"feeds": feeds}}})
    first = _ingest(db_path, config, only="rub-local")
    assert first.outcomes[0].status == "ok" and first.outcomes[0].new == 4
    pages = dict(_rows(db_path, "select url, status from source_pages"))
    assert sorted(pages.values()) == ["disallowed", "empty", "failed", "ok"]
    bird = _rows(db_path, "select text, extra from documents where title = 'Schlaue Vögel denken smart und sparsam'")
    assert "Volltext des Artikels über Vogelgehirne" in bird[0][0]
    extra = json.loads(bird[0][1])
    assert extra["full_text"] is True and extra["summary"].startswith("Gegenüber der Energieeffizienz")
    (gone,) = _rows(db_path, "select extra from documents where url like '%studienbruecke-gegangen'")
    assert json.loads(gone[0])["full_text"] is False  # the page is gone: the feed's text stays
    studium = [s for u, s in pages.items() if "/studium/" in u]
    assert studium and set(studium) == {"disallowed"}
    page_requests = [r.path for r, _ in server.log if not r.path.startswith(("/feeds/", "/robots.txt"))]
    assert "/studium/" not in " ".join(page_requests)
    server.clear_log()

    second = _ingest(db_path, config, only="rub-local")
    assert second.outcomes[0].new == 0 and second.outcomes[0].updated == 0
    assert [r.path for r, _ in server.log] == ["/feeds/rub-local"]  # no page fetched twice, no robots.txt again


def test_unknown_source_name_is_refused(server: HTTPServer, tmp_path: Path, db_path: Path) -> None:
    with pytest.raises(IngestError, match="no enabled source named 'nope'; choose one of: news, rub-news"):
        _ingest(db_path, _config(server, tmp_path), only="nope")


def test_credentials_never_reach_logs_errors_or_the_warehouse(
    server: HTTPServer, tmp_path: Path, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    replay = Replay(server)

    def echo_everything(request: Request) -> Response:
        echoed = (
            f"<fault><message>refused {request.headers.get('Authorization')} {request.query_string!r}</message></fault>"
        )
        return Response(echoed, status=403)

    server.expect_request("/epo/rest-services/published-data/search/biblio").respond_with_handler(echo_everything)
    server.expect_request("/openalex/works").respond_with_data("down", status=503)
    replay.install()
    caplog.set_level(logging.DEBUG)
    result = _ingest(db_path, _config(server, tmp_path))
    failed = {o.source: o.error for o in result.failed}
    assert set(failed) == {"openalex", "epo"}
    assert "api_key=***" in failed["openalex"] and "Bearer ***" in failed["epo"]
    texts = [str(o.error) for o in result.outcomes]
    for table in ("runs", "run_problems", "sources", "documents", "source_pages"):
        texts += [str(row) for row in _rows(db_path, f"select * from {table}")]
    texts += [r.getMessage() for r in caplog.records if r.name != "werkzeug"]  # not the replay server's own log
    joined = "\n".join(texts)
    for secret in SECRETS:
        assert secret not in joined
    for file in tmp_path.rglob("*.duckdb"):
        content = file.read_bytes()
        assert not any(secret.encode() in content for secret in SECRETS), file


# -- the command -----------------------------------------------------------------------------------


def test_command_with_ad_hoc_feed_twice(server: HTTPServer, tmp_path: Path, cli: Callable[..., Result]) -> None:
    Replay(server).install()
    config = write_config(tmp_path / "replay.toml", replay_settings(server))
    url = server.url_for("/feeds/rub")
    first = cli("--config", str(config), "ingest", "--feed", url, "--format", "json")
    assert first.exit_code == 0, first.stderr
    (row,) = json.loads(first.stdout)
    assert row["source"].startswith("feed:127.0.0.1:") and row["status"] == "ok" and row["new"] == 4
    second = cli("--config", str(config), "ingest", "--feed", url, "--format", "json")
    (row,) = json.loads(second.stdout)
    assert row["new"] == 0 and row["note"] == "not modified"
    assert server.log[-1][0].headers["If-None-Match"] == RUB_ETAG


def test_command_reports_a_failed_source_with_exit_code_1(
    server: HTTPServer, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    Replay(server).install()
    server.expect_request("/feeds/gone").respond_with_data("gone", status=410)
    config = write_config(tmp_path / "replay.toml", replay_settings(server))
    result = cli(
        "--config",
        str(config),
        "ingest",
        "--feed",
        server.url_for("/feeds/gone"),
        "--feed",
        server.url_for("/feeds/rub"),
    )
    assert result.exit_code == 1
    assert "1 source(s) failed: feed:127.0.0.1" in result.stderr and "HTTP 410 Gone" in result.stderr
    assert "documents of the other sources were kept" in result.stderr
    assert "4 new documents from 2 source(s)" in result.stdout


def test_command_runs_one_source_and_checks_its_options(
    server: HTTPServer, tmp_path: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    Replay(server).install()
    for name, value in ENVIRON.items():
        monkeypatch.setenv(name, value)
    config = str(write_config(tmp_path / "replay.toml", replay_settings(server)))
    result = cli("--config", config, "ingest", "--source", "epo", "--since", "2025-01-01", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("epo,ok,6,6,0,0,0,3,")
    assert 'pd within "20250101 ' in server.log[-1][0].args["q"]
    assert cli("--config", config, "ingest", "--since", "2025-13-01").exit_code == 1
    bad_name = cli("--config", config, "ingest", "--source", "nope")
    assert bad_name.exit_code == 1 and "no enabled source named 'nope'" in bad_name.stderr
    news_only = cli("--config", config, "ingest", "--source", "news", "--format", "json")
    assert [r["source"] for r in json.loads(news_only.stdout)] == ["rub-news", "fraunhofer"]


def test_an_undated_item_keeps_the_day_it_was_first_seen(server: HTTPServer, tmp_path: Path, db_path: Path) -> None:
    undated = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Stadt</title>'
        b"<item><title>Ohne Datum</title><link>https://www.bochum.de/presse/1</link></item></channel></rss>"
    )
    server.expect_request("/feeds/undated").respond_with_data(undated, content_type="application/rss+xml")
    config = _config(server, tmp_path)
    url = server.url_for("/feeds/undated")
    first = _ingest(db_path, config, feeds=[url], today=date(2026, 11, 20))
    later = _ingest(db_path, config, feeds=[url], today=date(2026, 11, 27))
    assert first.outcomes[0].new == 1 and later.outcomes[0].unchanged == 1 and later.outcomes[0].updated == 0
    (row,) = _rows(db_path, "select published, extra->>'date_source' from documents")
    assert row == (date(2026, 11, 20), "first_seen")


FEEDPARSER = Path(__file__).parent / "fixtures" / "feedparser"


def test_a_valid_feed_with_no_items_is_ok_keeps_its_validators_and_exits_0(
    server: HTTPServer, tmp_path: Path, cli: Callable[..., Result], db_path: Path
) -> None:
    """feedparser's headers_etag.xml: an Atom feed with no entries, served with ETag "foo"."""
    empty = (FEEDPARSER / "wellformed/http/headers_etag.xml").read_bytes()
    server.expect_request("/feeds/empty", headers={"If-None-Match": "foo"}).respond_with_data("", status=304)
    server.expect_request("/feeds/empty").respond_with_data(
        empty, headers={"ETag": "foo"}, content_type="application/atom+xml"
    )
    config = write_config(tmp_path / "replay.toml", replay_settings(server))
    url = server.url_for("/feeds/empty")
    first = cli("--config", str(config), "ingest", "--feed", url, "--format", "json")
    assert first.exit_code == 0, first.stderr
    (row,) = json.loads(first.stdout)
    assert (row["status"], row["fetched"], row["new"], row["failed"]) == ("ok", 0, 0, 0)
    ((state,),) = _rows(db_path, "select state from sources where source like 'feed:%'")
    assert json.loads(state)["validators"] == {"etag": "foo"}
    second = cli("--config", str(config), "ingest", "--feed", url, "--format", "json")
    assert second.exit_code == 0 and json.loads(second.stdout)[0]["note"] == "not modified"


def _article_feed(title: str, text: str, *, guid: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed</title>'
        f"<item><title>{title}</title><link>https://www.waz.de/wasserstoff-duisburg?utm_source={guid}</link>"
        f'<guid isPermaLink="false">{guid}</guid><description>{text}</description>'
        "<pubDate>Tue, 05 Mar 2024 10:00:00 +0100</pubDate></item></channel></rss>"
    ).encode()


def test_a_document_in_two_feeds_keeps_its_first_source_lists_the_other_and_never_flips(
    server: HTTPServer, tmp_path: Path, db_path: Path
) -> None:
    """The same article in a city feed and a topic feed (own guids, their own teasers), ingested again and again."""
    city = _article_feed("Wasserstoff für Duisburg", "Die Stadtwerke bauen einen Elektrolyseur.", guid="city-1")
    topic = _article_feed("Duisburg: Wasserstoff", "Ein Elektrolyseur für den Hafen.", guid="topic-9")
    server.expect_request("/feeds/city").respond_with_data(city, content_type="application/rss+xml")
    server.expect_request("/feeds/topic").respond_with_data(topic, content_type="application/rss+xml")
    config = load_config(
        write_config(
            tmp_path / "two.toml",
            merged(
                replay_settings(server),
                {
                    "sources": {
                        "openalex": {"enabled": False},
                        "arxiv": {"enabled": False},
                        "epo": {"enabled": False},
                        "news": {
                            "feeds": [
                                {"name": "city", "url": server.url_for("/feeds/city")},
                                {"name": "topic", "url": server.url_for("/feeds/topic")},
                            ]
                        },
                    }
                },
            ),
        )
    )
    first = _by_source(_ingest(db_path, config))
    assert (first["city"].new, first["topic"].new, first["topic"].shared) == (1, 0, 1)
    again = _by_source(_ingest(db_path, config))  # before: the document flipped to "topic", counted as updated
    assert [(o.new, o.updated, o.shared) for o in again.values()] == [(0, 0, 0), (0, 0, 1)]
    rows = _rows(db_path, "select source, title, text, url from documents")
    assert rows == [
        (
            "city",
            "Wasserstoff für Duisburg",
            "Die Stadtwerke bauen einen Elektrolyseur.",
            "https://www.waz.de/wasserstoff-duisburg",
        )
    ]
    listed = _rows(
        db_path,
        "select s.source, s.guid, s.first_run_id = r.run_id from document_sources s, runs r "
        "where r.source = 'topic' and r.run_id = (select min(run_id) from runs where source = 'topic')",
    )
    assert listed == [("topic", "topic-9", True)]


def test_an_entry_without_title_and_text_is_reported_not_stored(
    server: HTTPServer, tmp_path: Path, db_path: Path
) -> None:
    content = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Stadt</title>'
        b"<item><link>https://www.bochum.de/presse/leer</link></item>"
        b"<item><title>Mit Titel</title><link>https://www.bochum.de/presse/1</link></item></channel></rss>"
    )
    server.expect_request("/feeds/city").respond_with_data(content, content_type="application/rss+xml")
    result = _ingest(db_path, _config(server, tmp_path), feeds=[server.url_for("/feeds/city")])
    (outcome,) = result.outcomes
    assert (outcome.status, outcome.new, outcome.failed) == ("partial", 1, 1)
    assert _rows(db_path, "select title from documents") == [("Mit Titel",)]
    assert _rows(db_path, "select location, message from run_problems") == [
        ("https://www.bochum.de/presse/leer", "no title and no text; not stored")
    ]
