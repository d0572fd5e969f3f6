"""The HTTP client against a real server on 127.0.0.1: retries, Retry-After, limits, 304, robots.txt, secrets."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from sources.http import (
    HttpClient,
    HttpError,
    HttpSettings,
    HttpStatusError,
    ResponseTooLarge,
    RobotsDisallowed,
    Validators,
    retry_after_seconds,
)

FAST = HttpSettings(
    contact="analyst@example.org", retries=3, backoff_base_s=0.001, backoff_max_s=0.01, min_interval_s=0.0
)


class Recorder:
    """A fake clock whose sleep advances it, so waiting rules are checked without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_retries_a_500_and_returns_the_later_answer(server: HTTPServer) -> None:
    server.expect_oneshot_request("/x").respond_with_data("busy", status=500)
    server.expect_oneshot_request("/x").respond_with_data("<ok/>", status=200)
    with HttpClient(FAST) as client:
        fetched = client.get(server.url_for("/x"))
    assert fetched.content == b"<ok/>"
    assert len(server.log) == 2


def test_429_waits_as_long_as_retry_after_says(server: HTTPServer) -> None:
    server.expect_oneshot_request("/x").respond_with_data("slow down", status=429, headers={"Retry-After": "7"})
    server.expect_oneshot_request("/x").respond_with_data("fine")
    fake = Recorder()
    with HttpClient(FAST, sleep=fake.sleep, clock=fake.clock) as client:
        assert client.get(server.url_for("/x")).content == b"fine"
    assert fake.sleeps == [7.0]


