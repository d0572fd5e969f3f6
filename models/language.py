"""Offline spaCy pipelines per language (German, English) and language detection per document.

No trained German spaCy pipeline can be installed here, so the default pipeline is `spacy.blank(lang)` plus a
sentencizer plus the `hanta_tagger` component (`models.hanta`), which sets `tag_`, `pos_` and `lemma_`.
A trained pipeline (``de_core_news_lg``, ``en_core_web_sm``, ...) named in the configuration is used instead when
it is installed; the rest of foresight only reads `pos_`, `tag_`, `lemma_` and sentence boundaries
(through `models.tokens.Tokens`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from typing import Any

import numpy as np
import spacy
from spacy.attrs import IS_PUNCT, ORTH, SENT_START
from spacy.lang.char_classes import HYPHENS
from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, is_package

from models.hanta import HANTA_MODELS  # importing it registers the hanta_tagger factory
from models.settings import SUPPORTED_LANGUAGES, LanguageSettings
from models.vocabulary import HAS_LETTER

log = logging.getLogger(__name__)

MAX_LENGTH = 2_000_000  # characters spaCy accepts in one call; texts are cut into `max_chunk_chars` pieces first
# Languages langid may answer with. A wider set than we process, so a French text is recognised as French and
# skipped with that reason instead of being forced into German or English.
DETECTABLE_LANGUAGES: tuple[str, ...] = ("de", "en", "fr", "nl", "es", "it", "pt", "pl", "tr", "ru", "sv", "da", "cs")


class ArraySentencizer:
    """spaCy's rule-based `Sentencizer` on arrays: the same sentence starts, without a Token object per token.

    spaCy's component walks the doc token by token in Python (a fifth of the offline pipeline's time on patent
    abstracts); this one reads ORTH and IS_PUNCT with `Doc.to_array`. The rule is spaCy's: a sentence starts at the
    first token that is neither punctuation nor a sentence-final character after one of `punct_chars` was seen.
    `tests/test_language.py` checks that both give the same sentences on real text.
    """

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self._final = frozenset(nlp.vocab.strings.add(c) for c in Sentencizer.default_punct_chars)

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if n == 0:
            return doc
        orths, punct = doc.to_array([ORTH, IS_PUNCT]).T.tolist()
        final = self._final
        starts = [-1] * n
        starts[0] = 1
        seen_final = False
        for i in range(n):
            is_final = orths[i] in final
            if seen_final and not punct[i] and not is_final:
                starts[i] = 1
                seen_final = False
            elif is_final:
                seen_final = True
        doc.from_array([SENT_START], np.array(starts, dtype="int64").astype("uint64"))
        return doc


@Language.factory("array_sentencizer")
def make_array_sentencizer(nlp: Language, name: str) -> ArraySentencizer:
    return ArraySentencizer(nlp, name)


def blank_pipeline(lang: str) -> Language:
    """`spacy.blank(lang)` + sentencizer + HanTa tagger: the offline pipeline for German or English."""
    if lang not in HANTA_MODELS:
        raise ValueError(f"no offline pipeline for language {lang!r}; supported: {', '.join(SUPPORTED_LANGUAGES)}")
    nlp = spacy.blank(lang)
    nlp.max_length = MAX_LENGTH
    if lang == "en":
        _keep_hyphenated_words(nlp)
    nlp.add_pipe("array_sentencizer")
    nlp.add_pipe("hanta_tagger", config={"lang": lang, "model": HANTA_MODELS[lang]})
    return nlp


def _keep_hyphenated_words(nlp: Language) -> None:
    """English spaCy splits "solid-state" into three tokens; technology terms need it whole, as German keeps it."""
    infixes = [pattern for pattern in nlp.Defaults.infixes if HYPHENS not in pattern]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer


def load_pipeline(lang: str, settings: LanguageSettings | None = None) -> tuple[Language, str]:
    """The pipeline for `lang` and its name: the configured trained one if installed, else the offline one."""
    settings = settings or LanguageSettings()
    trained = settings.trained.get(lang)
    if trained:
        if is_package(trained):
            nlp = spacy.load(trained, exclude=["ner", "textcat"])
            nlp.max_length = MAX_LENGTH
            return nlp, trained
        log.warning(
            "spaCy pipeline %s is not installed; using the offline %s pipeline (spaCy blank + HanTa)", trained, lang
        )
    return blank_pipeline(lang), f"blank-{lang}+hanta"


@functools.lru_cache(maxsize=4)
def _identifier(languages: tuple[str, ...]) -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(languages))
    return identifier


def detect_language(text: str, max_chars: int = 5_000) -> tuple[str | None, float]:
    """The document's main language (ISO 639-1) and langid's confidence, or (None, 0.0) without letters.

    Long texts are judged on up to `max_chars` characters taken from the start, middle and end, so a German
    article with an English abstract at its end is still German, and a 1 MB text costs no more than a short one.
    """
    sample = _sample(text, max_chars)
    if not HAS_LETTER.search(sample):
        return None, 0.0
    lang, prob = _identifier(DETECTABLE_LANGUAGES).classify(sample)
    return str(lang), float(prob)


def _sample(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    third = max_chars // 3
    middle = len(text) // 2
    return " ".join((text[:third], text[middle - third // 2 : middle + third // 2], text[-third:]))


def split_for_processing(text: str, max_chars: int) -> Iterable[str]:
    """Cut a long text into pieces of at most `max_chars`, at paragraph, sentence or word boundaries."""
    start = 0
    n = len(text)
    while start < n:
        end = min(start + max_chars, n)
        if end < n:
            window = text[start:end]
            # the end of the last paragraph, sentence or line in the window, else of the last word
            cut = max(window.rfind("\n\n") + 2, window.rfind(". ") + 2, window.rfind("\n") + 1)
            if cut < max_chars // 2:
                cut = window.rfind(" ") + 1
            if cut > 0:
                end = start + cut
        yield text[start:end]
        start = end
