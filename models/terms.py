"""Technology terms: multi-word candidates from part-of-speech patterns, normalised and ranked by termhood.

What an analyst reads in a topic are its terms, so they must come out the way a person writes them:
"grüner Wasserstoff" (not "grün Wasserstoff" or "grünen Wasserstoff"), "Elektrolyseur", "solid-state battery".

* Candidates: adjective* noun+ (German: adjective* noun, since German writes compounds as one word; English:
  adjective* noun+ as in "solid-state battery cell"), and noun-of-noun ("Internet der Dinge", "internet of things")
  where the first noun is specific enough. Leading everyday adjectives ("neu", "groß", "nächst") are dropped.
* Normal form: nouns as their lemma with umlauts intact, German attributive adjectives in the strong nominative
  singular agreeing with the head noun's gender ("grünen Wasserstoff" -> "grüner Wasserstoff", "künstlichen
  Intelligenz" -> "künstliche Intelligenz", "maschinellem Lernen" -> "maschinelles Lernen"); English lower-case
  except acronyms.
* German compounds are kept whole and linked to their head by splitting against the wordfreq vocabulary
  ("Wasserstoffelektrolyseur" -> head "Elektrolyseur"); multi-word terms are linked to their head noun.
* Termhood: how much rarer a term is in general language (wordfreq Zipf frequency) than everyday words, times
  the log of how often the document uses it. Single nouns as common as "Jahr" or "Projekt" are never terms.
"""

from __future__ import annotations

import functools
import gzip
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources

from spacy.tokens import Doc, Token

from models.language import general_frequencies as _frequencies

# A noun alone is a term only if it is rarer in general language than this (Zipf scale: "Jahr" 5.8, "Projekt"
# 5.0, "Technologie" 4.3, "Batterie" 3.9, "Wasserstoff" 3.8, "Elektrolyseur" 1.4). Seed terms are exempt.
MAX_SINGLE_NOUN_ZIPF = 4.0
# A multi-word term must be at least this specific (1 = never seen in general language, 0 = as common as "und").
MIN_PHRASE_SPECIFICITY = 0.25
# Adjectives more common than this carry no technical meaning ("neue", "große", "nächste") and are dropped.
MAX_ADJECTIVE_ZIPF = 5.0
# The Zipf value treated as "everyday": specificity = (ZIPF_EVERYDAY - zipf) / ZIPF_EVERYDAY.
ZIPF_EVERYDAY = 6.0
MAX_TERM_WORDS = 4
# Seed terms always count as terms, except single words as common as this ("Schule", "Bildung", "Kultur"): they
# help the lead-market classifier but are no technologies.
MAX_WHITELIST_ZIPF = 4.4
PHRASE_FACTOR = 0.75