def test_a_retry_after_beyond_the_limit_fails_at_once_and_says_so(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data("quota", status=429, headers={"Retry-After": "3600"})
    fake = Recorder()
    with HttpClient(FAST, sleep=fake.sleep, clock=fake.clock) as client, pytest.raises(HttpStatusError) as caught:
        client.get(server.url_for("/x"))
    assert caught.value.status == 429
    assert "retry after 3600 s" in str(caught.value)
    assert len(server.log) == 1 and fake.sleeps == []


def test_backoff_is_exponential_with_jitter_and_capped(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data("down", status=503)
    settings = HttpSettings(retries=4, backoff_base_s=1.0, backoff_max_s=5.0, min_interval_s=0.0)
    fake = Recorder()
    jitters = iter([0.0, 0.5, 1.0, 0.25])
    with (
        HttpClient(settings, sleep=fake.sleep, clock=fake.clock, jitter=lambda: next(jitters)) as client,
        pytest.raises(HttpStatusError, match=r"HTTP 503 Service Unavailable after 5 attempt"),
    ):
        client.get(server.url_for("/x"))
    # base * 2**attempt * (0.5 + jitter): 0.5, 2.0, 5 (capped from 6.0), 5 (capped from 6.0)
    assert fake.sleeps == [0.5, 2.0, 5.0, 5.0]
    assert len(server.log) == 5


def test_real_backoff_sleeps_a_tiny_configured_time(server: HTTPServer) -> None:
    server.expect_oneshot_request("/x").respond_with_data("down", status=502)
    server.expect_oneshot_request("/x").respond_with_data("up")
    settings = HttpSettings(retries=1, backoff_base_s=0.05, backoff_max_s=1.0, min_interval_s=0.0)
    started = time.monotonic()
    with HttpClient(settings, jitter=lambda: 0.5) as client:
        assert client.get(server.url_for("/x")).content == b"up"
    assert time.monotonic() - started >= 0.05


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Fri, 27 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_a_timeout_is_retried_then_reported(server: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.4)
        return Response("late")

    server.expect_request("/slow").respond_with_handler(slow)
    settings = HttpSettings(read_timeout_s=0.1, retries=1, backoff_base_s=0.001, min_interval_s=0.0)
    with HttpClient(settings) as client, pytest.raises(HttpError, match=r"timed out \(ReadTimeout\) after 2 attempt"):
        client.get(server.url_for("/slow"))
    assert client.requests_sent == 2
    time.sleep(0.5)  # let the server finish the slow answers before the next test uses it


def test_a_truncated_body_is_retried_then_reported(server: HTTPServer) -> None:
    def truncated(request: Request) -> Response:
        response = Response(b"<rss><channel><item>cut off", content_type="application/rss+xml")
        response.headers["Content-Length"] = "5000"
        return response

    server.expect_request("/cut").respond_with_handler(truncated)
    with HttpClient(FAST) as client, pytest.raises(HttpError, match="RemoteProtocolError") as caught:
        client.get(server.url_for("/cut"))
    assert "complete message body" in str(caught.value)
    assert len(server.log) == 4


def test_a_response_larger_than_the_limit_is_cut_off(server: HTTPServer) -> None:
    server.expect_request("/big").respond_with_data(b"x" * 5000)

    def streamed(request: Request) -> Response:
        return Response((b"y" * 1000 for _ in range(10)), content_type="text/plain")

    server.expect_request("/stream").respond_with_handler(streamed)
    settings = HttpSettings(max_response_bytes=2000, min_interval_s=0.0)
    with HttpClient(settings) as client:
        with pytest.raises(ResponseTooLarge, match="5,000 bytes exceeds max_response_bytes = 2,000"):
            client.get(server.url_for("/big"))
        with pytest.raises(ResponseTooLarge, match="stopped reading"):
            client.get(server.url_for("/stream"))
    assert len(server.log) == 2  # too large is not retried


@pytest.mark.parametrize("status", [404, 410])
def test_gone_is_not_retried(server: HTTPServer, status: int) -> None:
    server.expect_request("/feed").respond_with_data("nope", status=status)
    with HttpClient(FAST) as client, pytest.raises(HttpStatusError, match=f"HTTP {status}") as caught:
        client.get(server.url_for("/feed"))
    assert caught.value.status == status
    assert len(server.log) == 1


def test_conditional_get_sends_validators_and_reports_not_modified(server: HTTPServer) -> None:
    def conditional(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response("<rss/>", headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jun 2026 10:00:00 GMT"})

    server.expect_request("/feed").respond_with_handler(conditional)
    with HttpClient(FAST) as client:
        first = client.get(server.url_for("/feed"))
        second = client.get(server.url_for("/feed"), validators=first.validators)
    assert first.validators == Validators('"v1"', "Mon, 01 Jun 2026 10:00:00 GMT")
    assert second.not_modified and second.content == b""
    sent = server.log[1][0].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 01 Jun 2026 10:00:00 GMT"


def test_user_agent_names_the_tool_and_the_contact(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data("ok")
    with HttpClient(FAST) as client:
        client.get(server.url_for("/x"))
    agent = server.log[0][0].headers["User-Agent"]
    assert agent.startswith("foresight/") and "analyst@example.org" in agent


def test_requests_to_one_host_keep_the_minimum_interval(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data("ok")
    fake = Recorder()
    settings = HttpSettings(min_interval_s=2.0)
    with HttpClient(settings, sleep=fake.sleep, clock=fake.clock) as client:
        client.set_min_interval(server.url_for("/"), 3.0)
        for _ in range(3):
            client.get(server.url_for("/x"))
    assert fake.sleeps == [3.0, 3.0]


def test_robots_txt_is_asked_once_and_obeyed_for_pages(server: HTTPServer) -> None:
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    server.expect_request("/public/a").respond_with_data("<html><body>a</body></html>")
    with HttpClient(FAST) as client:
        assert client.get_page(server.url_for("/public/a")).status == 200
        with pytest.raises(RobotsDisallowed, match="robots.txt does not allow"):
            client.get_page(server.url_for("/private/b"))
    paths = [request.path for request, _ in server.log]
    assert paths == ["/robots.txt", "/public/a"]


def test_a_missing_robots_txt_allows_everything(server: HTTPServer) -> None:
    server.expect_request("/robots.txt").respond_with_data("", status=404)
    server.expect_request("/page").respond_with_data("<html/>")
    with HttpClient(FAST) as client:
        assert client.get_page(server.url_for("/page")).content == b"<html/>"


def test_secrets_never_appear_in_errors_or_logs(server: HTTPServer, caplog: pytest.LogCaptureFixture) -> None:
    secret = "sk-very-secret-4711"
    server.expect_request("/api").respond_with_data(f"bad key {secret}", status=403)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # `foresight ingest` quietens httpx; another test may have run it
    with HttpClient(FAST) as client:
        client.register_secret(secret)
        with pytest.raises(HttpStatusError) as caught:
            client.get(server.url_for("/api"), params={"api_key": secret, "q": "x"})
    assert secret not in str(caught.value)
    assert "api_key=***" in str(caught.value)
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "werkzeug")  # not the test server's log
    assert secret not in ours
    assert "/api?api_key=***" in ours  # httpx did log the request, scrubbed


def test_an_unreachable_robots_txt_disallows_the_host_for_this_run(server: HTTPServer) -> None:
    server.expect_request("/robots.txt").respond_with_data("down", status=503)
    server.expect_request("/page").respond_with_data("<html/>")
    with HttpClient(FAST) as client, pytest.raises(RobotsDisallowed):
        client.get_page(server.url_for("/page"))
    assert all(request.path == "/robots.txt" for request, _ in server.log)
