"""Abbreviations the documents define themselves: "large language models (LLMs)" makes "LLM" a name of one technology.

Papers and patents introduce a technology's abbreviation once and then use it: "neural radiance fields (NeRF)",
"vision transformer (ViT)", "Gebäudeenergiegesetz (GEG)". The language step keeps both as terms, so term emergence
had two series of one technology, each with part of its documents, and the emerging-terms list spent two of its
ten places on one emergence ("nerf" and "neural radiance field" as of 2023 in the ML papers). The definitions
are found with Schwartz and Hearst's algorithm (2003, "A simple algorithm for identifying abbreviation definitions
in biomedical text"): a parenthesised short form, and the shortest run of preceding words whose letters contain
the short form's characters in order, its first character starting a word. An abbreviation joins its long form
only where the window's documents agree on it: at least `min_documents` of them define it, and more than
`min_agreement` of its definitions name that long form ("RL" for "reinforcement learning", not for one
paper's "relative loss"). No list per corpus: what is joined is what the documents say.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

# An acronym: 2 to 12 characters, at least half of its letters and digits upper case or digits ("KI", "LiDAR").
ACRONYM_LENGTH = (2, 12)
#: A parenthesised short form (an acronym or its plural) with the words before it, as `definition_snippets` finds
#: them in the warehouse (DuckDB returns the whole match; `definitions` reads its two groups).
SNIPPET_PATTERN = r"((?:[^\s()]+\s+){1,8})\(([^()\s]{2,13})\)"
_SNIPPET = re.compile(SNIPPET_PATTERN)
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)


def is_acronym(text: str) -> bool:
    """ "KI", "GPU", "5G", "LiDAR", "CO2" but not "Essen-Steele" or "Internet" (the language step's rule as well)."""
    strong = sum(c.isupper() or c.isdigit() for c in text)
    letters = sum(c.isalnum() for c in text)
    return ACRONYM_LENGTH[0] <= len(text) <= ACRONYM_LENGTH[1] and strong >= 2 and strong * 2 >= letters


def short_form(text: str) -> str | None:
    """The abbreviation in a parenthesis ("LLMs" -> "LLM": an acronym's plural is the acronym), or None."""
    plural = text.endswith("s") and is_acronym(text[:-1])
    if plural:
        return text[:-1]
    return text if is_acronym(text) and any(c.isalpha() for c in text) else None


def long_form(short: str, words: list[str]) -> list[str] | None:
    """The shortest tail of `words` (the words before the parenthesis) that defines `short`, or None.

    Schwartz and Hearst's match, right to left: every letter or digit of the short form is found in order in
    the long form, and its first one starts a word. At most ``min(len(short) + 5, 2 * len(short))`` words.
    """
    key = [c.lower() for c in short if c.isalnum()]
    if not key or not words:
        return None
    limit = min(len(key) + 5, 2 * len(key))
    for n in range(1, min(limit, len(words)) + 1):
        candidate = words[-n:]
        if _matches(key, " ".join(candidate).lower()) and candidate[0][:1].lower() == key[0]:
            return candidate
    return None


def _matches(key: list[str], text: str) -> bool:
    i = len(text) - 1
    for j in range(len(key) - 1, -1, -1):
        while i >= 0 and (text[i] != key[j] or (j == 0 and i > 0 and text[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return False
        i -= 1
    return True


def definitions(snippets: Iterable[tuple[str, str]]) -> Counter[tuple[str, str]]:
    """(short form, long form) -> documents defining it, from (document id, snippet) pairs; both lower case."""
    seen: set[tuple[str, str, str]] = set()
    for doc_id, snippet in snippets:
        match = _SNIPPET.fullmatch(snippet.strip())
        if not match:
            continue
        short = short_form(match.group(2))
        if short is None:
            continue
        words = _WORD.findall(match.group(1))
        found = long_form(short, words)
        long = " ".join(found).lower() if found else ""
        if long and long != short.lower():
            seen.add((doc_id, short.lower(), long))
    return Counter((short, long) for _, short, long in seen)


def acronym_links(
    found: Mapping[tuple[str, str], int],
    known: Iterable[str],
    *,
    min_documents: int = 3,
    min_agreement: float = 0.5,
) -> dict[str, str]:
    """short-form token -> long-form token, for the abbreviations whose definitions the documents agree on.

    `known`: the window's term tokens (``large_language_model``); a long form is joined in the form the language
    step counts it, which is its written form or, for an English plural, the singular ("large language models" ->
    ``large_language_model``). Short forms and long forms that are no term of the window are left alone: there is
    no series to join.
    """
    tokens = set(known)
    by_short: dict[str, Counter[str]] = {}
    for (short, long), n in found.items():
        by_short.setdefault(short, Counter())[long] += n
    links: dict[str, str] = {}
    for short, longs in by_short.items():
        total = sum(longs.values())
        best, n = longs.most_common(1)[0]
        if n < min_documents or n <= min_agreement * total:
            continue
        target = _known_token(best, tokens)
        if target is None or short not in tokens or short == target:
            continue
        links[short] = target
    return links


def _known_token(long: str, tokens: set[str]) -> str | None:
    token = "_".join(long.split())
    for form in (token, token[:-1] if token.endswith("s") else None, token[:-2] if token.endswith("es") else None):
        if form and form in tokens:
            return form
    return None
