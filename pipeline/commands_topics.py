"""Commands of the topics area: `analyze`, `emerging` and `topic`.

`analyze` writes (language step, embeddings, topics, scores); `emerging` and `topic` only read the analyst
views of migration 004. Every filter reaches DuckDB as a query parameter, never pasted into SQL text.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from models.periods import period_label
from pipeline.app import AppState, app, console, err_console, fail, open_reader, open_writer, state
from pipeline.output import FORMATS, render_rows
from warehouse.db import Warehouse

if TYPE_CHECKING:
    from warehouse.signals import ScoresRun

GRANULARITY_HELP = "week, month, quarter or year."


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date like 2023-12-31, not {value!r}")


@app.command()
def analyze(
    ctx: typer.Context,
    granularity: Annotated[
        str | None, typer.Option("--granularity", help=f"Period of the series: {GRANULARITY_HELP}")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Use only documents published up to this date (YYYY-MM-DD).")
    ] = None,
    skip_language: Annotated[
        bool, typer.Option("--skip-language", help="Do not run the language step (topics then use plain words).")
    ] = False,
) -> None:
    """Language step, embeddings, topics and emergence scores for everything not yet done."""
    from models.periods import GRANULARITIES
    from pipeline.analyze import AnalyzeError, run_analyze, without_language_step
    from pipeline.progress import make_progress
    from warehouse.documents import document_count

    app_state = state(ctx)
    if granularity is not None and granularity not in GRANULARITIES:
        fail(f"unknown granularity {granularity!r}; use one of {', '.join(GRANULARITIES)}")
    day = _parse_day(as_of, "--as-of")
    config = without_language_step(app_state.config) if skip_language else app_state.config
    with open_writer(app_state) as wh:
        if document_count(wh) == 0:
            fail("the warehouse has no documents; run `foresight import` or `foresight ingest` first")
        try:
            result = run_analyze(wh, config, granularity=granularity, as_of=day, progress=make_progress())
        except AnalyzeError as exc:
            fail(str(exc))
        if result.changed_nothing:
            wh.nothing_for_readers()  # the readers' snapshot stays as it is (warehouse.db)
    fit = f"reused fit run {result.fit_run_id}" if result.fit_reused else f"fit run {result.fit_run_id}"
    console.print(
        f"run {result.run_id}: as of {result.as_of} ({result.granularity}): embedded {result.embedded}, "
        f"{result.window_documents} documents in the window, {fit}: {result.topics} topics "
        f"({result.new_topics} new, {result.continued_topics} continued, {result.merged_topics} merged), "
        + (f"scores reused (run {result.signals_run_id})" if result.scores_reused else f"{result.signals} scored")
        + f"; seconds {json.dumps(result.seconds)}"
    )


def chosen_scores(wh: Warehouse, app_state: AppState, granularity: str | None, day: date | None) -> ScoresRun:
    """The scores a reading command shows: the latest (or those of --as-of) of --granularity or the configured one."""
    from warehouse.signals import latest_scores, scored

    wanted = granularity or app_state.config.analysis.granularity
    scores = latest_scores(wh, wanted, day)
    if scores is not None:
        return scores
    have = scored(wh)
    if not have:
        fail("no topics have been scored yet; run `foresight analyze` first")
    listed = ", ".join(f"{g} (latest as of {d})" for g, d in have)
    fail(
        f"no {wanted} scores" + (f" as of {day}" if day else "") + f"; scored so far: {listed}. "
        f"Pass --granularity, or run `foresight analyze --granularity {wanted}"
        + (f" --as-of {day}" if day else "")
        + "`"
    )


@app.command()
def emerging(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Scores as of this date (an analyze run).")] = None,
    granularity: Annotated[
        str | None, typer.Option("--granularity", help=GRANULARITY_HELP + " Default: [analysis] granularity.")
    ] = None,
    market: Annotated[str | None, typer.Option("--market", help="Lead market id or name, e.g. mobilitaet.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only topics with this source kind, e.g. patent.")] = None,
    top: Annotated[int, typer.Option("--top", help="How many topics.", min=1)] = 20,
    terms: Annotated[bool, typer.Option("--terms", help="Emerging terms instead of topics.")] = False,
    everything: Annotated[
        bool, typer.Option("--all", help="Rank by score alone (default: technologies first, then the rest).")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Topics (or terms) ranked by emergence, technologies first, with signal class, birth, lead markets and series."""
    from warehouse.signals import emerging_terms, emerging_topics

    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    day = _parse_day(as_of, "--as-of")
    app_state = state(ctx)
    with open_reader(app_state) as wh:
        scores = chosen_scores(wh, app_state, granularity, day)
        if terms:
            rows = emerging_terms(wh, scores, kind=kind, top=top, everything=everything)
        else:
            rows = emerging_topics(wh, scores, kind=kind, market=market, top=top, everything=everything)
    title = f"Emerging {'terms' if terms else 'topics'} as of {scores.as_of} ({scores.granularity})"
    if terms:
        render_rows(*_term_table(rows, scores.granularity, fmt), fmt, title=title)
    else:
        render_rows(*_topic_table(rows, scores.granularity, fmt), fmt, title=title)


