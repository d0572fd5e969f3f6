"""Commands of the topics area: `analyze`, `emerging` and `topic`.

`analyze` writes (language step, embeddings, topics, scores); `emerging` and `topic` only read the analyst
views of migration 004. Every filter reaches DuckDB as a query parameter, never pasted into SQL text.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer

from pipeline.app import app, console, err_console, fail, open_reader, open_writer, state
from pipeline.output import FORMATS, render_rows

GRANULARITY_HELP = "week, month, quarter or year."


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date like 2023-12-31, not {value!r}")


def period_label(day: date | None, granularity: str | None) -> str:
    """How analysts name a period: 2021, 2021-Q3, 2021-07, 2021-W28."""
    if day is None:
        return ""
    if granularity == "year":
        return f"{day.year}"
    if granularity == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if granularity == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


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
    from dataclasses import replace

    from pipeline.analyze import GRANULARITIES, AnalyzeError, AnalyzeSettings, run_analyze
    from pipeline.progress import make_progress

    app_state = state(ctx)
    if granularity is not None and granularity not in GRANULARITIES:
        fail(f"unknown granularity {granularity!r}; use one of {', '.join(GRANULARITIES)}")
    day = _parse_day(as_of, "--as-of")
    try:
        settings = AnalyzeSettings.from_config(app_state.config)
    except AnalyzeError as exc:
        fail(str(exc))
    if skip_language:
        settings = replace(settings, run_language=False)
    with open_writer(app_state) as wh:
        total = wh.con.execute("select count(*) from documents").fetchall()
        if not total or total[0][0] == 0:
            fail("the warehouse has no documents; run `foresight import` or `foresight ingest` first")
        try:
            result = run_analyze(
                wh, app_state.config, granularity=granularity, as_of=day, settings=settings, progress=make_progress()
            )
        except AnalyzeError as exc:
            fail(str(exc))
    fit = f"reused fit run {result.fit_run_id}" if result.fit_reused else f"fit run {result.fit_run_id}"
    console.print(
        f"run {result.run_id}: as of {result.as_of} ({result.granularity}): embedded {result.embedded}, "
        f"{result.window_documents} documents in the window, {fit}: {result.topics} topics "
        f"({result.new_topics} new, {result.continued_topics} continued, {result.merged_topics} merged), "
        + (f"scores reused (run {result.signals_run_id})" if result.scores_reused else f"{result.signals} scored")
        + f"; seconds {json.dumps(result.seconds)}"
    )


EMERGING_SQL = """
with chosen as (
    select granularity, max(run_id) as run_id from signals
    where (?::varchar is null or granularity = ?::varchar) and (?::date is null or as_of = ?::date)
    group by granularity order by run_id desc limit 1
)
select v.topic_id, v.label, v.top_terms, v.score, v.signal_class, v.trend, v.first_seen, v.lead_markets,
       v.recent_series, v.kinds_present, v.growth, v.as_of, v.granularity
from v_topic_signals v join chosen using (granularity, run_id)
where (?::varchar is null or list_contains(v.kinds_present, ?::varchar))
  and (?::varchar is null
       or list_contains([lower(x) for x in v.lead_markets], lower(?::varchar))
       or list_contains([lower(x) for x in v.lead_market_ids], lower(?::varchar)))
order by v.score desc nulls last, v.topic_id
limit ?
"""


@app.command()
def emerging(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Scores as of this date (an analyze run).")] = None,
    granularity: Annotated[str | None, typer.Option("--granularity", help=GRANULARITY_HELP)] = None,
    market: Annotated[str | None, typer.Option("--market", help="Lead market id or name, e.g. mobilitaet.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only topics with this source kind, e.g. patent.")] = None,
    top: Annotated[int, typer.Option("--top", help="How many topics.", min=1)] = 20,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Topics ranked by emergence score, with signal class, first-seen period, lead markets and recent series."""
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    day = _parse_day(as_of, "--as-of")
    with open_reader(state(ctx)) as wh:
        params: list[Any] = [granularity, granularity, day, day, kind, kind, market, market, market, top]
        rows = wh.con.execute(EMERGING_SQL, params).fetchall()
        if not rows:
            scored = wh.con.execute("select count(*) from signals").fetchall()
            if not scored or scored[0][0] == 0:
                fail("no topics have been scored yet; run `foresight analyze --granularity month` first")
            if day is not None or granularity is not None:
                fail(
                    "no scores for these options; run `foresight analyze"
                    + (f" --granularity {granularity}" if granularity else "")
                    + (f" --as-of {day}" if day else "")
                    + "` first"
                )
    columns = [
        "id",
        "label",
        "top_terms",
        "score",
        "signal_class",
        "trend",
        "first_seen",
        "lead_markets",
        "recent_series",
    ]
    table = [
        [
            r[0],
            r[1],
            ", ".join(list(r[2] or [])[:5]) if fmt == "table" else list(r[2] or []),
            round(float(r[3]), 3) if r[3] is not None else None,
            r[4],
            r[5],
            period_label(r[6], r[12]),
            ", ".join(r[7] or []) if fmt == "table" else list(r[7] or []),
            " ".join(str(c) for c in (r[8] or [])[-8:]) if fmt == "table" else list(r[8] or []),
        ]
        for r in rows
    ]
    title = f"Emerging topics as of {rows[0][11]} ({rows[0][12]})" if rows else "Emerging topics"
    render_rows(columns, table, fmt, title=title)


