"""Helpers shared by the language tests: one Annotator per test process and the real text fixtures."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

from models.annotate import Annotator, default_annotator
from pipeline.config import load_config
from pipeline.language_step import run_language_step
from sources.document import Document
from warehouse import Warehouse
from warehouse.documents import upsert_documents

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


def annotation_sample() -> list[dict[str, Any]]:
    """65 real texts with the terms and lead markets the step found before the speed work (see SOURCE.txt)."""
    with gzip.open(LANGUAGE_FIXTURES / "annotation_sample.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def sample_documents(rows: list[dict[str, Any]] | None = None) -> list[Document]:
    """The sample texts as documents: patents and speeches, spread over 2023 (a few per week)."""
    rows = rows if rows is not None else annotation_sample()
    return [
        Document(
            row["doc_id"],
            "patent" if row["doc_id"].startswith("uspto:") else "policy",
            "sample",
            title=row["title"],
            text=row["text"],
            published=date(2023, 1 + i % 12, 1 + (i * 5) % 28),
        )
        for i, row in enumerate(rows)
    ]


def load(db: Path, docs: list[Document]) -> None:
    """Import documents into the warehouse file `db` (created and migrated if new)."""
    with Warehouse.open_writer(db) as wh, wh.runs.start("import", source="test") as run:
        upsert_documents(wh, docs, run.id)


def step(db: Path, **options: Any) -> dict[str, int]:
    """Run the language step over `db` with the configuration of $FORESIGHT_CONFIG (or the defaults)."""
    with Warehouse.open_writer(db) as wh:
        return run_language_step(wh, load_config(None), annotator=annotator(), **options)


def rows(db: Path, sql: str) -> list[tuple]:
    """Rows of a query on the published state of `db`."""
    with Warehouse.open_reader(db) as wh:
        return wh.con.execute(sql).fetchall()


def write_config(folder: Path, text: str) -> Path:
    path = folder / "language.toml"
    path.write_text(text, encoding="utf-8")
    return path
