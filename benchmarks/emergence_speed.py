"""Benchmark (not a test): seconds and memory of term emergence and rising terms on sparse term series.

Term emergence scores every term of the language step: tens of thousands of sparse series (documents containing the
term per period) against all documents per period. The series here are synthetic but shaped like term document
frequencies (log-normal rates, about 40 % zero cells), so the timing does not depend on any corpus. Each case runs in
a fresh child process so that its peak memory (ru_maxrss) is its own.

    nice -n 10 .venv/bin/python benchmarks/emergence_speed.py
    nice -n 10 .venv/bin/python benchmarks/emergence_speed.py --series 10000 --periods 50
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def term_series(n_series: int, n_periods: int, patterns: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sparse term counts and all documents per period; ``patterns`` > 1 gives series different history starts."""
    rng = np.random.default_rng(seed)
    totals = rng.integers(800, 1200, n_periods).astype(float)
    rates = np.exp(rng.normal(-7, 1.5, n_series)).clip(0, 0.5)
    total_matrix = np.tile(totals, (n_series, 1))
    if patterns > 1:
        starts = np.arange(n_series) % patterns
        total_matrix *= np.arange(n_periods)[None, :] >= starts[:, None]
    counts = rng.binomial(total_matrix.astype(int), rates[:, None]).astype(float)
    return counts, (totals if patterns == 1 else total_matrix)


def run_case(case: str, n_series: int, n_periods: int, patterns: int, queue: multiprocessing.Queue) -> None:
    from models.emergence import rising_terms, score_many, score_table

    counts, totals = term_series(n_series, n_periods, patterns)
    started = time.perf_counter()
    if case == "score_table":
        score_table(counts, totals, granularity="quarter")
    elif case == "score_many":
        score_many(counts, totals, granularity="quarter")
    else:  # rising terms of one topic with n_series terms: its documents per period are the totals
        topic_documents = np.asarray(totals if totals.ndim == 1 else totals[0])
        rising_terms(counts, topic_documents, granularity="quarter")
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(
        {
            "case": case,
            "series": n_series,
            "periods": n_periods,
            "patterns": patterns,
            "seconds": round(seconds, 3),
            "peak_rss_mb": round(peak_mb),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=50_000)
    parser.add_argument("--periods", type=int, default=20)
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    cases = [("score_table", 1), ("score_table", 10), ("score_many", 1), ("rising_terms", 1)]
    for case, patterns in cases:
        queue = context.Queue()
        process = context.Process(target=run_case, args=(case, args.series, args.periods, patterns, queue))
        process.start()
        result = queue.get()
        process.join()
        print(json.dumps(result))


if __name__ == "__main__":
    main()
