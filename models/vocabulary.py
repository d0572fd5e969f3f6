"""General language as the term extractor sees it: how common a word is (wordfreq) and how German compounds split.

A technology term is a word or phrase that is much rarer in general language than everyday words, so every
termhood decision starts from wordfreq's frequencies (share of all words; the Zipf scale is log10 of the frequency
per billion words: "Jahr" 5.8, "Batterie" 3.9, "Elektrolyseur" 1.4). Every function here is a pure function of the
word, cached per process, because the same forms recur in every document.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections.abc import Mapping
from importlib import resources

from models.startup_cache import load_or_build

HAS_LETTER = re.compile(r"[^\W\d_]")  # a word has at least one letter (not only digits or symbols)
# The Zipf value treated as "everyday": specificity = (ZIPF_EVERYDAY - zipf) / ZIPF_EVERYDAY.
ZIPF_EVERYDAY = 6.0
# Each word after the first removes this share of the distance to 1 that is left ("solid-state battery" is more
# specific than "battery"): specificity = 1 - (1 - spec) * PHRASE_FACTOR ** (words - 1).
PHRASE_FACTOR = 0.75
# Compound splitting (German): words common on their own (Zipf >= 3: "Wasserstoff", "Bundesregierung") are
# lexicalised and stay whole; shorter words than MIN_COMPOUND_LETTERS are never split; a split's parts have at least
# MIN_PART_LETTERS letters, its head a frequency of at least MIN_HEAD_FREQUENCY (Zipf 1) and its first part (with
# or without a linking element) at least MIN_MODIFIER_FREQUENCY (Zipf about 1.5).
LEXICALISED_ZIPF = 3.0
MIN_COMPOUND_LETTERS = 8
MIN_PART_LETTERS = 3
MIN_HEAD_FREQUENCY = 1e-8
MIN_MODIFIER_FREQUENCY = 3e-8
# A word in -in whose base is this common (Zipf 3) is a feminine form ("Verbraucherin"), not a compound ("...erin").
FEMININE_BASE_FREQUENCY = 1e-6


@functools.lru_cache(maxsize=4)
def general_frequencies(lang: str) -> Mapping[str, float]:
    """wordfreq's general-language word frequencies (lower-case word -> share of all words), loaded once."""
    from importlib.metadata import version

    def build() -> dict[str, float]:
        from wordfreq import get_frequency_dict  # imported only to build: the import alone takes most of a second

        return get_frequency_dict(lang)

    return load_or_build(f"wordfreq-{lang}", version("wordfreq"), build)


@functools.lru_cache(maxsize=2)
def compound_rules() -> tuple[tuple[str, ...], frozenset[str]]:
    """German linking elements (longest tried after the bare form) and suffix-like endings, from terms_de.toml."""
    text = resources.files("models.data").joinpath("terms_de.toml").read_text(encoding="utf-8")
    compounds = tomllib.loads(text)["compounds"]
    return tuple(compounds["linking"]), frozenset(compounds["suffix_like"])


def key(text: str) -> str:
    """How wordfreq spells a word: lower case, "ß" as "ss" ("Straße" is listed as "strasse")."""
    return text.casefold()


@functools.lru_cache(maxsize=500_000)
def zipf(text: str, lang: str) -> float:
    """General-language Zipf frequency of a word or phrase (0 = unseen); phrases combine like wordfreq's."""
    freqs = general_frequencies(lang)
    words = key(text).replace("-", " ").split()
    if not words:
        return 0.0
    inverse = 0.0
    for word in words:
        f = freqs.get(word, 0.0)
        if f <= 0.0:
            return 0.0
        inverse += 1.0 / f
    return max(0.0, math.log10(1.0 / inverse) + 9.0)


