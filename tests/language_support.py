"""Helpers shared by the language tests: one Annotator per test process and the real text fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.annotate import Annotator, default_annotator

LANGUAGE_FIXTURES = Path(__file__).parent / "fixtures" / "language"


def annotator() -> Annotator:
    """The default Annotator (built once per process: pipelines and seeds load in a few seconds)."""
    return default_annotator()


def real_texts() -> dict[str, dict[str, Any]]:
    """Real Bundestag speeches and an NVIDIA patent abstract, keyed by doc_id (see SOURCE.txt)."""
    lines = (LANGUAGE_FIXTURES / "real_texts.jsonl").read_text(encoding="utf-8").splitlines()
    return {row["doc_id"]: row for row in map(json.loads, lines)}


def rub_news() -> list[dict[str, str]]:
    """Three real RUB news items whose text is HTML, as an RSS feed delivers it."""
    lines = (LANGUAGE_FIXTURES / "rub_news_items.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


# Composed for the tests in the style of a patent abstract (no real solid-state battery abstract is in the fixtures).
SOLID_STATE_ABSTRACT = (
    "A solid-state battery includes a cathode layer, an anode layer containing lithium metal, and a sulfide solid "
    "electrolyte layer disposed between the cathode layer and the anode layer. The solid electrolyte suppresses "
    "dendrite growth during fast charging, so that battery cells for electric vehicles reach a higher energy "
    "density and a longer cycle life than lithium-ion cells with liquid electrolyte."
)
DUISBURG = "Die Stadtwerke Duisburg bauen einen Elektrolyseur für grünen Wasserstoff."