# Frequent adjectives that wordfreq rates rare in their lemma form (the inflected forms are common).
_STOP_ADJECTIVES: dict[str, frozenset[str]] = {
    "de": frozenset(
        [
            "nächst",
            "letzt",
            "erst",
            "zweit",
            "dritt",
            "ander",
            "weit",
            "ganz",
            "viel",
            "wenig",
            "gleich",
            "eigen",
            "bestimmt",
            "sogenannt",
            "jeweilig",
            "einzeln",
            "weiter",
            "bisherig",
            "heutig",
            "jetzig",
            "derzeitig",
            "zukünftig",
            "künftig",
            "hoch",
            "groß",
            "klein",
            "gut",
            "schlecht",
            "neu",
            "alt",
            "lang",
            "kurz",
            "wichtig",
            "richtig",
            "möglich",
            "verschieden",
            "gesamt",
            "zahlreich",
            "konkret",
            "einfach",
            "lieb",
            "geehrt",
            "verehrt",
            "herzlich",
            "entsprechend",
            "aktuell",
            "stark",
            "schwer",
            "klar",
            "deutlich",
            "vergangen",
            "kommend",
            "einzig",
            "selb",
            "besonder",
            "weitere",
            "ehemalig",
            "jung",
            "früh",
            "spät",
            "gemeinsam",
            "notwendig",
            "nötig",
            "echt",
            "sehr",
            "dies",
            "jen",
            "solch",
            "mehr",
            "meist",
            "letzte",
            "welch",
            "ausreichend",
            "erheblich",
            "massiv",
            "enorm",
            "riesig",
            "gering",
            "hoh",
            "nah",
            "fern",
            "ordentlich",
            "sonstig",
            "übrig",
            "vorhanden",
            "tatsächlich",
            "eigentlich",
            "wirklich",
            "ganzheitlich",
            "vielfältig",
            "erforderlich",
            "geplant",
            "vorgesehen",
            "genannt",
            "erwähnt",
            "folgend",
            "obig",
            "unser",
        ]
    ),
    "en": frozenset(
        [
            "first",
            "second",
            "third",
            "last",
            "next",
            "other",
            "new",
            "old",
            "great",
            "small",
            "large",
            "big",
            "good",
            "bad",
            "high",
            "low",
            "long",
            "short",
            "many",
            "much",
            "more",
            "most",
            "few",
            "less",
            "least",
            "same",
            "such",
            "own",
            "certain",
            "various",
            "several",
            "different",
            "particular",
            "main",
            "major",
            "minor",
            "further",
            "additional",
            "present",
            "current",
            "previous",
            "following",
            "respective",
            "corresponding",
            "specific",
            "general",
            "whole",
            "entire",
            "overall",
            "possible",
            "important",
            "available",
            "example",
            "exemplary",
            "same",
            "similar",
            "given",
            "plurality",
            "least",
            "best",
            "better",
            "worse",
            "worst",
            "early",
            "late",
        ]
    ),
}
# Nouns that head patent boilerplate ("method of", "plurality of"); never the first noun of a noun-of-noun term.
_GENERIC_NOUNS: dict[str, frozenset[str]] = {
    "de": frozenset(
        [
            "Jahr",
            "Projekt",
            "Ende",
            "Anfang",
            "Teil",
            "Art",
            "Zahl",
            "Reihe",
            "Frage",
            "Bereich",
            "Fall",
            "Seite",
            "Grund",
            "Punkt",
            "Thema",
            "Beispiel",
            "Weg",
            "Menge",
            "Mitglied",
            "Präsident",
            "Präsidentin",
            "Kollege",
            "Kollegin",
            "Dame",
            "Herr",
            "Frau",
            "Mann",
            "Prozent",
            "Million",
            "Milliarde",
            "Euro",
            "Tag",
            "Woche",
            "Monat",
            "Zeit",
            "Stunde",
        ]
    ),
    "en": frozenset(
        [
            "method",
            "system",
            "device",
            "apparatus",
            "use",
            "number",
            "part",
            "plurality",
            "set",
            "one",
            "portion",
            "embodiment",
            "example",
            "way",
            "kind",
            "type",
            "form",
            "amount",
            "means",
            "step",
            "process",
            "result",
            "order",
            "end",
            "case",
            "lot",
            "year",
            "time",
        ]
    ),
}


def _words(text: str) -> list[str]:
    return text.split()


