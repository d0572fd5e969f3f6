"""The analyst report: one self-contained HTML file (plus Markdown and CSV) built from the analyst views.

Why only views: every number in the report must be reproducible by an analyst with SQL. The report
reads `v_emerging_topics`, `v_lead_market_overview`, `v_topic_evidence` and the `documents`/`runs`
tables, and each figure prints the exact query it came from. Nothing is computed here that an analyst
could not compute again, except the layout.

Safety: all text from documents (titles, labels, terms, places, actors) reaches the HTML through Jinja2
autoescape or `markupsafe.escape` in the SVG code; links are kept only for http(s) URLs; the page
carries a Content-Security-Policy that forbids scripts and every network load, so even a missed escape
cannot run code or phone home. CSV cells are defused with `safe_csv_cell`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape

from pipeline import charts
from pipeline.alerts import signal_changes
from pipeline.config import Config
from pipeline.output import safe_csv_cell

FORMATS = ("html", "md", "csv")
KINDS_SHOWN = ("news", "patent", "publication", "policy")


class ReportError(Exception):
    """The report cannot be built from this warehouse; the message says what to run first."""


# -- the queries, shown in the report under the figure they feed ----------------------------------------

SQL_EMERGING = "select * from v_emerging_topics order by score desc"
SQL_EMERGING_AS_OF = "select * from v_emerging_topics where as_of = ? order by score desc"
SQL_SOURCES = """select source, kind, count(*) as documents,
       count(*) filter (where inserted_at >= ?) as new_in_scan,
       count(*) filter (where published > ? - interval 7 day and published <= ?) as published_this_week
from documents group by source, kind order by documents desc, source"""
SQL_MARKETS = "select * from v_lead_market_overview order by lead_market_id"
SQL_MARKET_TOPICS = """select * from v_emerging_topics
where list_contains(lead_markets, ?) or list_contains(lead_markets, ?)
order by score desc limit ?"""
SQL_MAP = "select topic_id, label, list_sum(recent_series) as volume, growth, signal_class from v_emerging_topics"
SQL_TERMS = "select top_terms from v_emerging_topics where topic_id = ?"
SQL_PLACES = """select place, count(*) as documents
from v_topic_evidence, unnest(places) as t(place) where topic_id = ?
group by place order by documents desc, place limit ?"""
SQL_ACTORS = """select actor, count(*) as documents
from v_topic_evidence, unnest(actors) as t(actor) where topic_id = ?
group by actor order by documents desc, actor limit ?"""
SQL_MIX = "select kind, count(*) as documents from v_topic_evidence where topic_id = ? group by kind"
SQL_EVIDENCE = """select doc_id, title, url, published, kind, source, probability
from v_topic_evidence where topic_id = ?
order by probability desc nulls last, published desc nulls last, doc_id limit ?"""
SQL_SCORES_SCAN = """with recursive up(run_id, parent_run_id, command, started_at) as (
    select run_id, parent_run_id, command, started_at from runs where run_id = ?
    union all
    select r.run_id, r.parent_run_id, r.command, r.started_at from runs r join up on r.run_id = up.parent_run_id)
