"""Build `tests/fixtures/language/annotation_sample.jsonl.gz`: real texts and what the language step found in them.

Why: the language step is tuned for speed (array-based tagger, term collector and lead-market scoring); the test
`tests/test_annotation_sample.py` checks that it still finds exactly the terms and lead-market scores recorded here,
on real patent abstracts and Bundestag speeches. The recorded annotations were written by the code *before* the
speed work (main at 5235826); a deliberate change of what the step finds rewrites the file with this script and
says so in its commit.

Texts: 40 NVIDIA patent abstracts (every 125th of the corpus) and 25 Bundestag speeches of 2023 (every 150th), each
speech cut after its last full sentence within 3,000 characters. See tests/fixtures/language/SOURCE.txt.

    .venv/bin/python benchmarks/build_annotation_sample.py            # texts and annotations
    .venv/bin/python benchmarks/build_annotation_sample.py --keep-texts  # annotations only, same texts
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CORPORA = Path("/work/shared/data/corpora")
BUNDESTAG = CORPORA / "bundestag" / "bundestag_speeches_wp19_wp20.csv.gz"
NVIDIA = CORPORA / "nvidia_patents" / "nvidia_patents_merged.csv.gz"
OUT = ROOT / "tests" / "fixtures" / "language" / "annotation_sample.jsonl.gz"
MAX_SPEECH_CHARS = 3_000


def sample_texts() -> list[dict[str, Any]]:
    csv.field_size_limit(sys.maxsize)
    texts: list[dict[str, Any]] = []
    with gzip.open(NVIDIA, "rt", encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["abstract"].strip()]
    for row in rows[::125][:40]:
        texts.append({"doc_id": f"uspto:{row['patent_id']}", "title": row["title"], "text": row["abstract"].strip()})
    with gzip.open(BUNDESTAG, "rt", encoding="utf-8", newline="") as handle:
        speeches = [r for r in csv.DictReader(handle) if r["date_est"].startswith("2023") and r["text"].strip()]
    for row in speeches[::150][:25]:
        text = row["text"].strip()
        if len(text) > MAX_SPEECH_CHARS:
            cut = text[:MAX_SPEECH_CHARS]
            text = cut[: max(cut.rfind(". "), cut.rfind(".\n")) + 1] or cut
        texts.append({"doc_id": f"bundestag:{row['wp']}:{row['speech_id']}", "title": None, "text": text})
    return texts


def annotation_record(annotation: Any) -> dict[str, Any]:
    """The parts of an `Annotation` the sample test compares (places and actors come from the gazetteer)."""
    return {
        "language": annotation.language,
        "status": annotation.status,
        "n_words": annotation.n_words,
        "terms": [[t.text, t.head, t.count, t.termhood] for t in annotation.terms],
        "lead_markets": [
            [s.lead_market_id, s.score, s.seed_score, s.similarity, s.evidence()] for s in annotation.lead_markets
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-texts", action="store_true", help="re-annotate the texts already in the file")
    args = parser.parse_args()
    from models.annotate import Annotator

    if args.keep_texts:
        with gzip.open(OUT, "rt", encoding="utf-8") as handle:
            texts = [json.loads(line) for line in handle]
    else:
        texts = sample_texts()
    annotator = Annotator()
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as handle:
        for row in texts:
            annotation = annotator.annotate(row["text"], row["title"])
            record = {"doc_id": row["doc_id"], "title": row["title"], "text": row["text"]}
            record["expected"] = annotation_record(annotation)
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {OUT} ({len(texts)} texts, {OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