# People and forms of address ("Frau Präsidentin! Liebe Kolleginnen!"): frequent in speeches and news, never a
# technology, neither alone nor as the head of a multi-word term.
_PERSON_NOUNS: dict[str, frozenset[str]] = {
    "de": frozenset(
        _words(
            """Präsident Präsidentin Vizepräsident Vizepräsidentin Kollege Kollegin Dame Herr Frau Mann Minister
            Ministerin Bundesminister Bundesministerin Staatssekretär Staatssekretärin Abgeordnete Abgeordneter
            Bürger Bürgerin Bundeskanzler Bundeskanzlerin Kanzler Kanzlerin Vorsitzende Vorsitzender Zuschauer
            Zuschauerin Soldat Soldatin Demokrat Demokratin Geflüchtete Geflüchteter Mitbürger Mitbürgerin
            Ministerpräsident Ministerpräsidentin Bürgermeister Bürgermeisterin Oberbürgermeister
            Oberbürgermeisterin Sprecher Sprecherin Redner Rednerin Fraktion Opposition Koalition Regierung"""
        )
    ),
    "en": frozenset(_words("mr mrs ms president minister colleague lady gentleman chairman speaker")),
}
_ABSTRACT_SUFFIXES = ("ung", "heit", "keit")
_NOUN_TAGS = {"NOUN", "PROPN"}
_LINKING = ("s", "es", "n", "en", "er", "e")  # Fugenelemente, longest tried after the bare form
_WORD = re.compile(r"^[^\W\d_][\w&+./'’-]*$|^\d+[A-Za-zÄÖÜäöü][\w-]*$")


@dataclass(frozen=True, slots=True)
class Term:
    """One technology term of a document: normal form, head, how often, how term-like."""

    text: str
    head: str | None
    count: int
    termhood: float
    words: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------------------------- vocabulary


def zipf(text: str, lang: str) -> float:
    """General-language Zipf frequency of a word or phrase (0 = unseen); phrases combine like wordfreq's."""
    freqs = _frequencies(lang)
    words = _key(text).replace("-", " ").split()
    if not words:
        return 0.0
    inverse = 0.0
    for word in words:
        f = freqs.get(word, 0.0)
        if f <= 0.0:
            return 0.0
        inverse += 1.0 / f
    return max(0.0, math.log10(1.0 / inverse) + 9.0)


def _key(text: str) -> str:
    """How wordfreq spells a word: lower case, "ß" as "ss" ("Straße" is listed as "strasse")."""
    return text.casefold()


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
    if lang != "de" or len(word) < 8 or zipf(word, lang) >= 3.0:
        return None
    freqs = _frequencies(lang)
    lower = word.lower()
    if lower.endswith("in") and freqs.get(_key(lower[:-2]), 0.0) >= 1e-6:
        return None  # "Verbraucherin" is the feminine of "Verbraucher", not "Verbrauch" + "Erin"
    best: tuple[float, int] | None = None
    for start in range(3, len(lower) - 3):
        head = lower[start:]
        head_freq = freqs.get(_key(head), 0.0)
        if head_freq < 1e-8 or head in _SUFFIX_LIKE:  # head zipf >= 1.0
            continue
        modifier_freq = _modifier_frequency(lower[:start], freqs)
        if modifier_freq <= 0.0:
            continue
        # the split whose weaker part is most common: "Stadt|werk" beats "Stad|twerk"
        strength = min(head_freq, modifier_freq)
        if best is None or strength > best[0]:
            best = (strength, start)
    if best is None:
        return None
    start = best[1]
    return _modifier_lemma(word[:start], freqs), lower[start:][:1].upper() + lower[start + 1 :]


_SUFFIX_LIKE = frozenset({"schaft", "heit", "keit", "ung", "ungen", "isch", "lich", "tum", "nis", "chen", "lein"})


def _modifier_lemma(modifier: str, freqs: Mapping[str, float]) -> str:
    """The first part of a compound as a word: "Heizungs" -> "Heizung" (the more frequent of with and without
    its linking element), "Ressourcen" stays."""
    best, best_freq = modifier, freqs.get(_key(modifier), 0.0)
    for linking in _LINKING:
        if modifier.lower().endswith(linking) and len(modifier) - len(linking) >= 3:
            freq = freqs.get(_key(modifier[: -len(linking)]), 0.0)
            if freq > best_freq:
                best, best_freq = modifier[: -len(linking)], freq
    return best