select run_id, command, started_at from up where parent_run_id is null"""


@dataclass
class EvidenceDoc:
    doc_id: str
    title: str
    url: str | None  # only http(s); anything else is dropped
    published: date | None
    kind: str
    source: str
    probability: float | None


@dataclass
class TopicCard:
    """One listed topic with everything the report says about it."""

    topic_id: str
    label: str
    top_terms: list[str]
    score: float
    signal_class: str
    trend: str
    growth: float | None
    first_seen: Any
    lead_markets: list[str]
    series: list[float]
    places: list[tuple[str, int]] = field(default_factory=list)
    actors: list[tuple[str, int]] = field(default_factory=list)
    source_mix: dict[str, int] = field(default_factory=dict)
    evidence: list[EvidenceDoc] = field(default_factory=list)

    @property
    def volume(self) -> float:
        return float(sum(self.series))

    @property
    def anchor(self) -> str:
        return topic_anchor(self.topic_id)


@dataclass
class MarketSection:
    lead_market_id: Any
    name_de: str
    name_en: str
    documents: int
    topics_count: int
    weak_signals: int
    strong_signals: int
    topics: list[TopicCard]


@dataclass
class Report:
    """Everything the templates need; built once, rendered three ways."""

    as_of: date | None
    granularity: str | None
    scores_run_id: int | None
    generated_at: datetime
    sources: list[dict[str, Any]]
    markets: list[MarketSection]
    topics: list[TopicCard]  # every listed topic, best first
    all_topics: list[dict[str, Any]]  # v_emerging_topics rows, for the map
    new_topics: list[dict[str, Any]]
    new_weak_signals: list[dict[str, Any]]
    turned_strong: list[dict[str, Any]]
    scores_scan: tuple[int, str, datetime] | None  # (run_id, command, started_at) of the run that scored
    volume_split: float
    sql: dict[str, str]

    @property
    def signal_counts(self) -> dict[str, int]:
        counts = {"strong": 0, "weak": 0, "noise": 0}
        for topic in self.all_topics:
            counts[topic["signal_class"]] = counts.get(topic["signal_class"], 0) + 1
        return counts

    @property
    def documents_total(self) -> int:
        return sum(int(s["documents"]) for s in self.sources)

    @property
    def documents_new(self) -> int:
        return sum(int(s["new_in_scan"]) for s in self.sources)


def topic_anchor(topic_id: Any) -> str:
    """The HTML id of a topic's card: ``topic-`` and the id with anything unusual replaced."""
    return "topic-" + re.sub(r"[^A-Za-z0-9_-]", "_", str(topic_id))