@app.command()
def topic(
    ctx: typer.Context,
    topic_id: Annotated[int, typer.Argument(help="Topic id (from `foresight emerging`).")],
    granularity: Annotated[str | None, typer.Option("--granularity", help=GRANULARITY_HELP)] = None,
    evidence: Annotated[int, typer.Option("--evidence", help="How many evidence documents.", min=0)] = 10,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """One topic: its terms, score, series and the documents behind it."""
    if fmt not in ("table", "json"):
        fail(f"unknown format {fmt!r}; use table or json")
    with open_reader(state(ctx)) as wh:
        con = wh.con
        heads = con.execute(
            """
            select topic_id, label, top_terms, first_seen, status, merged_into, size, representative_doc_ids
            from topics where topic_id = ?
            """,
            [topic_id],
        ).fetchall()
        head = heads[0] if heads else None
        if head is None:
            fail(f"no topic {topic_id}; list topics with `foresight emerging`")
        signals = con.execute(
            """
            select score, signal_class, trend, growth, mk_tau, mk_p, sen_slope, burst, escore, novelty, popularity,
                   kinds_present, lead_markets, as_of, granularity, run_id
            from v_topic_signals where topic_id = ? and (?::varchar is null or granularity = ?::varchar)
            order by run_id desc limit 1
            """,
            [topic_id, granularity, granularity],
        ).fetchall()
        signal = signals[0] if signals else None
        chosen = granularity or (signal[14] if signal else None)
        series = con.execute(
            """
            select period_start, doc_count, total_count, share from topic_series
            where topic_id = ? and kind = 'all' and lead_market_id = 'all' and run_id = ?
            order by period_start
            """,
            [topic_id, signal[15] if signal else -1],
        ).fetchall()
        documents = con.execute(
            """
            select doc_id, title, published, kind, source, probability, places, actors, url
            from v_topic_evidence where topic_id = ? order by probability desc nulls last, doc_id limit ?
            """,
            [topic_id, evidence],
        ).fetchall()
    signal_names = [
        "score", "signal_class", "trend", "growth", "mk_tau", "mk_p", "sen_slope", "burst", "escore", "novelty",
        "popularity", "kinds_present", "lead_markets", "as_of", "granularity", "run_id",
    ]  # fmt: skip
    info = {
        "topic_id": head[0],
        "label": head[1],
        "top_terms": list(head[2] or []),
        "first_seen": head[3],
        "status": head[4],
        "merged_into": head[5],
        "size": head[6],
        "signal": dict(zip(signal_names, signal, strict=True)) if signal else None,
        "series": [
            {"period": period_label(p, chosen), "doc_count": c, "total_count": t, "share": s} for p, c, t, s in series
        ],
        "evidence": [
            dict(
                zip(
                    ["doc_id", "title", "published", "kind", "source", "probability", "places", "actors", "url"],
                    d,
                    strict=True,
                )
            )
            for d in documents
        ],
    }
    if fmt == "json":
        render_rows(list(info), [list(info.values())], "json")
        return
    console.print(f"[bold]topic {head[0]}[/]: {head[1]}  ({head[4]}, first seen {head[3]}, {head[6]} documents)")
    if head[5] is not None:
        console.print(f"merged into topic {head[5]}")
    console.print("terms: " + ", ".join(info["top_terms"]), highlight=False)
    if signal:
        s = info["signal"]
        console.print(
            f"as of {s['as_of']} ({s['granularity']}): score {s['score']:.3f}, {s['signal_class']}, {s['trend']}, "
            f"growth {s['growth']:.2f}, Mann-Kendall tau {s['mk_tau']:.2f} (p {s['mk_p']:.3f}), "
            f"lead markets {', '.join(s['lead_markets'] or []) or '-'}, kinds {', '.join(s['kinds_present'] or [])}",
            highlight=False,
        )
    else:
        err_console.print("no scores for this topic yet; run `foresight analyze`")
    render_rows(["period", "doc_count", "total_count", "share"], [list(r.values()) for r in info["series"]], "table")
    render_rows(
        ["doc_id", "title", "published", "kind", "probability", "places", "actors"],
        [[d[0], d[1], d[2], d[3], round(d[5] or 0, 3), d[6], d[7]] for d in documents],
        "table",
        title="Evidence",
    )