def specificity(text: str, lang: str) -> float:
    """1.0 for a term unseen in general language, 0.0 for one as common as everyday words.

    wordfreq rates a phrase about as common as its rarest word, but "solid-state battery" is far more specific
    than "battery": each further word removes a quarter of the remaining distance to 1.
    """
    spec = min(1.0, max(0.0, (ZIPF_EVERYDAY - zipf(text, lang)) / ZIPF_EVERYDAY))
    n_words = len(text.replace("-", " ").split())
    return 1.0 - (1.0 - spec) * PHRASE_FACTOR ** (n_words - 1)


@functools.lru_cache(maxsize=200_000)
def split_compound(word: str, lang: str = "de") -> tuple[str, str] | None:
    """(modifier, head) of a German compound noun, or None when it is not one we can split.

    Hyphenated words split at their last hyphen ("Wasserstoff-Lkw" -> "Wasserstoff", "Lkw"). Closed compounds
    split where a known noun (wordfreq Zipf >= 1) ends the word and the rest is a known word (Zipf >= 1.5) with or
    without a linking element, which is dropped from the modifier ("Wasserstoffelektrolyseur" -> "Wasserstoff",
    "Elektrolyseur"; "Heizungsgesetz" -> "Heizung", "Gesetz"); of several splits the one whose rarer part is
    most common wins ("Stadt|werk", not "Stad|twerk"). Words common on their own (Zipf >= 3: "Wasserstoff",
    "Bundesregierung") are lexicalised and not split.
    """
    if "-" in word.strip("-"):
        cut = word.rstrip("-").rfind("-")
        modifier, head = word[:cut], word[cut + 1 :]
        if len(head) >= 2 and modifier:
            return modifier, head[:1].upper() + head[1:] if lang == "de" else head
        return None
    if lang != "de" or len(word) < MIN_COMPOUND_LETTERS or zipf(word, lang) >= LEXICALISED_ZIPF:
        return None
    freqs = general_frequencies(lang)
    linking, suffix_like = compound_rules()
    lower = word.lower()
    if lower.endswith("in") and freqs.get(key(lower[:-2]), 0.0) >= FEMININE_BASE_FREQUENCY:
        return None  # "Verbraucherin" is the feminine of "Verbraucher", not "Verbrauch" + "Erin"
    best: tuple[float, int] | None = None
    for start in range(MIN_PART_LETTERS, len(lower) - MIN_PART_LETTERS):
        head = lower[start:]
        head_freq = freqs.get(key(head), 0.0)
        if head_freq < MIN_HEAD_FREQUENCY or head in suffix_like:
            continue
        modifier_freq = _modifier_frequency(lower[:start], freqs, linking)
        if modifier_freq <= 0.0:
            continue
        # the split whose weaker part is most common: "Stadt|werk" beats "Stad|twerk"
        strength = min(head_freq, modifier_freq)
        if best is None or strength > best[0]:
            best = (strength, start)
    if best is None:
        return None
    start = best[1]
    return _modifier_lemma(word[:start], freqs, linking), lower[start:][:1].upper() + lower[start + 1 :]


def _modifier_lemma(modifier: str, freqs: Mapping[str, float], linking: tuple[str, ...]) -> str:
    """The first part of a compound as a word: "Heizungs" -> "Heizung" (the more frequent of with and without
    its linking element), "Ressourcen" stays."""
    best, best_freq = modifier, freqs.get(key(modifier), 0.0)
    for element in linking:
        if modifier.lower().endswith(element) and len(modifier) - len(element) >= MIN_PART_LETTERS:
            freq = freqs.get(key(modifier[: -len(element)]), 0.0)
            if freq > best_freq:
                best, best_freq = modifier[: -len(element)], freq
    return best


def _modifier_frequency(modifier: str, freqs: Mapping[str, float], linking: tuple[str, ...]) -> float:
    """Frequency of a compound's first part, with or without a linking element ("Heizung|s|gesetz"), else 0."""
    found = freqs.get(key(modifier), 0.0)
    for element in linking:
        if modifier.endswith(element) and len(modifier) - len(element) >= MIN_PART_LETTERS:
            found = max(found, freqs.get(key(modifier[: -len(element)]), 0.0))
    return found if found >= MIN_MODIFIER_FREQUENCY else 0.0
