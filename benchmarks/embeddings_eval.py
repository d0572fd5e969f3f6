"""Which embedding backend should be the default? Speed, cross-lingual quality and topic quality on real documents.

Data (from /work/shared/data/corpora, so this is a benchmark, not a test):

- cross-lingual set: German Bundestag speech passages about artificial intelligence ("Künstliche Intelligenz") and
  about autonomous driving ("autonomes Fahren"), plus other German passages; English NVIDIA patents with CPC G06N3
  (neural networks), with B60W/G05D (vehicle control, not G06N3), plus other patents. `--per-group` of each.
- topic-quality set: `--patents` NVIDIA patents (title + abstract) with their main CPC subclass as the truth.

Metrics per backend, raw and centred (mean removed, re-normalised):

- ``docs_per_s``: embedding speed on the cross-lingual set (2 cores shared, so compare within one run);
- ``xling_at1``: for each German AI / driving passage, is its nearest English document of the same technology, and
  the other way round (chance is about 1/3);
- ``tech_ami`` / ``lang_ami``: topics fitted on the mixed set (our BERTopic setup) compared with the technology
  labels and with the language labels (adjusted mutual information): a good backend groups by technology, not by
  language;
- ``cpc_ami`` and ``topics`` / ``outliers``: topics on the patents against the CPC subclass.
- ``kmeans_*``: the same agreements with k-means at a fixed number of topics (6 mixed, 30 patents) directly on the
  vectors, which separates the embedding's quality from HDBSCAN's choice of how many clusters there are.

    nice -n 10 .venv/bin/python benchmarks/embeddings_eval.py --per-group 60 --patents 1500
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.embeddings import TfidfSvdEmbedder, centre_vectors, document_text, make_embedder  # noqa: E402
from models.topics import TopicConfig, TopicError, fit_topics  # noqa: E402

CORPORA = Path("/work/shared/data/corpora")
GERMAN_TOPICS = {
    "ai": re.compile(r"[Kk]ünstliche[nr]? Intelligenz|\bKI\b|[Mm]aschinelle[sn]? Lernen"),
    "driving": re.compile(r"[Aa]utonome[sn]? Fahren|[Aa]utomatisierte[sn]? Fahren|selbstfahrende"),
}


def passage(text: str, pattern: re.Pattern[str], max_chars: int = 900) -> str:
    """The sentences of a speech that mention the technology, up to `max_chars`."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    hits = [s for s in sentences if pattern.search(s)]
    out = ""
    for sentence in hits:
        if len(out) + len(sentence) > max_chars:
            break
        out += sentence + " "
    return out.strip() or text[:max_chars]


