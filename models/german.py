"""German agreement for term normal forms: the gender of a noun and the strong form of an adjective before it.

"grünen Wasserstoff" is written as a term "grüner Wasserstoff", "künstlichen Intelligenz" as "künstliche
Intelligenz": the adjective takes the strong nominative singular of the head noun's gender.
"""

from __future__ import annotations

import functools
import gzip
import tomllib
from importlib import resources

from models.vocabulary import split_compound

# A known head must have at least this many letters to decide a longer word's gender by its ending ("-stoff").
MIN_KNOWN_ENDING = 4
_GENDERS = {"masculine": "m", "feminine": "f", "neuter": "n"}


@functools.lru_cache(maxsize=1)
def _gender_lists() -> tuple[dict[str, str], tuple[tuple[str, str], ...], tuple[str, ...], tuple[str, ...]]:
    """From terms_de.toml: head -> gender, the heads longest first, neuter and feminine suffixes."""
    text = resources.files("models.data").joinpath("terms_de.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)["gender"]
    heads: dict[str, str] = {}
    for name, gender in _GENDERS.items():
        for head in table[name]:
            if heads.setdefault(head, gender) != gender:
                raise ValueError(f"terms_de.toml: {head!r} is listed with two genders")
    longest_first = tuple(sorted(heads.items(), key=lambda item: -len(item[0])))
    return heads, longest_first, tuple(table["neuter_suffixes"]), tuple(table["feminine_suffixes"])


@functools.lru_cache(maxsize=1)
def _learnt_genders() -> dict[str, str]:
    resource = resources.files("models.data").joinpath("noun_gender_de.tsv.gz")
    if not resource.is_file():
        return {}
    genders: dict[str, str] = {}
    with resource.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                noun, _, gender = line.rstrip("\n").partition("\t")
                if gender in ("m", "f", "n"):
                    genders[noun] = gender
    return genders


@functools.lru_cache(maxsize=100_000)
def noun_gender(noun: str) -> str:
    """Grammatical gender (m/f/n) of a German noun lemma.

    In order: the gender table learnt from articles in real text (`models/data/noun_gender_de.tsv.gz`, for the
    word or, for a compound, its head: "Wasserstoffelektrolyseur" -> "Elektrolyseur"), the list of common
    technology heads in `terms_de.toml` ("Stoff", "Zwilling", "Netz", nominalised verbs such as "Lernen"), suffix
    rules, masculine.
    """
    learnt = _learnt_genders()
    if noun in learnt:
        return learnt[noun]
    split = split_compound(noun, "de")
    if split and split[1] in learnt:
        return learnt[split[1]]
    heads, longest_first, neuter_suffixes, feminine_suffixes = _gender_lists()
    head = noun.rsplit("-", 1)[-1].lower()
    if head in heads:
        return heads[head]
    for known, gender in longest_first:
        if head.endswith(known) and len(known) >= MIN_KNOWN_ENDING:
            return gender
    if head.endswith(neuter_suffixes):
        return "n"
    if head.endswith(feminine_suffixes) or head.endswith("e"):
        return "f"
    return "m"


def inflect_adjective(lemma: str, gender: str) -> str:
    """Strong nominative singular: grün -> grüner (m) / grüne (f) / grünes (n); teuer -> teure, dunkel -> dunkle."""
    stem = lemma
    if stem == "hoch":
        stem = "hoh"
    elif stem.endswith(("euer", "auer")):
        stem = stem[:-2] + "r"
    elif stem.endswith("el") and len(stem) > 3:
        stem = stem[:-2] + "l"
    if stem.endswith("e"):
        return stem + {"m": "r", "f": "", "n": "s"}[gender]
    return stem + {"m": "er", "f": "e", "n": "es"}[gender]
