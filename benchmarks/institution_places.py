"""Place detection in sentences that name institutions: precision and recall of the gazetteer against hand judgements.

`sample` draws sentences from the Bundestag speeches (../shared/data/corpora/bundestag/, public domain) that hold an
institution-like word (a broad suffix list, deliberately wider than the gazetteer's heads, so the sample does not
only contain what the rule already knows) right before a capitalised word:

* stratum "institution": the sentence also holds an RVR municipality name, demonym or one of the ambiguous names
  ("Essen" the meal, "Wetter" the weather, "Hamm", ...): all of them, up to --institution;
* stratum "other": institutions and no RVR name ("Klinikum Hamburg", "Stadtwerke Millionen"), --other of them;
* stratum "ambiguous" (no institution word needed): an ambiguous name ("Essen", "Hagen", "Hammer", "Wetter", ...)
  right after a capitalised word, where a head rule could turn the meal, the weather or a surname into a place
  ("Kitas Essen", "Das Wetter", "Nina Hagen"): the rest of the sample.

It writes one JSON object per line with an empty `gold`; a person fills `gold` with the RVR municipalities the
sentence names as places (official names as in municipalities.toml). `score` runs the gazetteer over the judged file
and prints precision and recall over (sentence, municipality) pairs, per stratum, with every disagreement.

`changes --ref main` is the held-out check of a gazetteer change: it runs the gazetteer of a git ref and the working
tree's over every Bundestag sentence holding an RVR name (or, with `--corpus news`, over the distinct headlines and
teasers of the German news corpus, publishers' copyright: read them, never copy them) and prints each text whose
municipalities differ, for a person to judge.

    nice -n 10 .venv/bin/python benchmarks/institution_places.py sample --other 84 --out /tmp/sample.jsonl
    .venv/bin/python benchmarks/institution_places.py score benchmarks/data/institution_places_bundestag.jsonl
    nice -n 10 .venv/bin/python benchmarks/institution_places.py changes --ref main --corpus news
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.util
import json
import random
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.language_speed import BUNDESTAG, CORPORA  # noqa: E402

NEWS = CORPORA / "de_news_frontpages" / "de_news_frontpages_2022_2026_all.csv.gz"

# broad on purpose: any capitalised word ending like an institution noun, in any case form
INSTITUTION = re.compile(
    r"\b[A-ZÄÖÜ][\w-]*(?:klinik|klinikum|kliniken|krankenhaus|hospital|universität|uni|hochschule|stadtwerke|"
    r"sparkasse|bank|gericht|polizei|präsidium|kammer|IHK|OLG|institut|museum|theater|zoo|messe|verein|verband|amt|"
    r"behörde|zentrum|schule|kita|werk|hafen|bahnhof|agentur|center|betrieb|gesellschaft|stiftung|akademie|"
    r"verwaltung|anwaltschaft|förderung)(?:e|en|es|s|n)?\b"
)
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ„])|\n")


def ruhr_names() -> re.Pattern[str]:
    """Every RVR municipality name, alias, demonym and the ambiguous bare words, as one pattern."""
    data = tomllib.loads((ROOT / "models" / "data" / "municipalities.toml").read_text(encoding="utf-8"))
    names: set[str] = set()
    for row in data["municipality"]:
        names.update([row["name"].split(" ")[0], *row.get("aliases", ()), *row.get("demonyms", ())])
        names.update(row.get("institution_names", ()))
        names.update(row.get("institution_demonyms", ()))
    body = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{body})(?!\w)")


def ambiguous_after_capital() -> re.Pattern[str]:
    """An ambiguous municipality name (or institution-only form) right after a capitalised word."""
    data = tomllib.loads((ROOT / "models" / "data" / "municipalities.toml").read_text(encoding="utf-8"))
    names = {row["name"] for row in data["municipality"] if row.get("ambiguity") and row.get("bare_name", True)}
    for row in data["municipality"]:
        names.update([*row.get("institution_names", ()), *row.get("institution_demonyms", ())])
    body = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    return re.compile(rf"\b[A-ZÄÖÜ][\w.-]* (?:{body})(?!\w)")


def sample(path: Path, out: Path, sizes: dict[str, int], seed: int) -> None:
    names, ambiguous = ruhr_names(), ambiguous_after_capital()
    strata: dict[str, list[dict[str, str]]] = {"institution": [], "other": [], "ambiguous": []}
    csv.field_size_limit(10**9)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for sentence in SENTENCE.split(row["text"]):
                if len(sentence) > 400:
                    continue
                item = {"id": f"{row['wp']}:{row['speech_id']}", "sentence": sentence.strip()}
                if any(re.match(r"\s+[A-ZÄÖÜ]", sentence[m.end() :]) for m in INSTITUTION.finditer(sentence)):
                    strata["institution" if names.search(sentence) else "other"].append(item)
                elif ambiguous.search(sentence):
                    strata["ambiguous"].append(item)
    rng = random.Random(seed)
    chosen = []
    for stratum, items in strata.items():
        rng.shuffle(items)
        chosen += [{**item, "stratum": stratum} for item in items[: sizes[stratum]]]
        print(f"{stratum}: {len(items)} candidate sentences, {min(len(items), sizes[stratum])} drawn")
    with out.open("w", encoding="utf-8") as f:
        for item in chosen:
            f.write(json.dumps({**item, "gold": []}, ensure_ascii=False) + "\n")
    print(f"wrote {len(chosen)} to {out}")


def score(path: Path) -> None:
    from models.gazetteer import Gazetteer, distinct_municipalities

    gazetteer = Gazetteer.load()
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    totals: dict[str, list[int]] = {}
    for item in items:
        found = set(distinct_municipalities(gazetteer.find_places(item["sentence"])))
        gold = set(item["gold"])
        for key in (item["stratum"], "all"):
            tp_fp_fn = totals.setdefault(key, [0, 0, 0, 0])
            tp_fp_fn[0] += len(found & gold)
            tp_fp_fn[1] += len(found - gold)
            tp_fp_fn[2] += len(gold - found)
            tp_fp_fn[3] += 1
        if found != gold:
            print(f"[{item['stratum']}] found {sorted(found)} gold {sorted(gold)}: {item['sentence'][:160]}")
    print()
    print("stratum  sentences  gold pairs  found  correct  precision  recall")
    for key, (tp, fp, fn, count) in sorted(totals.items()):
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        print(f"{key:<8} {count:>9}  {tp + fn:>10}  {tp + fp:>5}  {tp:>7}  {precision:>9.3f}  {recall:>6.3f}")


def gazetteer_at(ref: str, workdir: Path) -> Any:
    """The Gazetteer class of a git ref, loaded from `git archive` of its models/ into `workdir`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "models"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(workdir)], input=archive.stdout, check=True)
    spec = importlib.util.spec_from_file_location("gazetteer_at_ref", workdir / "models" / "gazetteer.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    data = workdir / "models" / "data"
    places = tomllib.loads((data / "municipalities.toml").read_text(encoding="utf-8"))
    actors = tomllib.loads((data / "actors.toml").read_text(encoding="utf-8"))
    return module.Gazetteer.from_data(places, actors)


def corpus_texts(corpus: str) -> Iterator[str]:
    """Bundestag sentences with an RVR name, or the distinct news headlines with their teasers."""
    csv.field_size_limit(10**9)
    if corpus == "bundestag":
        names = ruhr_names()
        with gzip.open(BUNDESTAG, "rt", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                yield from (s for s in SENTENCE.split(row["text"]) if names.search(s))
        return
    seen: set[str] = set()
    with gzip.open(NEWS, "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            text = f"{row['title']}. {row['teaser']}"
            if text not in seen:
                seen.add(text)
                yield text


def changes(ref: str, corpus: str) -> None:
    from models.gazetteer import Gazetteer, distinct_municipalities

    with tempfile.TemporaryDirectory() as tmp:
        before, after = gazetteer_at(ref, Path(tmp)), Gazetteer.load()
        n = changed = 0
        for text in corpus_texts(corpus):
            n += 1
            old = distinct_municipalities(before.find_places(text))
            new = distinct_municipalities(after.find_places(text))
            if old != new:
                changed += 1
                print(f"{old} -> {new}: {' '.join(text.split())[:200]}")
    print(f"{n:,} texts, {changed} with other municipalities than at {ref}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    draw = sub.add_parser("sample")
    draw.add_argument("--corpus", type=Path, default=BUNDESTAG)
    draw.add_argument("--out", type=Path, required=True)
    draw.add_argument("--institution", type=int, default=100)
    draw.add_argument("--other", type=int, default=70)
    draw.add_argument("--ambiguous", type=int, default=100)
    draw.add_argument("--seed", type=int, default=12)
    judge = sub.add_parser("score")
    judge.add_argument("judged", type=Path)
    compare = sub.add_parser("changes")
    compare.add_argument("--ref", default="main")
    compare.add_argument("--corpus", choices=["bundestag", "news"], default="bundestag")
    args = parser.parse_args()
    if args.command == "sample":
        sizes = {"institution": args.institution, "other": args.other, "ambiguous": args.ambiguous}
        sample(args.corpus, args.out, sizes, args.seed)
    elif args.command == "score":
        score(args.judged)
    else:
        changes(args.ref, args.corpus)


if __name__ == "__main__":
    main()
