"""The HanTa tagger as a spaCy component: POS tag and lemma of every token, each word form analysed once.

No trained German spaCy pipeline can be installed here, so the offline pipeline (`models.language`) is
`spacy.blank(lang)` plus a sentencizer plus this component, which sets `tag_` (STTS for German, BNC-style for
English), `pos_` (Universal POS) and `lemma_` from the HanTa morphological model shipped inside the `HanTa` package.

Why a per-word-form cache instead of HanTa's sentence tagger: `tag_sent` (an HMM over each sentence) runs at about
5,500 words/s on this machine, far below what the weekly scan needs. Word forms follow Zipf's law, so analysing each
distinct form once (`HanoverTagger.analyze`, context-free) and reusing the result makes the tagger almost free after
warm-up. What context would add for our purpose (nouns and adjectives for technology terms) German capitalisation
already supplies; sentence-initial words are analysed case-insensitively. The test
`tests/test_language.py::test_fast_route_agrees_with_hanta_sentence_tagger` keeps the agreement with `tag_sent` up.
Forms HanTa is asked about most often are shipped pre-analysed (`models/data/hanta_lexicon_{de,en}.tsv.gz`, a memo
of HanTa's own answers), so a fresh process starts fast too.

HanTa's answers for forms outside that lexicon are kept across runs as well (`learnt_answers`,
`keep_learnt_answers`: an entry of the user's start-up cache, `models.startup_cache`). Asking HanTa about an
unknown form takes about 3 ms, and on Bundestag speeches these questions were two thirds of the language step's
CPU time (500 speeches of 2023: 16.2 CPU s, 5.9 s with the answers known). A form asked once is not asked again
in a later run: of the questions of 1,500 speeches of 2023, 28 % had been asked on 6,000 speeches of 2019-2022.
The answers are HanTa's own, so the annotations are the same with or without them; the entry is named by HanTa's
version and a hash of its model file, so a new HanTa never reads an old one.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import itertools
import re
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

import numpy as np
from spacy.attrs import LEMMA, ORTH, POS, SENT_START, TAG
from spacy.language import Language
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.tokens import Doc

from models.startup_cache import keep_entry, load_or_build, read_entry
from models.vocabulary import HAS_LETTER, general_frequencies

HANTA_MODELS: dict[str, str] = {"de": "morphmodel_ger.pgz", "en": "morphmodel_en.pgz"}
MAX_CACHE = 1_000_000  # word forms kept per tagger (about 100 bytes each); cleared beyond, a bound on memory
# HanTa answers kept across runs per language (about 250 bytes each in memory, a 0.3 s read at 300,000): beyond it
# the oldest are dropped. New questions grow nearly linearly with the text (8,000 per million words of Bundestag
# speeches: 24,506 after 3.1 million), so this keeps the answers of some 37 million words.
MAX_LEARNT_ANSWERS = 300_000
# An unknown German compound takes the analysis of its longest known noun ending ("...elektrolyseuren"): the word
# has at least MIN_COMPOUND_LETTERS letters, the ending at least MIN_ENDING_LETTERS and leaves as many in front.
MIN_COMPOUND_LETTERS = 8
MIN_ENDING_LETTERS = 4
MIN_FRONT_LETTERS = 3

# STTS (German HanTa) and BNC C5 (English HanTa) tags to Universal POS.
_STTS_TO_UPOS: dict[str, str] = {
    "NN": "NOUN",
    "NNI": "NOUN",
    "NNA": "NOUN",
    "NE": "PROPN",
    "ADJ(A)": "ADJ",
    "ADJ(D)": "ADJ",
    "ADV": "ADV",
    "ART": "DET",
    "CARD": "NUM",
    "FM": "X",
    "ITJ": "INTJ",
    "KOKOM": "CCONJ",
    "KON": "CCONJ",
    "KOUI": "SCONJ",
    "KOUS": "SCONJ",
    "PTKANT": "PART",
    "PTKNEG": "PART",
    "PTKVZ": "ADP",
    "PTKZU": "PART",
    "PTKA": "PART",
    "TRUNC": "X",
    "XY": "X",
    "$(": "PUNCT",
    "$,": "PUNCT",
    "$.": "PUNCT",
}
_C5_TO_UPOS: dict[str, str] = {
    "NN0": "NOUN",
    "NN1": "NOUN",
    "NN2": "NOUN",
    "NN": "NOUN",
    "NP0": "PROPN",
    "AJ0": "ADJ",
    "AJC": "ADJ",
    "AJS": "ADJ",
    "AT0": "DET",
    "DT0": "DET",
    "DTQ": "DET",
    "DPS": "PRON",
    "CRD": "NUM",
    "ORD": "ADJ",
    "CJC": "CCONJ",
    "CJS": "SCONJ",
    "CJT": "SCONJ",
    "PRP": "ADP",
    "PRF": "ADP",
    "AVP": "ADP",
    "TO0": "PART",
    "XX0": "PART",
    "POS": "PART",
    "ITJ": "INTJ",
    "EX0": "PRON",
    "PNI": "PRON",
    "PNP": "PRON",
    "PNQ": "PRON",
    "PUL": "PUNCT",
    "PUN": "PUNCT",
    "PUQ": "PUNCT",
    "PUR": "PUNCT",
    "UNC": "X",
    "ZZ0": "X",
}
_ACRONYM = re.compile(r"^[A-ZÄÖÜ0-9][A-ZÄÖÜ0-9&./+-]*[A-ZÄÖÜ0-9]$")
_ACRONYM_PLURAL = re.compile(r"^([A-ZÄÖÜ0-9][A-ZÄÖÜ0-9&./+-]*[A-ZÄÖÜ0-9])s$")
_SENTENCE_PUNCT = frozenset({".", "!", "?", ";", ":"})


def _upos(lang: str, tag: str) -> str:
    """Map a HanTa tag to Universal POS (verbs, pronouns and adverbs by prefix)."""
    table = _STTS_TO_UPOS if lang == "de" else _C5_TO_UPOS
    if tag in table:
        return table[tag]
    if lang == "de":
        if tag.startswith("VA") or tag.startswith("VM"):
            return "AUX"
        if tag.startswith("VV"):
            return "VERB"
        if tag.startswith("AP"):
            return "ADP"
        if tag.startswith("P"):
            return "PRON"
    else:
        if tag[:2] in ("VB", "VD", "VH", "VM"):
            return "AUX"
        if tag.startswith("VV"):
            return "VERB"
        if tag.startswith("AV"):
            return "ADV"
    return "X"


class HantaTagger:
    """spaCy component: POS tag and lemma for every token from HanTa, analysing each word form once.

    The cache maps (form hash, sentence_initial) to the hashes `Doc.from_array` takes, so a known form costs one
    dict lookup and no string. It grows with the vocabulary (about 100 bytes per form), which stays bounded in
    practice (a few hundred thousand forms for the whole Bundestag corpus); `max_cache` clears it beyond that.
    """

    def __init__(self, nlp: Language, name: str, lang: str, model: str, max_cache: int = MAX_CACHE) -> None:
        from HanTa import HanoverTagger  # deferred: loading the model takes 0.1 s and is only needed when used

        self.name = name
        self.lang = lang
        self.strings = nlp.vocab.strings
        self.tagger = HanoverTagger.HanoverTagger(model)
        self.lexicon = hanta_lexicon(lang)
        self.model = model
        # HanTa answers for forms not in the lexicon: those earlier runs kept, then this run's
        self._memo: dict[tuple[str, bool], tuple[str, str]] = learnt_answers(lang, model)
        self.new_answers = 0  # answers got in this process (from HanTa or other processes) beyond those read back
        self.max_cache = max_cache
        self.cache: dict[tuple[int, bool], tuple[int, int, int]] = {}

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if n == 0:
            return doc
        cache = self.cache
        # arrays instead of Token objects: creating a Token costs more than the cache lookup itself
        orths = doc.to_array(ORTH).tolist()
        starts = doc.to_array(SENT_START).tolist() if doc.has_annotation("SENT_START") else [0] * n
        rows = []
        for i, (orth, start) in enumerate(zip(orths, starts, strict=True)):
            key = (orth, i == 0 or start == 1)
            entry = cache.get(key)
            if entry is None:
                entry = self._analyse(self.strings[orth], key[1])
                if len(cache) >= self.max_cache:
                    cache.clear()
                    self._memo.clear()
                cache[key] = entry
            rows.append(entry)
        doc.from_array([TAG, POS, LEMMA], np.array(rows, dtype="uint64"))
        return doc

    def answers_since(self, mark: int) -> list[tuple[tuple[str, bool], tuple[str, str]]]:
        """HanTa's answers this tagger got after it had `mark` of them (`answer_count`), for other processes."""
        if mark > len(self._memo):  # the memo was cleared in between
            mark = 0
        return list(itertools.islice(self._memo.items(), mark, None))

    def answer_count(self) -> int:
        return len(self._memo)

    def remember(self, answers: Iterable[tuple[tuple[str, bool], tuple[str, str]]]) -> None:
        """Take answers another process got from HanTa (the same model answers the same question the same way)."""
        memo = self._memo
        for question, answer in answers:
            if question not in memo:
                memo[question] = answer
                self.new_answers += 1

    def analyse(self, form: str, sentence_initial: bool = False) -> tuple[str, str, str]:
        """(tag, upos, lemma) for one word form; the uncached route behind `__call__`, also used by tests."""
        tag, lemma = self._tag_and_lemma(form, sentence_initial)
        return tag, _upos(self.lang, tag), lemma

    def _analyse(self, form: str, sentence_initial: bool) -> tuple[int, int, int]:
        tag, upos, lemma = self.analyse(form, sentence_initial)
        return (self.strings.add(tag), POS_IDS[upos], self.strings.add(lemma))

    def _tag_and_lemma(self, form: str, sentence_initial: bool) -> tuple[str, str]:
        if not HAS_LETTER.search(form):
            if form[:1].isdigit():
                return ("CARD" if self.lang == "de" else "CRD"), form
            if self.lang == "en":
                return "PUN", form
            return ("$." if form in _SENTENCE_PUNCT else "$," if form == "," else "$("), form
        if _ACRONYM.match(form) and sum(c.isupper() for c in form) >= 2:
            # HanTa would write "KI" as "Ki" and "GPU" as "Gpu"; acronyms are names of things, keep them as written.
            return ("NE" if self.lang == "de" else "NP0"), form
        plural = _ACRONYM_PLURAL.match(form)
        if plural and sum(c.isupper() for c in form) >= 2:
            return ("NE" if self.lang == "de" else "NP0"), plural.group(1)
        if "-" in form.strip("-") and len(form) > 2:
            return self._hyphenated(form, sentence_initial)
        if self.lang == "de" and not sentence_initial and (form, True) not in self.lexicon:
            guess = self._by_known_ending(form)
            if guess is not None:
                return guess
        lemma, tag = self._hanta(form, casesensitive=not sentence_initial)
        return tag, self._lemma_case(form, lemma, tag)

    def _by_known_ending(self, form: str) -> tuple[str, str] | None:
        """Tag and lemma of an unknown German compound from its longest known ending, without asking HanTa.

        "Wasserstoffelektrolyseuren" ends in the known noun form "Elektrolyseuren" (-> "Elektrolyseur"), so it is
        a noun with lemma "Wasserstoffelektrolyseur". Only capitalised forms and noun endings (names such as
        "Thüringen" and all lower-case words are left to HanTa); an ending must have four letters and leave at
        least three in front. German noun compounds are the bulk of unseen forms, and HanTa needs about 1 ms each.
        """
        if not _compound_candidate(form):
            return None
        for start in range(MIN_FRONT_LETTERS, len(form) - MIN_ENDING_LETTERS + 1):
            ending = form[start:]
            key = ending[0].upper() + ending[1:]
            known = self.lexicon.get((key, True))
            if known is None or known[1] != "NN":
                continue
            tag, head_lemma = self._tag_and_lemma(key, False)
            if tag == "NN":
                return tag, form[:start] + head_lemma[:1].lower() + head_lemma[1:]
        return None

    def _hanta(self, form: str, casesensitive: bool) -> tuple[str, str]:
        """HanTa's (lemma, tag), from the shipped lexicon of frequent forms when there (same result, no 1 ms)."""
        known = self.lexicon.get((form, casesensitive))
        if known is not None:
            return known
        known = self._memo.get((form, casesensitive))
        if known is None:
            known = self._memo[(form, casesensitive)] = self.tagger.analyze(form, casesensitive=casesensitive)
            self.new_answers += 1
        return known

    def _is_own_lemma(self, word: str) -> bool:
        """Whether `word` is a lemma (a singular): HanTa says so, or HanTa over-stems it to a word the vocabulary
        does not know ("Ladesäule" -> "Ladesäul", as it does the plural) and, a German compound, its longest known
        noun ending is its own lemma ("Säule"): a compound's number is its head's. A known lemma of HanTa's
        ("Medikamente" -> "Medikament") is believed."""
        lemma = self._hanta(word, casesensitive=True)[0]
        if lemma.casefold() == word.casefold():
            return True
        if self.lang != "de" or general_frequencies("de").get(lemma.casefold(), 0.0):
            return False
        guess = self._by_known_ending(word)
        return guess is not None and guess[1].casefold() == word.casefold()

    def _hyphenated(self, form: str, sentence_initial: bool) -> tuple[str, str]:
        """ "Wasserstoff-Lkw", "E-Mobilität", "solid-state": analyse the last part, keep the others as written."""
        head_start = form.rstrip("-").rfind("-") + 1
        prefix, last = form[:head_start], form[head_start:]
        lemma, tag = self._hanta(last, casesensitive=True)
        if tag in ("NE", "NP0"):
            return tag, form  # "Essen-Steele", "Rhein-Ruhr": names stay as written
        if self.lang == "de" and last[:1].isupper() and tag not in ("NN", "NNI", "NNA"):
            tag = "NN"
        if self.lang == "en" and tag.startswith("VV") and form[:1].islower():
            tag = "AJ0"  # "solid-state", "low-carbon", "self-driving": hyphenated pre-modifiers act as adjectives
        return tag, prefix + self._lemma_case(last, lemma, tag)

    def _lemma_case(self, form: str, lemma: str, tag: str) -> str:
        if self.lang == "de":
            if tag in ("NN", "NNI", "NNA", "NE"):
                lemma = lemma[:1].upper() + lemma[1:] if lemma else form
                if tag == "NE":  # names: only a genitive -s is taken off ("Deutschlands" -> "Deutschland")
                    return lemma if form == lemma + "s" else form
                if tag != "NN":
                    return lemma
                if form.lower().endswith("daten"):
                    return form  # "Daten" (data) is not the plural of "Datum" (date) in our texts
                again, again_tag = self._hanta(lemma, casesensitive=True)
                if again_tag == "NN" and again and len(lemma) - 2 <= len(again) < len(lemma):
                    lemma = again[:1].upper() + again[1:]  # "Elektrolyseuren" -> "Elektrolyseure" -> "Elektrolyseur"
                return repair_noun_lemma(form, lemma, self._is_own_lemma)
            return lemma.lower() if form[:1].isupper() and tag not in ("NE",) else lemma
        if tag == "NP0":
            return form
        return lemma.lower() if lemma else form.lower()


