"""Do a German and an English text on the same subject land in the same topic? Measured through the real product.

Every check writes CSV files to a temporary folder, imports them with `foresight import` and analyses them with
`foresight analyze`, each a separate `foresight` process (as an analyst runs them), so refactors of the internals
do not change what is measured. Corpora come from /work/shared/data/corpora; no corpus text enters the repository.

``--check debian`` (issue 11's acceptance): German/English translation pairs of Debian package descriptions
(../shared/data/corpora/debian_ddtp). Each pair becomes two documents, one ``de`` and one ``en``, with the same
date; the pairs are spread over 8 quarters and each quarter is imported and then analysed (``--granularity
quarter --as-of`` its last day), so embeddings and topics grow as in weekly use. The sections that SOURCE.txt calls
non-topical (libraries, -dev and -doc packages, ...) are left out unless ``--all-sections``. Printed for the last fit:

- ``pairs_coassigned``: of the pairs whose two sides are both assigned to a topic, the share in the same topic;
- ``topics``; ``unassigned``: share of the documents in no topic; ``purity``: share of assigned documents whose
  Debian `section` is their topic's most common section (a translation-independent sanity check).

``--check heldout`` (held out: a different kind of cross-lingual match, never used to choose anything): German
Bundestag speech passages on artificial intelligence, autonomous driving and drones, and English NVIDIA patents
(CPC G06N3, B60W/G05D) and ML / robotics conference papers (by title) on the same technologies, plus other
German passages and other English documents. Spread over two years, analysed yearly. Printed:

- ``xling_at1``: for each technology document, is the nearest document of the other language (cosine on the
  vectors as the clusterer sees them, i.e. after the configured centring) of the same technology (chance ~1/4);
- ``tech_overlap``: per technology, how alike its German and its English documents spread over topics
  (sum over topics of min(share of its German documents, share of its English documents); 1 = identical, 0 =
  never in one topic), and the mean over technologies;
- ``tech_ami`` / ``lang_ami``: agreement of the topics with technology and with language (a good embedding groups
  by technology, not by language); ``monolingual_share``: share of assigned documents in topics that are more than
  95 % one language.

``--check mixed`` (issue 11's mixed warehouse): whole Bundestag speeches (German, kind policy), NVIDIA patents and
ML / robotics papers (English, kinds patent and publication) of 2017-2024 in one warehouse, analysed yearly as of
2024-12-31: ``--per-group`` documents per language naming AI, batteries / e-mobility or hydrogen (and no other of
the three), twice as many naming none. Printed per technology: the topic holding most of its documents, that
topic's label, language mix and life cycle (`v_topic_life_cycle`: the first year of each source kind), and the
overlap of its German and English documents over topics; overall ``tech_ami``, ``lang_ami`` and
``monolingual_share`` as above, and ``tech_monolingual_share`` over the technology documents alone.

All print embedding docs/s (documents embedded / seconds of the embeddings stage, model loading included) and the
seconds of every stage of every `analyze`. Candidates run through the same script:

    nice -n 10 .venv/bin/python benchmarks/crosslingual.py --check debian --backend use-m3-words --centre language
    nice -n 10 .venv/bin/python benchmarks/crosslingual.py --check heldout --backend use-m3 --centre window
    nice -n 10 .venv/bin/python benchmarks/crosslingual.py --check both --backend tfidf-svd --centre window
    nice -n 10 .venv/bin/python benchmarks/crosslingual.py --check mixed --backend tfidf-svd --per-group 150 \
        --set translation_word_weight=0
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.embeddings_eval import passage  # noqa: E402
from models.embeddings import centre_by_language, centre_vectors, normalise_rows  # noqa: E402

CORPORA = Path("/work/shared/data/corpora")
NON_TOPICAL_SECTIONS = ("libs", "libdevel", "doc", "oldlibs", "localization", "introspection", "metapackages")
CENTRES = {"none": (False, False), "window": (True, False), "language": (True, True)}
GERMAN = {
    "ai": re.compile(r"[Kk]ünstliche[nr]? Intelligenz|\bKI\b|[Mm]aschinelle[sn]? Lernen"),
    "driving": re.compile(r"[Aa]utonome[sn]? Fahren|[Aa]utomatisierte[sn]? Fahren|selbstfahrende"),
    "drones": re.compile(r"\b[Dd]rohnen?"),
}
ENGLISH_TITLES = {
    "ai": re.compile(r"neural network|deep learning", re.IGNORECASE),
    "driving": re.compile(r"autonomous driving|self-driving|autonomous vehicle", re.IGNORECASE),
    "drones": re.compile(r"\bUAVs?\b|drone|quadrotor|aerial vehicle|multirotor", re.IGNORECASE),
}


# -- the product, as a user runs it -------------------------------------------------------------------


class Product:
    """One warehouse and one configuration, driven through the `foresight` command."""

    def __init__(self, folder: Path, settings: dict[str, dict[str, Any]]) -> None:
        self.folder = folder
        self.db = folder / "crosslingual.duckdb"
        self.config = folder / "foresight.toml"
        self.config.write_text(_toml(settings), encoding="utf-8")
        script = Path(sys.executable).with_name("foresight")
        self.command = [str(script)] if script.exists() else [sys.executable, "-m", "pipeline.cli"]

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [*self.command, "--db", str(self.db), "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            cwd=self.folder,
        )
        if done.returncode != 0:
            raise RuntimeError(f"foresight {' '.join(args[:2])} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def sql(self, query: str) -> list[dict[str, Any]]:
        return json.loads(self.run("sql", query, "--format", "json") or "[]")

    def import_csv(self, path: Path, kind: str, source: str) -> None:
        self.run("import", str(path), "--kind", kind, "--source", source)

    def analyze(self, granularity: str, as_of: date) -> dict[str, Any]:
        """One `foresight analyze`; returns its wall seconds and each stage's seconds and counts."""
        started = time.perf_counter()
        out = self.run("analyze", "--granularity", granularity, "--as-of", as_of.isoformat())
        wall = time.perf_counter() - started
        run_id = int(re.search(r"run (\d+):", out).group(1))  # type: ignore[union-attr]
        stages = self.sql(
            "select stage, epoch(finished_at - started_at) as seconds, counts from runs "
            f"where parent_run_id = {run_id} order by run_id"
        )
        return {
            "as_of": as_of.isoformat(),
            "wall_s": round(wall, 1),
            "stages": {s["stage"]: round(float(s["seconds"]), 2) for s in stages},
            "counts": {s["stage"]: _json(s["counts"]) for s in stages},
        }

    def last_fit(self) -> dict[str, int]:
        """doc_id -> topic_id of the latest topic fit (documents in no topic are absent)."""
        rows = self.sql(
            "select doc_id, topic_id from document_topics where run_id = (select max(run_id) from document_topics)"
        )
        return {_own_id(r["doc_id"]): int(r["topic_id"]) for r in rows}

    def vectors(self, space: str, doc_ids: list[str]) -> tuple[list[str], np.ndarray]:
        """The stored vectors of `doc_ids` in embedding space `space`, by doc_id."""
        # The published snapshot that `foresight sql` reads has no vectors (warehouse/db.py): read the writer's file.
        import duckdb

        with duckdb.connect(str(self.db), read_only=True) as con:
            found = con.execute("select doc_id, vector from embeddings where space = ? order by doc_id", [space])
            rows = [{"doc_id": doc_id, "vector": vector} for doc_id, vector in found.fetchall()]
        wanted = set(doc_ids)
        rows = [r for r in rows if _own_id(r["doc_id"]) in wanted]
        return [_own_id(r["doc_id"]) for r in rows], np.array([r["vector"] for r in rows], dtype=np.float32)


