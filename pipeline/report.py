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
import json
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
from sources.document import KINDS
from warehouse import report_queries as q
from warehouse.db import Warehouse
from warehouse.signals import ScoresRun, emerging_terms, emerging_topics, latest_scores, scored, topic_documents

FORMATS = ("html", "md", "csv")
KINDS_SHOWN = KINDS  # every document kind, in the order of sources.document.KINDS


class ReportError(Exception):
    """The report cannot be built from this warehouse; the message says what to run first."""


@dataclass
class EvidenceDoc:
    doc_id: str
    title: str
    url: str | None  # only http(s); anything else is dropped
    published: date | None
    kind: str
    source: str
    similarity: float | None  # cosine of the document to the topic's centroid


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
    technology: float | None = None
    is_technology: bool = False
    rising_terms: list[str] = field(default_factory=list)
    life_cycle: str | None = None
    is_new: bool = False
    carried_by: str | None = None  # the rising term it is ranked by (`pipeline.emergence_stage.carry_rising_term`)

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
    terms: list[dict[str, Any]]  # the emerging terms, technologies first
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


def build_report(
    warehouse: Warehouse,
    *,
    as_of: date | None = None,
    config: Config | None = None,
    granularity: str | None = None,
) -> Report:
    """Read the scores and collect the report; raises ReportError when there is nothing scored yet.

    The scores are the latest of `granularity` (default: the configured `[analysis] granularity`), or those held
    for `as_of` (see `warehouse.signals.latest_scores`): one run, never a mix of granularities or dates.
    """
    config = config or Config()
    settings = config.report
    granularity = granularity or config.analysis.granularity
    try:
        scores = latest_scores(warehouse, granularity, as_of)
    except duckdb.CatalogException as exc:
        raise ReportError(f"the warehouse has no topic scores yet ({exc}); run `foresight scan` first") from None
    if scores is None:
        raise ReportError(_nothing_scored(warehouse, granularity, as_of))
    emerging = q.rows(warehouse, q.SQL_EMERGING, [scores.run_id])
    for row in emerging:
        row["topic_id"] = str(row["topic_id"])

    # "New" documents are those the scan (or analyze) that produced these scores brought in.
    scores_scan = warehouse.runs.root_of(scores.run_id)
    week_end = scores.as_of
    sources_params = [scores_scan[2] if scores_scan else datetime(1900, 1, 1), week_end, week_end]
    sources = q.rows(warehouse, q.SQL_SOURCES, sources_params)

    by_id = {row["topic_id"]: row for row in emerging}
    cards: dict[str, TopicCard] = {}

    def card(topic_id: str) -> TopicCard:
        if topic_id not in cards:
            cards[topic_id] = _topic_card(
                warehouse, scores, by_id[topic_id], settings.evidence_per_topic, settings.places_per_topic
            )
        return cards[topic_id]

    markets = []
    for market in q.rows(warehouse, q.SQL_MARKETS, [scores.run_id]):
        rows = emerging_topics(warehouse, scores, market=market["lead_market_id"], top=settings.top_per_market)
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
    for row in emerging[: settings.top_topics]:
        card(row["topic_id"])
    listed = sorted(cards.values(), key=lambda c: (not c.is_technology, -c.score))  # technologies first

    changes = signal_changes(warehouse, scores)
    volumes = sorted(float(sum(r.get("recent_series") or [])) for r in emerging)
    volume_split = volumes[len(volumes) // 2] if volumes else 1.0
    example = emerging[0]["topic_id"] if emerging else 0
    fit, top = scores.fit_run_id, settings.evidence_per_topic
    return Report(
        as_of=scores.as_of,
        granularity=scores.granularity,
        scores_run_id=scores.run_id,
        generated_at=datetime.now(UTC).replace(microsecond=0),
        sources=sources,
        markets=markets,
        topics=listed,
        all_topics=emerging,
        new_topics=changes.new_topics,
        new_weak_signals=changes.new_weak_signals,
        turned_strong=changes.turned_strong,
        terms=emerging_terms(warehouse, scores, top=settings.top_terms),
        scores_scan=scores_scan,
        volume_split=max(volume_split, 1.0),
        sql={
            "emerging": q.shown(q.SQL_EMERGING, [scores.run_id]),
            "sources": q.shown(q.SQL_SOURCES, sources_params),
            "markets": q.shown(q.SQL_MARKETS, [scores.run_id]),
            "market_topics": q.shown(
                q.SQL_MARKET_TOPICS, [scores.run_id, None, None, "LEAD_MARKET_ID", "LEAD_MARKET_ID",
                                      "LEAD_MARKET_ID", False, settings.top_per_market]
            ),
            "map": q.shown(q.SQL_MAP, [scores.run_id]),
            "terms": q.shown(q.SQL_TERMS, [scores.run_id, int(example)]),
            "places": q.shown(q.SQL_PLACES, [fit, int(example), settings.places_per_topic]),
            "actors": q.shown(q.SQL_ACTORS, [fit, int(example), settings.places_per_topic]),
            "mix": q.shown(q.SQL_MIX, [fit, int(example)]),
            "evidence": q.shown(q.SQL_EVIDENCE, [fit, int(example), top]),
            "changes": q.shown(q.SQL_CHANGES, [changes.baseline_scan_run_id]) + "  -- compared with the scores above",
            "terms_emerging": q.shown(q.SQL_EMERGING_TERMS, [scores.run_id, settings.top_terms]),
        },
    )  # fmt: skip


def _nothing_scored(warehouse: Warehouse, granularity: str, as_of: date | None) -> str:
    have = ", ".join(f"{g} (as of {d})" for g, d in scored(warehouse))
    if not have:
        return "no topics have been scored yet; run `foresight scan` (or `foresight analyze`) first"
    when = f" as of {as_of}" if as_of else ""
    return (
        f"no {granularity} scores{when}; scored so far: {have}. Run `foresight analyze --granularity {granularity}"
        + (f" --as-of {as_of}" if as_of else "")
        + "`, or choose a scored granularity"
    )


def _topic_card(warehouse: Warehouse, scores: ScoresRun, row: dict[str, Any], evidence: int, places: int) -> TopicCard:
    topic_id = row["topic_id"]
    key = int(topic_id)
    fit = scores.fit_run_id
    mix = {str(r["kind"]): int(r["documents"]) for r in q.rows(warehouse, q.SQL_MIX, [fit, key])}
    docs = [
        EvidenceDoc(
            doc_id=str(r["doc_id"]),
            title=str(r["title"] or r["doc_id"]),
            url=safe_url(r["url"]),
            published=_as_date(r["published"]),
            kind=str(r["kind"]),
            source=str(r["source"]),
            similarity=r["similarity"],
        )
        for r in topic_documents(warehouse, fit, key, evidence)
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
        places=[(str(r["place"]), int(r["documents"])) for r in q.rows(warehouse, q.SQL_PLACES, [fit, key, places])],
        actors=[(str(r["actor"]), int(r["documents"])) for r in q.rows(warehouse, q.SQL_ACTORS, [fit, key, places])],
        source_mix=mix,
        evidence=docs,
        technology=float(row["technology"]) if row.get("technology") is not None else None,
        is_technology=bool(row.get("is_technology")),
        rising_terms=[str(t["term"]) for t in _json_list(row.get("rising_terms"))],
        life_cycle=(_json_dict(row.get("life_cycle")) or {}).get("described"),
        is_new=bool(row.get("is_new")),
        carried_by=_carried_by((_json_dict(row.get("evidence")) or {}).get("carried_by")),
    )


def _carried_by(carried: dict[str, Any] | None) -> str | None:
    """What an analyst reads about the rising term a topic is ranked by, or None."""
    if not carried:
        return None
    return (
        f"{carried['term']} ({carried['recent_share']:.0%} of its recent documents, "
        f"term score {carried['term_score']:.2f})"
    )


def _json_list(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, str) else list(value or [])


def _json_dict(value: Any) -> dict[str, Any] | None:
    return json.loads(value) if isinstance(value, str) else value


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
    "technology",
    "rising_terms",
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
                    None if t.technology is None else round(t.technology, 4),
                    "; ".join(t.rising_terms),
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
