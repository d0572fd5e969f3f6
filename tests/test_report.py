"""The report's content and safety on hand-made scores in a real warehouse: escaping, links, CSV defusing, alerts.

The scores are written into the real tables of a migrated warehouse (tests/report_fixture.py), so the report reads
them through the real views and queries and every hostile case is exact and fast; `tests/test_demo.py` renders the
report from the real pipeline.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest

from pipeline.alerts import emit_alerts, signal_changes, take_snapshot
from pipeline.config import Config, config_from_mapping
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
from tests.report_fixture import HOSTILE_TITLE, TOPICS, fill_scored_warehouse
from warehouse import Warehouse
from warehouse.signals import latest_scores

YEARLY = config_from_mapping({"analysis": {"granularity": "year"}})


@pytest.fixture
def con(tmp_path):
    """A real migrated warehouse with the fixture's scores (yearly, as of 2023-12-31)."""
    wh = Warehouse.open_writer(tmp_path / "report.duckdb")
    fill_scored_warehouse(wh)
    yield wh
    wh.close()


def report_of(wh: Warehouse, **options: object):  # noqa: ANN201 - a Report
    return build_report(wh, config=YEARLY, **options)


def scores(wh: Warehouse):  # noqa: ANN201 - ScoresRun
    return latest_scores(wh, "year")


def test_html_escapes_document_text_and_drops_unsafe_links(con) -> None:
    html = render_html(report_of(con))
    assert "<script>" not in html and "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Wasserstoff &amp; &lt;b&gt;Stahl&lt;/b&gt;" in html
    assert "javascript:" not in html
    assert 'href="https://example.org/a?b=1"' in html
    # Self-contained: no external script, stylesheet, image or font; a CSP forbids all network loads.
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert "default-src 'none'" in html


def test_html_has_every_section_each_figure_with_its_sql(con) -> None:
    report = report_of(con)
    html = render_html(report)
    for section in ("summary", "map", "markets", "topics"):
        assert f'<section id="{section}">' in html
    charts = re.findall(r'<svg class="chart chart-([a-z-]+)"', html)
    market_rows = sum(len(m.topics) for m in report.markets)
    assert charts.count("emergence-map") == 1
    assert charts.count("bars") == 2
    assert charts.count("sparkline") == market_rows + len(report.topics)
    assert charts.count("mix") == len(report.topics)
    assert "from v_topic_signals where run_id = 20" in html and "from document_topics dt" in html
    assert "from lead_market_rows([20])" in html
    assert html.count('<details class="sql">') >= 5
    # Every topic is on the map, labelled by its tooltip.
    assert html.count('<circle class="point"') == len(TOPICS)
    assert "Wasserstoff / Elektrolyseur" in html


def test_week_summary_counts_new_and_changed_signals(con) -> None:
    report = report_of(con)
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
    report = report_of(con)
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert len(rows) == len(report.topics)
    hostile = next(r for r in rows if r["topic_id"] == "4")
    assert hostile["label"].startswith("'=HYPERLINK")
    first = next(r for r in rows if r["topic_id"] == "1")
    assert first["municipalities"] == "Duisburg; Essen"
    assert first["recent_series"] == "1 2 5 9 14"
    assert first["evidence_urls"] == "https://example.org/a?b=1"


def test_markdown_escapes_markup_and_links(con) -> None:
    md = render_markdown(report_of(con))
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
    report = report_of(con)
    paths = write_report(report, tmp_path / "out")
    assert sorted(paths) == ["csv", "html", "md"]
    assert paths["html"].name == "foresight-report-2023-12-31.html"
    named = write_report(report, tmp_path / "mail" / "weekly.html", ["html", "csv"])
    assert named["html"] == tmp_path / "mail" / "weekly.html" and named["csv"].name == "weekly.csv"
    assert not list((tmp_path / "mail").glob(".*tmp"))


def test_no_scores_gives_a_clear_error(tmp_path) -> None:
    with Warehouse.open_writer(tmp_path / "empty.duckdb") as empty, pytest.raises(ReportError, match="foresight scan"):
        report_of(empty)