def _compound_candidate(form: str) -> bool:
    return len(form) >= MIN_COMPOUND_LETTERS and form.isalpha() and form[0].isupper()


def steers_compound_guess(lang: str, form: str, casesensitive: bool, tag: str) -> bool:
    """Whether a lexicon entry changes analyses, not only their speed.

    German capitalised forms in running text take part in the compound guess (`HantaTagger._by_known_ending`): a
    long one that is in the lexicon is analysed by HanTa instead of by its ending, and a noun in it is an ending
    other compounds are guessed from. Every other entry only answers a question HanTa would answer the same way.
    """
    return lang == "de" and casesensitive and form[:1].isupper() and (tag == "NN" or _compound_candidate(form))


@functools.lru_cache(maxsize=2)
def hanta_lexicon(lang: str) -> dict[tuple[str, bool], tuple[str, str]]:
    """The shipped memo of HanTa analyses of frequent forms: (form, casesensitive) -> (lemma, tag).

    Built by `benchmarks/build_hanta_lexicon.py`; empty if the file is missing (everything still works, slower).
    """
    resource = resources.files("models.data").joinpath(f"hanta_lexicon_{lang}.tsv.gz")
    if not resource.is_file():
        return {}
    packed = resource.read_bytes()
    fingerprint = hashlib.sha256(packed).hexdigest()[:32]
    return load_or_build(f"hanta-lexicon-{lang}", fingerprint, lambda: _parse_lexicon(packed))


