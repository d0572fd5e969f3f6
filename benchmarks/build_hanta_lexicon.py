"""Build `models/data/hanta_lexicon_{de,en}.tsv.gz` (HanTa's analyses of frequent forms) and `noun_gender_de.tsv.gz`.

Why: HanTa analyses an unseen word form in 1-5 ms. The tagger caches every form, so the steady state is fast,
but a fresh process (and every worker of the language step) spends most of its time analysing words it has not
seen yet. Shipping the analyses of frequent forms removes most of that. The file is a memo of
`HanoverTagger.analyze(form, casesensitive=...)`, in two parts:

* the base: German forms of Bundestag speeches before 2020 seen at least 3 times in their first 5M tokens (real
  capitalisation; the 2023 speeches used by the benchmark are not read), English forms from wordfreq's 40,000 most
  frequent words (lower-case and capitalised);
* extras: every question the tagger (`models.hanta.HantaTagger`) asks HanTa while analysing more forms (the
  forms themselves and what it asks on their behalf: the lemma again, the part after a hyphen, a singular):
  English, wordfreq's 150,000 most frequent words in running text; German, the Bundestag forms before 2020 seen
  twice and wordfreq's 100,000 most frequent words. German extras that would steer the compound guess
  (`models.hanta.steers_compound_guess`: capitalised nouns and long capitalised words) are left out, so the
  extras change only speed, never an analysis.

    .venv/bin/python benchmarks/build_hanta_lexicon.py \
        --bundestag /work/shared/data/corpora/bundestag/bundestag_speeches_wp19_wp20.csv.gz
    .venv/bin/python benchmarks/build_hanta_lexicon.py --bundestag ... --only en --base-from-file  # extras only

The gender table (German noun -> m/f/n, from unambiguous articles such as "das X", "einen X", "eine X" in front of
the singular) lets terms agree: "erzieltes Bild", not "erzielter Bild".
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
sys.path.insert(0, str(ROOT))

from models.hanta import HANTA_MODELS, HantaTagger, steers_compound_guess  # noqa: E402

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


def english_forms(top: int, top_capitalised: int = 0) -> list[tuple[str, bool]]:
    """(form, sentence_initial) pairs of wordfreq's most frequent English words: lower-case in running text, the
    first `top_capitalised` also capitalised (at a sentence start and in a title)."""
    from wordfreq import top_n_list

    forms: list[tuple[str, bool]] = []
    for rank, word in enumerate(top_n_list("en", top)):
        if HAS_LETTER.search(word):
            forms.append((word, False))
            if rank < top_capitalised:
                capitalised = word[:1].upper() + word[1:]
                forms.extend([(capitalised, True), (capitalised, False)])
    return forms


def german_general_forms(top: int) -> list[tuple[str, bool]]:
    """(form, False) for wordfreq's most frequent German words in running text (wordfreq writes "ß" as "ss")."""
    from wordfreq import top_n_list

    return [(word, False) for word in top_n_list("de", top) if HAS_LETTER.search(word)]


Lexicon = dict[tuple[str, bool], tuple[str, str]]


def base_answers(lang: str, forms: list[tuple[str, bool]]) -> Lexicon:
    """HanTa's answer for each form as it appears: (form, casesensitive = not sentence-initial)."""
    tagger = HanoverTagger.HanoverTagger(HANTA_MODELS[lang])
    answers: Lexicon = {}
    started = time.time()
    for i, (form, initial) in enumerate(sorted(set(forms))):
        if "\t" not in form and "\n" not in form:
            answers[(form, not initial)] = tagger.analyze(form, casesensitive=not initial)
        if i % 20000 == 0:
            print(f"{lang} base: {i}/{len(forms)} forms, {time.time() - started:.0f} s", flush=True)
    return answers


def extra_answers(lang: str, forms: list[tuple[str, bool]], known: Lexicon) -> Lexicon:
    """Every question the tagger asks HanTa about these forms (with `known` as its lexicon), answered."""
    tagger = HantaTagger(spacy.blank(lang), "hanta_tagger", lang, HANTA_MODELS[lang])
    tagger.lexicon = known
    asked: Lexicon = {}
    analyze = tagger.tagger.analyze

    def recording(form: str, casesensitive: bool = True) -> tuple[str, str]:
        key = (form, casesensitive)
        if key not in asked:
            asked[key] = analyze(form, casesensitive=casesensitive)
        return asked[key]

    tagger.tagger.analyze = recording
    started = time.time()
    unique = sorted(set(forms))
    for i, (form, initial) in enumerate(unique):
        if "\t" not in form and "\n" not in form:
            tagger.analyse(form, initial)
        if i % 20000 == 0:
            print(
                f"{lang} extras: {i}/{len(unique)} forms, {len(asked)} answers, {time.time() - started:.0f} s",
                flush=True,
            )
    return {key: answer for key, answer in asked.items() if not steers_compound_guess(lang, *key, answer[1])}


def read_lexicon(lang: str) -> Lexicon:
    """The shipped base entries (`--base-from-file`): what `base_answers` wrote last time."""
    base: Lexicon = {}
    with gzip.open(OUT_DIR / f"hanta_lexicon_{lang}.tsv.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if not line.startswith("#") and len(parts) >= 4 and parts[4:] in ([], ["base"]):
                base[(parts[0], parts[1] == "1")] = (parts[2], parts[3])
    return base


def write(lang: str, base: Lexicon, extras: Lexicon) -> None:
    out = OUT_DIR / f"hanta_lexicon_{lang}.tsv.gz"
    entries = {**extras, **base}
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as handle:
        handle.write(f"# HanTa {lang} analyses of frequent word forms; built by benchmarks/build_hanta_lexicon.py\n")
        handle.write("# form\tcasesensitive\tlemma\ttag\tpart (base | extra)\n")
        for (form, casesensitive), (lemma, tag) in sorted(entries.items()):
            if not any(c in value for value in (form, lemma, tag) for c in "\t\n"):
                part = "base" if (form, casesensitive) in base else "extra"
                handle.write(f"{form}\t{int(casesensitive)}\t{lemma}\t{tag}\t{part}\n")
    extra = len(entries) - len(base)
    print(f"wrote {out} ({len(base)} base and {extra} extra answers, {out.stat().st_size / 1e6:.1f} MB)")


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
    parser.add_argument("--only", choices=["de", "en", "genders"])
    parser.add_argument("--base-from-file", action="store_true", help="keep the shipped base, build the extras")
    args = parser.parse_args()
    for lang in ("de", "en"):
        if args.only not in (None, lang):
            continue
        if lang == "de":
            extra_forms = [*german_forms(args.bundestag, 20_000_000, 2), *german_general_forms(100_000)]
        else:
            extra_forms = english_forms(150_000)
        if args.base_from_file:
            base = read_lexicon(lang)
        elif lang == "de":
            base = base_answers(lang, list(german_forms(args.bundestag, 5_000_000, 3)))
        else:
            base = base_answers(lang, english_forms(40_000, 40_000))
        write(lang, base, extra_answers(lang, extra_forms, base))
    if args.only in (None, "genders"):  # after the German lexicon: it uses the pipeline
        write_genders(german_genders(args.bundestag, 5_000_000))


if __name__ == "__main__":
    main()