def _modifier_frequency(modifier: str, freqs: Mapping[str, float]) -> float:
    """Frequency of a compound's first part, with or without a linking element ("Heizung|s|gesetz"), else 0."""
    found = freqs.get(_key(modifier), 0.0)
    for linking in _LINKING:
        if modifier.endswith(linking) and len(modifier) - len(linking) >= 3:
            found = max(found, freqs.get(_key(modifier[: -len(linking)]), 0.0))
    return found if found >= 3e-8 else 0.0  # zipf >= 1.5


# --------------------------------------------------------------------------------------------- German grammar

_GENDER_BY_HEAD: dict[str, str] = {
    # masculine
    **dict.fromkeys(
        [
            "stoff",
            "stahl",
            "zwilling",
            "markt",
            "sektor",
            "prozess",
            "ansatz",
            "antrieb",
            "motor",
            "standort",
            "verkehr",
            "transport",
            "hafen",
            "kreislauf",
            "ausbau",
            "wandel",
            "beton",
            "chip",
            "roboter",
            "sensor",
            "reaktor",
            "rechner",
            "computer",
            "server",
            "dienst",
            "zug",
            "lkw",
            "bus",
            "wagen",
            "plan",
            "zugang",
            "bedarf",
            "einsatz",
            "schutz",
            "betrieb",
            "handel",
            "konsum",
            "speicher",
            "strom",
            "bau",
            "druck",
            "zement",
            "ofen",
            "kraftstoff",
            "brennstoff",
            "rohstoff",
            "werkstoff",
            "kunststoff",
            "baustoff",
            "wasserstoff",
            "kohlenstoff",
            "sauerstoff",
            "stickstoff",
            "algorithmus",
            "katalysator",
            "halbleiter",
            "elektrolyseur",
            "akku",
            "wandler",
            "antrag",
            "haushalt",
            "wohnraum",
            "raum",
            "park",
            "weg",
            "pfad",
            "netzbetreiber",
            "verbrauch",
            "ausstoß",
            "abbau",
            "umbau",
            "neubau",
            "anbau",
            "rückbau",
            "lärm",
            "müll",
            "schrott",
            "abfall",
            "boden",
            "wald",
            "fluss",
            "see",
            "kanal",
            "flughafen",
            "bahnhof",
            "tunnel",
            "kreis",
            "bund",
            "staat",
            "senat",
            "rat",
            "etat",
            "tarif",
            "preis",
            "lohn",
            "zins",
            "kredit",
            "fonds",
        ],
        "m",
    ),
    # feminine
    **dict.fromkeys(
        [
            "energie",
            "batterie",
            "zelle",
            "pumpe",
            "anlage",
            "technik",
            "technologie",
            "intelligenz",
            "wirtschaft",
            "mobilität",
            "infrastruktur",
            "sicherheit",
            "fertigung",
            "wärme",
            "kraft",
            "bahn",
            "straße",
            "schiene",
            "stadt",
            "region",
            "cloud",
            "software",
            "hardware",
            "plattform",
            "maschine",
            "medizin",
            "pflege",
            "akte",
            "daten",
            "chemie",
            "industrie",
            "logistik",
            "lieferkette",
            "kette",
            "wende",
            "zukunft",
            "leitung",
            "pipeline",
            "brücke",
            "fläche",
            "halle",
            "fabrik",
            "hütte",
            "mine",
            "grube",
            "zeche",
            "küste",
            "luft",
            "erde",
            "sonne",
            "windkraft",
            "wasserkraft",
            "ladesäule",
            "säule",
            "drohne",
            "sprache",
        ],
        "f",
    ),
    # neuter
    **dict.fromkeys(
        [
            "netz",
            "fahrzeug",
            "werk",
            "haus",
            "modell",
            "system",
            "material",
            "gas",
            "wasser",
            "auto",
            "verfahren",
            "programm",
            "produkt",
            "konzept",
            "gebäude",
            "kraftwerk",
            "land",
            "geld",
            "jahr",
            "projekt",
            "unternehmen",
            "recht",
            "gesetz",
            "lernen",
            "fahren",
            "laden",
            "bauen",
            "wohnen",
            "zentrum",
            "labor",
            "museum",
            "quartier",
            "viertel",
            "dach",
            "holz",
            "glas",
            "öl",
            "metall",
            "eisen",
            "kupfer",
            "lithium",
            "silizium",
            "element",
            "modul",
            "gerät",
            "instrument",
            "werkzeug",
            "ticket",
            "mittel",
            "event",
            "internet",
            "smartphone",
            "handy",
            "tablet",
            "spiel",
            "ziel",
            "budget",
            "kapital",
            "management",
            "monitoring",
            "recycling",
            "mining",
            "computing",
            "engineering",
            "design",
            "marketing",
            "banking",
            "training",
        ],
        "n",
    ),
}
_FEMININE_SUFFIXES = ("ung", "heit", "keit", "schaft", "ion", "tät", "ik", "ie", "enz", "anz", "ur", "ei", "in", "ade")
_NEUTER_SUFFIXES = ("chen", "lein", "ment", "um", "tum", "nis", "ma", "ing", "o")
_MASCULINE_SUFFIXES = ("er", "or", "ling", "ismus", "eur", "ant", "ent", "ist", "ig", "ich", "ant", "or")


