"""German and English names of one technology, linked so they count as one term (`models/data/term_links.toml`).

The Ruhr's news and policy texts are German, its papers and many patents English: "Wärmepumpe" and "heat pump" must
be one word of a topic and one series of term emergence, or a technology looks half as big in each language. The
links come from the lead markets' DE/EN seed tables (one row = one technology); a name is matched as the
word-count step writes terms (`term_token`: lower case, words joined by ``_``).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

TERM_JOINER = "_"


def term_token(term: str) -> str:
    """The one token the word-count step sees for a term: "grüner Wasserstoff" -> ``grüner_wasserstoff``."""
    return TERM_JOINER.join(term.lower().split())


@dataclass(frozen=True)
class Link:
    """One technology's names: German first, then English, as tokens."""

    de: tuple[str, ...]
    en: tuple[str, ...]

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.de + self.en


@functools.lru_cache(maxsize=1)
def load_links() -> tuple[Link, ...]:
    """The shipped links (models/data/term_links.toml)."""
    text = resources.files("models").joinpath("data/term_links.toml").read_text(encoding="utf-8")
    return tuple(
        Link(tuple(term_token(t) for t in row.get("de", ())), tuple(term_token(t) for t in row.get("en", ())))
        for row in tomllib.loads(text)["link"]
    )


def canonical_tokens(present: Iterable[str], links: Iterable[Link] | None = None) -> dict[str, str]:
    """token -> the one token its technology is counted under, for the tokens of one window.

    Only links whose German *and* English names both occur in `present` merge anything (a German-only window keeps
    its words as they are); the merged token names both languages: ``wärmepumpe (heat_pump)``, so the word shown
    to an analyst says it stands for both.
    """
    seen = set(present)
    mapping: dict[str, str] = {}
    for link in load_links() if links is None else links:
        de = [t for t in link.de if t in seen]
        en = [t for t in link.en if t in seen and t not in link.de]
        if not de or not en:  # one language only (or one name in both, "cloud"): nothing to merge
            continue
        merged = f"{de[0]} ({en[0]})"
        for token in de + en:
            mapping.setdefault(token, merged)
    return mapping


def concept_of(tokens: Mapping[str, str], token: str) -> str:
    """The token a word is counted under (itself when it is not linked)."""
    return tokens.get(token, token)


def shown_name(
    concept: str,
    used: Mapping[str, int],
    documents: int,
    min_share: float,
    links: Iterable[Link] | None = None,
) -> str:
    """How a linked technology is shown: by the names its documents use, as a token (``wärmepumpe (heat_pump)``).

    A linked technology is counted under the first German name of its link (`concept`), but that name is not what
    every corpus writes: the link "generative KI, Sprachmodell / generative AI, large language model" showed as
    "generative ki (generative ai)" in a corpus of English papers that wrote "large language model" and never
    "generative KI". The rule of the topic words holds for terms too: a shown name is one the documents use. So the
    name with the most of the window's `documents` first (`used`: name token -> documents naming it; ties in the
    link's order), and the most used name of the other language in parentheses where at least `min_share` of them
    use it (the label rule, `[topics] label_min_share`), which says that the series holds both languages. A name in
    both of the link's lists ("cloud") has no other language. With no name used, the concept itself.
    """
    link = next((k for k in (load_links() if links is None else links) if k.de and k.de[0] == concept), None)
    if link is None or not used:
        return concept
    order = {t: i for i, t in enumerate(link.tokens)}
    names = sorted((t for t in used if t in order and used[t] > 0), key=lambda t: (-used[t], order[t]))
    if not names:
        return concept

    def language(token: str) -> str | None:
        de, en = token in link.de, token in link.en
        return None if de == en else ("de" if de else "en")

    first = names[0]
    other = [t for t in names[1:] if language(first) and language(t) not in (None, language(first))]
    if other and used[other[0]] >= min_share * max(1, documents):
        return f"{first} ({other[0]})"
    return first