def test_as_of_without_scores_says_what_to_run(con) -> None:
    with pytest.raises(ReportError, match="foresight analyze --granularity year --as-of 2020-01-01"):
        report_of(con, as_of=date(2020, 1, 1))
    assert report_of(con, as_of=date(2023, 12, 31)).as_of == date(2023, 12, 31)
    with pytest.raises(ReportError, match="no month scores; scored so far: year"):
        build_report(con, config=Config())


def test_the_report_reads_one_granularity_and_the_newest_as_of_even_after_a_backfill(con) -> None:
    """A quarterly run and an older (backfilled) yearly run never leak into the latest yearly report."""
    con.con.execute(
        "insert into signals (run_id, fit_run_id, as_of, granularity, topic_id, score, signal_class, trend) "
        "select 30, 1, DATE '2023-12-31', 'quarter', topic_id, score, signal_class, trend from signals"
    )
    con.con.execute(
        "insert into signals (run_id, fit_run_id, as_of, granularity, topic_id, score, signal_class, trend) "
        "select 40, 1, DATE '2022-12-31', 'year', topic_id, -score, signal_class, trend from signals where run_id = 20"
    )
    report = report_of(con)
    assert report.scores_run_id == 20 and report.as_of == date(2023, 12, 31) and report.granularity == "year"
    assert len(report.all_topics) == len(TOPICS)
    assert report_of(con, as_of=date(2022, 12, 31)).scores_run_id == 40
    latest = con.query("select granularity, run_id, as_of from v_latest_signal_runs order by granularity")[1]
    assert latest == [("quarter", 30, date(2023, 12, 31)), ("year", 20, date(2023, 12, 31))]


def test_alerts_are_new_weak_and_turned_strong_since_the_previous_snapshot(con) -> None:
    out = io.StringIO()
    first = emit_alerts(con, scores(con), scan_run_id=10, out=out)
    assert [(a["alert"], a["topic_id"]) for a in first] == [
        ("turned_strong", "1"),
        ("new_weak_signal", "2"),
        ("new_weak_signal", "4"),
    ]
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["label"] == "Wasserstoff / Elektrolyseur" and lines[0]["lead_markets"][0] == "Ressourceneffizienz"
    assert take_snapshot(con, 10, scores(con)) == len(TOPICS)
    # Nothing changed: the next scan alerts nothing.
    assert emit_alerts(con, scores(con), scan_run_id=11, out=io.StringIO()) == []
    take_snapshot(con, 11, scores(con))
    # The pandemic topic (not a technology) comes back as a weak signal: no alert for a technology radar by
    # default, exactly one with its previous class when every topic is asked for.
    con.con.execute("update signals set signal_class = 'weak' where topic_id = 3")
    assert emit_alerts(con, scores(con), scan_run_id=12, out=io.StringIO()) == []
    third = emit_alerts(con, scores(con), scan_run_id=12, out=io.StringIO(), everything=True)
    assert [(a["alert"], a["topic_id"], a["previous_class"]) for a in third] == [("new_weak_signal", "3", "noise")]
    assert signal_changes(con, scores(con)).baseline_scan_run_id == 11


def test_alerts_file_is_appended_as_json_lines(con, tmp_path) -> None:
    target = tmp_path / "hooks" / "alerts.jsonl"
    emit_alerts(con, scores(con), scan_run_id=10, out=target)
    emit_alerts(con, scores(con), scan_run_id=11, out=target)  # no snapshot in between: the same three again
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6 and all(json.loads(line)["topic_id"] for line in lines)
    assert HOSTILE_TITLE not in target.read_text(encoding="utf-8")


def test_a_sparkline_of_a_quiet_topic_draws_its_zero_baseline() -> None:
    """A topic with no documents in any period shown still gets a visible chart: the baseline, and no bars."""
    from pipeline.charts import sparkline

    quiet, busy = str(sparkline([0, 0, 0, 0])), str(sparkline([0, 3, 0, 6]))
    assert quiet.count('class="baseline"') == 1 and 'height="1"' in quiet
    assert all(h == "0.0" for h in re.findall(r'class="bar"[^>]* height="([\d.]+)"', quiet))
    assert [float(h) for h in re.findall(r'class="bar"[^>]* height="([\d.]+)"', busy)] == [0.0, 17.0, 0.0, 34.0]
