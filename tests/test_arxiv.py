"""arXiv: recorded Atom answers, start/max_results paging and the pause between requests."""

from __future__ import annotations

import time
from datetime import date

import pytest
from pytest_httpserver import HTTPServer

from sources.arxiv import ArxivSettings, harvest_arxiv, parse_arxiv_page
from sources.harvest import SourceError, Window
from sources.http import HttpClient, HttpSettings
from tests.sources_replay import Replay, fixture

FAST = HttpSettings(retries=0, min_interval_s=0.0)
WINDOW = Window(date(2022, 1, 1), date(2022, 3, 31))


def test_entries_become_publications_without_version_in_the_id() -> None:
    page, total = parse_arxiv_page(fixture("arxiv/query_page1.atom.xml"), "arxiv start=0")
    assert total == 6 and page.records == 3 and page.problems == []
    doc = page.documents[0]
    assert doc.doc_id == "arxiv:2202.12139" and doc.kind == "publication" and doc.source == "arxiv"
    assert doc.title == "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    assert doc.published == date(2022, 2, 24)
    assert doc.url == "https://arxiv.org/abs/2202.12139"
    assert doc.extra["version"] == 1 and doc.extra["primary_category"] == "cs.SE"
    assert doc.extra["categories"] == ["cs.SE", "cs.LG"]
    assert doc.extra["authors"] == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    assert doc.extra["doi"] == "10.1109/ICSTW55395.2022.00035"
    assert doc.language is None and doc.actors == ()  # arXiv names neither; nothing is guessed


def test_paging_reads_until_the_total_with_the_date_window(server: HTTPServer) -> None:
    Replay(server).install()
    settings = ArxivSettings(
        base_url=server.url_for("/arxiv/api/query"), search_query="all:Ruhr", page_size=3, delay_s=0.0
    )
    with HttpClient(FAST) as client:
        pages = list(harvest_arxiv(client, settings, WINDOW))
    assert [len(p.documents) for p in pages] == [3, 3]
    args = [r.args for r, _ in server.log]
    assert [a["start"] for a in args] == ["0", "3"]
    assert args[0]["max_results"] == "3" and args[0]["sortBy"] == "submittedDate"
    assert args[0]["search_query"] == "(all:Ruhr) AND submittedDate:[202201010000 TO 202203312359]"


def test_requests_are_spaced_by_the_configured_delay(server: HTTPServer) -> None:
    Replay(server).install()
    settings = ArxivSettings(
        base_url=server.url_for("/arxiv/api/query"), search_query="all:Ruhr", page_size=3, delay_s=0.3
    )
    started = time.monotonic()
    with HttpClient(FAST) as client:
        list(harvest_arxiv(client, settings, WINDOW))
    assert time.monotonic() - started >= 0.3  # two requests, one pause (the 3 s rule, shrunk for the test)


def test_an_error_entry_fails_the_source() -> None:
    error_feed = (
        b'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>arXiv Query: search_query=bad</title><entry><id>http://arxiv.org/api/errors#incorrect_id_format</id>"
        b"<title>Error</title><summary>incorrect id format for 1234</summary></entry></feed>"
    )
    with pytest.raises(SourceError, match="arXiv reports an error: incorrect id format"):
        parse_arxiv_page(error_feed, "arxiv start=0")
    with pytest.raises(SourceError, match="not an arXiv Atom feed"):
        parse_arxiv_page(b"<html><body>Rate exceeded</body>", "arxiv start=0")


def test_no_query_is_a_clear_error() -> None:
    with HttpClient(FAST) as client, pytest.raises(SourceError, match="set \\[sources.arxiv\\] search_query"):
        list(harvest_arxiv(client, ArxivSettings(base_url="http://127.0.0.1:9/", search_query=" "), WINDOW))
