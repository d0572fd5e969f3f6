"""News feeds: the recorded German RSS feeds, broken variants of them, canonical links and full text."""

from __future__ import annotations

from datetime import date

import pytest
from pytest_httpserver import HTTPServer

from sources.feeds import (
    FeedError,
    FeedSpec,
    canonical_url,
    extract_page_text,
    fetch_feed,
    news_doc_id,
    parse_feed,
    strip_html,
)
from sources.http import HttpClient, HttpSettings, Validators
from sources.settings import feed_source_name
from tests.sources_replay import fixture

TODAY = date(2026, 11, 27)
RUB = FeedSpec(name="rub-news", url="https://news.rub.de/newsfeed")
FAST = HttpSettings(retries=0, min_interval_s=0.0)


def test_rub_feed_becomes_news_documents() -> None:
    parsed = parse_feed(fixture("rss/rub_newsfeed.rss.xml"), RUB, first_seen=TODAY)
    assert parsed.title == "Newsportal - Ruhr-Universität Bochum"
    assert len(parsed.documents) == 4 and parsed.problems == []
    doc = parsed.documents[0]
    assert doc.kind == "news" and doc.source == "rub-news"
    assert doc.title == "Schlaue Vögel denken smart und sparsam"
    assert (
        doc.url == "https://news.rub.de/wissenschaft/2022-09-09-biopsychologie-schlaue-voegel-denken-smart-und-sparsam"
    )
    assert doc.doc_id == news_doc_id(doc.url) and doc.doc_id.startswith("news:")
    # 09:11:52 +0200 is 07:11:52 UTC on the same day
    assert doc.published == date(2022, 9, 9) and doc.extra["date_source"] == "published"
    assert doc.language == "de"  # from <language>de-de</language>
    # the long <content> body, without its HTML, is the text; the teaser is kept as summary
    assert doc.text is not None and doc.text.startswith("Die Gehirnzellen von Vögeln benötigen")
    assert "<p>" not in doc.text and "&lt;" not in doc.text
    assert doc.extra["summary"].startswith("Gegenüber der Energieeffizienz von Vogelgehirnen")
    assert doc.extra["guid"] == "rub-newportal-9242"


def test_dates_without_weekday_are_read() -> None:
    spec = FeedSpec(name="fraunhofer", url="http://www.fraunhofer.de/de/rss/podcast.rss", language="de")
    parsed = parse_feed(fixture("rss/fraunhofer_podcast.rss.xml"), spec, first_seen=TODAY)
    assert [d.published for d in parsed.documents] == [date(2011, 10, 24)] * 3
    assert all(d.extra["date_source"] == "published" for d in parsed.documents)
    assert parsed.documents[0].title == "Sicher speichern für Jahrhunderte"


def _rss(items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://www.waz.de/</link>{items}</channel></rss>"
    ).encode()


def test_entry_without_a_date_gets_first_seen_and_says_so() -> None:
    content = _rss(
        "<item><title>Ohne Datum</title><link>https://www.waz.de/a</link></item>"
        "<item><title>Zone</title><link>https://www.waz.de/b</link><pubDate>Mon, 31 Dec 2025 23:30:00 -0200</pubDate>"
        "</item>"
    )
    parsed = parse_feed(content, FeedSpec("waz", "https://www.waz.de/rss"), first_seen=TODAY)
    undated, zoned = parsed.documents
    assert undated.published == TODAY and undated.extra["date_source"] == "first_seen"
    assert zoned.published == date(2026, 1, 1)  # 23:30 at -02:00 is 01:30 UTC next day


def test_duplicates_by_guid_or_canonical_link_are_dropped() -> None:
    content = _rss(
        "<item><title>A</title><link>https://www.waz.de/a?utm_source=rss</link><guid>g1</guid></item>"
        "<item><title>A again</title><link>https://WWW.waz.de:443/a#top</link><guid>g2</guid></item>"
        "<item><title>B</title><link>https://www.waz.de/b</link><guid>g1</guid></item>"
        "<item><title>C</title><link>https://www.waz.de/c</link><guid>g3</guid></item>"
    )
    parsed = parse_feed(content, FeedSpec("waz", "https://www.waz.de/rss"), first_seen=TODAY)
    assert [d.title for d in parsed.documents] == ["A", "C"]
    assert parsed.documents[0].url == "https://www.waz.de/a"
    assert [p.skipped for p in parsed.problems] == [True, True]
    assert "repeats an earlier entry" in parsed.problems[0].message


def test_canonical_url_and_doc_id() -> None:
    assert canonical_url("HTTPS://Www.Waz.de:443/x/?b=2&utm_medium=rss&a=1#frag") == "https://www.waz.de/x/?a=1&b=2"
    assert canonical_url("/lokales/bochum", base="https://www.waz.de/rss") == "https://www.waz.de/lokales/bochum"
    assert canonical_url("mailto:someone@example.org") is None
    # the same article over http and https, with tracking, is one document
    assert news_doc_id("http://www.waz.de/a?fbclid=1") == news_doc_id("https://www.waz.de/a")
    assert news_doc_id("https://www.waz.de/a") != news_doc_id("https://www.waz.de/b")
    assert feed_source_name("http://127.0.0.1:8080/feeds/rub") == "feed:127.0.0.1:8080/feeds/rub"


