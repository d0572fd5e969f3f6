"""EPO OPS: recorded biblio XML, OAuth token handling, Range paging, splitting past the hit cap, quotas."""

from __future__ import annotations

from datetime import date

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from sources.epo import (
    EpoAuth,
    EpoQuotaExceeded,
    EpoSettings,
    build_cql,
    harvest_patents,
    parse_search,
    parse_throttling,
)
from sources.harvest import SourceError, Window
from sources.http import HttpClient, HttpSettings
from tests.sources_replay import EPO_KEY, EPO_SECRET, EPO_TOKEN, Replay, epo_window, fixture

FAST = HttpSettings(retries=1, backoff_base_s=0.001, backoff_max_s=0.01, min_interval_s=0.0)
JANUARY = Window(date(2025, 1, 1), date(2025, 1, 31))


def _settings(server: HTTPServer, **changes: object) -> EpoSettings:
    values: dict[str, object] = {
        "auth_url": server.url_for("/epo/auth/accesstoken"),
        "base_url": server.url_for("/epo/rest-services"),
        "key": EPO_KEY,
        "secret": EPO_SECRET,
        "applicants": ("Siemens",),
        "page_size": 3,
    }
    values.update(changes)
    return EpoSettings(**values)  # type: ignore[arg-type]


def _search_requests(server: HTTPServer) -> list[Request]:
    return [r for r, _ in server.log if r.path.endswith("/search/biblio")]


def test_biblio_with_languages_parties_classes_and_dates() -> None:
    total, page = parse_search(fixture("epo/search_page2.xml"), "epo test")
    assert total == 6 and [d.doc_id for d in page.documents] == [
        "epo:EP2400812A1",
        "epo:EP2533477A1",
        "epo:EP2533477B1",
    ]
    doc = page.documents[0]
    assert doc.kind == "patent" and doc.source == "epo"
    assert doc.title == "BLUETOOTH NETWORKING" and doc.language == "en"
    assert doc.extra["titles"]["de"] == "BLUETOOTH-VERNETZUNG"
    assert doc.text is not None and doc.text.startswith("An apparatus enabling establishment of a Bluetooth mesh")
    assert doc.published == date(2011, 12, 28)
    assert doc.actors == ("9SOLUTIONS OY",)
    assert doc.extra["applicant_countries"] == ["FI"]
    assert doc.extra["inventors"] == ["HERRALA SAMI", "KYLMAENEN JARI", "NIEMI JAAKKO"]
    assert doc.extra["family_id"] == "43088294"
    assert doc.extra["ipc"] == ["H04W 84/20"]
    assert "H04W84/20" in doc.extra["cpc"]
    assert doc.extra["application_date"] == "2010-06-24" and doc.extra["priority_date"] == "2010-06-24"


def test_german_text_is_chosen_when_preferred() -> None:
    _, page = parse_search(fixture("epo/search_page2.xml"), "epo test", languages=("de", "en"))
    doc = page.documents[1]  # EP2533477A1: DE/EN/FR titles, English abstract only
    assert doc.language == "en" and doc.title == "Bluetooth network configuration"  # title follows the text
    assert page.documents[2].title == "Bluetooth-Netzwerkkonfiguration"  # B1 has no abstract: German title
    assert page.documents[2].text is None and page.documents[2].language == "de"


def test_original_language_title_has_no_language_code() -> None:
    _, page = parse_search(fixture("epo/search_page1.xml"), "epo test")
    danish = page.documents[2]
    assert danish.doc_id == "epo:DK3740998T3" and danish.title == "ENERGILAGRINGSSYSTEM"
    assert danish.language is None  # OPS marks it "ol" (original language), which is no ISO code


def test_cql_by_applicants_and_publication_window() -> None:
    assert build_cql(["RWE", 'E.ON "SE"'], JANUARY) == '(pa="RWE" or pa="E.ON  SE") and pd within "20250101 20250131"'


def test_throttling_header() -> None:
    header = "busy (images=green:100, inpadoc=yellow:45, other=green:1000, retrieval=green:200, search=red:15)"
    system, services = parse_throttling(header)
    assert system == "busy" and services["search"] == ("red", 15) and services["inpadoc"] == ("yellow", 45)


def test_token_then_range_pages(server: HTTPServer) -> None:
    replay = Replay(server).install()
    with HttpClient(FAST) as client:
        settings = _settings(server)
        pages = list(harvest_patents(client, settings, JANUARY, EpoAuth(client, settings)))
    assert [len(p.documents) for p in pages] == [3, 3]
    assert replay.tokens_issued == 1
    searches = _search_requests(server)
    assert [r.args["Range"] for r in searches] == ["1-3", "4-6"]
    assert all(r.headers["Authorization"] == f"Bearer {EPO_TOKEN}" for r in searches)
    assert searches[0].args["q"] == '(pa="Siemens") and pd within "20250101 20250131"'


def test_expired_token_is_renewed_after_401(server: HTTPServer) -> None:
    replay = Replay(server).install()
    with HttpClient(FAST) as client:
        settings = _settings(server)
        auth = EpoAuth(client, settings)
        auth.token()
        replay.valid_tokens.clear()  # the server forgets the token, as after its 20 minutes
        pages = list(harvest_patents(client, settings, JANUARY, auth))
    assert sum(len(p.documents) for p in pages) == 6
    assert replay.tokens_issued == 2
    statuses = [response.status_code for r, response in server.log if r.path.endswith("/search/biblio")]
    assert statuses == [401, 200, 200]


