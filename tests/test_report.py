"""The report's content and safety on hand-made view rows: escaping, link neutralising, CSV defusing, alerts.

These use SQL stand-ins for the analyst views (tests/report_fixture.py) so every hostile case is exact
and fast; `tests/test_demo.py` renders the report from the real pipeline.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from importlib import resources

import duckdb
import pytest

from pipeline.alerts import emit_alerts, signal_changes, take_snapshot
from pipeline.report import (
    ReportError,
    build_report,
    markdown_escape,
    render_csv,
    render_html,
    render_markdown,
    safe_url,
    write_report,
)
from tests.report_fixture import HOSTILE_TITLE, TOPICS, create_view_stand_ins


@pytest.fixture
def con(tmp_path):
    """A DuckDB file with the foundation and scan tables plus the view stand-ins."""
    connection = duckdb.connect(str(tmp_path / "report.duckdb"))
    for name in ("001_foundation.sql", "005_scan.sql"):
        connection.execute(resources.files("warehouse.migrations").joinpath(name).read_text(encoding="utf-8"))
    create_view_stand_ins(connection)
    yield connection
    connection.close()


def test_html_escapes_document_text_and_drops_unsafe_links(con) -> None:
    html = render_html(build_report(con))
    assert "<script>" not in html and "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Wasserstoff &amp; &lt;b&gt;Stahl&lt;/b&gt;" in html
    assert "javascript:" not in html
    assert 'href="https://example.org/a?b=1"' in html
    # Self-contained: no external script, stylesheet, image or font; a CSP forbids all network loads.
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert "default-src 'none'" in html


def test_html_has_every_section_each_figure_with_its_sql(con) -> None:
    report = build_report(con)
    html = render_html(report)
    for section in ("summary", "map", "markets", "topics"):
        assert f'<section id="{section}">' in html
    charts = re.findall(r'<svg class="chart chart-([a-z-]+)"', html)
    market_rows = sum(len(m.topics) for m in report.markets)
    assert charts.count("emergence-map") == 1
    assert charts.count("bars") == 2
    assert charts.count("sparkline") == market_rows + len(report.topics)
    assert charts.count("mix") == len(report.topics)
    assert "from v_emerging_topics" in html and "from v_topic_evidence" in html
    assert "from v_lead_market_overview" in html
    assert html.count('<details class="sql">') >= 5
    # Every topic is on the map, labelled by its tooltip.
    assert html.count('<circle class="point"') == len(TOPICS)
    assert "Wasserstoff / Elektrolyseur" in html


def test_week_summary_counts_new_and_changed_signals(con) -> None:
    report = build_report(con)
    assert [t["topic_id"] for t in report.turned_strong] == ["1"]
    assert sorted(t["topic_id"] for t in report.new_weak_signals) == ["2", "4"]
    assert len(report.new_topics) == len(TOPICS)
    by_market = {m.name_de: [t.topic_id for t in m.topics] for m in report.markets}
    assert by_market["Ressourceneffizienz"] == ["1"] and by_market["Mobilität"] == ["1"]
    card = next(t for t in report.topics if t.topic_id == "1")
    assert card.places[0] == ("Duisburg", 2)
    assert card.source_mix == {"policy": 1, "news": 1}
    assert [d.url for d in card.evidence] == [None, "https://example.org/a?b=1"]


def test_csv_defuses_formulas_and_has_one_row_per_listed_topic(con) -> None:
    report = build_report(con)
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert len(rows) == len(report.topics)
    hostile = next(r for r in rows if r["topic_id"] == "4")
    assert hostile["label"].startswith("'=HYPERLINK")
    first = next(r for r in rows if r["topic_id"] == "1")
    assert first["municipalities"] == "Duisburg; Essen"
    assert first["recent_series"] == "1 2 5 9 14"
    assert first["evidence_urls"] == "https://example.org/a?b=1"


def test_markdown_escapes_markup_and_links(con) -> None:
    md = render_markdown(build_report(con))
    assert "<script>" not in md and "\\<script\\>" in md
    assert "](javascript" not in md
    assert "[Elektrolyseur in Duisburg](https://example.org/a?b=1)" in md
    assert markdown_escape("a|b [x](y)") == "a\\|b \\[x\\]\\(y\\)"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/x", "https://example.org/x"),
        ("HTTP://EXAMPLE.ORG", "HTTP://EXAMPLE.ORG"),
        ("javascript:alert(1)", None),
        (" JaVaScRiPt:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html,<b>x</b>", None),
        ("vbscript:msgbox", None),
        ("//evil.example/x", None),
        ("/relative/path", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_url_keeps_only_http_links(url, expected) -> None:
    assert safe_url(url) == expected


def test_write_report_to_a_folder_and_to_a_named_file(con, tmp_path) -> None:
    report = build_report(con)
    paths = write_report(report, tmp_path / "out")
    assert sorted(paths) == ["csv", "html", "md"]
    assert paths["html"].name == "foresight-report-2023-12-31.html"
    named = write_report(report, tmp_path / "mail" / "weekly.html", ["html", "csv"])
    assert named["html"] == tmp_path / "mail" / "weekly.html" and named["csv"].name == "weekly.csv"
    assert not list((tmp_path / "mail").glob(".*tmp"))


def test_no_scores_gives_a_clear_error(tmp_path) -> None:
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as empty, pytest.raises(ReportError, match="foresight scan"):
        build_report(empty)


def test_as_of_without_scores_says_what_to_run(con) -> None:
    with pytest.raises(ReportError, match="foresight analyze --as-of 2020-01-01"):
        build_report(con, as_of=date(2020, 1, 1))
    assert build_report(con, as_of=date(2023, 12, 31)).as_of == date(2023, 12, 31)


def test_alerts_are_new_weak_and_turned_strong_since_the_previous_snapshot(con) -> None:
    out = io.StringIO()
    first = emit_alerts(con, scan_run_id=10, out=out)
    assert [(a["alert"], a["topic_id"]) for a in first] == [
        ("turned_strong", "1"),
        ("new_weak_signal", "2"),
        ("new_weak_signal", "4"),
    ]
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["label"] == "Wasserstoff / Elektrolyseur" and lines[0]["lead_markets"][0] == "Ressourceneffizienz"
    assert take_snapshot(con, 10) == len(TOPICS)
    # Nothing changed: the next scan alerts nothing.
    assert emit_alerts(con, scan_run_id=11, out=io.StringIO()) == []
    take_snapshot(con, 11)
    # The pandemic topic comes back as a weak signal: exactly one alert, with its previous class.
    con.execute("update v_emerging_topics set signal_class = 'weak' where topic_id = 3")
    third = emit_alerts(con, scan_run_id=12, out=io.StringIO())
    assert [(a["alert"], a["topic_id"], a["previous_class"]) for a in third] == [("new_weak_signal", "3", "noise")]
    assert signal_changes(con).baseline_scan_run_id == 11


def test_alerts_file_is_appended_as_json_lines(con, tmp_path) -> None:
    target = tmp_path / "hooks" / "alerts.jsonl"
    emit_alerts(con, scan_run_id=10, out=target)
    emit_alerts(con, scan_run_id=11, out=target)  # no snapshot in between: the same three again
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6 and all(json.loads(line)["topic_id"] for line in lines)
    assert HOSTILE_TITLE not in target.read_text(encoding="utf-8")
