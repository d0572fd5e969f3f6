"""News feeds: the recorded German RSS feeds, files of feedparser's own test suite, item identity, dates and text.

The files under tests/fixtures/feedparser/ are copied unchanged from feedparser's test suite (BSD-2-Clause, see the
LICENSE and SOURCE.txt there): real, hand-made edge cases nobody on this project wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from pytest_httpserver import HTTPServer

from sources.feed_identity import canonical_url, news_doc_id, settle_ids
from sources.feeds import FeedError, FeedSpec, extract_page_text, fetch_feed, parse_feed
from sources.http import HttpClient, HttpSettings, Validators
from sources.settings import feed_source_name
from sources.text import field_text, strip_html
from tests.sources_replay import FIXTURES, fixture

TODAY = date(2026, 11, 27)
RUB = FeedSpec(name="rub-news", url="https://news.rub.de/newsfeed")
FAST = HttpSettings(retries=0, min_interval_s=0.0)
FEEDPARSER = FIXTURES.parent / "feedparser"


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


def test_entries_with_a_title_or_text_but_no_link_or_guid_are_kept() -> None:
    spec = FeedSpec("corpus", "http://127.0.0.1/feed.xml")
    title_only = parse_feed((FEEDPARSER / "wellformed/rss/item_title.xml").read_bytes(), spec, first_seen=TODAY)
    assert [(d.title, d.text, d.url) for d in title_only.documents] == [("Item 1 title", None, None)]
    koi8 = parse_feed((FEEDPARSER / "illformed/chardet/koi8r.xml").read_bytes(), spec, first_seen=TODAY)
    assert len(koi8.documents) == 1 and koi8.documents[0].title and koi8.documents[0].text
    # the id comes from the text, scoped to the feed: stable across runs, distinct from another feed's same text
    again = parse_feed((FEEDPARSER / "wellformed/rss/item_title.xml").read_bytes(), spec, first_seen=TODAY)
    other = parse_feed(
        (FEEDPARSER / "wellformed/rss/item_title.xml").read_bytes(), FeedSpec("b", "http://b/"), first_seen=TODAY
    )
    assert again.documents[0].doc_id == title_only.documents[0].doc_id != other.documents[0].doc_id


def test_items_on_one_page_are_told_apart_by_guid_or_fragment_and_true_repeats_are_stored_once() -> None:
    content = _rss(
        # press releases on one page, told apart by the fragment
        "".join(f"<item><title>PM {i}</title><link>https://www.waz.de/presse.html#pm{i}</link></item>" for i in (1, 2))
        # a live ticker: every item links to the ticker page and has its own guid
        + "".join(
            f"<item><title>Ticker {i}</title><link>https://www.waz.de/ticker?utm_source=rss</link><guid>t{i}</guid>"
            "</item>"
            for i in (1, 2)
        )
        # a page anchor that tells nothing apart, and a true repeat of the item before it
        + "<item><title>Artikel</title><link>https://www.waz.de/a#top</link><guid>a1</guid></item>"
        + "<item><title>Artikel</title><link>https://www.waz.de/a#top</link><guid>a1</guid></item>"
    )
    parsed = parse_feed(content, FeedSpec("waz", "https://www.waz.de/rss"), first_seen=TODAY)
    got = [(d.title, d.url) for d in parsed.documents]
    assert got == [
        ("PM 1", "https://www.waz.de/presse.html#pm1"),
        ("PM 2", "https://www.waz.de/presse.html#pm2"),
        ("Ticker 1", "https://www.waz.de/ticker"),
        ("Ticker 2", "https://www.waz.de/ticker"),
        ("Artikel", "https://www.waz.de/a"),
    ]
    assert len({d.doc_id for d in parsed.documents}) == 5
    assert parsed.documents[4].doc_id == news_doc_id("https://www.waz.de/a")  # an article's own URL is its id
    [repeat] = parsed.problems
    assert repeat.location.endswith("entry 6") and "repeats entry 5" in repeat.message and not repeat.skipped


def test_a_guid_repeated_on_different_pages_does_not_merge_them() -> None:
    content = (FIXTURES.parent / "hostile" / "duplicate_guids_v1.rss.xml").read_bytes()
    parsed = parse_feed(content, FeedSpec("dup", "https://dup.example.org/rss"), first_seen=TODAY)
    assert [d.title for d in parsed.documents] == [
        "Erste Fassung",
        "Andere Meldung, gleiche guid",
        "Gleicher Link, andere guid",
        "Einzeln",
    ]
    assert parsed.problems == []


def test_an_item_keeps_the_id_it_was_stored_under_when_its_neighbours_change() -> None:
    spec = FeedSpec("waz", "https://www.waz.de/rss")
    ticker = "<item><title>Ticker {0}</title><link>https://www.waz.de/ticker</link><guid>t{0}</guid></item>"
    week_1 = parse_feed(_rss(ticker.format(1) + ticker.format(2)), spec, first_seen=TODAY)
    week_2 = parse_feed(_rss(ticker.format(2)), spec, first_seen=TODAY)  # alone: the page looks like its own
    assert week_2.documents[0].doc_id == news_doc_id("https://www.waz.de/ticker") != week_1.documents[1].doc_id
    stored = {d.doc_id: _Stored(d.extra["guid"], d.title) for d in week_1.documents}
    [settled] = settle_ids(week_2.documents, week_2.id_options, stored)
    assert settled.doc_id == week_1.documents[1].doc_id
    # and an item never takes an id another item of the feed holds
    week_3 = parse_feed(_rss(ticker.format(3)), spec, first_seen=TODAY)
    held = {news_doc_id("https://www.waz.de/ticker"): _Stored("t2", "Ticker 2")}
    [third] = settle_ids(week_3.documents, week_3.id_options, held)
    assert third.doc_id not in held and third.doc_id in week_3.id_options[week_3.documents[0].doc_id]


@dataclass(frozen=True)
class _Stored:
    guid: str | None
    title: str | None


def test_canonical_url_and_doc_id() -> None:
    assert canonical_url("HTTPS://Www.Waz.de:443/x/?b=2&utm_medium=rss&a=1#frag") == "https://www.waz.de/x/?a=1&b=2"
    assert canonical_url("/lokales/bochum", base="https://www.waz.de/rss") == "https://www.waz.de/lokales/bochum"
    assert canonical_url("mailto:someone@example.org") is None
    assert canonical_url("https://www.waz.de/x#pm1", keep_fragment=True) == "https://www.waz.de/x#pm1"
    # the same article over http and https, with tracking, is one document
    assert news_doc_id("http://www.waz.de/a?fbclid=1") == news_doc_id("https://www.waz.de/a")
    assert news_doc_id("https://www.waz.de/a") != news_doc_id("https://www.waz.de/b")
    assert feed_source_name("http://127.0.0.1:8080/feeds/rub") == "feed:127.0.0.1:8080/feeds/rub"


def test_strip_html_reads_tags_with_a_parser_and_keeps_angle_brackets_that_are_text() -> None:
    html = "<div><p>Erster &amp; Absatz</p><script>alert(1)</script><p>Zweiter&nbsp;<b>Absatz</b></p></div>"
    assert strip_html(html) == "Erster & Absatz\nZweiter Absatz"
    assert strip_html("Kinder <6 Jahre und >60 Jahre fahren gratis") == "Kinder <6 Jahre und >60 Jahre fahren gratis"
    assert strip_html("Text <!-- Kommentar --> weiter<br>neue Zeile") == "Text weiter\nneue Zeile"
    # a plain-text field is never parsed as HTML
    assert field_text("5 < 6 und <b> ist kein Tag", "text/plain") == "5 < 6 und <b> ist kein Tag"


def test_html_is_stripped_only_from_fields_that_are_html() -> None:
    spec = FeedSpec("corpus", "http://127.0.0.1/feed.xml")
    plain = parse_feed(
        (FEEDPARSER / "wellformed/atom10/entry_title_text_plain_brackets.xml").read_bytes(), spec, first_seen=TODAY
    )
    assert plain.documents[0].title == "History of the <blink> tag"  # type="text": the brackets are text
    markup = parse_feed(
        (FEEDPARSER / "wellformed/atom10/entry_title_inline_markup.xml").read_bytes(), spec, first_seen=TODAY
    )
    assert markup.documents[0].title == "Example Atom"  # type="xhtml": <b> is markup
    content = _rss(
        "<item><title>Kinder &lt;6 Jahre und &gt;60 Jahre fahren gratis</title><link>https://www.waz.de/k</link>"
        "<description>Kinder &lt;6 Jahre und &gt;60 Jahre fahren &lt;b&gt;gratis&lt;/b&gt;</description></item>"
    )
    [doc] = parse_feed(content, FeedSpec("waz", "https://www.waz.de/rss"), first_seen=TODAY).documents
    assert doc.title == "Kinder <6 Jahre und >60 Jahre fahren gratis"
    assert doc.text == "Kinder <6 Jahre und >60 Jahre fahren gratis"


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


@pytest.mark.parametrize(
    ("name", "content_type", "note"),
    [
        ("wellformed/http/headers_etag.xml", "application/atom+xml", None),  # a valid Atom feed with no entries
        ("wellformed/cdf/channel_title.xml", "", None),  # a CDF channel with no items (feedparser gives no version)
        ("encoding/bozo_http_text_plain.xml", "text/plain", "server sent Content-Type 'text/plain'"),
        ("encoding/bozo_bogus_encoding.xml", "", "charset: document declared as bogus"),
        ("entities/nbsp.xml", "", "undefined entity"),  # &nbsp; in XML without a DTD
        ("illformed/aaa_illformed.xml", "", "not well-formed"),  # "</rss" without its ">"
    ],
)
def test_a_feed_with_no_items_is_read_as_empty_and_its_quirks_are_notes(name: str, content_type: str, note) -> None:
    spec = FeedSpec("corpus", "http://127.0.0.1/feed.xml")
    parsed = parse_feed((FEEDPARSER / name).read_bytes(), spec, content_type=content_type, first_seen=TODAY)
    assert parsed.documents == [] and parsed.entries == 0
    messages = [p.message for p in parsed.problems]
    assert all(not p.skipped for p in parsed.problems)
    assert messages == [] if note is None else any(note in m for m in messages), messages


def test_a_body_that_is_no_feed_or_is_cut_off_before_its_items_still_fails() -> None:
    spec = FeedSpec("corpus", "http://127.0.0.1/feed.xml")
    with pytest.raises(FeedError, match="not a readable feed .SAXParseException: .* no element found"):
        parse_feed((FEEDPARSER / "illformed/rss_empty_document.xml").read_bytes(), spec, first_seen=TODAY)
    with pytest.raises(FeedError, match="not a readable feed: it ends before its root element is closed"):
        parse_feed(b"<rss version='2.0'><channel><title>x</title><ite", spec, first_seen=TODAY)


def test_dates_are_read_from_what_the_feed_wrote_with_the_reason_when_they_give_none() -> None:
    forms = [
        "Di, 05 Mär 2024 10:00:00 +0100",
        "2024/03/05 10:00:00",
        "Mon, 04 Mar 2024 20:00:00 PT",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "2150-01-01",
        "2024",
    ]
    items = "".join(
        f"<item><title>{i}</title><link>https://www.waz.de/{i}</link><pubDate>{form}</pubDate></item>"
        for i, form in enumerate(forms)
    )
    items += (  # an implausible pubDate next to a usable dc:date (feedparser's "updated")
        "<item><title>6</title><link>https://www.waz.de/6</link><pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate>"
        '<dc:date xmlns:dc="http://purl.org/dc/elements/1.1/">2024-03-05T10:00:00+01:00</dc:date></item>'
    )
    parsed = parse_feed(_rss(items), FeedSpec("waz", "https://www.waz.de/rss"), first_seen=TODAY)
    got = [(d.published, d.extra["date_source"], d.extra.get("date_precision")) for d in parsed.documents]
    assert got == [
        (date(2024, 3, 5), "published", None),
        (date(2024, 3, 5), "published", None),
        (date(2024, 3, 5), "published", None),
        (
            TODAY,
            "first_seen; published 'Thu, 01 Jan 1970 00:00:00 GMT': read as 1970-01-01: before 1990, "
            "implausible for news",
            None,
        ),
        (
            TODAY,
            "first_seen; published '2150-01-01': read as 2150-01-01: after tomorrow, so not a publication date",
            None,
        ),
        (date(2024, 1, 1), "published", "year"),
        (
            date(2024, 3, 5),
            "updated; published 'Thu, 01 Jan 1970 00:00:00 GMT': read as 1970-01-01: before 1990, implausible for news",
            None,
        ),
    ]