def _listed(values: list[Any] | None, fmt: str, limit: int | None = None) -> Any:  # noqa: ANN401 - text or list
    items = list(values or [])[:limit] if limit else list(values or [])
    return ", ".join(str(v) for v in items) if fmt == "table" else items


def _series(values: list[Any] | None, fmt: str) -> Any:  # noqa: ANN401 - text or list
    return " ".join(str(c) for c in (values or [])[-8:]) if fmt == "table" else list(values or [])


def _technology_line(technology: dict[str, Any]) -> str:
    """One line saying how much a topic is a technology and why."""
    verdict = "a technology" if technology["is_technology"] else "not a technology"
    parts = [
        f"lead-market documents {technology.get('lead_market_share', 0):.0%}",
        f"seed words {technology.get('seed_word_share', 0):.0%}",
        f"technical words {technology.get('technical_word_share', 0):.0%}",
    ]
    if technology.get("research_share") is not None:
        parts.append(f"patents and publications {technology['research_share']:.0%}")
    return f"technology {technology['score']:.2f} ({verdict}): " + ", ".join(parts)


def _topic_table(rows: list[dict[str, Any]], granularity: str, fmt: str) -> tuple[list[str], list[list[Any]]]:
    columns = ["id", "label", "top_terms", "rising_terms", "score", "technology", "signal_class", "trend",
               "carried_by", "first_seen", "new", "lead_markets", "recent_series"]  # fmt: skip
    table = [
        [
            r["topic_id"],
            r["label"],
            _listed(r["top_terms"], fmt, 5 if fmt == "table" else None),
            _listed([t["term"] for t in r["rising_terms"] or []], fmt, 3 if fmt == "table" else None)
            if fmt == "table"
            else list(r["rising_terms"] or []),
            round(float(r["score"]), 3) if r["score"] is not None else None,
            round(float(r["technology"]), 2) if r["technology"] is not None else None,
            r["signal_class"],
            r["trend"],
            _carried_by(r, fmt),
            period_label(r["first_seen"], granularity),
            bool(r["is_new"]),
            _listed(r["lead_markets"], fmt),
            _series(r["recent_series"], fmt),
        ]
        for r in rows
    ]
    return columns, table


def _carried_by(row: dict[str, Any], fmt: str) -> Any:
    """The rising term a topic is ranked by (`pipeline.emergence_stage.carry_rising_term`): its numbers in JSON,
    its name in a table, nothing where the topic's own score ranks it."""
    carried = (row.get("evidence") or {}).get("carried_by")
    if not carried:
        return None
    return carried if fmt == "json" else carried["term"]


def _term_table(rows: list[dict[str, Any]], granularity: str, fmt: str) -> tuple[list[str], list[list[Any]]]:
    columns = ["term", "score", "technology", "signal_class", "trend", "growth", "first_seen", "new", "documents",
               "kinds", "recent_series"]  # fmt: skip
    table = [
        [
            r["term"],
            round(float(r["score"]), 3) if r["score"] is not None else None,
            round(float(r["technology"]), 2) if r["technology"] is not None else None,
            r["signal_class"],
            r["trend"],
            round(float(r["growth"]), 2) if r["growth"] is not None else None,
            period_label(r["first_seen"], granularity),
            bool(r["is_new"]),
            r["documents"],
            _listed(r["kinds"], fmt),
            _series(r["recent_series"], fmt),
        ]
        for r in rows
    ]
    return columns, table


