"""OpenAlex works: recorded /works JSON, rebuilt abstracts, cursor paging against a local server."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pytest_httpserver import HTTPServer

from sources.harvest import SourceError, Window
from sources.http import HttpClient, HttpSettings
from sources.openalex import OpenAlexSettings, harvest_works, normalise_ror, rebuild_abstract, work_document
from tests.sources_replay import OPENALEX_KEY, Replay, fixture

FAST = HttpSettings(retries=1, backoff_base_s=0.001, min_interval_s=0.0)
WINDOW = Window(date(2014, 1, 1), date(2014, 12, 31))


def _works() -> list[dict]:
    return json.loads(fixture("openalex/works_page1.json"))["results"]


def test_rebuild_abstract_orders_words_by_position() -> None:
    assert rebuild_abstract({"Wasserstoff": [0, 3], "im": [1], "Revier:": [2]}) == "Wasserstoff im Revier: Wasserstoff"
    assert rebuild_abstract(None) is None and rebuild_abstract({}) is None


def test_work_becomes_a_publication_with_institutions_and_topics() -> None:
    doc = work_document(_works()[0], {"05wvpxv85"})
    assert doc.doc_id == "openalex:W2068311567" and doc.kind == "publication" and doc.source == "openalex"
    assert doc.title.startswith("Redefining climate regions in the United States")
    assert doc.published == date(2014, 12, 1) and doc.language == "en"
    assert doc.url == "https://doi.org/10.4081/gh.2014.294"
    assert doc.text is not None and doc.text.startswith("Existing climate classification has not been designed")
    assert doc.actors[:2] == ("Institute for Forecasting", "Tufts University")
    assert doc.extra["doi"] == "10.4081/gh.2014.294"
    assert "05wvpxv85" in doc.extra["rors"] and doc.extra["matched_rors"] == ["05wvpxv85"]
    tufts = next(i for i in doc.extra["institutions"] if i["ror"] == "05wvpxv85")
    assert tufts == {
        "id": "I121934306",
        "name": "Tufts University",
        "ror": "05wvpxv85",
        "country": "US",
        "type": "education",
    }
    assert doc.extra["topics"][0]["name"] == "Impact of Climate Change on Human Health"
    assert doc.extra["topics"][0]["field"] == "Environmental Science"
    assert "cited_by_count" not in doc.extra  # weekly-changing numbers would make every re-fetch an update


def test_ror_ids_are_normalised_or_refused() -> None:
    assert normalise_ror("https://ror.org/04tsk2644") == "04tsk2644"
    assert normalise_ror(" 01K97GP34 ") == "01k97gp34"
    with pytest.raises(ValueError, match="not a ROR id"):
        normalise_ror("Ruhr-Universität Bochum")


def test_cursor_paging_with_key_mailto_and_filter(server: HTTPServer) -> None:
    Replay(server).install()
    settings = OpenAlexSettings(
        base_url=server.url_for("/openalex"),
        rors=("04tsk2644", "https://ror.org/01k97gp34", "04mz5ra38"),
        api_key=OPENALEX_KEY,
        mailto="analyst@example.org",
        per_page=3,
        ror_batch=2,
    )
    with HttpClient(FAST) as client:
        pages = list(harvest_works(client, settings, WINDOW))
    # two ROR batches (2 + 1), each read over two cursor pages
    assert [len(p.documents) for p in pages] == [3, 3, 3, 3]
    requests = [r for r, _ in server.log]
    assert [r.args["cursor"] for r in requests] == [
        "*",
        json.loads(fixture("openalex/works_page1.json"))["meta"]["next_cursor"],
    ] * 2
    first = requests[0].args
    assert first["filter"] == (
        "authorships.institutions.ror:04tsk2644|01k97gp34,"
        "from_publication_date:2014-01-01,to_publication_date:2014-12-31"
    )
    assert requests[2].args["filter"].startswith("authorships.institutions.ror:04mz5ra38,")
    assert first["per_page"] == "3" and first["mailto"] == "analyst@example.org" and first["api_key"] == OPENALEX_KEY


def test_an_answer_that_is_not_json_fails_the_source(server: HTTPServer) -> None:
    server.expect_request("/openalex/works").respond_with_data("<html>maintenance</html>", content_type="text/html")
    settings = OpenAlexSettings(base_url=server.url_for("/openalex"), rors=("04tsk2644",), api_key=OPENALEX_KEY)
    with HttpClient(FAST) as client, pytest.raises(SourceError, match="not OpenAlex JSON"):
        list(harvest_works(client, settings, WINDOW))


def test_a_broken_work_is_reported_and_the_rest_kept(server: HTTPServer) -> None:
    body = json.loads(fixture("openalex/works_page1.json"))
    body["results"][1]["id"] = "https://openalex.org/A123"  # an author id where a work id belongs
    body["meta"]["next_cursor"] = None
    server.expect_request("/openalex/works").respond_with_json(body)
    settings = OpenAlexSettings(base_url=server.url_for("/openalex"), rors=("04tsk2644",), api_key=OPENALEX_KEY)
    with HttpClient(FAST) as client:
        (page,) = list(harvest_works(client, settings, WINDOW))
    assert len(page.documents) == 2 and page.records == 3
    assert page.problems[0].location.endswith("result 2") and "not a work id" in page.problems[0].message
