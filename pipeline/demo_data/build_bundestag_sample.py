"""Rebuild `bundestag_sample.csv.gz`, the demo's dated German policy corpus (maintainers only, not run by the demo).

    python pipeline/demo_data/build_bundestag_sample.py \
        /work/shared/data/corpora/bundestag/bundestag_speeches_wp19_wp20.csv.gz

Why this sample: the demo must show clear topics over time in minutes on 2 cores. It takes, with a fixed
seed, speeches that name a technology theme at least twice (hydrogen, heat pumps, the pandemic, AI,
e-mobility, the Deutschlandticket, coal exit, chips, broadband, batteries) sampled uniformly within each
theme, so each theme keeps its real course over the years, plus a uniform background of other speeches.
Texts are cut at a paragraph boundary after about 2,500 characters to keep the file a few MB.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

THEMES = {
    "wasserstoff": (r"Wasserstoff", 260),
    "waermepumpe": (r"Wärmepumpe", 160),
    "pandemie": (r"Corona|Pandemie", 300),
    "ki": (r"[Kk]ünstliche[rn]? Intelligenz", 200),
    "elektromobilitaet": (r"Ladeinfrastruktur|Elektromobilität|E-Auto", 200),
    "deutschlandticket": (r"Deutschlandticket|49-Euro-Ticket|9-Euro-Ticket", 120),
    "kohleausstieg": (r"Kohleausstieg|Strukturwandel", 200),
    "halbleiter": (r"Halbleiter|Chipfabrik|Mikroelektronik", 100),
    "breitband": (r"Breitband|Glasfaser|5G", 160),
    "batterie": (r"Batterie", 120),
}
BACKGROUND = 1000
MAX_CHARS = 2500
SEED = 20251


def trim(text: str, limit: int = MAX_CHARS) -> str:
    """The first paragraphs up to about `limit` characters, never cutting inside a paragraph."""
    kept: list[str] = []
    size = 0
    for paragraph in str(text).split("\n"):
        if kept and size + len(paragraph) > limit:
            break
        kept.append(paragraph)
        size += len(paragraph) + 1
    return "\n".join(kept)[: limit * 2]


def main(path: str) -> None:
    speeches = pd.read_csv(
        path, usecols=["speech_id", "wp", "session", "date_est", "agenda_item", "speaker", "party", "text"]
    )
    speeches = speeches[speeches["text"].fillna("").str.len() > 400]
    # A few WP19 budget-debate speeches appear twice under one id (two folders); keep the first.
    speeches = speeches.drop_duplicates(subset=["wp", "speech_id"], keep="first")
    chosen: dict[str, str] = {}
    for theme, (pattern, size) in THEMES.items():
        hits = speeches[speeches["text"].str.count(pattern) >= 2]
        for speech_id in hits.sample(n=min(size, len(hits)), random_state=SEED)["speech_id"]:
            chosen.setdefault(speech_id, theme)
    rest = speeches[~speeches["speech_id"].isin(chosen)]
    for speech_id in rest.sample(n=BACKGROUND, random_state=SEED)["speech_id"]:
        chosen[speech_id] = "background"
    sample = speeches[speeches["speech_id"].isin(chosen)].copy()
    sample["doc_id"] = "bundestag:" + sample["wp"].astype(str) + ":" + sample["speech_id"]
    # Speaker and sitting only: a party name in every title would pull speeches into party clusters.
    sample["title"] = (
        sample["speaker"].fillna("Rede")
        + ": Rede im Bundestag, Sitzung "
        + sample["wp"].astype(str)
        + "/"
        + sample["session"].astype(str)
    )
    sample["url"] = (
        "https://dserver.bundestag.de/btp/"
        + sample["wp"].astype(str)
        + "/"
        + sample["wp"].astype(str)
        + sample["session"].map(lambda s: f"{int(s):03d}")
        + ".pdf"
    )
    sample["published"] = sample["date_est"]
    sample["text"] = sample["text"].map(trim)
    sample["sample_theme"] = sample["speech_id"].map(chosen)
    sample = sample.sort_values(["published", "doc_id"])
    columns = ["doc_id", "title", "text", "published", "url", "speaker", "party", "agenda_item", "sample_theme"]
    out = Path(__file__).with_name("bundestag_sample.csv.gz")
    sample[columns].to_csv(out, index=False, compression={"method": "gzip", "mtime": 0})
    print(f"{len(sample)} speeches, {sample['published'].min()}..{sample['published'].max()} -> {out}")
    print(sample.groupby([sample["published"].str[:4], "sample_theme"]).size().unstack(fill_value=0))


if __name__ == "__main__":
    main(sys.argv[1])