def _own_id(doc_id: str) -> str:
    """Our id of a document: `foresight import` stores it as '<source>:<id>' (our ids have no ':')."""
    return doc_id.split(":", 1)[-1]


def _json(value: Any) -> dict[str, Any]:  # noqa: ANN401 - a JSON column comes back as text or as an object
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def _toml(settings: dict[str, dict[str, Any]]) -> str:
    lines = []
    for section, values in settings.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in values.items())
    return "\n".join(lines) + "\n"


def product_settings(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    centre, per_language = CENTRES[args.centre]
    topics: dict[str, Any] = {"backend": args.backend, "centre": centre, "centre_per_language": per_language}
    if args.min_topic_size:
        topics["min_topic_size"] = args.min_topic_size
    for item in args.set:
        key, _, value = item.partition("=")
        topics[key] = json.loads(value)
    return {"topics": topics, "analysis": {"run_language": bool(args.language)}}


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["doc_id", "title", "text", "published", "language"])
        writer.writeheader()
        writer.writerows({k: row[k] for k in writer.fieldnames} for row in rows)
    return path


def embedding_speed(analyses: list[dict[str, Any]]) -> float:
    embedded = sum(int(a["counts"].get("embeddings", {}).get("embedded", 0)) for a in analyses)
    seconds = sum(a["stages"].get("embeddings", 0.0) for a in analyses)
    return round(embedded / seconds, 1) if seconds else 0.0


