"""A local replay of the real sources for tests: recorded responses served from 127.0.0.1.

`Replay.install()` registers handlers on a pytest-httpserver that behave like the real endpoints in
the ways foresight relies on: feeds with ETag/Last-Modified and 304, OpenAlex cursor paging, arXiv
start/max_results paging, the EPO OAuth token and Range paging with a Bearer check. `replay_config`
writes a configuration that points every connector at the server with no delays, the same way an
offline demo points foresight at a local server (see docs/sources.md, "Running against a replay").
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline.config import merge_settings, toml_text

FIXTURES = Path(__file__).parent / "fixtures" / "sources"

OPENALEX_KEY = "oa-key-REPLAY-5f3c9e"
EPO_KEY = "epo-key-REPLAY-8d1e42"
EPO_SECRET = "epo-secret-REPLAY-77aa19"
EPO_TOKEN = "epo-token-REPLAY-0c6b"
ENVIRON = {
    "FORESIGHT_OPENALEX_API_KEY": OPENALEX_KEY,
    "FORESIGHT_EPO_KEY": EPO_KEY,
    "FORESIGHT_EPO_SECRET": EPO_SECRET,
}
SECRETS = (OPENALEX_KEY, EPO_KEY, EPO_SECRET, EPO_TOKEN)

RUB_ETAG = '"rub-newsfeed-20220909-1303"'
RUB_LAST_MODIFIED = "Fri, 09 Sep 2022 11:03:33 GMT"
FRAUNHOFER_LAST_MODIFIED = "Mon, 04 Jun 2012 08:31:18 GMT"
EXPECTED_DOCUMENTS = {"rub-news": 4, "fraunhofer": 3, "openalex": 6, "arxiv": 6, "epo": 6}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Replay:
    """The handlers and what they saw; `tokens_issued` counts EPO token requests."""

    server: HTTPServer
    tokens_issued: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    epo_total: int = 6

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def install(self) -> Replay:
        s = self.server
        s.expect_request("/feeds/rub").respond_with_handler(
            _conditional(fixture("rss/rub_newsfeed.rss.xml"), etag=RUB_ETAG, last_modified=RUB_LAST_MODIFIED)
        )
        s.expect_request("/feeds/fraunhofer").respond_with_handler(
            _conditional(fixture("rss/fraunhofer_podcast.rss.xml"), last_modified=FRAUNHOFER_LAST_MODIFIED)
        )
        s.expect_request("/openalex/works").respond_with_handler(self.openalex)
        s.expect_request("/arxiv/api/query").respond_with_handler(self.arxiv)
        s.expect_request("/epo/auth/accesstoken", method="POST").respond_with_handler(self.epo_token)
        s.expect_request("/epo/rest-services/published-data/search/biblio").respond_with_handler(self.epo_search)
        return self

    # -- handlers ---------------------------------------------------------------------------------

    def openalex(self, request: Request) -> Response:
        if request.args.get("api_key") != OPENALEX_KEY:
            return _json({"error": "API key required"}, 401)
        cursor = request.args.get("cursor")
        first = json.loads(fixture("openalex/works_page1.json"))
        if cursor == "*":
            return Response(fixture("openalex/works_page1.json"), content_type="application/json")
        if cursor == first["meta"]["next_cursor"]:
            return Response(fixture("openalex/works_page2.json"), content_type="application/json")
        return _json({"error": f"unknown cursor {cursor}"}, 400)

    def arxiv(self, request: Request) -> Response:
        start = request.args.get("start")
        name = {"0": "arxiv/query_page1.atom.xml", "3": "arxiv/query_page2.atom.xml"}.get(start or "")
        if name is None:
            return Response(b"", status=400)
        return Response(fixture(name), content_type="application/atom+xml; charset=utf-8")

    def epo_token(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{EPO_KEY}:{EPO_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected or request.form.get("grant_type") != "client_credentials":
            return _json({"error": "invalid_client"}, 401)
        self.tokens_issued += 1
        token = EPO_TOKEN if self.tokens_issued == 1 else f"{EPO_TOKEN}-{self.tokens_issued}"
        self.valid_tokens.add(token)
        return _json(
            {
                "refresh_token_expires_in": "0",
                "api_product_list": "[ops-prod]",
                "organization_name": "replay",
                "token_type": "BearerToken",
                "issued_at": "1764259200000",
                "client_id": "replay",
                "access_token": token,
                "application_name": "replay",
                "scope": "core",
                "expires_in": "1199",
                "refresh_count": "0",
                "status": "approved",
            }
        )

    def epo_search(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.valid_tokens:
            return Response(b"<fault><code>401</code><message>invalid token</message></fault>", status=401)
        page = {"1-3": "epo/search_page1.xml", "4-6": "epo/search_page2.xml"}.get(request.args.get("Range", ""))
        if page is None:
            return Response(fixture("epo/fault_404.xml"), status=404, content_type="application/xml")
        body = fixture(page).replace(b'total-result-count="6"', f'total-result-count="{self.epo_total}"'.encode())
        return Response(body, content_type="application/xml")


def _conditional(body: bytes, *, etag: str | None = None, last_modified: str | None = None) -> Any:
    def handler(request: Request) -> Response:
        headers = {}
        if etag:
            headers["ETag"] = etag
        if last_modified:
            headers["Last-Modified"] = last_modified
        if (etag and request.headers.get("If-None-Match") == etag) or (
            not etag and last_modified and request.headers.get("If-Modified-Since") == last_modified
        ):
            return Response(b"", status=304, headers=headers)
        return Response(body, headers=headers, content_type="application/rss+xml; charset=utf-8")

    return handler


def _json(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value), status=status, content_type="application/json")


def epo_window(query: str) -> tuple[date, date]:
    """The publication-date window of a CQL query written by foresight."""
    match = re.search(r'pd within "(\d{8}) (\d{8})"', query)
    assert match, query
    start, end = match.groups()
    return (
        date(int(start[:4]), int(start[4:6]), int(start[6:])),
        date(int(end[:4]), int(end[4:6]), int(end[6:])),
    )


def replay_settings(server: HTTPServer, *, feeds: bool = True) -> dict[str, Any]:
    """Configuration that points every source at the replay server, with no waiting anywhere."""
    base = server.url_for("").rstrip("/")
    return {
        "http": {
            "contact": "replay-test@example.org",
            "connect_timeout_s": 2.0,
            "read_timeout_s": 2.0,
            "retries": 2,
            "backoff_base_s": 0.001,
            "backoff_max_s": 0.01,
            "min_interval_s": 0.0,
        },
        "sources": {
            "news": {
                "enabled": feeds,
                "feeds": [
                    {"name": "rub-news", "url": f"{base}/feeds/rub"},
                    {"name": "fraunhofer", "url": f"{base}/feeds/fraunhofer", "language": "de"},
                ],
            },
            "openalex": {
                "base_url": f"{base}/openalex",
                "per_page": 3,
                "institutions": ["04tsk2644", "https://ror.org/01k97gp34"],
            },
            "arxiv": {"base_url": f"{base}/arxiv/api/query", "delay_s": 0.0, "page_size": 3, "max_results": 100},
            "epo": {
                "auth_url": f"{base}/epo/auth/accesstoken",
                "base_url": f"{base}/epo/rest-services",
                "page_size": 3,
                "applicants": ["Siemens", "9Solutions"],
            },
        },
    }


# `base` with `override` laid over it, table by table: exactly as foresight merges a user's file.
merged = merge_settings


def write_config(path: Path, settings: dict[str, Any]) -> Path:
    """Write settings as a foresight.toml, as a user would (see `pipeline.config.toml_text`)."""
    path.write_text(toml_text(settings), encoding="utf-8")
    return path


@contextmanager
def local_server() -> Iterator[HTTPServer]:
    """A threaded HTTP server on 127.0.0.1 (an ephemeral port), stopped afterwards."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()