def cross_lingual_set(per_group: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    speeches = pd.read_csv(
        CORPORA / "bundestag" / "bundestag_speeches_wp19_wp20.csv.gz", usecols=["speech_id", "wp", "text"]
    )
    rows = []
    used: set[str] = set()
    for tech, pattern in GERMAN_TOPICS.items():
        counts = speeches.text.str.count(pattern)
        candidates = speeches[counts >= 2]
        chosen = candidates.sample(n=min(per_group, len(candidates)), random_state=seed)
        for row in chosen.itertuples():
            used.add(f"{row.wp}:{row.speech_id}")
            rows.append({"doc": f"de:{row.wp}:{row.speech_id}", "lang": "de", "tech": tech,
                         "text": passage(row.text, pattern)})  # fmt: skip
    others = speeches[
        ~speeches.text.str.contains(GERMAN_TOPICS["ai"]) & ~speeches.text.str.contains(GERMAN_TOPICS["driving"])
    ]
    for row in others.sample(n=per_group, random_state=seed).itertuples():
        start = int(rng.integers(0, max(1, len(row.text) - 900)))
        rows.append({"doc": f"de:{row.wp}:{row.speech_id}", "lang": "de", "tech": "other",
                     "text": row.text[start : start + 900]})  # fmt: skip
    patents = pd.read_csv(CORPORA / "nvidia_patents" / "nvidia_patents_merged.csv.gz")
    cpc = patents.cpc_groups.fillna("")
    nn, vehicle = cpc.str.contains("G06N3/"), cpc.str.contains("B60W|G05D")
    for tech, mask in (("ai", nn & ~vehicle), ("driving", vehicle & ~nn), ("other", ~nn & ~vehicle)):
        chosen = patents[mask].sample(n=min(per_group, int(mask.sum())), random_state=seed)
        for row in chosen.itertuples():
            rows.append({"doc": f"en:{row.patent_id}", "lang": "en", "tech": tech,
                         "text": document_text(row.title, row.abstract)})  # fmt: skip
    return pd.DataFrame(rows)


def patent_set(n: int, seed: int) -> pd.DataFrame:
    patents = pd.read_csv(CORPORA / "nvidia_patents" / "nvidia_patents_merged.csv.gz")
    patents = patents[patents.cpc_subclasses.notna()].sample(n=n, random_state=seed)
    return pd.DataFrame(
        {
            "doc": patents.patent_id.astype(str),
            "text": [document_text(t, a) for t, a in zip(patents.title, patents.abstract, strict=True)],
            "cpc": patents.cpc_subclasses.str.split(";").str[0],
        }
    )


def embed(backend: str, texts: list[str]) -> tuple[np.ndarray, float]:
    """Vectors and seconds; the model is loaded (and libraries imported) before the clock starts."""
    if backend == "tfidf-svd":
        TfidfSvdEmbedder(dim=2).fit(texts[:20])
        started = time.perf_counter()
        vectors = TfidfSvdEmbedder(dim=min(256, len(texts) - 1)).fit(texts).embed(texts)
    else:
        model = make_embedder(backend)
        model.embed(texts[:2])
        started = time.perf_counter()
        vectors = model.embed(texts)
    return vectors, time.perf_counter() - started


def cross_lingual_at1(vectors: np.ndarray, frame: pd.DataFrame) -> float:
    """Share of German (English) technology documents whose nearest English (German) document has the same tech."""
    hits, total = 0, 0
    for source, target in (("de", "en"), ("en", "de")):
        queries = np.flatnonzero((frame.lang == source).to_numpy() & (frame.tech != "other").to_numpy())
        targets = np.flatnonzero((frame.lang == target).to_numpy())
        similarity = vectors[queries] @ vectors[targets].T
        nearest = targets[similarity.argmax(axis=1)]
        hits += int((frame.tech.to_numpy()[nearest] == frame.tech.to_numpy()[queries]).sum())
        total += len(queries)
    return hits / total if total else 0.0


def topic_agreement(
    vectors: np.ndarray, frame: pd.DataFrame, labels: list[str], config: TopicConfig
) -> dict[str, float | int]:
    from sklearn.metrics import adjusted_mutual_info_score

    try:
        fit = fit_topics(frame.doc.tolist(), frame.text.tolist(), vectors, config)
    except TopicError as exc:
        return {"error": str(exc)}
    order = {doc: i for i, doc in enumerate(frame.doc)}
    assigned = np.full(len(frame), -1)
    for doc, topic in zip(fit.doc_ids, fit.assignments, strict=True):
        assigned[order[doc]] = topic
    result: dict[str, float | int] = {"topics": len(fit.topics), "outliers": float((assigned == -1).mean())}
    for label in labels:
        result[f"{label}_ami"] = round(float(adjusted_mutual_info_score(frame[label], assigned)), 3)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="tfidf-svd,use-m3,e5-small")
    parser.add_argument("--per-group", type=int, default=60)
    parser.add_argument("--patents", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    mixed = cross_lingual_set(args.per_group, args.seed)
    patents = patent_set(args.patents, args.seed)
    print(f"cross-lingual set: {mixed.groupby(['lang', 'tech']).size().to_dict()}; patents: {len(patents)}", flush=True)
    mixed_config = TopicConfig(min_topic_size=8, seed=args.seed)
    patent_config = TopicConfig(min_topic_size=10, seed=args.seed)
    results = []
    for backend in args.backends.split(","):
        vectors, seconds = embed(backend, mixed.text.tolist())
        patent_vectors, patent_seconds = embed(backend, patents.text.tolist())
        for centred in (False, True):
            mixed_v = centre_vectors(vectors) if centred else vectors
            row = {
                "backend": backend,
                "centred": centred,
                "docs_per_s": round(len(mixed) / seconds, 1),
                "patent_docs_per_s": round(len(patents) / patent_seconds, 1),
                "xling_at1": round(cross_lingual_at1(mixed_v, mixed), 3),
                "mean_cosine": round(float((mixed_v @ mixed_v.T)[np.triu_indices(len(mixed), 1)].mean()), 3),
            }
            # fit_topics centres by itself when asked; pass raw vectors and switch that step instead
            mixed_topics = topic_agreement(vectors, mixed, ["tech", "lang"], replace(mixed_config, centre=centred))
            patent_topics = topic_agreement(patent_vectors, patents, ["cpc"], replace(patent_config, centre=centred))
            row.update({f"mixed_{k}": v for k, v in mixed_topics.items()})
            row.update({f"patent_{k}": v for k, v in patent_topics.items()})
            # the same with k-means at a fixed number of topics: embedding quality without HDBSCAN's density choices
            kmeans = {"clustering": "kmeans", "reduction": "none", "centre": centred}
            mixed_k = topic_agreement(vectors, mixed, ["tech", "lang"], replace(mixed_config, n_clusters=6, **kmeans))
            patent_k = topic_agreement(
                patent_vectors, patents, ["cpc"], replace(patent_config, n_clusters=30, **kmeans)
            )
            row.update({f"kmeans_mixed_{k}": v for k, v in mixed_k.items() if k.endswith("ami")})
            row.update({f"kmeans_patent_{k}": v for k, v in patent_k.items() if k.endswith("ami")})
            results.append(row)
            print(json.dumps(row), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
