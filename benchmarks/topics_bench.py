"""Seconds per stage and peak memory of `foresight analyze`, next to plain BERTopic `topics_over_time`.

Documents: `--docs` Bundestag speeches (a random sample, fixed seed), real long German texts. Each measurement runs in
its own child process so that peak memory (ru_maxrss) belongs to that run alone:

- ``ours``: a fresh warehouse, import, then `run_analyze` (quarterly, as of the last speech, no language step):
  seconds of the embeddings, topics (fit, then link and write) and emergence (series and scores) stages, from the
  `runs` rows, and a second `run_analyze` to show that nothing is redone. The vectors are saved for the next child.
- ``plain``: BERTopic 0.17.4 with its default UMAP/HDBSCAN/CountVectorizer on the same documents and the same
  vectors, then `topics_over_time` with the speeches' dates (datetimes, not strings: 0.17.4 passes
  `infer_datetime_format`, which pandas 3 rejects) in as many bins as there are quarters.

    nice -n 10 .venv/bin/python benchmarks/topics_bench.py --docs 10000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPEECHES = Path("/work/shared/data/corpora/bundestag/bundestag_speeches_wp19_wp20.csv.gz")


def sample(n: int, seed: int) -> pd.DataFrame:
    frame = pd.read_csv(SPEECHES, usecols=["speech_id", "wp", "date_est", "speaker", "party", "text"])
    return frame.sample(n=min(n, len(frame)), random_state=seed).sort_values(["wp", "speech_id"])


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(n: int, seed: int, folder: Path) -> dict:
    from benchmarks.corpora import speech_document
    from pipeline.analyze import AnalyzeSettings, run_analyze
    from pipeline.config import load_config
    from warehouse import topics as store
    from warehouse.db import Warehouse
    from warehouse.documents import upsert_documents
    from warehouse.runs import finish_run, start_run

    frame = sample(n, seed)
    documents = [speech_document(r) for r in frame.itertuples()]
    as_of = max(d.published for d in documents if d.published)
    config = load_config(None)
    settings = AnalyzeSettings.from_config(config)
    settings = type(settings)(**{**settings.__dict__, "run_language": False})
    with Warehouse.open_writer(folder / "bench.duckdb") as wh:
        started = time.perf_counter()
        run = start_run(wh.con, "import", source="bench")
        upsert_documents(wh, documents, run)
        finish_run(wh.con, run, "ok")
        import_seconds = time.perf_counter() - started
        first = run_analyze(wh, config, granularity="quarter", as_of=as_of, settings=settings)
        stage_counts = {
            stage: json.loads(counts)
            for stage, counts in wh.con.execute(
                "select stage, counts from runs where parent_run_id = ?", [first.run_id]
            ).fetchall()
        }
        started = time.perf_counter()
        second = run_analyze(wh, config, granularity="quarter", as_of=as_of, settings=settings)
        rerun_seconds = time.perf_counter() - started
        ids, vectors = store.load_embeddings(wh, first.space, [d.doc_id for d in documents])
    np.save(folder / "vectors.npy", vectors)
    (folder / "ids.json").write_text(json.dumps(ids))
    topics = stage_counts["topics"]
    return {
        "mode": "ours",
        "documents": len(documents),
        "import_s": round(import_seconds, 1),
        "embed_s": first.seconds["embeddings"],
        "fit_s": topics["fit_seconds"],
        "link_write_s": topics["link_write_seconds"],
        "score_s": first.seconds["emergence"],
        "analyze_total_s": round(sum(first.seconds.values()), 1),
        "topics": first.topics,
        "outliers": topics["outliers"],
        "rerun_s": round(rerun_seconds, 1),
        "rerun_embedded": second.embedded,
        "rerun_fit_reused": second.fit_reused,
        "peak_mib": round(peak_mib()),
    }


def run_plain(n: int, seed: int, folder: Path) -> dict:
    from bertopic import BERTopic

    from benchmarks.corpora import speech_doc_id
    from models.embeddings import document_text

    frame = sample(n, seed)
    ids = json.loads((folder / "ids.json").read_text())
    vectors = np.load(folder / "vectors.npy")
    by_id = {speech_doc_id(r.wp, r.speech_id): r for r in frame.itertuples()}
    docs = [document_text(f"{by_id[i].speaker} ({by_id[i].party})", str(by_id[i].text)) for i in ids]
    stamps = [datetime.fromisoformat(by_id[i].date_est) for i in ids]
    quarters = len({(s.year, (s.month - 1) // 3) for s in stamps})
    started = time.perf_counter()
    model = BERTopic(language="multilingual", calculate_probabilities=False)
    topics, _ = model.fit_transform(docs, embeddings=vectors)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    over_time = model.topics_over_time(docs, stamps, nr_bins=quarters)
    tot_seconds = time.perf_counter() - started
    return {
        "mode": "plain",
        "documents": len(docs),
        "fit_s": round(fit_seconds, 1),
        "topics_over_time_s": round(tot_seconds, 1),
        "topics": len(set(topics)) - (1 if -1 in topics else 0),
        "outliers": int(sum(1 for t in topics if t == -1)),
        "rows": len(over_time),
        "peak_mib": round(peak_mib()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--mode", choices=["both", "ours", "plain"], default="both")
    parser.add_argument("--folder", type=Path, default=None, help="(internal) where the child processes meet")
    args = parser.parse_args(argv)
    if args.mode != "both":
        result = (run_ours if args.mode == "ours" else run_plain)(args.docs, args.seed, args.folder)
        print(json.dumps(result), flush=True)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("ours", "plain"):
            command = [sys.executable, __file__, "--docs", str(args.docs), "--seed", str(args.seed), "--mode", mode,
                       "--folder", tmp]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                print(done.stderr[-3000:], file=sys.stderr)
                return done.returncode
            print(done.stdout.strip().splitlines()[-1], flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