LEARNT_ANSWERS = "hanta-answers"  # the start-up cache entry of HanTa's answers, per language


@functools.lru_cache(maxsize=4)
def answers_fingerprint(model: str) -> str:
    """What HanTa's answers depend on: its version and its model file (a new model answers differently)."""
    from importlib.metadata import version

    import HanTa

    digest = hashlib.sha256(version("HanTa").encode())
    path = Path(HanTa.__file__).parent / model
    try:
        digest.update(path.read_bytes())
    except OSError:
        digest.update(model.encode())
    return digest.hexdigest()[:32]


def learnt_answers(lang: str, model: str) -> dict[tuple[str, bool], tuple[str, str]]:
    """HanTa's answers earlier runs kept for `lang` (an empty dict when there are none or they cannot be read)."""
    entry = read_entry(f"{LEARNT_ANSWERS}-{lang}", answers_fingerprint(model))
    return entry if isinstance(entry, dict) else {}


def keep_learnt_answers(tagger: HantaTagger, limit: int = MAX_LEARNT_ANSWERS) -> int:
    """Add the answers `tagger` got in this run to those kept for later runs; returns how many are kept (0: none new).

    The entry is read again first, so runs that ended in between lose nothing (the last writer keeps the union,
    not only its own); beyond `limit` the oldest answers go.
    """
    if not tagger.new_answers:
        return 0
    name, fingerprint = f"{LEARNT_ANSWERS}-{tagger.lang}", answers_fingerprint(tagger.model)
    current = read_entry(name, fingerprint)
    kept = current if isinstance(current, dict) else {}
    kept.update(tagger._memo)
    if len(kept) > limit:
        kept = dict(itertools.islice(kept.items(), len(kept) - limit, None))
    if not keep_entry(name, fingerprint, kept):
        return 0
    tagger.new_answers = 0
    return len(kept)


