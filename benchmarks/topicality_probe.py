"""Benchmark (not a test): each word's topicality on real corpora of four genres, with the product's functions.

`models.topicality` weighs a TF-IDF space's words by how much sharing a word means sharing a subject. This prints,
for a fixed random sample of each corpus, the distribution of the measured words' topicality, the weight factor of
some everyday and some subject words, the words with the least topicality, and the seconds the measure takes.
Headlines and long speeches give very different scales (1-80 against 1-2); the factor is scale-free, which is why
it needs no threshold. Needs ../shared/data/corpora (evaluation only; nothing is copied).

    nice -n 10 .venv/bin/python benchmarks/topicality_probe.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfTransformer  # noqa: E402

from models.embeddings import TfidfSvdEmbedder, document_text, truncate  # noqa: E402
from models.topicality import topicality_factors, word_topicality  # noqa: E402

CORPORA = {  # name: (file, title column, text column, sample)
    "news front pages": ("de_news_frontpages/de_news_frontpages_2022_2026_all.csv.gz", "title", "teaser", 60_000),
    "Bundestag speeches": ("bundestag/bundestag_speeches_wp19_wp20.csv.gz", None, "text", 8_000),
    "NVIDIA patents": ("nvidia_patents/nvidia_patents_merged.csv.gz", "title", "abstract", 20_000),
    "ML / robotics papers": ("ml_robotics_papers/en_ml_robotics_conference_papers.csv.gz", "title", "abstract", 20_000),
}
SHOWN = [
    "bringt", "zeigt", "hilft", "deutschland", "habeck", "wärmepumpe", "wasserstoff", "iphone",
    "method", "system", "propose", "show", "neural", "gpu", "diffusion", "robot",
]  # fmt: skip


def texts(corpora: Path, file: str, title: str | None, text: str, sample: int) -> list[str]:
    columns = f"{title}, {text}" if title else f"null, {text}"
    rows = (
        duckdb.connect()
        .execute(
            f"select {columns} from read_csv_auto(?) using sample {sample} rows (reservoir, 7)", [str(corpora / file)]
        )
        .fetchall()
    )
    return [document_text(t, x) for t, x in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "corpora")
    args = parser.parse_args()
    for name, (file, title, text, sample) in CORPORA.items():
        docs = texts(args.data, file, title, text, sample)
        space = TfidfSvdEmbedder()
        counter = space._counter()
        counter.set_params(min_df=space.min_df, max_df=0.5)
        counts = counter.fit_transform([truncate(t, space.max_chars) for t in docs])
        terms = np.array(sorted(counter.vocabulary_, key=counter.vocabulary_.__getitem__))
        matrix = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
        started = time.perf_counter()
        topicality = word_topicality(matrix)
        seconds = time.perf_counter() - started
        factors = topicality_factors(topicality)
        measured = np.isfinite(topicality)
        quantiles = np.percentile(topicality[measured], [5, 25, 50, 75, 95])
        print(f"\n{name}: {len(docs):,} documents, {len(terms):,} words, {measured.sum():,} measured, {seconds:.1f} s")
        print("  topicality quantiles 5/25/50/75/95 %:", " / ".join(f"{q:.2f}" for q in quantiles))
        index = {t: i for i, t in enumerate(terms.tolist())}
        shown = [w for w in SHOWN if w in index and measured[index[w]]]
        print("  " + ", ".join(f"{w} {topicality[index[w]]:.2f} (x{factors[index[w]]:.2f})" for w in shown))
        lowest = np.flatnonzero(measured)[np.argsort(topicality[measured])][:15]
        print("  least topical:", ", ".join(f"{terms[i]} {topicality[i]:.2f}" for i in lowest))


if __name__ == "__main__":
    main()