@app.command()
def topic(
    ctx: typer.Context,
    topic_id: Annotated[int, typer.Argument(help="Topic id (from `foresight emerging`).")],
    granularity: Annotated[str | None, typer.Option("--granularity", help=GRANULARITY_HELP)] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Scores as of this date (an analyze run).")] = None,
    evidence: Annotated[int, typer.Option("--evidence", help="How many evidence documents.", min=0)] = 10,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """One topic: its terms, score, series and the documents behind it."""
    from warehouse.signals import topic_documents, topic_head, topic_series, topic_signal

    if fmt not in ("table", "json"):
        fail(f"unknown format {fmt!r}; use table or json")
    day = _parse_day(as_of, "--as-of")
    app_state = state(ctx)
    with open_reader(app_state) as wh:
        head = topic_head(wh, topic_id)
        if head is None:
            fail(f"no topic {topic_id}; list topics with `foresight emerging`")
        scores = chosen_scores(wh, app_state, granularity, day)
        signal = topic_signal(wh, topic_id, scores)
        series = topic_series(wh, topic_id, scores.run_id) if signal else []
        documents = topic_documents(wh, scores.fit_run_id, topic_id, evidence) if signal else []
    signal_names = [
        "score", "signal_class", "trend", "growth", "mk_tau", "mk_p", "sen_slope", "burst", "escore", "novelty",
        "popularity", "kinds_present", "lead_markets", "as_of", "granularity", "run_id",
    ]  # fmt: skip
    info = {
        "topic_id": head.topic_id,
        "label": signal["label"] if signal else head.label,
        "top_terms": list(signal["top_terms"] or []) if signal else head.top_terms,
        "first_seen": head.first_seen,
        "status": head.status,
        "merged_into": head.merged_into,
        "size": head.size,
        "signal": {name: signal[name] for name in signal_names} if signal else None,
        "technology": (
            {
                "score": signal["technology"],
                "is_technology": signal["is_technology"],
                **(signal["technology_evidence"] or {}),
            }
            if signal
            else None
        ),
        "is_new": bool(signal["is_new"]) if signal else None,
        "carried_by": _carried_by(signal, "json") if signal else None,
        "rising_terms": list(signal["rising_terms"] or []) if signal else [],
        "life_cycle": signal["life_cycle"] if signal else None,
        "series": [
            {"period": period_label(p, scores.granularity), "doc_count": c, "total_count": t, "share": s}
            for p, c, t, s in series
        ],
        "evidence": [
            {
                k: d[k]
                for k in ("doc_id", "title", "published", "kind", "source", "similarity", "places", "actors", "url")
            }
            for d in documents
        ],
    }
    if fmt == "json":
        render_rows(list(info), [list(info.values())], "json")
        return
    console.print(
        f"[bold]topic {head.topic_id}[/]: {info['label']}  ({head.status}, first seen {head.first_seen}, "
        f"{head.size} documents)"
    )
    if head.merged_into is not None:
        console.print(f"merged into topic {head.merged_into}")
    console.print("terms: " + ", ".join(info["top_terms"]), highlight=False)
    if signal:
        s = info["signal"]
        console.print(
            f"as of {s['as_of']} ({s['granularity']}): score {s['score']:.3f}, {s['signal_class']}, {s['trend']}, "
            f"growth {s['growth']:.2f}, Mann-Kendall tau {s['mk_tau']:.2f} (p {s['mk_p']:.3f}), "
            f"lead markets {', '.join(s['lead_markets'] or []) or '-'}, kinds {', '.join(s['kinds_present'] or [])}",
            highlight=False,
        )
        carried = info["carried_by"]
        if carried:
            console.print(
                f"ranked by its rising term {carried['term']}: term score {carried['term_score']:.3f} x "
                f"{carried['recent_share']:.0%} of its recent documents = {carried['score']:.3f} "
                f"(its own score {signal['evidence'].get('own_score', float('nan')):.3f})",
                highlight=False,
            )
        technology = info["technology"] or {}
        if technology.get("score") is not None:
            console.print(_technology_line(technology), highlight=False)
        if info["rising_terms"]:
            rising = [
                f"{t['term']} ({t['earlier_count']:.0f} -> {t['recent_count']:.0f})" for t in info["rising_terms"]
            ]
            console.print("rising terms: " + ", ".join(rising), highlight=False)
        if info["life_cycle"] and info["life_cycle"].get("described"):
            console.print(f"life cycle: {info['life_cycle']['described']}", highlight=False)
    else:
        err_console.print(f"topic {topic_id} has no scores as of {scores.as_of} ({scores.granularity})")
    render_rows(["period", "doc_count", "total_count", "share"], [list(r.values()) for r in info["series"]], "table")
    render_rows(
        ["doc_id", "title", "published", "kind", "similarity", "places", "actors"],
        [[d["doc_id"], d["title"], d["published"], d["kind"], round(d["similarity"] or 0, 3), d["places"],
          d["actors"]] for d in documents],
        "table",
        title="Evidence",
    )  # fmt: skip