def _parse_lexicon(packed: bytes) -> dict[tuple[str, bool], tuple[str, str]]:
    lexicon: dict[tuple[str, bool], tuple[str, str]] = {}
    with gzip.open(io.BytesIO(packed), "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")  # form, casesensitive, lemma, tag, part (base | extra)
            if len(parts) >= 4:
                lexicon[(parts[0], parts[1] == "1")] = (parts[2], parts[3])
    return lexicon


@Language.factory("hanta_tagger", default_config={"lang": "de", "model": "morphmodel_ger.pgz"})
def make_hanta_tagger(nlp: Language, name: str, lang: str, model: str) -> HantaTagger:
    return HantaTagger(nlp, name, lang, model)


def repair_noun_lemma(form: str, lemma: str, is_own_lemma: Callable[[str], bool] | None = None) -> str:
    """Undo HanTa's over-stemming of German nouns it does not know, judged against the wordfreq vocabulary.

    * Plurals in -en lemmatised one letter short ("Wärmepumpen" -> "Wärmepump"): the form minus "n"
      ("Wärmepumpe") wins when it is its own lemma (`is_own_lemma`, asked of HanTa) and the vocabulary knows
      its ending first ("Staaten" stays "Staat", "Elektrolyseuren" stays "Elektrolyseur").
    * Unknown singulars stemmed ("Glukose" -> "Glukos", "Tomografie" -> "Tomografi"): when HanTa's lemma is not
      a known word but the form is, or the form's ending is known first, the form is kept.
    HanTa's lemma stays whenever the vocabulary knows it ("Kolleginnen" -> "Kollegin", "Elektrolyseure" ->
    "Elektrolyseur"); compounds are compared by their endings ("...elektrolyseur" beats "...elektrolyseure").
    """
    if lemma == form or not lemma:
        return lemma
    alternative = lemma + "e" if form.endswith("en") and lemma.lower() == form[:-2].lower() else form
    choice = _more_known(lemma, alternative, form)
    # HanTa is asked only when its answer matters (the vocabulary prefers the alternative): about 1 ms a word
    if choice == alternative != form and is_own_lemma is not None and not is_own_lemma(alternative):
        return lemma  # "Elektrolyseure" is itself a plural, so "Elektrolyseuren" -> "Elektrolyseur" was right
    return choice


def _more_known(lemma: str, alternative: str, form: str) -> str:
    """Of HanTa's lemma and the alternative, the one the general vocabulary knows better (ties: the lemma).

    A known lemma always beats the form itself ("Kolleginnen" -> "Kollegin"), a known -e singular only when it is
    more frequent ("Wärmepumpen" -> "Wärmepumpe"); unknown words are compared by their longest known endings.
    """
    freqs = general_frequencies("de")
    a, b = lemma.casefold(), alternative.casefold()
    if freqs.get(a, 0.0):
        return lemma if alternative == form or freqs.get(a, 0.0) >= freqs.get(b, 0.0) else alternative
    if freqs.get(b, 0.0):
        return alternative
    for start in range(0, min(len(a), len(b)) - 3):
        fa, fb = freqs.get(a[start:], 0.0), freqs.get(b[start:], 0.0)
        if fa or fb:
            return alternative if fb > fa else lemma
    return lemma
