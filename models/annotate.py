"""One text in, everything foresight's language step sees in it out: language, terms, places, actors, lead markets.

`annotate(text, title=None)` is the single entry point used by `foresight annotate` and by the warehouse language
step (which builds one `Annotator` and reuses it for every document, so pipelines and seeds load once).

Bad input is answered, never raised: empty text, HTML remnants (tags, entities, scripts are removed first), mixed
languages (the main language is chosen from samples of the whole text), very long texts (processed in chunks of
`max_chunk_chars`, so memory stays bounded), unsupported languages (skipped with the language as reason).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language

from models.gazetteer import ActorMention, Gazetteer, PlaceMention, distinct_municipalities
from models.hanta import HantaTagger
from models.language import detect_language, load_pipeline, split_for_processing
from models.lead_markets import LeadMarketClassifier, LeadMarketData, LeadMarketScore, load_lead_markets
from models.settings import LanguageSettings
from models.terms import MAX_WHITELIST_ZIPF, Term, TermExtractor
from models.tokens import LemmaKeys, Tokens
from models.vocabulary import HAS_LETTER, zipf

PROCESSED = "processed"
SKIPPED = "skipped"
MAX_TERMS = 100

_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]{0,2000}>", re.DOTALL)
_BLOCK_TAG = re.compile(r"</?(p|div|br|li|h[1-6]|tr|section|article)\b[^>]*>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0]+")
# One short text per language that reaches every part of the analysis (compounds, agreement, seeds).
_WARM_TEXTS = {
    "de": "Die Stadtwerke in Essen bauen einen Wasserstoffelektrolyseur für grünen Wasserstoff.",
    "en": "The solid-state battery cells of electric vehicles in Essen store hydrogen energy.",
}


@dataclass(frozen=True)
class Annotation:
    """What the language step found in one document."""

    language: str | None
    status: str  # processed | skipped
    reason: str | None = None
    language_confidence: float = 0.0
    n_words: int = 0
    pipeline: str | None = None
    terms: tuple[Term, ...] = ()
    places: tuple[PlaceMention, ...] = ()
    actors: tuple[ActorMention, ...] = ()
    lead_markets: tuple[LeadMarketScore, ...] = ()

    @property
    def municipalities(self) -> list[str]:
        """Municipalities named, in order of first mention, each once."""
        return distinct_municipalities(self.places)

    @property
    def actor_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for mention in self.actors:
            seen.setdefault(mention.actor.name, None)
        return list(seen)

    def to_json(self, max_terms: int = 30) -> dict[str, Any]:
        """The `foresight annotate --format json` contract."""
        return {
            "language": self.language,
            "status": self.status,
            "reason": self.reason,
            "n_words": self.n_words,
            "terms": [t.text for t in self.terms[:max_terms]],
            "places": self.municipalities,
            "regions": sorted({p.name for p in self.places if p.place_type == "region"}),
            "actors": self.actor_names,
            "lead_markets": [
                {
                    "id": s.lead_market_id,
                    "name": s.name,
                    "name_en": s.name_en,
                    "score": s.score,
                    "evidence": s.evidence_terms,
                }
                for s in self.lead_markets
            ],
        }


def clean_text(text: str | None) -> str:
    """Plain text from what sources deliver: HTML tags, scripts, entities and control characters removed."""
    if not text:
        return ""
    if "<" in text and ">" in text:
        text = _SCRIPT.sub(" ", text)
        text = _BLOCK_TAG.sub("\n", text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text)
    return "\n".join(line.strip() for line in text.splitlines()).strip()


@dataclass
class Annotator:
    """Holds the loaded pipelines, gazetteer and lead-market classifier; `annotate` one text at a time."""

    settings: LanguageSettings = field(default_factory=LanguageSettings)
    gazetteer: Gazetteer = field(default_factory=Gazetteer.load)
    lead_market_data: LeadMarketData = field(default_factory=load_lead_markets)
    max_terms: int = MAX_TERMS
    _pipelines: dict[str, tuple[Language, str]] = field(default_factory=dict)
    _classifier: LeadMarketClassifier | None = None
    _extractors: dict[str, TermExtractor] = field(default_factory=dict)
    _keys: dict[str, LemmaKeys] = field(default_factory=dict)
    _phrases: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # (lang, phrase) -> lemma keys
    _phrases_restored: int = 0
    _fingerprint: str | None = None

    def pipeline(self, lang: str) -> tuple[Language, str]:
        """The spaCy pipeline for `lang` and its name, loaded on first use."""
        if lang not in self._pipelines:
            self._pipelines[lang] = load_pipeline(lang, self.settings)
        return self._pipelines[lang]

    @property
    def classifier(self) -> LeadMarketClassifier:
        if self._classifier is None:
            self._classifier = LeadMarketClassifier(self.lead_market_data, self.phrase_keys, self.settings.languages)
        return self._classifier

    def extractor(self, lang: str) -> TermExtractor:
        """The term rules of `lang`: the lead markets' seed terms always count, Ruhr names never do."""
        if lang not in self._extractors:
            whitelist = {
                " ".join(term.split())
                for term in self.classifier.seed_terms(lang)
                if " " in term or zipf(term, lang) < MAX_WHITELIST_ZIPF
            }
            self._extractors[lang] = TermExtractor(lang, whitelist, self.gazetteer.names)
        return self._extractors[lang]

    def hanta_taggers(self) -> dict[str, HantaTagger]:
        """The HanTa taggers of the loaded offline pipelines, by language (trained pipelines have none)."""
        return {
            lang: nlp.get_pipe("hanta_tagger")
            for lang, (nlp, _) in self._pipelines.items()
            if "hanta_tagger" in nlp.pipe_names
        }

    def lemma_keys(self, lang: str) -> LemmaKeys:
        if lang not in self._keys:
            self._keys[lang] = LemmaKeys(lang)
        return self._keys[lang]

    def warm(self) -> None:
        """Load everything a document may need (pipelines, seeds, lexicons, word frequencies) now.

        The language step calls it before forking its worker processes, so they share what is loaded.
        """
        for lang in self.settings.languages:
            self.annotate(_WARM_TEXTS.get(lang, "Text"))

    def phrase_keys(self, phrase: str, lang: str) -> tuple[str, ...]:
        """Lemma keys of a short phrase (seed terms, descriptions), the same way documents are keyed.

        Kept per phrase: the classifier keys every seed twice (as a seed and in its market's profile), and a
        process may start from the keys an earlier one computed (`restore_phrase_keys`).
        """
        known = self._phrases.get((lang, phrase))
        if known is not None:
            return known
        nlp, _ = self.pipeline(lang)
        keys: list[str | None] = []
        self.lemma_keys(lang).scan(Tokens.of(nlp(phrase)), keys)
        result = tuple(key for key in keys if key is not None)
        self._phrases[(lang, phrase)] = result
        return result

    def phrase_key_fingerprint(self) -> str:
        """What the phrase keys depend on: the settings, spaCy's and HanTa's versions, and this package's code and
        data (lexicons, rules). Keys stored under another fingerprint are never used. Computed once per annotator."""
        if self._fingerprint is not None:
            return self._fingerprint
        from importlib.metadata import PackageNotFoundError, version

        digest = hashlib.sha256(repr(_settings_key(self.settings)).encode())
        for package in ("spacy", "HanTa", "simplemma"):
            try:
                digest.update(f"{package}={version(package)};".encode())
            except PackageNotFoundError:
                digest.update(f"{package}=none;".encode())
        root = Path(__file__).resolve().parent
        for path in sorted([*root.glob("*.py"), *(root / "data").glob("*")]):
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
        self._fingerprint = digest.hexdigest()[:32]
        return self._fingerprint

    def known_phrase_keys(self) -> dict[str, dict[str, list[str]]]:
        """Every phrase keyed so far, by language, for a later process (`restore_phrase_keys`)."""
        out: dict[str, dict[str, list[str]]] = {}
        for (lang, phrase), keys in sorted(self._phrases.items()):
            out.setdefault(lang, {})[phrase] = list(keys)
        return out

    def restore_phrase_keys(self, known: Mapping[str, Mapping[str, Sequence[str]]]) -> int:
        """Take phrase keys computed by an earlier process with the same fingerprint; returns how many."""
        restored = 0
        for lang, phrases in known.items():
            for phrase, keys in phrases.items():
                if isinstance(phrase, str) and all(isinstance(k, str) for k in keys):
                    self._phrases.setdefault((str(lang), phrase), tuple(keys))
                    restored += 1
        self._phrases_restored = len(self._phrases)
        return restored

    @property
    def new_phrase_keys(self) -> int:
        """Phrases keyed in this process beyond those restored: worth keeping for the next one."""
        return len(self._phrases) - self._phrases_restored

    def annotate(self, text: str | None, title: str | None = None) -> Annotation:
        """Language, terms, places, actors and lead markets of one document (title and text)."""
        body = clean_text(text)
        heading = clean_text(title)
        full = f"{heading}\n\n{body}".strip() if heading and heading not in body[: len(heading) + 10] else body
        full = full or heading
        if not HAS_LETTER.search(full):
            return Annotation(
                None, SKIPPED, "empty: no text" if not full else "empty: no words, only digits or symbols"
            )
        lang, confidence = detect_language(full, self.settings.detect_chars)
        if lang not in self.settings.languages:
            supported = ", ".join(self.settings.languages)
            return Annotation(
                lang, SKIPPED, f"unsupported language: {lang} (foresight analyses {supported})", round(confidence, 3)
            )
        classifier = self.classifier
        nlp, pipeline_name = self.pipeline(lang)
        collector = self.extractor(lang).collector()
        scanner = self.lemma_keys(lang)
        keys: list[str | None] = []
        compound_parts: list[tuple[str, str]] = []
        n_words = 0
        for chunk in split_for_processing(full, self.settings.max_chunk_chars):
            tokens = Tokens.of(nlp(chunk))  # one chunk in memory at a time
            collector.add_tokens(tokens)
            n_words += scanner.scan(tokens, keys, compound_parts if lang == "de" else None)
        if n_words < self.settings.min_words:
            return Annotation(
                lang,
                SKIPPED,
                f"too short: {n_words} word{'s' if n_words != 1 else ''} (at least {self.settings.min_words} needed)",
                round(confidence, 3),
                n_words,
                pipeline_name,
            )
        matched = classifier.match_seeds(keys, lang)
        collector.add_known_names({seed.term: count for seed, count in matched.items()})
        return Annotation(
            language=lang,
            status=PROCESSED,
            language_confidence=round(confidence, 3),
            n_words=n_words,
            pipeline=pipeline_name,
            terms=tuple(collector.ranked(self.max_terms)),
            places=tuple(self.gazetteer.find_places(full)),
            actors=tuple(self.gazetteer.find_actors(full)),
            lead_markets=tuple(
                classifier.score(keys, lang, compound_parts=compound_parts, n_words=n_words, matched=matched)
            ),
        )