def safe_url(url: str | None) -> str | None:
    """The URL if it is plain http(s), else None: ``javascript:``, ``data:``, relative junk lose their link."""
    if not url:
        return None
    cleaned = "".join(ch for ch in str(url).strip() if ord(ch) > 32 and ch != "\x7f")
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return cleaned


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def build_report(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: date | None = None,
    config: Config | None = None,
) -> Report:
    """Read the views and collect the report; raises ReportError when there is nothing scored yet."""
    settings = config.section("report") if config else {}
    top_overall = int(settings.get("top_topics", 12))
    top_per_market = int(settings.get("top_per_market", 5))
    evidence_per_topic = int(settings.get("evidence_per_topic", 5))
    places_per_topic = int(settings.get("places_per_topic", 8))
    try:
        emerging = _rows(con, SQL_EMERGING) if as_of is None else _rows(con, SQL_EMERGING_AS_OF, [as_of])
    except duckdb.CatalogException as exc:
        raise ReportError(f"the warehouse has no topic scores yet ({exc}); run `foresight scan` first") from None
    if not emerging:
        if as_of is not None:
            raise ReportError(
                f"no topic scores as of {as_of}; run `foresight analyze --as-of {as_of}` first "
                "or leave out --as-of for the latest scores"
            )
        raise ReportError("no topics have been scored yet; run `foresight scan` (or `foresight analyze`) first")
    for row in emerging:
        row["topic_id"] = str(row["topic_id"])
    scores_as_of = _as_date(emerging[0].get("as_of")) or as_of
    scores_run_id = max((int(r["run_id"]) for r in emerging if r.get("run_id") is not None), default=None)

    # "New" documents are those the scan (or analyze) that produced these scores brought in.
    root = con.execute(SQL_SCORES_SCAN, [scores_run_id]).fetchone() if scores_run_id is not None else None
    scores_scan = (int(root[0]), str(root[1]), root[2]) if root else None
    week_end = scores_as_of or date.today()
    sources = _rows(con, SQL_SOURCES, [scores_scan[2] if scores_scan else datetime(1900, 1, 1), week_end, week_end])

    by_id = {row["topic_id"]: row for row in emerging}
    cards: dict[str, TopicCard] = {}

    def card(topic_id: str) -> TopicCard:
        if topic_id not in cards:
            cards[topic_id] = _topic_card(con, by_id[topic_id], evidence_per_topic, places_per_topic)
        return cards[topic_id]

    markets = []
    for market in _rows(con, SQL_MARKETS):
        rows = _rows(con, SQL_MARKET_TOPICS, [market["name_de"], market["name_en"], top_per_market])
        markets.append(
            MarketSection(
                lead_market_id=market["lead_market_id"],
                name_de=market["name_de"],
                name_en=market["name_en"],
                documents=int(market.get("documents") or 0),
                topics_count=int(market.get("topics") or 0),
                weak_signals=int(market.get("weak_signals") or 0),
                strong_signals=int(market.get("strong_signals") or 0),
                topics=[card(str(r["topic_id"])) for r in rows],
            )
        )
    for row in emerging[:top_overall]:
        card(row["topic_id"])
    listed = sorted(cards.values(), key=lambda c: -c.score)

    changes = signal_changes(con)
    volumes = sorted(float(sum(r.get("recent_series") or [])) for r in emerging)
    volume_split = volumes[len(volumes) // 2] if volumes else 1.0
    return Report(
        as_of=scores_as_of,
        granularity=emerging[0].get("granularity"),
        scores_run_id=scores_run_id,
        generated_at=datetime.now(UTC).replace(microsecond=0),
        sources=sources,
        markets=markets,
        topics=listed,
        all_topics=emerging,
        new_topics=changes.new_topics,
        new_weak_signals=changes.new_weak_signals,
        turned_strong=changes.turned_strong,
        scores_scan=scores_scan,
        volume_split=max(volume_split, 1.0),
        sql={
            "emerging": SQL_EMERGING if as_of is None else SQL_EMERGING_AS_OF.replace("?", f"DATE '{as_of}'"),
            "sources": SQL_SOURCES,
            "markets": SQL_MARKETS,
            "market_topics": SQL_MARKET_TOPICS,
            "map": SQL_MAP,
            "terms": SQL_TERMS,
            "places": SQL_PLACES,
            "actors": SQL_ACTORS,
            "mix": SQL_MIX,
            "evidence": SQL_EVIDENCE,
            "changes": "select * from scan_signal_snapshots where scan_run_id = "
            + (str(changes.baseline_scan_run_id) if changes.baseline_scan_run_id is not None else "NULL")
            + "  -- compared with v_emerging_topics",
        },
    )


def _topic_card(con: duckdb.DuckDBPyConnection, row: dict[str, Any], evidence: int, places: int) -> TopicCard:
    topic_id = row["topic_id"]
    key = row["topic_id"]
    mix = {str(kind): int(n) for kind, n in con.execute(SQL_MIX, [key]).fetchall()}
    docs = [
        EvidenceDoc(
            doc_id=str(r["doc_id"]),
            title=str(r["title"] or r["doc_id"]),
            url=safe_url(r["url"]),
            published=_as_date(r["published"]),
            kind=str(r["kind"]),
            source=str(r["source"]),
            probability=r["probability"],
        )
        for r in _rows(con, SQL_EVIDENCE, [key, evidence])
    ]
    return TopicCard(
        topic_id=topic_id,
        label=str(row.get("label") or f"topic {topic_id}"),
        top_terms=[str(t) for t in (row.get("top_terms") or [])],
        score=float(row.get("score") or 0.0),
        signal_class=str(row.get("signal_class") or "noise"),
        trend=str(row.get("trend") or ""),
        growth=float(row["growth"]) if row.get("growth") is not None else None,
        first_seen=row.get("first_seen"),
        lead_markets=[str(m) for m in (row.get("lead_markets") or [])],
        series=[float(v or 0) for v in (row.get("recent_series") or [])],
        places=[(str(p), int(n)) for p, n in con.execute(SQL_PLACES, [key, places]).fetchall()],
        actors=[(str(a), int(n)) for a, n in con.execute(SQL_ACTORS, [key, places]).fetchall()],
        source_mix=mix,
        evidence=docs,
    )


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


# -- rendering ------------------------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pipeline", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = markdown_escape
    env.filters["md_url"] = markdown_url
    env.filters["num"] = _format_number
    env.filters["anchor"] = topic_anchor
    return env


def render_html(report: Report) -> str:
    """The self-contained page: inline CSS and SVG, no script, no external resource."""
    map_points = [
        charts.MapPoint(
            topic_id=str(t["topic_id"]),
            label=str(t.get("label") or t["topic_id"]),
            volume=float(sum(t.get("recent_series") or [])),
            growth=float(t["growth"]) if t.get("growth") is not None else 1.0,
            signal_class=str(t.get("signal_class") or "noise"),
            show_label=i < 10,
        )
        for i, t in enumerate(report.all_topics)
    ]
    figures = {
        "map": charts.emergence_map(map_points, volume_split=report.volume_split),
        "sources": charts.bar_chart(
            [(f"{s['source']} ({s['kind']})", float(s["documents"])) for s in report.sources[:15]],
            title="documents per source",
        ),
        "markets": charts.bar_chart(
            [(m.name_de, float(m.documents)) for m in report.markets], title="documents per lead market"
        ),
    }
    return (
        _environment()
        .get_template("report.html")
        .render(
            report=report,
            figures=figures,
            sparkline=charts.sparkline,
            mix_bar=charts.source_mix_bar,
            kind_colours=charts.KIND_COLOURS,
            kind_labels=charts.KIND_LABELS,
            class_colours=charts.CLASS_COLOURS,
        )
    )


def render_markdown(report: Report) -> str:
    return _environment().get_template("report.md").render(report=report, kind_labels=charts.KIND_LABELS)


CSV_COLUMNS = (
    "topic_id",
    "label",
    "signal_class",
    "trend",
    "score",
    "growth",
    "first_seen",
    "lead_markets",
    "top_terms",
    "recent_series",
    "municipalities",
    "actors",
    "news",
    "patents",
    "publications",
    "policy",
    "evidence_urls",
)


def render_csv(report: Report) -> str:
    """One row per listed topic; list cells joined with '; ', every text cell defused for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for t in report.topics:
        writer.writerow(
            [
                safe_csv_cell(v)
                for v in (
                    t.topic_id,
                    t.label,
                    t.signal_class,
                    t.trend,
                    round(t.score, 4),
                    None if t.growth is None else round(t.growth, 4),
                    t.first_seen,
                    "; ".join(t.lead_markets),
                    "; ".join(t.top_terms),
                    " ".join(_format_number(v) for v in t.series),
                    "; ".join(p for p, _ in t.places),
                    "; ".join(a for a, _ in t.actors),
                    t.source_mix.get("news", 0),
                    t.source_mix.get("patent", 0),
                    t.source_mix.get("publication", 0),
                    t.source_mix.get("policy", 0),
                    " ".join(d.url for d in t.evidence if d.url),
                )
            ]
        )
    return buffer.getvalue()


def write_report(report: Report, out: Path, formats: Sequence[str] = FORMATS) -> dict[str, Path]:
    """Write the report; `out` is a folder (dated file names) or an ``.html`` file (siblings .md/.csv)."""
    if out.suffix.lower() in (".html", ".htm"):
        stem = out.with_suffix("")
    else:
        stem = out / f"foresight-report-{(report.as_of or report.generated_at.date()).isoformat()}"
    stem.parent.mkdir(parents=True, exist_ok=True)
    renderers = {"html": render_html, "md": render_markdown, "csv": render_csv}
    paths: dict[str, Path] = {}
    for fmt in formats:
        if fmt not in renderers:
            raise ReportError(f"unknown report format {fmt!r}; use {', '.join(FORMATS)}")
        path = out if fmt == "html" and out.suffix.lower() in (".html", ".htm") else stem.with_suffix(f".{fmt}")
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(renderers[fmt](report), encoding="utf-8")
        temporary.replace(path)  # a reader never sees half a report
        paths[fmt] = path
    return paths


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def markdown_escape(value: Any) -> str:
    """Text from documents as literal Markdown: no links, emphasis, HTML or table breaks sneak in."""
    text = " ".join(str(value if value is not None else "").split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def markdown_url(url: str | None) -> str:
    """An http(s) URL safe inside ``(...)`` of a Markdown link (spaces, brackets, quotes encoded)."""
    safe = safe_url(url)
    return quote(safe, safe=":/?#@!$&*+,;=%-._~") if safe else ""


def _format_number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


__all__ = [
    "FORMATS",
    "Report",
    "ReportError",
    "TopicCard",
    "build_report",
    "render_csv",
    "render_html",
    "render_markdown",
    "safe_url",
    "write_report",
]
