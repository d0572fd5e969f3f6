"""Build `models/data/hanta_lexicon_{de,en}.tsv.gz` (HanTa's analyses of frequent forms) and `noun_gender_de.tsv.gz`.

Why: HanTa analyses an unseen word form in about 1 ms. The tagger caches every form, so the steady state is fast,
but a fresh process spends most of its first minutes analysing common words. Shipping the analyses of frequent
forms removes that cold start. The file is a pure memo of `HanoverTagger.analyze(form, casesensitive=...)`:
results are identical to calling HanTa, only faster.

The gender table (German noun -> m/f/n, from unambiguous articles such as "das X", "einen X", "eine X" in front of
the singular) lets terms agree: "erzieltes Bild", not "erzielter Bild".

German forms come from Bundestag speeches before 2020 (real capitalisation; the 2023 speeches used by the benchmark
are not read), English forms from wordfreq's most frequent English words (lower-case and capitalised).

    .venv/bin/python benchmarks/build_hanta_lexicon.py \
        --bundestag /work/shared/data/corpora/bundestag/bundestag_speeches_wp19_wp20.csv.gz
"""

from __future__ import annotations

import argparse
import csv
import gzip
import re
import sys
import time
from collections import Counter
from pathlib import Path

import spacy
from HanTa import HanoverTagger

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "models" / "data"
HAS_LETTER = re.compile(r"[^\W\d_]")


def german_forms(path: Path, max_tokens: int, min_count: int) -> Counter[tuple[str, bool]]:
    csv.field_size_limit(sys.maxsize)
    nlp = spacy.blank("de")
    nlp.add_pipe("sentencizer")
    counts: Counter[tuple[str, bool]] = Counter()
    seen = 0
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        texts = (row["text"] for row in csv.DictReader(handle) if row["date_est"][:4] < "2020")
        for doc in nlp.pipe(texts, batch_size=200):
            for token in doc:
                if HAS_LETTER.search(token.text):
                    counts[(token.text, bool(token.is_sent_start))] += 1
            seen += len(doc)
            if seen >= max_tokens:
                break
    return Counter({k: v for k, v in counts.items() if v >= min_count})


def english_forms(top: int) -> list[tuple[str, bool]]:
    from wordfreq import top_n_list

    forms: list[tuple[str, bool]] = []
    for word in top_n_list("en", top):
        if HAS_LETTER.search(word):
            forms.append((word, False))
            forms.append((word[:1].upper() + word[1:], True))
    return forms


def write(lang: str, forms: list[tuple[str, bool]]) -> None:
    tagger = HanoverTagger.HanoverTagger("morphmodel_ger.pgz" if lang == "de" else "morphmodel_en.pgz")
    out = OUT_DIR / f"hanta_lexicon_{lang}.tsv.gz"
    started = time.time()
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as handle:
        handle.write(f"# HanTa {lang} analyses of frequent word forms; built by benchmarks/build_hanta_lexicon.py\n")
        handle.write("# form\tcasesensitive\tlemma\ttag\n")
        for i, (form, initial) in enumerate(sorted(forms)):
            if "\t" in form or "\n" in form:
                continue
            casesensitive = not initial
            lemma, tag = tagger.analyze(form, casesensitive=casesensitive)
            handle.write(f"{form}\t{int(casesensitive)}\t{lemma}\t{tag}\n")
            if i % 20000 == 0:
                print(f"{lang}: {i}/{len(forms)} forms, {time.time() - started:.0f} s", flush=True)
    print(f"wrote {out} ({len(forms)} forms, {out.stat().st_size / 1e6:.1f} MB)")


_NEUTER = {"das", "dieses", "jedes", "welches", "manches", "jenes"}
_MASCULINE = {"einen", "jeden", "keinen", "diesen", "welchen", "den"}
_FEMININE = {"eine", "keine", "jede", "diese", "welche", "die"}
_ZERO_PLURAL = ("er", "el", "en", "chen", "lein")


def german_genders(path: Path, max_tokens: int, min_votes: int = 3, min_share: float = 0.8) -> dict[str, str]:
    """Gender of German nouns from the articles in front of their singular forms in real text.

    Only unambiguous evidence counts: "das X" (neuter), "einen X" (masculine), "eine X" (feminine), ... where X is
    written as its lemma (a singular; "die"/"den" are skipped for nouns whose plural looks like the singular).
    """
    sys.path.insert(0, str(ROOT))
    from models.language import blank_pipeline

    csv.field_size_limit(sys.maxsize)
    nlp = blank_pipeline("de")
    votes: dict[str, Counter[str]] = {}
    seen = 0
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        texts = (row["text"] for row in csv.DictReader(handle) if row["date_est"][:4] < "2020")
        for doc in nlp.pipe(texts, batch_size=100):
            for token in doc:
                if token.pos_ != "NOUN" or token.text != token.lemma_ or "-" in token.text:
                    continue
                i = token.i - 1
                while i >= 0 and doc[i].pos_ == "ADJ" and token.i - i <= 3:
                    i -= 1
                if i < 0:
                    continue
                article = doc[i].text.lower()
                zero_plural = token.text.endswith(_ZERO_PLURAL)
                if article in _NEUTER:
                    gender = "n"
                elif article in _MASCULINE and not (zero_plural or token.text.endswith("n")) or article == "einen":
                    gender = "m"
                elif article in _FEMININE and not zero_plural or article == "eine":
                    gender = "f"
                else:
                    continue
                votes.setdefault(token.text, Counter())[gender] += 1
            seen += len(doc)
            if seen >= max_tokens:
                break
    genders = {}
    for noun, counter in votes.items():
        gender, top = counter.most_common(1)[0]
        total = sum(counter.values())
        if total >= min_votes and top / total >= min_share:
            genders[noun] = gender
    return genders


def write_genders(genders: dict[str, str]) -> None:
    out = OUT_DIR / "noun_gender_de.tsv.gz"
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as handle:
        handle.write("# German noun lemma -> gender (m/f/n) from articles in Bundestag speeches before 2020;\n")
        handle.write("# built by benchmarks/build_hanta_lexicon.py --only genders\n")
        for noun in sorted(genders):
            handle.write(f"{noun}\t{genders[noun]}\n")
    print(f"wrote {out} ({len(genders)} nouns, {out.stat().st_size / 1e6:.2f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundestag", type=Path, required=True, help="bundestag_speeches_wp19_wp20.csv.gz")
    parser.add_argument("--max-tokens", type=int, default=5_000_000)
    parser.add_argument("--min-count", type=int, default=3)
    parser.add_argument("--english-top", type=int, default=40_000)
    parser.add_argument("--only", choices=["de", "en", "genders"])
    args = parser.parse_args()
    if args.only in (None, "de"):
        write("de", list(german_forms(args.bundestag, args.max_tokens, args.min_count)))
    if args.only in (None, "en"):
        write("en", english_forms(args.english_top))
    if args.only in (None, "genders"):  # after the German lexicon: it uses the pipeline
        write_genders(german_genders(args.bundestag, args.max_tokens))


if __name__ == "__main__":
    main()