_ANNOTATORS: dict[tuple[Any, ...], Annotator] = {}


def _settings_key(settings: LanguageSettings) -> tuple[Any, ...]:
    """The settings that make annotators differ."""
    return (
        settings.languages,
        tuple(sorted(settings.trained.items())),
        settings.max_chunk_chars,
        settings.min_words,
        settings.detect_chars,
    )


def annotator_for(settings: LanguageSettings | None = None) -> Annotator:
    """The process's `Annotator` for these settings, built on first use (pipelines and seeds load once)."""
    settings = settings or LanguageSettings()
    key = _settings_key(settings)
    if key not in _ANNOTATORS:
        _ANNOTATORS[key] = Annotator(settings=settings)
    return _ANNOTATORS[key]


def release_language_models() -> None:
    """Let go of the annotators and the word lists only the language step reads, and give the memory back.

    After the language step an `analyze` goes on to embeddings and topics in the same process; the pipelines, the
    HanTa lexicons, wordfreq's frequencies and the per-word caches (a few hundred MB) would otherwise stay resident
    through the topic stage, whose own peak comes on top: on 5,000 Bundestag speeches the process peaked at 2.05 GB.
    A later language step in the same process loads them again (seconds, from the start-up cache). glibc keeps freed
    heap for reuse; `malloc_trim` returns it to the system where glibc is the allocator.
    """
    import gc

    from models import german, hanta, language, lead_markets, terms, vocabulary

    _ANNOTATORS.clear()
    for module in (vocabulary, hanta, german, terms, language, lead_markets):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)) and getattr(value, "__module__", None) == module.__name__:
                value.cache_clear()
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is free for reuse, if not returned
        pass


def default_annotator() -> Annotator:
    """The `Annotator` with the default settings."""
    return annotator_for(None)


def annotate(text: str | None, title: str | None = None, settings: LanguageSettings | None = None) -> Annotation:
    """Annotate one text (with the process's shared `Annotator` for `settings`)."""
    return annotator_for(settings).annotate(text, title)
