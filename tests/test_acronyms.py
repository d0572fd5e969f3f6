"""Abbreviations the documents define themselves join their long form (`models.acronyms`), on real phrasings."""

from __future__ import annotations

from models.acronyms import acronym_links, definitions, long_form, short_form


def _words(text: str) -> list[str]:
    return text.split()


def test_the_shortest_preceding_words_that_spell_the_abbreviation_are_its_long_form() -> None:
    assert long_form("LLM", _words("we study pre-trained large language models")) == ["large", "language", "models"]
    assert long_form("RL", _words("deep reinforcement learning")) == ["reinforcement", "learning"]
    assert long_form("NeRF", _words("novel neural radiance fields")) == ["neural", "radiance", "fields"]
    assert long_form("GEG", _words("das neue Gebäudeenergiegesetz")) == ["Gebäudeenergiegesetz"]
    assert long_form("DE", _words("made in Germany")) is None  # no word starts with its first letter
    assert short_form("LLMs") == "LLM" and short_form("GEG") == "GEG"
    assert short_form("see") is None and short_form("2023") is None  # neither an acronym nor a name


def test_only_abbreviations_the_documents_agree_on_join_a_term_of_the_window() -> None:
    snippets = [
        ("a", "pre-trained large language models (LLMs)"),
        ("b", "we use Large Language Models (LLMs)"),
        ("c", "with large language models (LLM)"),
        ("c", "large language models (LLMs)"),  # the same document twice counts once
        ("d", "deep reinforcement learning (RL)"),
        ("e", "a relative loss (RL)"),
        ("f", "the result (see Fig)"),
    ]
    found = definitions(snippets)
    assert found[("llm", "large language models")] == 3
    assert found[("rl", "reinforcement learning")] == 1 and found[("rl", "relative loss")] == 1
    tokens = {"large_language_model", "llm", "reinforcement_learning", "relative_loss", "rl"}
    # the plural long form joins the singular term the language step counts
    assert acronym_links(found, tokens, min_documents=3) == {"llm": "large_language_model"}
    # "RL": one definition each way is no agreement, however few documents are asked for
    assert acronym_links(found, tokens, min_documents=1) == {"llm": "large_language_model"}
    assert acronym_links(found, {"llm"}, min_documents=1) == {}  # the long form is no term: nothing to join
