"""A tagged spaCy doc as plain columns, and the lemma keys the lead-market classifier reads from them.

Why columns: creating a spaCy `Token` object costs more than anything the term collector does with it, and a long
speech has thousands of tokens. `Tokens.of(doc)` reads the attributes once as arrays (`Doc.to_array`) and turns
hashes into strings; the collectors then work on lists and remember their decision per distinct word form, so a
form seen before costs one dictionary lookup. Works for any pipeline that sets `pos_`, `tag_`, `lemma_` and
sentence starts (the offline blank+HanTa one or a trained one).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from spacy.attrs import IS_PUNCT, IS_SPACE, LEMMA, ORTH, POS, SENT_START, TAG
from spacy.parts_of_speech import NAMES as POS_NAMES
from spacy.tokens import Doc

from models.vocabulary import HAS_LETTER, split_compound

_SENTENCE_START = 1  # Doc.to_array(SENT_START): 1 starts a sentence, -1 (as uint64) continues one, 0 is unknown
_MAX_MEMO = 500_000  # word forms remembered per scanner; cleared beyond (a bound on memory, not a tuning)


@dataclass(frozen=True, slots=True)
class Tokens:
    """One doc's tokens as parallel lists; `starts` holds the index of each sentence's first token."""

    texts: list[str]
    lemmas: list[str]  # "" where the pipeline set none
    pos: list[str]
    tags: list[str]
    skip: list[bool]  # punctuation or white space
    starts: list[int]  # [] when the pipeline marks no sentences

    @classmethod
    def of(cls, doc: Doc) -> Tokens:
        if not len(doc):
            return cls([], [], [], [], [], [])
        strings = doc.vocab.strings
        columns = doc.to_array([ORTH, LEMMA, POS, TAG, IS_PUNCT, IS_SPACE]).T.tolist()
        orths, lemmas, pos, tags, punct, space = columns
        starts = []
        if doc.has_annotation("SENT_START"):
            starts = [i for i, s in enumerate(doc.to_array(SENT_START).tolist()) if s == _SENTENCE_START]
            if not starts or starts[0] != 0:
                starts.insert(0, 0)
        return cls(
            texts=[strings[h] for h in orths],
            lemmas=[strings[h] if h else "" for h in lemmas],
            pos=[POS_NAMES.get(p, "") for p in pos],
            tags=[strings[h] if h else "" for h in tags],
            skip=[bool(p or s) for p, s in zip(punct, space, strict=True)],
            starts=starts,
        )

    def __len__(self) -> int:
        return len(self.texts)

    def sentences(self) -> Iterator[tuple[int, int]]:
        """(start, end) of each sentence; the whole doc as one when the pipeline marks none."""
        n = len(self.texts)
        if not self.starts:
            if n:
                yield 0, n
            return
        bounds = [*self.starts, n]
        for start, end in zip(bounds, bounds[1:], strict=False):
            if end > start:
                yield start, end


class LemmaKeys:
    """Lower-case lemma keys of documents (hyphenated words split into parts), None before each sentence.

    For German also the (modifier, head) keys of compound nouns ("Wasserstoffelektrolyseur" -> ("wasserstoff",
    "elektrolyseur")), so a seed term hits inside a compound. One decision per distinct (form, lemma, POS).
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._memo: dict[tuple[str, str, str], tuple[bool, tuple[str, ...], tuple[str, str] | None]] = {}

    def scan(self, tokens: Tokens, keys: list[str | None], compound_parts: list[tuple[str, str]] | None = None) -> int:
        """Append the keys of `tokens` (and German compound parts); return the number of words (with a letter)."""
        n_words = 0
        memo = self._memo
        starts = set(tokens.starts)
        texts, lemmas, pos, skip = tokens.texts, tokens.lemmas, tokens.pos, tokens.skip
        for i in range(len(texts)):
            if i in starts:
                keys.append(None)
            if skip[i]:
                continue
            entry_key = (texts[i], lemmas[i], pos[i])
            entry = memo.get(entry_key)
            if entry is None:
                entry = self._entry(*entry_key)
                if len(memo) >= _MAX_MEMO:
                    memo.clear()
                memo[entry_key] = entry
            is_word, token_keys, parts = entry
            n_words += is_word
            keys.extend(token_keys)
            if parts is not None and compound_parts is not None:
                compound_parts.append(parts)
        return n_words

    def _entry(self, text: str, lemma: str, pos: str) -> tuple[bool, tuple[str, ...], tuple[str, str] | None]:
        lemma = lemma or text
        key = lemma.lower()
        is_word = bool(HAS_LETTER.search(text))
        if "-" in key.strip("-"):
            return is_word, tuple(part for part in key.split("-") if part), None
        parts = None
        if self.lang == "de" and pos == "NOUN":
            split = split_compound(lemma, "de")
            if split:
                parts = (split[0].lower(), split[1].lower())
        return is_word, (key,), parts
