"""Benchmark (not a test): where embedding a week's new documents in a bilingual TF-IDF space goes.

A bilingual tfidf-svd space (German and English, `[topics] translate_words`, `translation_word_weight` > 0) adds
each document's mean use-m3 word vector; a word new to the warehouse's word cache is encoded once by use-m3. This
fits a space on 3,000 Bundestag speeches and 1,000 NVIDIA patents (the mix of the scale benchmark's base), then
embeds 1,500 other speeches and 2,500 other patents twice: first with the word cache holding only the fit's words
(a week that brings new word forms), then with it warm; the first pass is profiled. Needs ../shared/data/corpora
(evaluation only; nothing is copied).

    nice -n 10 .venv/bin/python benchmarks/embedding_word_part.py
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from models.embeddings import TfidfSvdEmbedder, document_text, make_embedder  # noqa: E402
from models.lexicon import Translation  # noqa: E402
from models.word_vectors import StaticWordEmbedder  # noqa: E402
from warehouse.db import Warehouse  # noqa: E402
from warehouse.word_vectors import WordVectorTable  # noqa: E402

BATCH = 1_000  # as pipeline.embed_stage.EMBED_BATCH


def corpus(corpora: Path) -> tuple[list[str], list[str]]:
    """4,500 speeches and 3,500 patent titles with abstracts (a fixed sample), and their languages."""
    con = duckdb.connect()
    speeches = con.execute(
        "select text from read_csv_auto(?) using sample 4500 rows (reservoir, 1)",
        [str(corpora / "bundestag" / "bundestag_speeches_wp19_wp20.csv.gz")],
    ).fetchall()
    patents = con.execute(
        "select * from read_csv_auto(?) using sample 3500 rows (reservoir, 1)",
        [str(corpora / "nvidia_patents" / "nvidia_patents_merged.csv.gz")],
    ).df()
    title = next(c for c in patents.columns if "title" in c.lower())
    abstract = next(c for c in patents.columns if "abstract" in c.lower())
    texts = [document_text(None, text) for (text,) in speeches]
    texts += [document_text(t, a) for t, a in zip(patents[title], patents[abstract], strict=True)]
    return texts, ["de"] * len(speeches) + ["en"] * len(patents)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "corpora")
    args = parser.parse_args()
    texts, languages = corpus(args.data)
    fit_rows = [*range(0, 3000), *range(4500, 5500)]
    new_rows = [*range(3000, 4500), *range(5500, 8000)]
    with Warehouse.open_writer(Path(tempfile.mkdtemp()) / "w.duckdb") as wh:
        words = StaticWordEmbedder(cache=WordVectorTable(wh))
        started = time.perf_counter()
        translation = Translation([languages[i] for i in fit_rows], words, 0.7, 2.0)
        model = TfidfSvdEmbedder(dim=256).fit([texts[i] for i in fit_rows], translation)
        print(f"fit on {len(fit_rows)}: {time.perf_counter() - started:.1f} s, bilingual {model.concepts_ is not None}")
        batch = [texts[i] for i in new_rows]
        for label in ("new word forms in the cache", "warm word cache"):
            embedder = make_embedder("tfidf-svd", state=model.to_state(), word_cache=WordVectorTable(wh))
            profile = cProfile.Profile() if label.startswith("new") else None
            started = time.perf_counter()
            if profile:
                profile.enable()
            for start in range(0, len(batch), BATCH):
                embedder.embed(batch[start : start + BATCH])
            if profile:
                profile.disable()
            encoded = getattr(getattr(embedder, "words", None), "words_encoded", None)
            print(f"embed {len(batch)} ({label}): {time.perf_counter() - started:.1f} s, words encoded {encoded}")
            if profile:
                pstats.Stats(profile).sort_stats("cumulative").print_stats(12)


if __name__ == "__main__":
    main()
