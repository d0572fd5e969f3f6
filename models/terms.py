"""Technology terms: multi-word candidates from part-of-speech patterns, normalised and ranked by termhood.

What an analyst reads in a topic are its terms, so they must come out the way a person writes them:
"grüner Wasserstoff" (not "grün Wasserstoff" or "grünen Wasserstoff"), "Elektrolyseur", "solid-state battery".

* Candidates: adjective* noun+ (German: adjective* noun, since German writes compounds as one word; English:
  adjective* noun+ as in "solid-state battery cell"), and noun-of-noun ("Internet der Dinge", "internet of things")
  where the first noun is specific enough. Leading everyday adjectives ("neu", "groß", "nächst") are dropped.
* Normal form: nouns as their lemma with umlauts intact, German attributive adjectives in the strong nominative
  singular agreeing with the head noun's gender (`models.german`); English lower-case except acronyms.
* German compounds are kept whole and linked to their head by splitting against the wordfreq vocabulary
  ("Wasserstoffelektrolyseur" -> head "Elektrolyseur", `models.vocabulary`); multi-word terms are linked to their
  head noun.
* Termhood: how much rarer a term is in general language (wordfreq Zipf frequency) than everyday words, times
  the log of how often the document uses it. Single nouns as common as "Jahr" or "Projekt" are never terms.

The word lists (everyday adjectives, generic nouns, people) are data: `models/data/terms_{de,en}.toml`.
A `TermExtractor` holds them and remembers its decision per distinct word form; a `TermCollector` counts the
candidates of one document (possibly several spaCy chunks) and ranks them.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from spacy.tokens import Doc

from models.acronyms import is_acronym
from models.german import inflect_adjective, noun_gender
from models.tokens import Tokens
from models.vocabulary import specificity, split_compound, zipf

# A noun alone is a term only if it is rarer in general language than this (Zipf scale: "Jahr" 5.8, "Projekt"
# 5.0, "Technologie" 4.3, "Batterie" 3.9, "Wasserstoff" 3.8, "Elektrolyseur" 1.4). Seed terms are exempt.
MAX_SINGLE_NOUN_ZIPF = 4.0
# A multi-word term must be at least this specific (1 = never seen in general language, 0 = as common as "und").
MIN_PHRASE_SPECIFICITY = 0.25
# Adjectives more common than this carry no technical meaning ("neue", "große", "nächste") and are dropped, when
# their lemma is also at least EVERYDAY_ADJECTIVE_LEMMA_ZIPF.
MAX_ADJECTIVE_ZIPF = 5.0
EVERYDAY_ADJECTIVE_LEMMA_ZIPF = MAX_ADJECTIVE_ZIPF - 1
MAX_TERM_WORDS = 4
# Seed terms always count as terms, except single words as common as this ("Schule", "Bildung", "Kultur"): they
# help the lead-market classifier but are no technologies.
MAX_WHITELIST_ZIPF = 4.4
# ... and a seed term is at least this specific.
MIN_WHITELIST_SPECIFICITY = 0.5
# German abstract nouns (-ung, -heit, -keit) this common name processes, not technologies ("Modernisierung").
MAX_ABSTRACT_NOUN_ZIPF = 3.0
# The first noun of a noun-of-noun term ("Internet der Dinge") must be rarer than this, unless it is a seed term.
MAX_NOUN_OF_NOUN_ZIPF = 4.5
# English capitalises common nouns in names of things ("the Internet of Things"): a capitalised name this common
# counts as a noun.
MIN_CAPITALISED_NOUN_ZIPF = 3.5
# Per-extractor memory of word-form decisions; cleared beyond this (a bound on memory in a long run).
MAX_MEMO = 500_000

_ADJECTIVE, _NOUN = 1, 2
_WORD = re.compile(r"^[^\W\d_][\w&+./'’-]*$|^\d+[A-Za-zÄÖÜäöü][\w-]*$")
_NOUN_OF_NOUN_LINKERS = {"de": frozenset({"der", "des"}), "en": frozenset({"of"})}
_ATTRIBUTIVE_TAGS = ("ADJ(A)", "ADJA")
_PREDICATIVE_TAGS = ("ADJ(D)", "ADJD")


@dataclass(frozen=True, slots=True)
class Term:
    """One technology term of a document: normal form, head, how often, how term-like."""

    text: str
    head: str | None
    count: int
    termhood: float


@dataclass(frozen=True)
class TermLists:
    """The word lists of one language (`models/data/terms_<lang>.toml`)."""

    stop_adjectives: frozenset[str]
    generic_nouns: frozenset[str]
    person_nouns: frozenset[str]
    abstract_suffixes: tuple[str, ...]


@functools.lru_cache(maxsize=4)
def term_lists(lang: str) -> TermLists:
    """The packaged word lists of `lang`; a language without a file gets empty lists."""
    resource = resources.files("models.data").joinpath(f"terms_{lang}.toml")
    data = tomllib.loads(resource.read_text(encoding="utf-8")) if resource.is_file() else {}
    return TermLists(
        stop_adjectives=frozenset(data.get("stop_adjectives", ())),
        generic_nouns=frozenset(data.get("generic_nouns", ())),
        person_nouns=frozenset(data.get("person_nouns", ())),
        abstract_suffixes=tuple(data.get("abstract_suffixes", ())),
    )


class TermExtractor:
    """The term rules of one language, with a memory of what each word form is.

    `whitelist`: known technology terms (the lead-market seeds) that always count; `blocklist`: words that never
    do (names of Ruhr places and actors, which the gazetteer reports separately). Build one per language and
    process, then `collector()` per document.
    """

    def __init__(self, lang: str, whitelist: Collection[str] = (), blocklist: Collection[str] = ()) -> None:
        self.lang = lang
        self.whitelist = frozenset(w.lower() for w in whitelist)
        # the last words of the multi-word ones: only a run ending in one can be a known name ("... model")
        self.whitelist_heads = frozenset(w.rsplit(" ", 1)[-1] for w in self.whitelist if " " in w)
        self.blocklist = frozenset(blocklist)
        self.lists = term_lists(lang)
        self._classes: dict[tuple[str, str, str], int] = {}
        self._noun_forms: dict[str, str] = {}
        self._everyday: dict[tuple[str, str], bool] = {}

    def collector(self) -> TermCollector:
        return TermCollector(self)

    # -- what a token is (memoised per form) ----------------------------------------------------------------

    def word_class(self, text: str, pos: str, tag: str) -> int:
        """_ADJECTIVE for an attributive adjective, _NOUN for a noun that can be (the head of) a term, else 0."""
        memo_key = (text, pos, tag)
        found = self._classes.get(memo_key)
        if found is None:
            if pos == "ADJ":
                found = _ADJECTIVE if self._is_attributive_adjective(text, tag) else 0
            elif pos in ("NOUN", "PROPN"):
                found = _NOUN if self._is_term_noun(text, pos) else 0
            else:
                found = 0
            if len(self._classes) >= MAX_MEMO:
                self._classes.clear()
            self._classes[memo_key] = found
        return found

    def _is_attributive_adjective(self, text: str, tag: str) -> bool:
        if not _WORD.match(text):
            return False
        if self.lang == "de":
            return tag in _ATTRIBUTIVE_TAGS or (tag not in _PREDICATIVE_TAGS and text[:1].islower())
        return True

    def _is_term_noun(self, text: str, pos: str) -> bool:
        if text.endswith(".") or text in self.blocklist:
            return False  # abbreviations ("Dr.", "Prof."), names of places and actors are not technologies
        if pos == "NOUN":
            return bool(_WORD.match(text)) and len(text) > 1
        # Names are not technologies, acronyms often are ("KI", "GPU", "LiDAR", "5G"); English capitalises
        # common nouns in names of things ("the Internet of Things").
        if self.lang == "en" and zipf(text, "en") >= MIN_CAPITALISED_NOUN_ZIPF and text[1:].islower():
            return True
        return is_acronym(text) and bool(_WORD.match(text))

    def noun_form(self, lemma: str) -> str:
        """A noun as a term writes it: its lemma; English lower-case except acronyms."""
        found = self._noun_forms.get(lemma)
        if found is None:
            found = lemma.lower() if self.lang == "en" and not is_acronym(lemma) else lemma
            if len(self._noun_forms) >= MAX_MEMO:
                self._noun_forms.clear()
            self._noun_forms[lemma] = found
        return found

    def adjective_form(self, lemma: str, head_noun: str) -> str:
        lemma = lemma.lower()
        if self.lang == "de":
            return inflect_adjective(lemma, noun_gender(head_noun))
        return lemma

    def everyday_adjective(self, text: str, lemma: str) -> bool:
        memo_key = (text, lemma)
        found = self._everyday.get(memo_key)
        if found is None:
            lower = lemma.lower()
            found = lower in self.lists.stop_adjectives or (
                zipf(text, self.lang) > MAX_ADJECTIVE_ZIPF and zipf(lower, self.lang) > EVERYDAY_ADJECTIVE_LEMMA_ZIPF
            )
            if len(self._everyday) >= MAX_MEMO:
                self._everyday.clear()
            self._everyday[memo_key] = found
        return found

    def compound_head(self, noun: str) -> str | None:
        if self.lang != "de":
            return None
        split = split_compound(noun, self.lang)
        return split[1] if split else None

    # -- ranking --------------------------------------------------------------------------------------------

    def termhood(self, text: str, count: int, head: str | None, surface_zipf: float) -> float:
        """specificity x (1 + ln count); 0 for people, too-common single nouns and too-general phrases."""
        whitelisted = text.lower() in self.whitelist
        single = " " not in text
        head = text if single else (head or text.rsplit(" ", 1)[-1])
        people = self.lists.person_nouns
        if not whitelisted and (head in people or head.rsplit("-", 1)[-1] in people):
            return 0.0
        if single and not whitelisted:
            general = max(zipf(text, self.lang), surface_zipf)
            if general >= MAX_SINGLE_NOUN_ZIPF:
                return 0.0
            # "Modernisierung", "Verständigung": common abstract nouns name processes, not technologies
            if (
                self.lists.abstract_suffixes
                and general >= MAX_ABSTRACT_NOUN_ZIPF
                and text.endswith(self.lists.abstract_suffixes)
                and not split_compound(text)
            ):
                return 0.0
        spec = specificity(text, self.lang)
        if not single and not whitelisted and spec < MIN_PHRASE_SPECIFICITY:
            return 0.0
        if whitelisted:
            spec = max(spec, MIN_WHITELIST_SPECIFICITY)
        return spec * (1.0 + math.log(count))


class TermCollector:
    """Counts term candidates over one document (possibly in several spaCy chunks) and ranks them at the end."""

    def __init__(self, extractor: TermExtractor) -> None:
        self.extractor = extractor
        self.counts: Counter[str] = Counter()
        self.heads: dict[str, str | None] = {}
        # the most common way a single-noun term was written: "Milliarden" makes "Milliarde" an everyday word
        self.surface_zipf: dict[str, float] = {}

    def add_doc(self, doc: Doc) -> None:
        self.add_tokens(Tokens.of(doc))

    def add_tokens(self, tokens: Tokens) -> None:
        """Collect candidates sentence by sentence (a pattern never crosses a sentence boundary)."""
        classify = self.extractor.word_class
        texts, pos, tags = tokens.texts, tokens.pos, tokens.tags
        classes = [classify(texts[i], pos[i], tags[i]) for i in range(len(texts))]
        for start, end in tokens.sentences():
            self._add_sentence(tokens, classes, start, end)

    def add(self, text: str, head: str | None, count: int = 1) -> None:
        self.counts[text] += count
        self.heads.setdefault(text, head)

    def add_known_names(self, found: Mapping[str, int]) -> None:
        """Known technology names (multi-word seeds, as written, with how often the document has them) that the
        patterns missed: a name holds its words whatever the tagger took them for ("autonomous driving", "fast
        charging": a per-form tagger reads "driving" and "charging" as verbs, so no noun pattern covers them).
        A name the patterns found is counted once, as they found it."""
        x = self.extractor
        have = {text.casefold() for text in self.counts}
        for name, count in found.items():
            words = name.split()
            if len(words) < 2 or name.casefold() in have:
                continue
            if x.lang == "en":
                words = [w if is_acronym(w) else w.lower() for w in words]
            self.add(" ".join(words), words[-1], count)

    def _add_sentence(self, tokens: Tokens, classes: list[int], start: int, end: int) -> None:
        several_nouns = self.extractor.lang == "en"
        i = start
        while i < end:
            if not classes[i]:
                i += 1
                continue
            j = i
            while j < end and classes[j] == _ADJECTIVE:
                j += 1
            first_noun = j
            if j < end and classes[j] == _NOUN:
                j += 1
                while several_nouns and j < end and classes[j] == _NOUN:
                    j += 1
                self._add_run(tokens, i, first_noun, j)
                self._maybe_noun_of_noun(tokens, classes, j, end, j - 1)
                i = j
            else:
                i = max(j, i + 1)

    def _lemma(self, tokens: Tokens, i: int) -> str:
        return tokens.lemmas[i] or tokens.texts[i]

    def _add_run(self, tokens: Tokens, start: int, first_noun: int, end: int) -> None:
        """Adjectives tokens[start:first_noun] before nouns tokens[first_noun:end]."""
        x = self.extractor
        noun_forms = [x.noun_form(self._lemma(tokens, t)) for t in range(first_noun, end)]
        head_noun = noun_forms[-1]
        # drop leading everyday adjectives only: "neue grüne Technologie" -> "grüne Technologie"; but not from a
        # known technology's name: "large language model" is a term of its own, "language model" another one
        named = start < first_noun and head_noun.lower() in x.whitelist_heads
        while (
            start < first_noun
            and x.everyday_adjective(tokens.texts[start], self._lemma(tokens, start))
            and not (named and self._known_name(tokens, start, first_noun, noun_forms))
        ):
            start += 1
        words = [x.adjective_form(self._lemma(tokens, a), head_noun) for a in range(start, first_noun)] + noun_forms
        if len(words) > MAX_TERM_WORDS:
            words = words[-MAX_TERM_WORDS:]
        if len(words) > 1:
            self.add(" ".join(words), head_noun)
        if len(noun_forms) > 2:
            self.add(" ".join(noun_forms[-2:]), head_noun)
        self.add(head_noun, x.compound_head(head_noun))
        surface = zipf(tokens.texts[end - 1], x.lang)
        if surface > self.surface_zipf.get(head_noun, 0.0):
            self.surface_zipf[head_noun] = surface

    def _known_name(self, tokens: Tokens, start: int, first_noun: int, noun_forms: list[str]) -> bool:
        """Whether adjectives tokens[start:first_noun] and the nouns are a whitelisted (seed) technology name."""
        x = self.extractor
        adjectives = [x.adjective_form(self._lemma(tokens, a), noun_forms[-1]) for a in range(start, first_noun)]
        return " ".join(adjectives + noun_forms).lower() in x.whitelist

    def _maybe_noun_of_noun(self, tokens: Tokens, classes: list[int], j: int, end: int, first: int) -> None:
        """ "Internet der Dinge", "Recht auf Reparatur" (German genitive), "internet of things" (English "of")."""
        x = self.extractor
        if j + 1 >= end or tokens.texts[j].lower() not in _NOUN_OF_NOUN_LINKERS.get(x.lang, ()):
            return
        k = j + 1
        while k < end and classes[k] == _ADJECTIVE and k - j <= 2:
            k += 1
        if k >= end or classes[k] != _NOUN:
            return
        first_form = x.noun_form(self._lemma(tokens, first))
        tail = [t if (x.lang == "de" or is_acronym(t)) else t.lower() for t in tokens.texts[j : k + 1]]
        text = " ".join([first_form, *tail])
        if first_form in x.lists.generic_nouns or first_form in x.lists.person_nouns:
            return
        if zipf(first_form, x.lang) > MAX_NOUN_OF_NOUN_ZIPF and text.lower() not in x.whitelist:
            return
        self.add(text, first_form)

    def ranked(self, limit: int | None = None) -> list[Term]:
        """Terms best first: termhood = specificity x (1 + ln count); too-common single nouns left out."""
        terms = []
        termhood = self.extractor.termhood
        for text, count in self.counts.items():
            head = self.heads.get(text)
            score = termhood(text, count, head, self.surface_zipf.get(text, 0.0))
            if score > 0.0:
                terms.append(Term(text, head, count, round(score, 4)))
        terms.sort(key=lambda t: (-t.termhood, -t.count, t.text))
        return terms[:limit] if limit else terms


def rank_terms(docs: Iterable[Doc], lang: str, whitelist: Collection[str] = (), limit: int | None = None) -> list[Term]:
    """Terms of one text given as one or more spaCy docs (chunks of a long text), best first."""
    collector = TermExtractor(lang, whitelist).collector()
    for doc in docs:
        collector.add_doc(doc)
    return collector.ranked(limit)
