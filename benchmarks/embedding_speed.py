"""Embedding throughput of the backends that run offline in seconds, on real NVIDIA patent abstracts.

Why: issue 11 asks the default's throughput (at least 200 documents/s on 2 cores) and the cost of the
cross-lingual option. `use-m3-words` is measured twice: with an empty word cache (every word of 3,000 patents is
encoded by use-m3 once) and with the cache those left, on 1,000 further patents (only their new words are encoded),
which is what a weekly scan pays. `tfidf-svd` is fitted on the 3,000 and embeds the 1,000. The cache lives in memory
here; in the product it is the warehouse table `word_vectors`.

    nice -n 10 .venv/bin/python benchmarks/embedding_speed.py [--patents PATH] [--first 3000] [--then 1000]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.embeddings import document_text, make_embedder  # noqa: E402

PATENTS = Path("/work/shared/data/corpora/nvidia_patents/nvidia_patents_merged.csv.gz")


class MemoryCache:
    """A word-vector cache in a dict (the product's is `warehouse.word_vectors.WordVectorTable`)."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[np.ndarray, float]] = {}

    def load(self, model: str, words: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        found = [w for w in sorted(set(words)) if w in self.rows]
        if not found:
            return [], np.zeros((0, 0), dtype=np.int8), np.zeros(0, dtype=np.float32)
        values = np.vstack([self.rows[w][0] for w in found])
        return found, values, np.array([self.rows[w][1] for w in found], dtype=np.float32)

    def save(self, model: str, words: Sequence[str], values: np.ndarray, scales: np.ndarray) -> None:
        for word, value, scale in zip(words, values, scales, strict=True):
            self.rows.setdefault(word, (value, float(scale)))


def read_patents(path: Path, count: int) -> list[str]:
    csv.field_size_limit(sys.maxsize)
    texts: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["abstract"].strip():
                texts.append(document_text(row["title"], row["abstract"]))
            if len(texts) >= count:
                break
    return texts


def timed(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patents", type=Path, default=PATENTS)
    parser.add_argument("--first", type=int, default=3_000)
    parser.add_argument("--then", type=int, default=1_000)
    args = parser.parse_args()
    texts = read_patents(args.patents, args.first + args.then)
    first, then = texts[: args.first], texts[args.first :]
    results: dict[str, object] = {"first": len(first), "then": len(then)}

    cache = MemoryCache()
    cold = make_embedder("use-m3-words", word_cache=cache)
    seconds = timed(lambda: cold.embed(first))
    results["use-m3-words cold"] = {"s": round(seconds, 2), "docs_per_s": round(len(first) / seconds, 1),
                                    "words_encoded": cold.words_encoded}  # fmt: skip
    warm = make_embedder("use-m3-words", word_cache=cache)
    seconds = timed(lambda: warm.embed(then))
    results["use-m3-words warm"] = {"s": round(seconds, 2), "docs_per_s": round(len(then) / seconds, 1),
                                    "words_encoded": warm.words_encoded}  # fmt: skip

    tfidf = make_embedder("tfidf-svd")
    fit_s = timed(lambda: tfidf.fit(first))  # type: ignore[attr-defined]
    seconds = timed(lambda: tfidf.embed(then))
    results["tfidf-svd"] = {"fit_s": round(fit_s, 2), "embed_s": round(seconds, 2),
                            "docs_per_s": round(len(then) / seconds, 1)}  # fmt: skip
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
