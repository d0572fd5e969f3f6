"""Reading and writing the word-vector cache of migration 008 (`word_vectors`), for the `use-m3-words` backend.

`WordVectorTable` is what `models.word_vectors.StaticWordEmbedder` takes as its cache: `load` returns the stored
int8 values and scales of the words asked for, `save` adds new ones (a word already stored keeps its row, so two
runs that met the same new word cannot conflict). The maths (quantising, weighting) stays in `models`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from warehouse.db import Warehouse

# An `in (...)` list of up to 2,048 constants is answered from the primary-key index; a join with a registered
# table of words would read the whole table on every call (the same rule as for document ids in warehouse.topics).
_WORD_BATCH = 2_048


class WordVectorTable:
    """The `word_vectors` table of one warehouse as a word-vector cache; each call commits on its own."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.con = warehouse.con

    def load(self, model: str, words: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Those of `words` stored under `model`, with their int8 values ``(n, dim)`` and scales ``(n,)``."""
        found: list[str] = []
        values: list[np.ndarray] = []
        scales: list[np.ndarray] = []
        unique = sorted(set(words))
        for start in range(0, len(unique), _WORD_BATCH):
            batch = unique[start : start + _WORD_BATCH]
            table = self.con.sql(
                "select word, dim, vector, scale from word_vectors "
                f"where model = ? and word in ({', '.join('?' * len(batch))}) order by word",
                params=[model, *batch],
            ).to_arrow_table()
            if not table.num_rows:
                continue
            dim = int(table.column("dim")[0].as_py())
            raw = b"".join(table.column("vector").to_pylist())
            found.extend(table.column("word").to_pylist())
            values.append(np.frombuffer(raw, dtype=np.int8).reshape(table.num_rows, dim))
            scales.append(table.column("scale").to_numpy())
        if not found:
            return [], np.zeros((0, 0), dtype=np.int8), np.zeros(0, dtype=np.float32)
        return found, np.vstack(values), np.concatenate(scales).astype(np.float32)

    def save(self, model: str, words: Sequence[str], values: np.ndarray, scales: np.ndarray) -> None:
        """Store new word vectors (int8 rows and their scales); a word already stored under `model` keeps its row."""
        if not len(words):
            return
        values = np.ascontiguousarray(values, dtype=np.int8)
        incoming = pa.table(
            {
                "word": pa.array(list(words), pa.string()),
                "vector": pa.array([row.tobytes() for row in values], pa.binary()),
                "scale": pa.array(np.asarray(scales, dtype=np.float32), pa.float32()),
            }
        )
        self.con.register("_incoming_word_vectors", incoming)
        try:
            self.con.execute(
                """
                insert or ignore into word_vectors (model, word, dim, vector, scale, created_at)
                select ?, word, ?, vector, scale, now() from _incoming_word_vectors
                """,
                [model, int(values.shape[1])],
            ).fetchall()
        finally:
            self.con.unregister("_incoming_word_vectors")

    def count(self, model: str) -> int:
        """How many words are stored under `model`."""
        rows = self.con.execute("select count(*) from word_vectors where model = ?", [model]).fetchall()
        return int(rows[0][0]) if rows else 0