def test_token_is_renewed_before_it_expires(server: HTTPServer) -> None:
    replay = Replay(server).install()
    now = [0.0]
    with HttpClient(FAST) as client:
        auth = EpoAuth(client, _settings(server), clock=lambda: now[0])
        first = auth.token()
        now[0] = 1000.0
        assert auth.token() == first  # 1199 s lifetime, renewed 60 s early
        now[0] = 1150.0
        assert auth.token() != first
    assert replay.tokens_issued == 2


def test_wrong_credentials_are_a_clear_error_without_the_secret(server: HTTPServer) -> None:
    Replay(server).install()
    with HttpClient(FAST) as client:
        settings = _settings(server, secret="wrong-secret-value-123")
        with pytest.raises(SourceError) as caught:
            list(harvest_patents(client, settings, JANUARY, EpoAuth(client, settings)))
    message = str(caught.value)
    assert "refused the consumer key/secret (HTTP 401)" in message and "FORESIGHT_EPO_KEY" in message
    assert "wrong-secret-value-123" not in message and EPO_KEY not in message


def test_more_hits_than_the_cap_split_the_window(server: HTTPServer) -> None:
    replay = Replay(server).install()
    server.clear_all_handlers()
    server.expect_request("/epo/auth/accesstoken", method="POST").respond_with_handler(replay.epo_token)

    def search(request: Request) -> Response:
        start, end = epo_window(request.args["q"])
        replay.epo_total = 2500 if (end - start).days > 16 else 6
        return replay.epo_search(request)

    server.expect_request("/epo/rest-services/published-data/search/biblio").respond_with_handler(search)
    with HttpClient(FAST) as client:
        settings = _settings(server)
        pages = list(harvest_patents(client, settings, JANUARY, EpoAuth(client, settings)))
    windows = [epo_window(r.args["q"]) for r in _search_requests(server)]
    assert windows[0] == (date(2025, 1, 1), date(2025, 1, 31))  # 2,500 hits: split
    assert windows[1:] == [(date(2025, 1, 1), date(2025, 1, 15))] * 2 + [(date(2025, 1, 16), date(2025, 1, 31))] * 2
    assert [len(p.documents) for p in pages] == [3, 3, 3, 3]


def test_one_day_over_the_cap_splits_the_applicants_then_notes_the_loss(server: HTTPServer) -> None:
    replay = Replay(server).install()
    replay.epo_total = 2500
    one_day = Window(date(2025, 1, 2), date(2025, 1, 2))
    with HttpClient(FAST) as client:
        settings = _settings(server, applicants=("Siemens", "RWE"), max_hits=6)
        pages = list(harvest_patents(client, settings, one_day, EpoAuth(client, settings)))
    queries = [r.args["q"] for r in _search_requests(server)]
    assert queries[0].startswith('(pa="Siemens" or pa="RWE")')
    assert queries[1].startswith('(pa="Siemens")') and queries[-1].startswith('(pa="RWE")')
    notes = [p.message for page in pages for p in page.problems]
    assert len(notes) == 2 and "2500 hits on one day for one applicant" in notes[0]


def test_quota_answer_stops_the_source(server: HTTPServer) -> None:
    replay = Replay(server).install()
    server.clear_all_handlers()
    server.expect_request("/epo/auth/accesstoken", method="POST").respond_with_handler(replay.epo_token)
    server.expect_request("/epo/rest-services/published-data/search/biblio").respond_with_data(
        fixture("epo/fault_429.xml"), status=403, headers={"X-Rejection-Reason": "RegisteredQuotaPerWeek"}
    )
    with HttpClient(FAST) as client:
        settings = _settings(server)
        with pytest.raises(EpoQuotaExceeded, match=r"quota exceeded \(RegisteredQuotaPerWeek\)"):
            list(harvest_patents(client, settings, JANUARY, EpoAuth(client, settings)))


def test_throttling_black_stops_and_red_slows_down(server: HTTPServer) -> None:
    replay = Replay(server).install()
    server.clear_all_handlers()
    server.expect_request("/epo/auth/accesstoken", method="POST").respond_with_handler(replay.epo_token)
    colours = iter(["red:30", "black:0"])

    def search(request: Request) -> Response:
        response = replay.epo_search(request)
        response.headers["X-Throttling-Control"] = f"overloaded (images=green:100, search={next(colours)})"
        return response

    server.expect_request("/epo/rest-services/published-data/search/biblio").respond_with_handler(search)
    sleeps: list[float] = []
    with HttpClient(FAST, sleep=sleeps.append) as client:
        settings = _settings(server)
        harvest = harvest_patents(client, settings, JANUARY, EpoAuth(client, settings))
        with pytest.raises(EpoQuotaExceeded, match="blocks searches for now"):
            list(harvest)
        assert client.min_interval(settings.base_url) == pytest.approx(4.0)  # 60/30 per minute, doubled for red
    assert sleeps and sleeps[0] == pytest.approx(4.0, abs=0.1)


def test_malformed_xml_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="not well-formed XML"):
        parse_search(fixture("epo/search_page1.xml")[:3000], "epo test")