def stage_totals(analyses: list[dict[str, Any]]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for a in analyses:
        for stage, seconds in a["stages"].items():
            totals[stage] += seconds
    return {stage: round(s, 1) for stage, s in totals.items()}


# -- Debian translation pairs --------------------------------------------------------------------------


def debian_pairs(args: argparse.Namespace) -> pd.DataFrame:
    frame = pd.read_csv(args.corpora / "debian_ddtp" / "debian_ddtp_de_en_pairs.csv.gz")
    if not args.all_sections:
        frame = frame[~frame.section.isin(NON_TOPICAL_SECTIONS)]
    if args.pairs and len(frame) > args.pairs:
        frame = frame.sample(n=args.pairs, random_state=args.seed)
    return frame.reset_index(drop=True)


def quarter_end(first: date, index: int) -> date:
    month = first.month - 1 + 3 * (index + 1)
    return date(first.year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def debian_check(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    pairs = debian_pairs(args)
    rng = np.random.default_rng(args.seed)
    quarter = rng.permutation(len(pairs)) % args.quarters
    start = date(2021, 1, 1)
    product = Product(folder, product_settings(args))
    section: dict[str, str] = {}
    analyses = []
    for q in range(args.quarters):
        first = start if q == 0 else quarter_end(start, q - 1) + timedelta(days=1)
        days = (quarter_end(start, q) - first).days + 1
        rows = []
        for i in np.flatnonzero(quarter == q):
            pair = pairs.iloc[int(i)]
            published = (first + timedelta(days=int(rng.integers(0, days)))).isoformat()
            for lang in ("de", "en"):
                doc_id = f"ddtp-{lang}-{pair.pair_id}"
                section[doc_id] = str(pair.section)
                rows.append(
                    {
                        "doc_id": doc_id,
                        "title": pair[f"{lang}_title"],
                        "text": pair[f"{lang}_text"],
                        "published": published,
                        "language": lang,
                    }
                )
        product.import_csv(write_csv(folder / f"quarter{q + 1}.csv", rows), "publication", "debian-ddtp")
        analyses.append(product.analyze("quarter", quarter_end(start, q)))
        print(json.dumps({"check": "debian", "quarter": q + 1, **analyses[-1]["stages"]}), flush=True)
    topic_of = product.last_fit()
    both = same = 0
    for pair_id in pairs.pair_id:
        de, en = topic_of.get(f"ddtp-de-{pair_id}"), topic_of.get(f"ddtp-en-{pair_id}")
        if de is not None and en is not None:
            both += 1
            same += de == en
    members: dict[int, list[str]] = defaultdict(list)
    for doc_id, topic in topic_of.items():
        members[topic].append(section[doc_id])
    pure = sum(Counter(sections).most_common(1)[0][1] for sections in members.values())
    return {
        "check": "debian",
        "pairs": len(pairs),
        "documents": 2 * len(pairs),
        "pairs_coassigned": round(same / both, 3) if both else 0.0,
        "pairs_both_assigned": both,
        "topics": len(members),
        "unassigned": round(1 - len(topic_of) / (2 * len(pairs)), 3),
        "purity": round(pure / len(topic_of), 3) if topic_of else 0.0,
        "embed_docs_per_s": embedding_speed(analyses),
        "words_encoded": sum(int(a["counts"]["embeddings"].get("words_encoded") or 0) for a in analyses),
        "seconds": stage_totals(analyses),
        "analyze_wall_s": round(sum(a["wall_s"] for a in analyses), 1),
    }


# -- held out: Bundestag passages vs patents and papers on the same technology -------------------------


def _doc(doc_id: str, language: str, tech: str, title: Any, text: Any) -> dict[str, Any]:  # noqa: ANN401
    return {"doc_id": doc_id.replace(":", "_"), "language": language, "tech": tech, "title": title, "text": text}


def heldout_documents(args: argparse.Namespace) -> pd.DataFrame:
    """German passages and English documents, one technology label each (exclusive), `--per-group` per label."""
    seed, n = args.seed, args.per_group
    rows: list[dict[str, Any]] = []
    speeches = pd.read_csv(
        args.corpora / "bundestag" / "bundestag_speeches_wp19_wp20.csv.gz", usecols=["speech_id", "wp", "text"]
    )
    hits = pd.DataFrame({tech: speeches.text.str.count(pattern) for tech, pattern in GERMAN.items()})
    for tech, pattern in GERMAN.items():
        chosen = speeches[(hits[tech] >= 2) & (hits.drop(columns=tech).max(axis=1) == 0)]
        for row in chosen.sample(n=min(n, len(chosen)), random_state=seed).itertuples():
            rows.append(_doc(f"bt-{row.wp}-{row.speech_id}", "de", tech, "", passage(row.text, pattern)))
    rng = np.random.default_rng(seed)
    for row in speeches[hits.max(axis=1) == 0].sample(n=2 * n, random_state=seed).itertuples():
        begin = int(rng.integers(0, max(1, len(row.text) - 900)))
        rows.append(_doc(f"bt-{row.wp}-{row.speech_id}", "de", "other", "", row.text[begin : begin + 900]))
    patents = pd.read_csv(args.corpora / "nvidia_patents" / "nvidia_patents_merged.csv.gz")
    cpc = patents.cpc_groups.fillna("")
    nn, vehicle = cpc.str.contains("G06N3/"), cpc.str.contains("B60W|G05D")
    papers = pd.read_csv(
        args.corpora / "ml_robotics_papers" / "en_ml_robotics_conference_papers.csv.gz",
        usecols=["paper_id", "venue", "year", "title", "abstract"],
    ).dropna(subset=["title", "abstract"])
    titles = pd.DataFrame({tech: papers.title.str.contains(p) for tech, p in ENGLISH_TITLES.items()})
    patent_masks = {"ai": nn & ~vehicle, "driving": vehicle & ~nn, "other": ~nn & ~vehicle}
    paper_masks = {tech: titles[tech] & (titles.sum(axis=1) == 1) for tech in GERMAN} | {
        "other": titles.sum(axis=1) == 0
    }
    for tech, paper_mask in paper_masks.items():
        wanted = 2 * n if tech == "other" else n
        n_patents = min(wanted // 2, int(patent_masks[tech].sum())) if tech in patent_masks else 0
        for row in patents[patent_masks[tech]].sample(n=n_patents, random_state=seed).itertuples() if n_patents else ():
            rows.append(_doc(f"us-{row.patent_id}", "en", tech, row.title, str(row.abstract)))
        chosen = papers[paper_mask]
        for row in chosen.sample(n=min(wanted - n_patents, len(chosen)), random_state=seed).itertuples():
            rows.append(_doc(f"paper-{row.venue}-{row.paper_id}", "en", tech, row.title, row.abstract))
    frame = pd.DataFrame(rows).drop_duplicates("doc_id").reset_index(drop=True)
    days = rng.integers(0, 730, size=len(frame))
    frame["published"] = [(date(2023, 1, 1) + timedelta(days=int(d))).isoformat() for d in days]
    return frame


def heldout_check(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    from sklearn.metrics import adjusted_mutual_info_score

    frame = heldout_documents(args)
    product = Product(folder, product_settings(args))
    for lang, kind in (("de", "policy"), ("en", "publication")):
        subset = frame[frame.language == lang].to_dict("records")
        product.import_csv(write_csv(folder / f"heldout-{lang}.csv", subset), kind, f"heldout-{lang}")
    analyses = [product.analyze("year", date(year, 12, 31)) for year in (2023, 2024)]
    for a in analyses:
        print(json.dumps({"check": "heldout", "as_of": a["as_of"], **a["stages"]}), flush=True)
    topic_of = product.last_fit()
    tech = dict(zip(frame.doc_id, frame.tech, strict=True))
    language = dict(zip(frame.doc_id, frame.language, strict=True))
    ids, vectors = product.vectors(analyses[-1]["counts"]["embeddings"]["space"], frame.doc_id.tolist())
    languages = [language[d] for d in ids]
    centre, per_language = CENTRES[args.centre]
    seen = normalise_rows(vectors)
    if centre:
        seen = centre_by_language(seen, languages) if per_language else centre_vectors(seen)
    result: dict[str, Any] = {"check": "heldout", "documents": len(frame),
                              "per_group": frame.groupby(["language", "tech"]).size().to_dict()}  # fmt: skip
    result["per_group"] = {f"{k[0]}:{k[1]}": int(v) for k, v in result["per_group"].items()}
    result["xling_at1"] = round(cross_lingual_at1(seen, [tech[d] for d in ids], languages), 3)
    assigned = [d for d in frame.doc_id if d in topic_of]
    topics = [topic_of[d] for d in assigned]
    result["topics"] = len(set(topics))
    result["unassigned"] = round(1 - len(assigned) / len(frame), 3)
    result["tech_ami"] = round(float(adjusted_mutual_info_score([tech[d] for d in assigned], topics)), 3)
    result["lang_ami"] = round(float(adjusted_mutual_info_score([language[d] for d in assigned], topics)), 3)
    overlap = {t: tech_overlap(t, assigned, topic_of, tech, language) for t in GERMAN}
    result["tech_overlap"] = {t: round(v, 3) for t, v in overlap.items()}
    result["tech_overlap_mean"] = round(float(np.mean(list(overlap.values()))), 3)
    result["monolingual_share"] = round(monolingual_share(assigned, topic_of, language), 3)
    result["embed_docs_per_s"] = embedding_speed(analyses)
    result["seconds"] = stage_totals(analyses)
    return result


def cross_lingual_at1(vectors: np.ndarray, techs: list[str], languages: list[str]) -> float:
    """Share of technology documents whose nearest document of the other language has the same technology."""
    tech, lang = np.array(techs), np.array(languages)
    hits = total = 0
    for source, target in (("de", "en"), ("en", "de")):
        queries = np.flatnonzero((lang == source) & (tech != "other"))
        targets = np.flatnonzero(lang == target)
        if not len(queries) or not len(targets):
            continue
        nearest = targets[(vectors[queries] @ vectors[targets].T).argmax(axis=1)]
        hits += int((tech[nearest] == tech[queries]).sum())
        total += len(queries)
    return hits / total if total else 0.0


def tech_overlap(
    tech: str, assigned: list[str], topic_of: dict[str, int], techs: dict[str, str], languages: dict[str, str]
) -> float:
    """Sum over topics of min(share of the technology's German documents, share of its English ones)."""
    spread = {lang: Counter(topic_of[d] for d in assigned if techs[d] == tech and languages[d] == lang)
              for lang in ("de", "en")}  # fmt: skip
    totals = {lang: sum(c.values()) for lang, c in spread.items()}
    if not all(totals.values()):
        return 0.0
    return sum(min(spread["de"][t] / totals["de"], spread["en"][t] / totals["en"]) for t in spread["de"])


def monolingual_share(assigned: list[str], topic_of: dict[str, int], languages: dict[str, str]) -> float:
    """Share of assigned documents in topics with more than 95 % of their documents in one language."""
    by_topic: dict[int, Counter[str]] = defaultdict(Counter)
    for d in assigned:
        by_topic[topic_of[d]][languages[d]] += 1
    mono = sum(sum(c.values()) for c in by_topic.values() if max(c.values()) > 0.95 * sum(c.values()))
    return mono / len(assigned) if assigned else 0.0


# -- mixed: Bundestag speeches, NVIDIA patents and ML papers in one warehouse, yearly ----------------------

MIXED = {  # technology -> (German pattern on speeches, English pattern on patents and papers)
    "ai": (r"[Kk]ünstliche[nr]? Intelligenz|\bKI\b|[Mm]aschinelle[sn]? Lernen", r"neural network|deep learning"),
    "battery": (r"Batterie|Akku|Elektromobilität|Elektroauto|E-Auto", r"batter(y|ies)|electric vehicle"),
    "hydrogen": (r"Wasserstoff|Brennstoffzelle|Elektrolyse", r"hydrogen|fuel cell|electroly"),
}


def mixed_documents(args: argparse.Namespace) -> pd.DataFrame:
    """Whole speeches (German) and patents and papers (English) of 2017-2024: `--per-group` documents per
    technology and language where there are so many (each naming its technology at least twice, no other one),
    and twice as many naming none of them, per language."""
    seed, n = args.seed, args.per_group
    speeches = pd.read_csv(args.corpora / "bundestag" / "bundestag_speeches_wp19_wp20.csv.gz",
                           usecols=["speech_id", "wp", "date_est", "text"])  # fmt: skip
    speeches = speeches[(speeches.text.str.len() >= 1500) & (speeches.date_est < "2025-01-01")]
    patents = pd.read_csv(args.corpora / "nvidia_patents" / "nvidia_patents_merged.csv.gz")
    patents = patents[patents.grant_date.between("2017-01-01", "2024-12-31")].dropna(subset=["abstract"])
    papers = pd.read_csv(args.corpora / "ml_robotics_papers" / "en_ml_robotics_conference_papers.csv.gz",
                         usecols=["paper_id", "venue", "year", "title", "abstract"])  # fmt: skip
    papers = papers[papers.year.between(2017, 2024)].dropna(subset=["title", "abstract"])
    english = pd.concat(
        [
            pd.DataFrame({"doc_id": "us-" + patents.patent_id.astype(str), "kind": "patent", "title": patents.title,
                          "text": patents.abstract.astype(str), "published": patents.grant_date}),  # fmt: skip
            pd.DataFrame({"doc_id": "paper-" + papers.venue + "-" + papers.paper_id.astype(str), "kind": "publication",
                          "title": papers.title, "text": papers.abstract,
                          "published": papers.year.astype(str) + "-07-01"}),  # fmt: skip
        ],
        ignore_index=True,
    )
    german = pd.DataFrame({"doc_id": "bt-" + speeches.wp.astype(str) + "-" + speeches.speech_id.astype(str),
                           "kind": "policy", "title": "", "text": speeches.text,
                           "published": speeches.date_est})  # fmt: skip
    rows = []
    for language, frame, column in (("de", german, 0), ("en", english, 1)):
        full = frame.title.fillna("") + " " + frame.text.fillna("")
        hits = pd.DataFrame({tech: full.str.count(patterns[column], flags=re.IGNORECASE if column else 0)
                             for tech, patterns in MIXED.items()})  # fmt: skip
        for tech in MIXED:
            chosen = frame[(hits[tech] >= (2 if language == "de" else 1)) & (hits.drop(columns=tech).max(axis=1) == 0)]
            rows.append(chosen.sample(n=min(n, len(chosen)), random_state=seed).assign(tech=tech, language=language))
        other = frame[hits.max(axis=1) == 0]
        rows.append(other.sample(n=min(2 * n, len(other)), random_state=seed).assign(tech="other", language=language))
    frame = pd.concat(rows, ignore_index=True).drop_duplicates("doc_id").reset_index(drop=True)
    frame["doc_id"] = frame.doc_id.str.replace(":", "_")
    return frame


def mixed_check(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    from sklearn.metrics import adjusted_mutual_info_score

    frame = mixed_documents(args)
    product = Product(folder, product_settings(args))
    for kind in ("policy", "patent", "publication"):
        subset = frame[frame.kind == kind].to_dict("records")
        product.import_csv(write_csv(folder / f"mixed-{kind}.csv", subset), kind, f"mixed-{kind}")
    analyses = [product.analyze("year", date(2024, 12, 31))]
    print(json.dumps({"check": "mixed", **analyses[-1]["stages"]}), flush=True)
    topic_of = product.last_fit()
    tech = dict(zip(frame.doc_id, frame.tech, strict=True))
    language = dict(zip(frame.doc_id, frame.language, strict=True))
    assigned = [d for d in frame.doc_id if d in topic_of]
    topics = [topic_of[d] for d in assigned]
    life = product.sql("select topic_id, kind, first_period, position from v_topic_life_cycle "
                       "where granularity = 'year' order by topic_id, position")  # fmt: skip
    labels = {int(r["topic_id"]): r["label"] for r in product.sql("select topic_id, label from topics")}
    members: dict[int, Counter[str]] = defaultdict(Counter)
    for d in assigned:
        members[topic_of[d]][language[d]] += 1
    per_tech = {}
    for t in MIXED:
        of_tech = Counter(topic_of[d] for d in assigned if tech[d] == t)
        if not of_tech:
            per_tech[t] = {"documents": 0}
            continue
        biggest = of_tech.most_common(1)[0][0]
        cycle = " -> ".join(f"{r['kind']} {str(r['first_period'])[:4]}" for r in life if int(r["topic_id"]) == biggest)
        per_tech[t] = {
            "documents": {lang: int(sum(1 for d in frame.doc_id if tech[d] == t and language[d] == lang))
                          for lang in ("de", "en")},  # fmt: skip
            "biggest_topic": biggest,
            "label": labels.get(biggest),
            "its_languages": dict(members[biggest]),
            "both_languages": len(members[biggest]) == 2,
            "overlap": round(tech_overlap(t, assigned, topic_of, tech, language), 3),
            "life_cycle": cycle,
        }
    return {
        "check": "mixed",
        "documents": len(frame),
        "per_group": {f"{k[0]}:{k[1]}": int(v) for k, v in frame.groupby(["language", "tech"]).size().items()},
        "topics": len(set(topics)),
        "unassigned": round(1 - len(assigned) / len(frame), 3),
        "tech_ami": round(float(adjusted_mutual_info_score([tech[d] for d in assigned], topics)), 3),
        "lang_ami": round(float(adjusted_mutual_info_score([language[d] for d in assigned], topics)), 3),
        "technologies": per_tech,
        "monolingual_share": round(monolingual_share(assigned, topic_of, language), 3),
        "tech_monolingual_share": round(
            monolingual_share([d for d in assigned if tech[d] != "other"], topic_of, language), 3
        ),
        "embed_docs_per_s": embedding_speed(analyses),
        "seconds": stage_totals(analyses),
    }


# -- main ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", choices=["debian", "heldout", "mixed", "both"], default="both")
    parser.add_argument("--backend", default="use-m3-words", help="[topics] backend")
    parser.add_argument("--centre", choices=sorted(CENTRES), default="language",
                        help="none | window (subtract the window mean) | language (each language's mean)")  # fmt: skip
    parser.add_argument("--min-topic-size", type=int, default=None, help="[topics] min_topic_size (default: product's)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                        help="another [topics] setting, e.g. translation_word_weight=0")  # fmt: skip
    parser.add_argument("--language", action="store_true", help="run the language step (topic words, not clusters)")
    parser.add_argument("--pairs", type=int, default=3000, help="Debian pairs to sample (0 = all)")
    parser.add_argument("--all-sections", action="store_true", help="keep library/doc/... sections too")
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--per-group", type=int, default=60, help="held out: documents per language and technology")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--folder", type=Path, default=None, help="keep the warehouses here (default: temporary)")
    parser.add_argument("--out", type=Path, default=None, help="append the result lines (JSON) to this file")
    args = parser.parse_args(argv)
    checks = ["debian", "heldout"] if args.check == "both" else [args.check]
    with tempfile.TemporaryDirectory(prefix="crosslingual-") as temporary:
        base = args.folder or Path(temporary)
        for check in checks:
            folder = base / f"{check}-{args.backend.replace(':', '_').replace('/', '_')}-{args.centre}"
            folder.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            result = {"debian": debian_check, "heldout": heldout_check, "mixed": mixed_check}[check](args, folder)
            result = {"backend": args.backend, "centre": args.centre, **result,
                      "total_s": round(time.perf_counter() - started, 1)}  # fmt: skip
            line = json.dumps(result, ensure_ascii=False)
            print(line, flush=True)
            if args.out:
                with args.out.open("a", encoding="utf-8") as handle:
                    handle.write(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