def test_strip_html() -> None:
    html = "<div><p>Erster &amp; Absatz</p><script>alert(1)</script><p>Zweiter&nbsp;<b>Absatz</b></p></div>"
    assert strip_html(html) == "Erster & Absatz\nZweiter Absatz"


def test_an_html_page_is_not_a_feed_and_the_error_points_to_its_feed() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>WAZ</title>"
        b'<link rel="alternate" type="application/rss+xml" href="/rss"></head><body>News</body></html>'
    )
    with pytest.raises(FeedError, match=r"HTML page, not a feed; the page names a feed at https://www.waz.de/rss"):
        parse_feed(page, FeedSpec("waz", "https://www.waz.de/"), first_seen=TODAY)


def test_malformed_xml_keeps_what_can_be_read_and_notes_it() -> None:
    content = fixture("rss/rub_newsfeed.rss.xml")
    truncated = content[: len(content) * 2 // 3]
    parsed = parse_feed(truncated, RUB, first_seen=TODAY)
    assert 1 <= len(parsed.documents) < 4
    assert any("not well-formed" in p.message and not p.skipped for p in parsed.problems)
    with pytest.raises(FeedError, match="not a readable feed"):
        parse_feed(b"\x00\x01 this is not XML at all", RUB, first_seen=TODAY)


def test_wrong_charset_does_not_garble_umlauts() -> None:
    utf8 = fixture("rss/rub_newsfeed.rss.xml")
    # the server calls UTF-8 bytes Latin-1
    parsed = parse_feed(utf8, RUB, content_type="application/rss+xml; charset=ISO-8859-1", first_seen=TODAY)
    assert parsed.documents[0].title == "Schlaue Vögel denken smart und sparsam"
    assert any("declared charset ISO-8859-1 but the feed is UTF-8" in p.message for p in parsed.problems)
    # the file says UTF-8 but the bytes are Latin-1
    latin = utf8.decode("utf-8").encode("latin-1", errors="replace")
    parsed = parse_feed(latin, RUB, first_seen=TODAY)
    assert parsed.documents[0].title == "Schlaue Vögel denken smart und sparsam"


def test_atom_feed_is_read() -> None:
    spec = FeedSpec("arxiv-atom", "https://export.arxiv.org/api/query")
    parsed = parse_feed(fixture("arxiv/query_page1.atom.xml"), spec, first_seen=TODAY)
    assert len(parsed.documents) == 3
    assert parsed.documents[0].url == "https://arxiv.org/abs/2202.12139v1"
    assert parsed.documents[0].published == date(2022, 2, 24)


def test_fetch_feed_is_conditional(server: HTTPServer) -> None:
    server.expect_oneshot_request("/rss").respond_with_data(
        fixture("rss/rub_newsfeed.rss.xml"), headers={"ETag": '"e1"'}, content_type="application/rss+xml"
    )
    server.expect_oneshot_request("/rss", headers={"If-None-Match": '"e1"'}).respond_with_data("", status=304)
    spec = FeedSpec("rub-news", server.url_for("/rss"))
    with HttpClient(FAST) as client:
        first = fetch_feed(client, spec, Validators(), first_seen=TODAY)
        second = fetch_feed(client, spec, first.validators, first_seen=TODAY)
    assert first.parsed is not None and len(first.parsed.documents) == 4
    assert second.not_modified and second.validators.etag == '"e1"'


ARTICLE = (
    "<html><head><meta charset='utf-8'><title>Wasserstoff</title></head><body><nav>Menü</nav><article>"
    "<h1>Wasserstoff für das Ruhrgebiet</h1>"
    + "<p>Forschende der Ruhr-Universität Bochum entwickeln einen Elektrolyseur für grünen Wasserstoff. </p>" * 6
    + "</article><footer>Impressum</footer></body></html>"
)


def test_full_text_of_an_allowed_page(server: HTTPServer) -> None:
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /intern/\n")
    server.expect_request("/artikel/1").respond_with_data(ARTICLE.encode("utf-8"), content_type="text/html")
    with HttpClient(FAST) as client:
        page = extract_page_text(client, server.url_for("/artikel/1"))
        refused = extract_page_text(client, server.url_for("/intern/2"))
    assert page.status == "ok" and page.text is not None
    assert "Elektrolyseur für grünen Wasserstoff" in page.text and "Impressum" not in page.text
    assert refused.status == "disallowed" and refused.text is None
    assert [r.path for r, _ in server.log] == ["/robots.txt", "/artikel/1"]
