"""The shared corpora as `Document` records, one place for the benchmarks that read them.

Bundestag speeches (../shared/data/corpora/bundestag/) become policy documents with the speaker and party as
title; the id carries the Wahlperiode because speech ids repeat across it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sources.document import Document


def speech_doc_id(wp: Any, speech_id: Any) -> str:
    return f"bundestag:{wp}:{speech_id}"


def speech_document(row: Any) -> Document:
    """A speech row (a pandas `itertuples` row with wp, speech_id, speaker, party, text, date_est) as a Document."""
    return Document(
        doc_id=speech_doc_id(row.wp, row.speech_id),
        kind="policy",
        source="bundestag",
        title=f"{row.speaker} ({row.party})",
        text=str(row.text),
        published=date.fromisoformat(str(row.date_est)),
        language="de",
    )