def noun_gender(noun: str) -> str:
    """Grammatical gender (m/f/n) of a German noun lemma.

    In order: the gender table learnt from articles in real text (`models/data/noun_gender_de.tsv.gz`, for the
    word or, for a compound, its head: "Wasserstoffelektrolyseur" -> "Elektrolyseur"), a lexicon of common
    technology heads ("Stoff", "Zwilling", "Netz", nominalised verbs such as "Lernen"), suffix rules, masculine.
    """
    learnt = _learnt_genders()
    if noun in learnt:
        return learnt[noun]
    split = split_compound(noun, "de")
    if split and split[1] in learnt:
        return learnt[split[1]]
    head = noun.rsplit("-", 1)[-1].lower()
    if head in _GENDER_BY_HEAD:
        return _GENDER_BY_HEAD[head]
    for known, gender in _known_heads_longest_first():
        if head.endswith(known) and len(known) >= 4:
            return gender
    if head.endswith(_NEUTER_SUFFIXES):
        return "n"
    if head.endswith(_FEMININE_SUFFIXES) or head.endswith("e"):
        return "f"
    return "m"


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


@functools.lru_cache(maxsize=1)
def _known_heads_longest_first() -> tuple[tuple[str, str], ...]:
    return tuple(sorted(_GENDER_BY_HEAD.items(), key=lambda item: -len(item[0])))


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


# --------------------------------------------------------------------------------------------- extraction


