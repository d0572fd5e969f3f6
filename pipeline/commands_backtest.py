"""`foresight backtest SPEC.toml`: replay a history and say whether the radar would have shown what it should have.

Exit code 0 when every check of the spec holds, 1 when some fail (so a backtest can be a CI check), 2 when the spec
cannot be run as written (the one-line error says what to fix). The logic is in `pipeline.backtest`; the spec
format in `pipeline.backtest_spec` and docs/backtests.md.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.app import app, console, err_console, fail, state
from pipeline.output import render_rows, to_jsonable

BACKTEST_FORMATS = ("table", "json")


@app.command()
def backtest(
    ctx: typer.Context,
    spec_file: Annotated[Path, typer.Argument(help="Backtest spec (TOML), e.g. benchmarks/backtests/bundestag.toml.")],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Folder the spec's input file is relative to (default: the spec's `data`).",
            envvar="FORESIGHT_BACKTEST_DATA",
        ),
    ] = None,  # fmt: skip
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="Also write the JSON result to this file.")] = None,
    work: Annotated[
        Path | None, typer.Option("--work", help="Keep the replay warehouse in this (new or empty) folder.")
    ] = None,
    shares: Annotated[
        bool,
        typer.Option("--shares", help="Only print each technology's document share per period (no replay)."),
    ] = False,
) -> None:
    """Replay a history checkpoint by checkpoint through import, analyze and the emerging ranking; judge each one."""
    from pipeline.backtest import run_backtest, share_table
    from pipeline.backtest_spec import SpecError, load_spec

    if fmt not in BACKTEST_FORMATS:
        fail(f"unknown format {fmt!r}; use table or json", code=2)
    app_state = state(ctx)
    try:
        spec = load_spec(spec_file, app_state.config, data_dir=data)
        if shares:
            _print_shares(share_table(spec, source_db=app_state.db), fmt)
            return
        if work is not None:
            work.mkdir(parents=True, exist_ok=True)
            result = run_backtest(spec, work, source_db=app_state.db, say=_say)
        else:
            with tempfile.TemporaryDirectory(prefix="foresight-backtest-") as folder:
                result = run_backtest(spec, Path(folder), source_db=app_state.db, say=_say)
    except SpecError as exc:
        fail(str(exc), code=2)
    text = json.dumps(to_jsonable(result), ensure_ascii=False, indent=1)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    if fmt == "json":
        typer.echo(text)
    else:
        print_result(result)
    if not result["summary"]["passed"]:
        raise typer.Exit(1)


def _print_shares(table: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps(table, ensure_ascii=False, indent=1))
        return
    names = [k for k in (table["periods"][0] if table["periods"] else {}) if k not in ("period", "documents")]
    render_rows(
        ["period", "documents", *names],
        [
            [row["period"], row["documents"], *(f"{row[n]['documents']} ({row[n]['share']:.2%})" for n in names)]
            for row in table["periods"]
        ],
        "table",
        title=f"Documents matching each technology of {table['spec']}, per {table['granularity']}",
        console=console,
    )


def _say(line: str) -> None:
    err_console.print(line, highlight=False, soft_wrap=True)


def print_result(result: dict[str, Any]) -> None:
    """The top N per checkpoint, every check with its evidence, the lead times and the summary."""
    top = result["top"]
    for checkpoint in result["checkpoints"]:
        precision = checkpoint["precision"]
        judged = {True: "tech", False: "not", None: "?"}
        render_rows(
            ["rank", "id", "label", "score", "class", "trend", "burst", "tech", "matches"],
            [
                [
                    t["rank"],
                    t["topic_id"],
                    t["label"],
                    t["score"],
                    t["class"],
                    t["trend"],
                    t["burst"],
                    judged[t["technology"]] if precision else "",
                    ", ".join(t["matches"]),
                ]
                for t in checkpoint["top"]
            ],  # fmt: skip
            "table",
            title=f"Top {top} as of {checkpoint['as_of']} ({checkpoint['topics']} topics, "
            f"{checkpoint['window_documents']} documents in the window)",
            console=console,
        )
    rows = []
    for checkpoint in result["checkpoints"]:
        for check in checkpoint["checks"]:
            topic = check.get("topic") or check.get("closest")
            shown = f"{topic['topic_id']} {topic['label']}" if topic else ""
            if topic and "truth_share" in topic:
                shown += f" (truth {topic['truth_share']:.0%})"
            if check.get("false_alarms"):
                shown = "; ".join(f"#{t['rank']} {t['label']}" for t in check["false_alarms"])
            terms = ", ".join(check["emerging_terms"] + [t for r in check["rising_terms"] for t in r["terms"]])
            verdict = "holds" if check["holds"] else "FAILS"
            if check["holds"] and check.get("now") is False:
                verdict += f" (as of {check['earlier'][-1]})"  # an expect_by / flagged_by held earlier
            rows.append([checkpoint["as_of"], check["check"], check["technology"], verdict, check["rank"], shown,
                         terms])  # fmt: skip
        precision = checkpoint["precision"]
        if precision:
            rows.append([checkpoint["as_of"], "precision", f"{precision['technology']}/{len(checkpoint['top'])} tech, "
                         f"{precision['not_technology']} not, {precision['unjudged']} unjudged",
                         "" if "holds" not in precision else "holds" if precision["holds"] else "FAILS",
                         None, "", ""])  # fmt: skip
        labels = checkpoint.get("labels")
        if labels:
            rows.append([checkpoint["as_of"], "labels", f"{labels['topics']} topics, {labels['label_words']} label "
                         f"words, share min {labels['share_min']}, median {labels['share_median']}; "
                         f"{labels['below_min_count']} below {labels['min_share']:.0%}, "
                         f"{len(labels['source_name_words'])} source names",
                         "holds" if labels["holds"] else "FAILS", None, "", ""])  # fmt: skip
    render_rows(["as of", "check", "technology", "result", "rank", "topic", "terms"], rows, "table",
                title="Checks", console=console)  # fmt: skip
    render_rows(
        ["technology", "documents", "onset (share)", "first flagged", "lead periods"],
        [[r["technology"], r["documents"],
          f"{r['onset_period']} ({r['onset_share']:.1%})" if r["onset_period"] else "never",
          r["first_flagged_period"] or "never", r["lead_periods"]]
         for r in result["lead_times"]],
        "table", title="Lead time", console=console,
    )  # fmt: skip
    render_rows(
        ["as of", *result["summary"]["stage_seconds"]],
        [[cp["as_of"], *(cp["seconds"].get(s, 0.0) for s in result["summary"]["stage_seconds"])]
         for cp in result["checkpoints"]],
        "table", title="Seconds per stage", console=console,
    )  # fmt: skip
    s = result["summary"]
    console.print(
        f"[bold]{result['spec']}[/]: {s['hits']}/{s['expected']} expected technologies in the top {top}"
        + (f" ({s['hit_share']:.0%})" if s["hit_share"] is not None else "")
        + f", {s['false_alarms']} false alarms, {s['early_flagged']}/{s['early']} early signals; "
        + f"{s['checks'] - s['failed']}/{s['checks']} checks hold; {s['seconds']} s",
        highlight=False,
    )
