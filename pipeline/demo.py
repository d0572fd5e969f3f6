"""`foresight demo`: the real weekly scan, fully offline, on a bundled real snapshot.

Why a replay server and not a shortcut: a newcomer should see the code path a weekly scan takes. The
demo starts a small HTTP server on 127.0.0.1 that answers from recorded responses in
`pipeline/demo_data/replay/` (RUB news feed, a Fraunhofer feed, OpenAlex works, an arXiv query, an EPO
OPS search with its token exchange), points the ordinary connectors at it through the configuration
(``base_url``, ``auth_url``, feed URLs), imports a dated sample of Bundestag speeches through the
scan's ``[[scan.imports]]``, and runs `pipeline.scan.run_scan`: ingest, analyze, report, alerts.
See `pipeline/demo_data/SOURCE.txt` for where every file came from.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.config import Config, config_from_mapping, load_config, toml_text
from pipeline.progress import Progress
from pipeline.scan import ScanResult, run_scan
from warehouse import Warehouse, WarehouseError

log = logging.getLogger("foresight.demo")

# Scores as of the end of 2023: the last full year of the sample before the 20th Bundestag broke up (its last
# quarter, 2025-Q1, is cut short by the election), and the year the corpus's known technology waves (hydrogen,
# heat pumps, the Deutschlandticket, AI) were at their height. Later documents stay in the warehouse; score any
# other date with `foresight --db <demo>/foresight.duckdb analyze --as-of DATE --granularity quarter`.
DEMO_AS_OF = date(2023, 12, 31)
SAMPLE_FILE = "bundestag_sample.csv.gz"


class DemoError(Exception):
    """The demo cannot run (folder not writable, warehouse in use); the message says what to do."""


@dataclass(frozen=True)
class Route:
    """One recorded answer: the file under demo_data/replay and its content type."""

    file: str | None
    content_type: str
    body: bytes | None = None  # for answers generated here instead of read from a file


def _token_answer() -> bytes:
    """The shape of an EPO OPS client-credentials answer; the values are the demo's own."""
    return json.dumps(
        {
            "token_type": "BearerToken",
            "access_token": "demo-access-token",
            "expires_in": "1199",
            "status": "approved",
            "scope": "core",
        }
    ).encode()


ROUTES: dict[str, Route] = {
    "/feeds/rub-news.xml": Route("rub-news.rss.xml", "application/rss+xml; charset=utf-8"),
    "/feeds/fraunhofer-podcast.xml": Route("fraunhofer-podcast.rss.xml", "application/rss+xml; charset=utf-8"),
    "/openalex/works": Route("openalex-works.json", "application/json"),
    "/arxiv/api/query": Route("arxiv-query.atom.xml", "application/atom+xml; charset=utf-8"),
    "/epo/3.2/auth/accesstoken": Route(None, "application/json", _token_answer()),
    "/epo/3.2/rest-services/published-data/search/biblio": Route("epo-search-biblio.xml", "application/xml"),
    "/robots.txt": Route(None, "text/plain", b"User-agent: *\nAllow: /\n"),
}


def demo_data_path(name: str) -> Path:
    """A file shipped in `pipeline/demo_data/` (the package is installed from files, not a zip)."""
    return Path(str(resources.files("pipeline").joinpath("demo_data", name)))


class ReplayServer:
    """Answers the connectors from recorded files on 127.0.0.1; keeps ETags so a re-run gets 304s.

    Paths are matched without their query string: the recorded answer is the one the real service
    gave to a query of that kind. Every request is counted per path, so tests can check what was asked.
    """

    def __init__(self, routes: Mapping[str, Route] = ROUTES, replay_dir: Path | None = None, port: int = 0) -> None:
        self.routes = dict(routes)
        self.port = port  # 0: any free port; a taken port falls back to any free one
        self.replay_dir = replay_dir or demo_data_path("replay")
        self.requests: dict[str, int] = {}
        self.not_modified = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "the replay server is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def body(self, route: Route) -> bytes:
        if route.body is not None:
            return route.body
        assert route.file is not None
        return (self.replay_dir / route.file).read_bytes()

    def start(self) -> ReplayServer:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path = self.path.split("?", 1)[0]
                replay.requests[path] = replay.requests.get(path, 0) + 1
                route = replay.routes.get(path)
                if route is None:
                    self.send_error(404, "not recorded")
                    return
                body = replay.body(route)
                etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
                if self.headers.get("If-None-Match") == etag:
                    replay.not_modified += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = _answer  # noqa: N815 - http.server's naming
            do_POST = _answer  # noqa: N815
            do_HEAD = _answer  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
                log.debug("replay: " + format, *args)

        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        except OSError:
            log.info("replay port %s is taken; using another (feeds will be fetched again)", self.port)
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="foresight-replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def demo_config(base_url: str, out: Path, sample: Path | None = None) -> Config:
    """The default configuration with every source pointed at the replay server and the sample imported."""
    return config_from_mapping(demo_settings(base_url, out, sample))


