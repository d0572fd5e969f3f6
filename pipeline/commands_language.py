"""Commands of the language area: `foresight annotate` (what the pipeline sees in one text) and
`foresight analyze-language` (the language step alone over the warehouse; `foresight analyze` runs it first too).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from pipeline.app import app, console, err_console, fail, open_writer, state

if TYPE_CHECKING:
    from models.annotate import Annotation

# spaCy, HanTa and scikit-learn load inside the commands: `foresight sql` must not pay for them.

ANNOTATE_FORMATS = ("table", "json")


@app.command()
def annotate(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(help="The text to annotate (or use --file, or '-' for stdin).")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the text from this UTF-8 file.")] = None,
    title: Annotated[str | None, typer.Option("--title", help="A title, analysed together with the text.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    max_terms: Annotated[int, typer.Option("--terms", help="How many terms to show.")] = 20,
) -> None:
    """Show what the language step sees in one text: language, terms, Ruhr places, actors and lead markets.

    For analysts asking "why is this document in Mobilität?": every lead-market score lists its evidence.
    """
    if fmt not in ANNOTATE_FORMATS:
        fail(f"unknown format {fmt!r}; use one of {', '.join(ANNOTATE_FORMATS)}")
    if text is not None and file is not None:
        fail("give the text either as an argument or with --file, not both")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            fail(f"file {file} not found")
        except UnicodeDecodeError:
            fail(f"{file} is not UTF-8 text; convert it first (e.g. `iconv -f cp1252 -t utf-8`)")
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror or exc}")
    elif text == "-":
        text = sys.stdin.read()
    if text is None and title is None:
        fail("nothing to annotate: give a TEXT argument, --file FILE or --title")
    from models.annotate import annotator_for

    annotator = annotator_for(state(ctx).config.language)
    result = annotator.annotate(text, title)
    if fmt == "json":
        sys.stdout.write(json.dumps(result.to_json(max_terms=max_terms), ensure_ascii=False, indent=2) + "\n")
        return
    _print_annotation(result, max_terms)


def _print_annotation(result: Annotation, max_terms: int) -> None:
    if result.status != "processed":
        console.print(f"[bold]skipped[/]: {result.reason}", highlight=False)
        return
    console.print(
        f"language [bold]{result.language}[/] (confidence {result.language_confidence:.2f}), "
        f"{result.n_words:,} words, pipeline {result.pipeline}",
        highlight=False,
    )
    terms = Table(title="terms (best first)", show_lines=False)
    for column in ("term", "head", "count", "termhood"):
        terms.add_column(column)
    for term in result.terms[:max_terms]:
        terms.add_row(term.text, term.head or "", str(term.count), f"{term.termhood:.3f}")
    console.print(terms)
    regions = sorted({p.name for p in result.places if p.place_type == "region"})
    console.print(f"places: {', '.join(result.municipalities) or '-'}", highlight=False)
    if regions:
        console.print(f"region: {', '.join(regions)}", highlight=False)
    console.print(f"actors: {', '.join(result.actor_names) or '-'}", highlight=False)
    markets = Table(title="lead markets (best first)")
    for column in ("id", "name", "score", "evidence"):
        markets.add_column(column)
    for score in result.lead_markets:
        markets.add_row(score.lead_market_id, score.name, f"{score.score:.3f}", ", ".join(score.evidence_terms[:8]))
    console.print(markets)


@app.command("analyze-language")
def analyze_language(
    ctx: typer.Context,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Process at most this many documents (the rest wait).")
    ] = None,
    again: Annotated[
        bool,
        typer.Option(
            "--again",
            help="Annotate every document again, with this version's rules (after an upgrade that changed them, "
            "so that terms the new rules find do not look newly emerged); a killed run resumes.",
        ),
    ] = False,
) -> None:
    """Run only the language step over documents not yet processed (`foresight analyze` also runs it first)."""
    from pipeline.language_step import run_language_step, summary_line
    from warehouse.language import mark_all_for_reannotation

    app_state = state(ctx)
    config = app_state.config
    with open_writer(app_state) as wh:
        if again:
            with wh.transaction():
                marked = mark_all_for_reannotation(wh)
            err_console.print(f"{marked:,} documents to annotate again", highlight=False)
        last = {"shown": -1}

        def progress(name: str, done: int, total: int | None = None) -> None:
            if total and (done == total or done - last["shown"] >= max(1, total // 10)):
                last["shown"] = done
                err_console.print(f"{name}: {done:,}/{total:,}", highlight=False)

        counts = run_language_step(wh, config, progress=progress, limit=limit)
    console.print(summary_line(counts), highlight=False)