class TermCollector:
    """Counts term candidates over one document (possibly in several spaCy chunks) and ranks them at the end.

    `whitelist`: known technology terms (the lead-market seeds) that always count; `blocklist`: words that never
    do (names of Ruhr places and actors, which the gazetteer reports separately).
    """

    def __init__(self, lang: str, whitelist: Collection[str] = (), blocklist: Collection[str] = ()) -> None:
        self.lang = lang
        self.whitelist = {w.lower() for w in whitelist}
        self.blocklist = blocklist
        # the most common way a single-noun term was written: "Milliarden" makes "Milliarde" an everyday word
        self.surface_zipf: dict[str, float] = {}
        self.counts: Counter[str] = Counter()
        self.heads: dict[str, str | None] = {}
        self.words: dict[str, tuple[str, ...]] = {}
        self._stop_adjectives = _STOP_ADJECTIVES.get(lang, frozenset())
        self._generic_nouns = _GENERIC_NOUNS.get(lang, frozenset())
        self._person_nouns = _PERSON_NOUNS.get(lang, frozenset())

    # -- candidates ---------------------------------------------------------------------------------------

    def add_doc(self, doc: Doc) -> None:
        """Collect candidates sentence by sentence (a pattern never crosses a sentence boundary)."""
        sentences = doc.sents if doc.has_annotation("SENT_START") else [doc[:]]
        for sentence in sentences:
            self._add_tokens(list(sentence))

    def add(self, text: str, head: str | None, words: tuple[str, ...], count: int = 1) -> None:
        self.counts[text] += count
        self.heads.setdefault(text, head)
        self.words.setdefault(text, words)

    def _add_tokens(self, tokens: list[Token]) -> None:
        i, n = 0, len(tokens)
        while i < n:
            j = i
            adjectives: list[Token] = []
            while j < n and self._is_attributive_adjective(tokens[j]):
                adjectives.append(tokens[j])
                j += 1
            nouns: list[Token] = []
            while j < n and self._is_term_noun(tokens[j]) and (not nouns or self.lang == "en"):
                nouns.append(tokens[j])
                j += 1
            if nouns:
                self._add_run(adjectives, nouns)
                self._maybe_noun_of_noun(tokens, j, nouns[-1])
                i = j
            else:
                i = max(j, i + 1)

    def _is_attributive_adjective(self, token: Token) -> bool:
        if token.pos_ != "ADJ" or not _WORD.match(token.text):
            return False
        if self.lang == "de":
            return token.tag_ in ("ADJ(A)", "ADJA") or (
                token.tag_ not in ("ADJ(D)", "ADJD") and token.text[:1].islower()
            )
        return True

    def _is_term_noun(self, token: Token) -> bool:
        if token.text.endswith(".") or token.text in self.blocklist:
            return False  # abbreviations ("Dr.", "Prof."), names of places and actors are not technologies
        if token.pos_ == "NOUN":
            return bool(_WORD.match(token.text)) and len(token.text) > 1
        if token.pos_ == "PROPN":
            # Names are not technologies, acronyms often are ("KI", "GPU", "LiDAR", "5G"); English capitalises
            # common nouns in names of things ("the Internet of Things").
            if self.lang == "en" and zipf(token.text, "en") >= 3.5 and token.text[1:].islower():
                return True
            return _is_acronym(token.text) and bool(_WORD.match(token.text))
        return False

    def _noun_form(self, token: Token) -> str:
        lemma = token.lemma_ or token.text
        if self.lang == "en" and not _is_acronym(lemma):
            return lemma.lower()
        return lemma

    def _adjective_form(self, token: Token, head_noun: str) -> str:
        lemma = (token.lemma_ or token.text).lower()
        if self.lang == "de":
            return inflect_adjective(lemma, noun_gender(head_noun))
        return lemma

    def _add_run(self, adjectives: list[Token], nouns: list[Token]) -> None:
        noun_forms = [self._noun_form(t) for t in nouns]
        head_noun = noun_forms[-1]
        # drop leading everyday adjectives only: "neue grüne Technologie" -> "grüne Technologie"
        while adjectives and self._everyday_adjective(adjectives[0]):
            adjectives = adjectives[1:]
        adjective_forms = [self._adjective_form(a, head_noun) for a in adjectives]
        words = adjective_forms + noun_forms
        if len(words) > MAX_TERM_WORDS:
            words = words[-MAX_TERM_WORDS:]
        lemma_words = tuple(w.lower() for w in [(a.lemma_ or a.text) for a in adjectives] + noun_forms)
        if len(words) > 1:
            self.add(" ".join(words), head_noun, lemma_words)
        if len(noun_forms) > 2:
            self.add(" ".join(noun_forms[-2:]), head_noun, tuple(w.lower() for w in noun_forms[-2:]))
        self.add(head_noun, self._compound_head(head_noun), (head_noun.lower(),))
        surface = zipf(nouns[-1].text, self.lang)
        if surface > self.surface_zipf.get(head_noun, 0.0):
            self.surface_zipf[head_noun] = surface

    def _compound_head(self, noun: str) -> str | None:
        if self.lang != "de":
            return None
        split = split_compound(noun, self.lang)
        return split[1] if split else None

    def _everyday_adjective(self, token: Token) -> bool:
        lemma = (token.lemma_ or token.text).lower()
        if lemma in self._stop_adjectives:
            return True
        return zipf(token.text, self.lang) > MAX_ADJECTIVE_ZIPF and zipf(lemma, self.lang) > MAX_ADJECTIVE_ZIPF - 1

    def _maybe_noun_of_noun(self, tokens: list[Token], j: int, first: Token) -> None:
        """ "Internet der Dinge", "Recht auf Reparatur" (German genitive), "internet of things" (English "of")."""
        if j + 1 >= len(tokens):
            return
        linker = tokens[j].text.lower()
        if (self.lang == "de" and linker not in ("der", "des")) or (self.lang == "en" and linker != "of"):
            return
        k = j + 1
        while k < len(tokens) and self._is_attributive_adjective(tokens[k]) and k - j <= 2:
            k += 1
        if k >= len(tokens) or not self._is_term_noun(tokens[k]):
            return
        first_form = self._noun_form(first)
        tail = [t.text if (self.lang == "de" or _is_acronym(t.text)) else t.text.lower() for t in tokens[j : k + 1]]
        text = " ".join([first_form, *tail])
        if first_form in self._generic_nouns or (
            zipf(first_form, self.lang) > 4.5 and text.lower() not in self.whitelist
        ):
            return
        self.add(text, first_form, tuple(w.lower() for w in [first_form, *tail]))

    # -- ranking --------------------------------------------------------------------------------------------

    def ranked(self, limit: int | None = None) -> list[Term]:
        """Terms best first: termhood = specificity x (1 + ln count); too-common single nouns left out."""
        terms = []
        for text, count in self.counts.items():
            score = self.termhood(text, count)
            if score > 0.0:
                terms.append(Term(text, self.heads.get(text), count, round(score, 4), self.words.get(text, ())))
        terms.sort(key=lambda t: (-t.termhood, -t.count, t.text))
        return terms[:limit] if limit else terms

    def termhood(self, text: str, count: int) -> float:
        whitelisted = text.lower() in self.whitelist
        single = " " not in text
        head = text if single else (self.heads.get(text) or text.rsplit(" ", 1)[-1])
        if not whitelisted and (head in self._person_nouns or head.rsplit("-", 1)[-1] in self._person_nouns):
            return 0.0
        if single and not whitelisted:
            general = max(zipf(text, self.lang), self.surface_zipf.get(text, 0.0))
            if general >= MAX_SINGLE_NOUN_ZIPF:
                return 0.0
            # "Modernisierung", "Verständigung": common abstract nouns name processes, not technologies
            if self.lang == "de" and general >= 3.0 and text.endswith(_ABSTRACT_SUFFIXES) and not split_compound(text):
                return 0.0
        spec = specificity(text, self.lang)
        if not single and not whitelisted and spec < MIN_PHRASE_SPECIFICITY:
            return 0.0
        if whitelisted:
            spec = max(spec, 0.5)
        return spec * (1.0 + math.log(count))


def _is_acronym(text: str) -> bool:
    """ "KI", "GPU", "5G", "LiDAR", "CO2" but not "Essen-Steele" or "Internet"."""
    strong = sum(c.isupper() or c.isdigit() for c in text)
    letters = sum(c.isalnum() for c in text)
    return 2 <= len(text) <= 12 and strong >= 2 and strong * 2 >= letters


def rank_terms(docs: Iterable[Doc], lang: str, whitelist: Collection[str] = (), limit: int | None = None) -> list[Term]:
    """Terms of one text given as one or more spaCy docs (chunks of a long text), best first."""
    collector = TermCollector(lang, whitelist)
    for doc in docs:
        collector.add_doc(doc)
    return collector.ranked(limit)
