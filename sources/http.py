"""The one HTTP client of foresight: polite, bounded and honest about what failed.

Every source fetches through `HttpClient`, so every request gets the same treatment: explicit
connect/read timeouts, retries with exponential backoff and jitter on connection errors, 429 and
5xx (honouring ``Retry-After``), a minimum interval between requests to the same host, conditional
GET with the validators (ETag / Last-Modified) the caller kept from last time, a maximum response
size, a User-Agent naming the tool and a contact, and robots.txt for page fetches.

Secrets (API keys, tokens) are registered with the client and scrubbed from every error message and
from httpx's own request log, so they never reach logs, run rows or the warehouse.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
import urllib.robotparser
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from sources.settings import HttpSettings

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SECRET_PARAMS = frozenset({"api_key", "apikey", "key", "token", "access_token", "client_secret", "secret"})

log = logging.getLogger(__name__)


class HttpError(Exception):
    """A request failed for good (after retries); the message names the URL (secrets removed) and why."""

    def __init__(self, message: str, *, url: str, status: int | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.url = url
        self.status = status
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}


class HttpStatusError(HttpError):
    """The server answered with a status we do not accept (404, 410, 401, 403, or 5xx after retries)."""

    def __init__(
        self, message: str, *, url: str, status: int, headers: Mapping[str, str] | None = None, body: bytes = b""
    ):
        super().__init__(message, url=url, status=status, headers=headers)
        self.body = body


class ResponseTooLarge(HttpError):
    """The body was larger than `max_response_bytes`; it was not read to the end."""


class RobotsDisallowed(HttpError):
    """robots.txt of the host does not allow our User-Agent to fetch this page."""


@dataclass(frozen=True)
class Validators:
    """What a server said about a resource so the next request can be conditional."""

    etag: str | None = None
    last_modified: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("etag", self.etag), ("last_modified", self.last_modified)) if v}

    @classmethod
    def from_dict(cls, value: Mapping[str, Any] | None) -> Validators:
        value = value or {}
        return cls(etag=value.get("etag") or None, last_modified=value.get("last_modified") or None)

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)


@dataclass(frozen=True)
class Fetched:
    """A successful answer: the body (empty for 304), its headers and the validators to keep."""

    url: str
    status: int
    content: bytes
    headers: Mapping[str, str]
    validators: Validators

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def text(self) -> str:
        """The body decoded with the charset the server declared (UTF-8 if none), invalid bytes replaced."""
        match = re.search(r"charset=([\w.:-]+)", self.content_type, re.I)
        encoding = match.group(1) if match else "utf-8"
        try:
            return self.content.decode(encoding, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


class HttpClient:
    """One httpx client for all sources; use as a context manager.

    `sleep`, `clock` and `jitter` are injectable so tests check the backoff rule without waiting.
    `requests_by_host` counts every request actually sent (retries and robots.txt included).
    """

    def __init__(
        self,
        settings: HttpSettings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings or HttpSettings()
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._secrets: set[str] = set()
        self._last_request: dict[str, float] = {}
        self._host_interval: dict[str, float] = dict(self.settings.host_min_interval_s)
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._lock = threading.Lock()
        self.requests_by_host: Counter[str] = Counter()
        self.requests_sent = 0
        self.slept_s = 0.0
        timeout = httpx.Timeout(
            self.settings.read_timeout_s, connect=self.settings.connect_timeout_s, pool=self.settings.connect_timeout_s
        )
        self._client = httpx.Client(
            timeout=timeout,
            headers={"User-Agent": self.settings.user_agent},
            follow_redirects=True,
            transport=transport,
            trust_env=False,
        )
        _install_log_scrubber(self)

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- configuration by sources -------------------------------------------------------------

    def register_secret(self, value: str | None) -> None:
        """Remember a credential so it is replaced by ``***`` in every message this client produces."""
        if value and len(value) >= 4:
            self._secrets.add(value)

    def set_min_interval(self, url_or_host: str, seconds: float) -> None:
        """Require at least `seconds` between request starts to one host (arXiv: 3 s, EPO: from throttling)."""
        self._host_interval[_host(url_or_host)] = max(0.0, float(seconds))

    def min_interval(self, url_or_host: str) -> float:
        return self._host_interval.get(_host(url_or_host), self.settings.min_interval_s)

    def scrub(self, text: str) -> str:
        """Remove registered secrets and secret-looking query parameters from a message."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return _SECRET_IN_TEXT.sub(lambda m: f"{m.group(1)}=***", text)

    # -- requests -----------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        validators: Validators | None = None,
        accept_statuses: Iterable[int] = (),
    ) -> Fetched:
        """GET with retries; with `validators`, a conditional GET whose 304 comes back as `not_modified`.

        Statuses in `accept_statuses` (besides 2xx and 304) are returned instead of raised, for callers
        that handle them themselves (EPO's 401 means 'refresh the token').
        """
        sent = dict(headers or {})
        if validators:
            if validators.etag:
                sent["If-None-Match"] = validators.etag
            if validators.last_modified:
                sent["If-Modified-Since"] = validators.last_modified
        return self.request("GET", url, params=params, headers=sent, accept_statuses=accept_statuses)

    def post(
        self,
        url: str,
        *,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        accept_statuses: Iterable[int] = (),
    ) -> Fetched:
        return self.request("POST", url, data=data, headers=headers, accept_statuses=accept_statuses)

    def get_page(self, url: str) -> Fetched:
        """Fetch a web page (not an API): robots.txt of its host must allow it."""
        if self.settings.respect_robots and not self.allowed_by_robots(url):
            shown = self.scrub(_redact_url(url))
            raise RobotsDisallowed(f"{shown}: robots.txt does not allow fetching this page", url=shown)
        return self.get(url)

    def allowed_by_robots(self, url: str) -> bool:
        """Ask the host's robots.txt (fetched once per client); a missing file (4xx) allows everything.

        A robots.txt that cannot be fetched (timeout, 5xx) or 401/403 disallows the host for this run,
        as the robots exclusion standard asks.
        """
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        if base not in self._robots:
            self._robots[base] = self._load_robots(base)
        parser = self._robots[base]
        return parser is not None and parser.can_fetch(self.settings.user_agent, url)

    def _load_robots(self, base: str) -> urllib.robotparser.RobotFileParser | None:
        parser = urllib.robotparser.RobotFileParser(base + "/robots.txt")
        try:
            fetched = self.request("GET", base + "/robots.txt", retries=1)
        except HttpStatusError as exc:
            if exc.status in (401, 403) or (exc.status or 0) >= 500:
                return None
            parser.parse([])  # 404/410 etc.: no rules, everything allowed
            return parser
        except HttpError:
            return None
        parser.parse(fetched.text().splitlines())
        return parser

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        accept_statuses: Iterable[int] = (),
        retries: int | None = None,
    ) -> Fetched:
        """Send one request with the retry, rate-limit and size rules; raise `HttpError` when it fails for good."""
        accepted = set(accept_statuses)
        attempts = 1 + (self.settings.retries if retries is None else retries)
        full_url = _with_params(url, params)
        shown = self.scrub(_redact_url(full_url))
        last_error = "no attempt made"
        for attempt in range(attempts):
            self._wait_for_turn(full_url)
            wait: float | None = None
            try:
                status, response_headers, body = self._send(method, full_url, headers, data, shown)
            except ResponseTooLarge:
                raise
            except httpx.TimeoutException as exc:
                last_error = f"timed out ({type(exc).__name__})"
            except httpx.TransportError as exc:
                last_error = f"connection failed ({type(exc).__name__}: {self.scrub(str(exc)) or 'no detail'})"
            else:
                if 200 <= status < 300 or status == 304 or status in accepted:
                    return Fetched(full_url, status, body, response_headers, _validators_of(response_headers))
                last_error = f"HTTP {status} {_reason(status)}".rstrip()
                if status not in RETRY_STATUSES:
                    raise HttpStatusError(
                        f"{shown}: {last_error}", url=shown, status=status, headers=response_headers, body=body
                    )
                wait = retry_after_seconds(response_headers.get("retry-after"))
                if wait is not None and wait > self.settings.retry_after_max_s:
                    raise HttpStatusError(
                        f"{shown}: HTTP {status}, server asks to retry after {wait:.0f} s "
                        f"(more than retry_after_max_s = {self.settings.retry_after_max_s:.0f} s); try later",
                        url=shown,
                        status=status,
                        headers=response_headers,
                        body=body,
                    )
                if attempt == attempts - 1:
                    raise HttpStatusError(
                        f"{shown}: {last_error} after {attempts} attempt(s)",
                        url=shown,
                        status=status,
                        headers=response_headers,
                        body=body,
                    )
            if attempt < attempts - 1:
                delay = self._backoff(attempt) if wait is None else wait
                log.info("%s: %s; retry %d of %d in %.2f s", shown, last_error, attempt + 1, attempts - 1, delay)
                self._pause(delay)
        raise HttpError(f"{shown}: {last_error} after {attempts} attempt(s)", url=shown)

    # -- internals ----------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        shown: str,
    ) -> tuple[int, dict[str, str], bytes]:
        limit = self.settings.max_response_bytes
        self.requests_by_host[_host(url)] += 1
        self.requests_sent += 1
        with self._client.stream(method, url, headers=dict(headers or {}), data=data) as response:
            response_headers = {k.lower(): v for k, v in response.headers.items()}
            declared = response_headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise ResponseTooLarge(
                    f"{shown}: response of {int(declared):,} bytes exceeds max_response_bytes = {limit:,}",
                    url=shown,
                    status=response.status_code,
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise ResponseTooLarge(
                        f"{shown}: response exceeds max_response_bytes = {limit:,}; stopped reading",
                        url=shown,
                        status=response.status_code,
                    )
                chunks.append(chunk)
            return response.status_code, response_headers, b"".join(chunks)

    def _wait_for_turn(self, url: str) -> None:
        host = _host(url)
        interval = self.min_interval(host)
        with self._lock:
            last = self._last_request.get(host)
            now = self._clock()
            if last is not None and interval > 0 and now - last < interval:
                self._pause(interval - (now - last))
            self._last_request[host] = self._clock()

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: base * 2**attempt, times a random factor in [0.5, 1.5), capped."""
        raw = self.settings.backoff_base_s * (2**attempt)
        return min(self.settings.backoff_max_s, raw * (0.5 + self._jitter()))

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self.slept_s += seconds
            self._sleep(seconds)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date); None if absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def _validators_of(headers: Mapping[str, str]) -> Validators:
    return Validators(etag=headers.get("etag") or None, last_modified=headers.get("last-modified") or None)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _host(url_or_host: str) -> str:
    if "://" in url_or_host:
        return (urlsplit(url_or_host).netloc or url_or_host).lower()
    return url_or_host.lower()


def _with_params(url: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.extend((k, str(v)) for k, v in params.items() if v is not None)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


_SECRET_IN_TEXT = re.compile(
    r"\b(" + "|".join(sorted(SECRET_PARAMS, key=len, reverse=True)) + r")=([^&\s\"'#]+)", re.IGNORECASE
)


class _ScrubFilter(logging.Filter):
    """Rewrites httpx's request log lines so registered secrets and key parameters never reach a log."""

    def __init__(self) -> None:
        super().__init__()
        self.clients: list[HttpClient] = []

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for client in self.clients:
            message = client.scrub(message)
        message = _SECRET_IN_TEXT.sub(lambda m: f"{m.group(1)}=***", message)
        record.msg, record.args = message, None
        return True


_FILTER = _ScrubFilter()


def _install_log_scrubber(client: HttpClient) -> None:
    for name in ("httpx", "httpcore", "httpcore.http11", "httpcore.connection", "httpcore.proxy"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    _FILTER.clients = [c for c in _FILTER.clients if not c._client.is_closed][-7:] + [client]
