"""The report as a browser shows it: headless Chromium renders it without console errors and draws its charts."""

from __future__ import annotations

import pytest

from pipeline.config import config_from_mapping
from pipeline.report import build_report, write_report
from tests.browser import measure, needs_chromium, open_page
from tests.report_fixture import TOPICS, fill_scored_warehouse
from warehouse import Warehouse

pytestmark = needs_chromium


@pytest.fixture
def report_file(tmp_path):
    with Warehouse.open_writer(tmp_path / "report.duckdb") as wh:
        fill_scored_warehouse(wh)
        report = build_report(wh, config=config_from_mapping({"analysis": {"granularity": "year"}}))
    return write_report(report, tmp_path / "out", ["html"])["html"], report


def test_report_opens_without_console_messages_and_runs_no_script(report_file, tmp_path) -> None:
    html_file, _ = report_file
    page = open_page(html_file, tmp_path / "profile")
    assert page.console == []
    # The hostile evidence title is text in the DOM, not an element.
    assert "<script" not in page.dom.lower()
    assert '&lt;script&gt;alert("x")&lt;/script&gt;' in page.dom
    assert 'href="javascript' not in page.dom


def test_charts_are_drawn_with_their_marks(report_file, tmp_path) -> None:
    html_file, report = report_file
    seen = measure(html_file, tmp_path / "profile")
    market_rows = sum(len(m.topics) for m in report.markets)
    expected_charts = 3 + market_rows + 2 * len(report.topics)  # map, 2 bar charts; sparkline rows; card charts
    assert seen["charts"] == expected_charts
    assert seen["drawn"] == seen["charts"]
    assert seen["map_points"] == len(TOPICS)
    assert seen["marks"] > seen["charts"]
    assert any(h.startswith("Wasserstoff / Elektrolyseur") for h in seen["topic_headings"])


def test_the_console_check_does_see_errors(tmp_path) -> None:
    """A control: a page whose script the same policy blocks must produce a console message."""
    page_file = tmp_path / "blocked.html"
    page_file.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
        "</head><body><script>console.log(1)</script></body></html>",
        encoding="utf-8",
    )
    page = open_page(page_file, tmp_path / "profile")
    assert any("Content Security Policy" in message for message in page.console)
