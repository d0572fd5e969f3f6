"""Helpers for the scan tests: a small real corpus cut from the demo sample."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from pipeline.demo import demo_data_path


def small_sample(target: Path, per_year: int = 60) -> Path:
    """`per_year` speeches spread evenly over every year of the demo sample (real, dated, German), as .csv.gz."""
    with gzip.open(demo_data_path("bundestag_sample.csv.gz"), "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        by_year: dict[str, list[dict[str, str]]] = {}
        for row in reader:
            by_year.setdefault(row["published"][:4], []).append(row)
    kept = []
    for rows in by_year.values():
        step = max(len(rows) / per_year, 1.0)
        kept += [rows[int(i * step)] for i in range(min(per_year, len(rows)))]
    with gzip.open(target, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(kept)
    return target