def demo_settings(base_url: str, out: Path, sample: Path | None = None) -> dict[str, Any]:
    """The demo's configuration as TOML data (written to `<out>/foresight.toml` so later commands can use it)."""
    return {
        "http": {
            "contact": "foresight-demo@localhost",
            "min_interval_s": 0.0,
            "host_min_interval_s": {},
            "retries": 1,
            "backoff_base_s": 0.1,
            "respect_robots": False,
        },
        "sources": {
            "lookback_days": 30,
            "news": {
                "enabled": True,
                "feeds": [
                    {"name": "rub-news", "url": f"{base_url}/feeds/rub-news.xml", "language": "de"},
                    {"name": "fraunhofer-podcast", "url": f"{base_url}/feeds/fraunhofer-podcast.xml", "language": "de"},
                ],
            },
            "openalex": {"enabled": True, "base_url": f"{base_url}/openalex", "require_api_key": False},
            "arxiv": {
                "enabled": True,
                "base_url": f"{base_url}/arxiv/api/query",
                "delay_s": 0.0,
                "page_size": 10,
                "max_results": 10,
            },
            "epo": {
                "enabled": True,
                "auth_url": f"{base_url}/epo/3.2/auth/accesstoken",
                "base_url": f"{base_url}/epo/3.2/rest-services",
                "consumer_key": "demo-key",
                "consumer_secret": "demo-secret",
                "applicant_batch": 100,
            },
        },
        "analysis": {"granularity": "quarter"},
        "scan": {
            "report_dir": str(out / "reports"),
            "imports": [
                {
                    "file": str(sample or demo_data_path(SAMPLE_FILE)),
                    "kind": "policy",
                    "source": "bundestag-sample",
                    "language": "de",
                    "id_col": "doc_id",
                    "title_col": "title",
                    "text_col": "text",
                    "date_col": "published",
                    "url_col": "url",
                }
            ],
        },
        "alerts": {"file": str(out / "alerts.jsonl")},
    }


@dataclass
class DemoOutcome:
    db: Path
    config: Path  # the demo's foresight.toml: pass it with --config to read the demo warehouse as it was analysed
    report: Path
    seconds: float
    scan: ScanResult
    top_topics: list[dict[str, Any]] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)


def run_demo(
    out: Path | None = None,
    *,
    progress: Progress | None = None,
    as_of: date = DEMO_AS_OF,
    sample: Path | None = None,
    top: int = 10,
) -> DemoOutcome:
    """Build (or re-scan) the demo warehouse in `out` and write its report; a second call adds nothing."""
    started = time.monotonic()
    folder = Path(out) if out else Path(tempfile.mkdtemp(prefix="foresight-demo-"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DemoError(
            f"cannot create the demo folder {folder}: {exc}; pass --out DIR with a writable folder"
        ) from None
    db = folder / "foresight.duckdb"
    progress = progress or Progress()
    progress.message(f"demo: warehouse {db}, replaying recorded sources on 127.0.0.1")
    # The same port as last time keeps the feed URLs (part of their sources' state and documents) unchanged,
    # so a second demo in the same folder really has nothing new.
    port_file = folder / "replay-port.txt"
    port = int(port_file.read_text().strip()) if port_file.exists() and port_file.read_text().strip().isdigit() else 0
    with ReplayServer(port=port) as server:
        port_file.write_text(server.base_url.rsplit(":", 1)[1] + "\n", encoding="utf-8")
        config_file = folder / "foresight.toml"
        config_file.touch(mode=0o600)  # it names the demo's (fake) EPO key: only its owner may read it
        config_file.chmod(0o600)
        config_file.write_text(toml_text(demo_settings(server.base_url, folder, sample)), encoding="utf-8")
        config = load_config(config_file)
        try:
            wh = Warehouse.open_writer(db)
        except WarehouseError as exc:
            raise DemoError(str(exc)) from None
        with wh:
            result = run_scan(wh, config, as_of=as_of, progress=progress)
            top_topics = _top_topics(wh, config, top)
        requests = dict(server.requests)
    html = result.report_paths.get("html")
    if html is None:
        failed = "; ".join(f"{s.name}: {s.error}" for s in result.stages if s.error)
        raise DemoError(f"the demo scan wrote no report ({failed or result.status}); see `foresight --db {db} status`")
    return DemoOutcome(db, config_file, html, time.monotonic() - started, result, top_topics, requests)


def _top_topics(wh: Warehouse, config: Config, top: int) -> list[dict[str, Any]]:
    from warehouse.signals import emerging_topics, latest_scores

    scores = latest_scores(wh, config.analysis.granularity)
    return emerging_topics(wh, scores, top=top) if scores else []
