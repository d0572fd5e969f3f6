"""`foresight backtest`: a spec replayed through the real import, analyze and ranking, and the judging rules.

The end-to-end cases run a small spec on the bundled public-domain Bundestag sample (pipeline/demo_data) in a temp
folder; the matching rules (terms, patterns, document truth, presence, lead time, precision) are checked on rows
written by hand, so each rule is seen to hold and to fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import Result

from pipeline.backtest_judge import (
    STAGES,
    History,
    ListedTopic,
    document_matches,
    judge_checkpoint,
    judge_technology,
    label_honesty,
    onset_period,
    periods_apart,
    presence,
    rank_by_score,
    sight,
    technology_precision,
    word_matches,
)
from pipeline.backtest_spec import Spec, SpecError, load_spec
from pipeline.config import load_config
from pipeline.demo import demo_data_path
from sources.document import Document
from warehouse.backtest import FitDescription

SAMPLE = demo_data_path("bundestag_sample.csv.gz")
# Small and quick: a fixed sample, PCA + k-means instead of UMAP + HDBSCAN, no language step.
FAST = """
[analysis]
run_language = false
[topics]
reduction = "pca"
n_components = 10
clustering = "kmeans"
n_clusters = 12
embedding_dim = 32
"""


def write_spec(folder: Path, body: str, *, input_table: str | None = None, settings: str = FAST) -> Path:
    """A spec file reading the demo sample (or `input_table`), with `body` (technologies and checkpoints)."""
    input_table = (
        input_table
        or f"""
[input]
file = "{SAMPLE.name}"
kind = "policy"
source = "bundestag"
id_col = "doc_id"
title_col = "speaker"
date_col = "published"
language = "de"
"""
    )
    path = folder / "spec.toml"
    path.write_text(f'name = "test"\ndata = "{SAMPLE.parent}"\n{body}\n{input_table}\n{settings}', encoding="utf-8")
    return path


def spec_from(folder: Path, body: str) -> Spec:
    return load_spec(write_spec(folder, body), load_config(None))


def topic(rank: int, label: str, words: list[str], members: list[str], **fields: object) -> ListedTopic:
    row = {"topic_id": 100 + rank, "label": label, "top_terms": words, "score": 1.0 / rank, **fields}
    return ListedTopic.from_row(rank, row, members)


# -- the matching rules on hand-made rows ------------------------------------------------------------------------


def test_terms_match_whole_words_and_patterns_match_anywhere(tmp_path: Path) -> None:
    spec = spec_from(
        tmp_path,
        """
granularity = "year"
[technology.h2]
terms = ["wasserstoff", "grüner wasserstoff"]
[technology.compound]
patterns = ["wasserstoff"]
[[checkpoint]]
as_of = 2021-12-31
expect = ["h2"]
""",
    )
    h2, compound = spec.technologies["h2"], spec.technologies["compound"]
    words = ["wasserstoffnetz", "grüner_wasserstoff", "Wasserstoff", "kohle"]
    assert word_matches(h2, words) == ["grüner_wasserstoff", "Wasserstoff"]  # not the compound
    assert word_matches(compound, words) == ["wasserstoffnetz", "grüner_wasserstoff", "Wasserstoff"]
    assert word_matches(h2, ["energie / wasserstoff / netz"]) == ["energie / wasserstoff / netz"]  # a label


def test_document_truth_reads_list_fields_and_honours_exclude(tmp_path: Path) -> None:
    spec = spec_from(
        tmp_path,
        """
[technology.graphics]
truth = { field = "cpc_groups", pattern = "^G06T", exclude = "^G06T15/06", min_share = 0.5 }
[[checkpoint]]
as_of = 2021-12-31
forbid = ["graphics"]
""",
    )
    truth = spec.technologies["graphics"].truth
    assert truth is not None

    def patent(groups: list[str]) -> Document:
        return Document(doc_id="p", kind="patent", source="s", extra={"cpc_groups": groups})

    assert document_matches(truth, patent(["G06F9/38", "G06T1/20"]))
    assert not document_matches(truth, patent(["G06T15/06", "G06T1/20"]))  # ray tracing is excluded
    assert not document_matches(truth, patent(["G06N3/08"]))
    assert not document_matches(truth, Document(doc_id="q", kind="patent", source="s"))  # no codes at all


def test_presence_counts_only_periods_with_documents_in_the_corpus() -> None:
    # 8 periods; the corpus starts in the 4th: the first three are missing, not absent
    assert presence([0, 0, 0, 3, 2, 0, 4, 5], [0, 0, 0, 90, 80, 70, 85, 99]) == 3 / 4
    assert presence([1, 1, 1, 1], [10, 10, 10, 10]) == 1.0
    assert presence([0, 7], [0, 20]) is None  # nothing earlier to judge


def test_onset_is_the_first_period_reaching_the_share_and_lead_is_counted_in_periods() -> None:
    totals = {date(2020, 1, 1): 100, date(2021, 1, 1): 200, date(2022, 1, 1): 50}
    counts = {date(2020, 1, 1): 0, date(2021, 1, 1): 1, date(2022, 1, 1): 3}
    assert onset_period(counts, totals, 0.01) == (date(2022, 1, 1), 0.06)  # 2021: 0.5 % is not yet 1 %
    assert onset_period(counts, totals, 0.1) is None
    assert periods_apart(date(2021, 1, 1), date(2022, 1, 1), "year") == 1
    assert periods_apart(date(2023, 4, 1), date(2022, 7, 1), "quarter") == -3


def test_precision_reads_a_topic_in_order_and_never_guesses(tmp_path: Path) -> None:
    spec = spec_from(
        tmp_path,
        """
top = 4
[technology.x]
patterns = ["x"]
[[checkpoint]]
as_of = 2021-12-31
expect = ["x"]
[precision]
technology = ["wasserstoff", "\\\\bki\\\\b"]
not_technology = ["fußball", "trainer"]
min_share = 0.5
""",
    )
    assert spec.precision is not None
    assert judge_technology(spec.precision, ["wasserstoff", "trainer"]) is True  # what it leads with decides
    assert judge_technology(spec.precision, ["trainer", "ki"]) is False
    assert judge_technology(spec.precision, ["ki-trainer", "wasserstoff"]) is True  # both: the next word decides
    assert judge_technology(spec.precision, ["haushalt", "rente"]) is None
    ranking = [
        topic(1, "wasserstoff / netz", ["wasserstoff", "netz"], []),
        topic(2, "fußball / trainer", ["fußball", "trainer"], []),
        topic(3, "haushalt / rente", ["haushalt", "rente"], []),
        topic(4, "ki / daten", ["ki", "daten"], []),
        topic(5, "ki / modell", ["ki", "modell"], []),  # outside the top 4
    ]
    precision = technology_precision(spec, ranking)
    assert precision is not None
    assert (precision["technology"], precision["not_technology"], precision["unjudged"]) == (2, 1, 1)
    assert precision["precision"] == 0.667 and precision["technology_share"] == 0.5 and precision["holds"]
    ranking[0] = topic(1, "haushalt / euro", ["haushalt", "euro"], [])  # now 1 of 4: the unjudged do not help
    assert technology_precision(spec, ranking)["holds"] is False  # type: ignore[index]


def test_checks_give_hits_with_ranks_misses_false_alarms_bursts_and_fading(tmp_path: Path) -> None:
    spec = spec_from(
        tmp_path,
        """
top = 2
[technology.nn]
truth = { field = "cpc_groups", pattern = "^G06N3/", min_share = 0.3 }
[technology.corona]
patterns = ["corona", "impf"]
[technology.quantum]
terms = ["quantencomputer"]
[[checkpoint]]
as_of = 2021-12-31
expect = ["nn", "quantum"]
burst = ["corona"]
forbid = ["corona"]
fading = ["corona"]
""",
    )
    nn_ids = {"d1", "d2", "d3"}
    ranking = [
        topic(1, "corona / impfung", ["corona", "impfung"], ["c1", "c2"], burst=1.0, trend="rising"),
        topic(2, "gpu / cache", ["gpu", "cache"], ["d1", "x1", "x2", "x3", "x4"]),  # 20 % G06N3: not enough
        topic(3, "training / network", ["training", "network"], ["d2", "d3", "x5"], trend="rising"),  # 67 %
        topic(4, "impfpflicht / gesetz", ["impfpflicht", "gesetz"], ["c3", "c4", "c5"], trend="fading"),
    ]
    totals = [10] * 3
    sightings = {
        name: sight(technology, ranking, [], nn_ids if name == "nn" else set(), totals, spec)
        for name, technology in spec.technologies.items()
    }
    checks = {
        (c["check"], c["technology"]): c for c in judge_checkpoint(spec, spec.checkpoints[0], sightings, History())
    }
    nn = checks[("expect", "nn")]
    assert not nn["holds"] and nn["rank"] == 3 and nn["topic"]["truth_share"] == 0.667  # a miss, best rank 3
    assert nn["topic"]["words"] == ["training", "network"] and nn["topic"]["topic_id"] == 103
    quantum = checks[("expect", "quantum")]
    assert not quantum["holds"] and quantum["rank"] is None and quantum["topic"] is None
    assert checks[("burst", "corona")]["holds"] and checks[("burst", "corona")]["rank"] == 1
    forbid = checks[("forbid", "corona")]
    assert not forbid["holds"] and [a["label"] for a in forbid["false_alarms"]] == ["corona / impfung"]
    fading = checks[("fading", "corona")]  # the biggest Corona topic fades, but another one is in the top 2
    assert not fading["holds"] and fading["main_topic"]["topic_id"] == 104
    ranking = [ranking[1], ranking[2], ranking[0], ranking[3]]  # both Corona topics below the top 2
    for i, t in enumerate(ranking, start=1):
        t.rank = i
    again = sight(spec.technologies["corona"], ranking, [], set(), totals, spec)
    later = judge_checkpoint(spec, spec.checkpoints[0], {**sightings, "corona": again}, History())
    assert {c["check"]: c["holds"] for c in later if c["technology"] == "corona"} == {
        "burst": False,
        "fading": True,
        "forbid": True,
    }


def test_a_burst_is_read_in_the_ranking_of_everything_and_a_false_alarm_in_the_technologies_first_one(
    tmp_path: Path,
) -> None:
    spec = spec_from(
        tmp_path,
        """
top = 2
[technology.corona]
patterns = ["corona", "impf"]
[[checkpoint]]
as_of = 2020-12-31
burst = ["corona"]
forbid = ["corona"]
""",
    )
    # Technologies first put the pandemic third; by score alone (`emerging --all`) it is first.
    ranking = [
        topic(1, "wasserstoff / elektrolyseur", ["wasserstoff"], ["h1"], score=0.5, is_technology=True),
        topic(2, "wärmepumpe / heizung", ["wärmepumpe"], ["w1"], score=0.4, is_technology=True),
        topic(3, "impfstoff / krankenhaus", ["impfstoff"], ["c1"], score=0.8, burst=1.0, is_technology=False),
        topic(4, "corona / test", ["corona"], ["c2"], score=0.1, burst=1.0, is_technology=False),
    ]
    rank_by_score(ranking)
    assert [t.rank_all for t in ranking] == [2, 3, 1, 4]
    seen = {"corona": sight(spec.technologies["corona"], ranking, [], set(), [10], spec)}
    checks = {c["check"]: c for c in judge_checkpoint(spec, spec.checkpoints[0], seen, History())}
    assert checks["burst"]["holds"] and checks["burst"]["rank"] == 3 and checks["burst"]["rank_all"] == 1
    assert checks["forbid"]["holds"]  # not in the top 2 an analyst reads by default
    ranking[2].burst = 0.0  # the big topic does not burst; the one that does is 4th by score too
    again = {"corona": sight(spec.technologies["corona"], ranking, [], set(), [10], spec)}
    burst = [c for c in judge_checkpoint(spec, spec.checkpoints[0], again, History()) if c["check"] == "burst"]
    assert not burst[0]["holds"] and burst[0]["topic"]["burst"] == 0.0  # the evidence: its best topic, calm


def test_match_both_needs_the_words_and_the_documents(tmp_path: Path) -> None:
    spec = spec_from(
        tmp_path,
        """
[technology.h2]
truth = { field = "text", pattern = "Wasserstoff", min_share = 0.3 }
patterns = ["wasserstoff", "elektrolys"]
match = "both"
[[checkpoint]]
as_of = 2021-12-31
expect = ["h2"]
""",
    )
    h2 = spec.technologies["h2"]
    mentioning = {"a", "b", "c"}
    ranking = [
        topic(1, "raffinerie / ölembargo", ["raffinerie", "ölembargo"], ["a", "b", "x"]),  # documents, no words
        topic(2, "wasserstoff / netz", ["wasserstoff", "netz"], ["c", "y", "z", "w"]),  # words, 25 % documents
        topic(3, "elektrolyseur / stahl", ["elektrolyseur", "stahl"], ["a", "c", "v"]),  # both
    ]
    seen = sight(h2, ranking, [], mentioning, [1, 1], spec)
    assert [(t.rank, round(share or 0, 2)) for t, share in seen.topics] == [(3, 0.67)]
    assert seen.closest is not None and seen.closest[0].rank == 2  # shown, but too few documents behind it
    truth_only = sight(replace(h2, match="truth"), ranking, [], mentioning, [1, 1], spec)
    assert [t.rank for t, _ in truth_only.topics] == [1, 3]
    with pytest.raises(SpecError, match="match = 'both' needs a truth"):
        spec_from(tmp_path, GOOD_BODY.replace('patterns = ["pandemie"]', 'patterns = ["pandemie"]\nmatch = "both"'))


def test_early_signals_come_from_emerging_and_rising_terms_and_by_checks_look_back(tmp_path: Path) -> None:
    spec = spec_from(
        tmp_path,
        """
top = 2
[technology.llm]
terms = ["large language model", "llm"]
[[checkpoint]]
as_of = 2022-12-31
early = ["llm"]
[[checkpoint]]
as_of = 2023-12-31
since = 2023-01-01
flagged_by = ["llm"]
expect_by = ["llm"]
""",
    )
    llm = spec.technologies["llm"]
    ranking = [topic(1, "robot / grasp", ["robot", "grasp"], [], rising_terms=["large_language_model"])]
    seen = sight(llm, ranking, [{"term": "llm", "score": 2.0}, {"term": "nerf"}], set(), [1, 1], spec)
    assert seen.early() and [t["term"] for t in seen.terms] == ["llm"] and seen.rising[0][1] == ["large_language_model"]
    assert seen.in_top(2)  # rising terms are shown with the topic's words, so they count for it too
    nothing = sight(llm, [topic(1, "robot / grasp", ["robot"], [])], [], set(), [1, 1], spec)
    assert not nothing.early()
    history = History()
    history.record(date(2022, 12, 31), {"llm": seen}, spec.top)  # flagged in 2022, before `since`
    later = judge_checkpoint(spec, spec.checkpoints[1], {"llm": nothing}, history)
    assert [(c["check"], c["holds"]) for c in later] == [("expect_by", False), ("flagged_by", False)]
    history.record(date(2023, 6, 30), {"llm": seen}, spec.top)
    later = judge_checkpoint(spec, spec.checkpoints[1], {"llm": nothing}, history)
    assert [(c["check"], c["holds"], c["earlier"]) for c in later] == [
        ("expect_by", True, ["2023-06-30"]),
        ("flagged_by", True, ["2023-06-30"]),
    ]


# -- bad specs: exit code 2 and a line that says what to fix -------------------------------------------------------

GOOD_BODY = """
granularity = "year"
[technology.pandemie]
patterns = ["pandemie"]
[[checkpoint]]
as_of = 2021-12-31
expect = ["pandemie"]
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("granularity =", "granularty ="), "unknown key 'granularty'; did you mean 'granularity'?"),
        (('patterns = ["pandemie"]', 'patterns = ["pandemie("]'), "'pandemie(' is not a valid regular expression"),
        (('expect = ["pandemie"]', 'expect = ["pandemi"]'), "no technology 'pandemi'; did you mean 'pandemie'?"),
        (("as_of = 2021-12-31", "as_of = 2031-12-31"), "checkpoint 2031-12-31 is after the data"),
        (("as_of = 2021-12-31", "as_of = 2001-12-31"), "checkpoint 2001-12-31 is before the first document"),
        (("[[checkpoint]]", "[topics]\nmin_topic_sise = 3\n[[checkpoint]]"), "did you mean min_topic_size?"),
        (("[[checkpoint]]", '[topics]\nreduction = "tsne"\n[[checkpoint]]'), "unknown reduction 'tsne'"),
    ],
)
def test_bad_specs_exit_2_with_what_to_fix(
    cli: Callable[..., Result], tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = write_spec(tmp_path, GOOD_BODY.replace(*change), settings="")
    result = cli("backtest", str(path))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_missing_input_file_names_the_file_and_the_option(cli: Callable[..., Result], tmp_path: Path) -> None:
    path = write_spec(tmp_path, GOOD_BODY, settings="")
    result = cli("backtest", str(path), "--data", str(tmp_path / "elsewhere"))
    assert result.exit_code == 2
    assert f"input file {tmp_path / 'elsewhere' / SAMPLE.name} not found; check --data" in result.stderr
    with pytest.raises(SpecError, match="no such spec file"):
        load_spec(tmp_path / "nope.toml", load_config(None))


# -- end to end: the real import, analyze and ranking ------------------------------------------------------------


def test_backtest_replays_checkpoint_by_checkpoint_and_reports_hits_and_misses(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    body = """
granularity = "year"
top = 10
[technology.pandemie]
patterns = ["pandemie", "impf", "corona", "virus", "covid"]
[technology.xylophon]
terms = ["xylophon"]
[[checkpoint]]
as_of = 2019-12-31
forbid = ["xylophon"]
[[checkpoint]]
as_of = 2021-12-31
expect = ["pandemie", "xylophon"]
"""
    sampled = '[input.filter]\nsample = 600\nseed = 7\nwhy = "a test must be quick"\n'
    path = write_spec(tmp_path, body, settings=FAST + "\n")
    path.write_text(path.read_text(encoding="utf-8").replace("[analysis]", sampled + "[analysis]"), encoding="utf-8")
    work, out = tmp_path / "work", tmp_path / "result.json"
    result = cli("backtest", str(path), "--work", str(work), "--out", str(out))
    assert result.exit_code == 1, result.output  # the xylophone is expected and never there
    assert "FAILS" in result.stdout and "xylophon" in result.stdout and "1/2 expected technologies" in result.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["input"]["after_sample"] == 600 and report["input"]["why_filtered"] == "a test must be quick"
    first, second = report["checkpoints"]
    assert first["imported"] + second["imported"] == second["documents"] <= 600
    assert [set(cp["seconds"]) for cp in report["checkpoints"]] == [set(STAGES)] * 2
    checks = {(c["check"], c["technology"]): c for c in second["checks"]}
    hit = checks[("expect", "pandemie")]
    assert hit["holds"] and 1 <= hit["rank"] <= 10
    shown = [hit["topic"]["label"], *hit["topic"]["words"]]
    assert any(re.search("pandemie|impf|corona|virus|covid", w) for w in shown)
    assert second["top"][hit["rank"] - 1]["topic_id"] == hit["topic"]["topic_id"]
    assert "pandemie" in second["top"][hit["rank"] - 1]["matches"]
    miss = checks[("expect", "xylophon")]
    assert not miss["holds"] and miss["rank"] is None and miss["topic"] is None
    assert second["hits"] == [{"technology": "pandemie", "check": "expect", "rank": hit["rank"],
                               "topic_id": hit["topic"]["topic_id"], "label": hit["topic"]["label"],
                               "words": hit["topic"]["words"]}]  # fmt: skip
    assert [(m["technology"], m["best_rank"]) for m in second["misses"]] == [("xylophon", None)]
    assert second["false_alarms"] == [] and first["hits"] == first["misses"] == []
    assert first["checks"] == [{**first["checks"][0], "check": "forbid", "holds": True, "false_alarms": []}]
    for checkpoint in report["checkpoints"]:  # every fit's labels: each word in >= 10 % of its topic's documents
        labels = checkpoint["labels"]
        assert labels["holds"] and labels["topics"] >= checkpoint["topics"] and labels["share_min"] >= 0.1
    machine = report["machine"]  # what the numbers may depend on beyond code and data, to tell two runs apart
    assert machine["cores"] >= 1 and machine["packages"]["umap-learn"] and machine["packages"]["numpy"]
    assert any(line.startswith("openblas") for line in machine["blas"]) and machine["numba_target"]
    summary = report["summary"]
    assert (summary["expected"], summary["hits"], summary["false_alarms"], summary["failed"]) == (2, 1, 0, 1)
    assert summary["labels_honest"] == 2 and "labels" in result.stdout
    pandemic_lead = next(r for r in report["lead_times"] if r["technology"] == "pandemie")
    assert pandemic_lead["first_flagged_period"] in ("2019", "2021")
    with duckdb.connect(str(work / "backtest.duckdb"), read_only=True) as con:
        count, latest = con.execute("select count(*), max(published) from documents").fetchone()  # type: ignore[misc]
        imports = con.execute("select status, counts->>'inserted' from runs where command = 'import' order by run_id")
        assert [(s, int(n)) for s, n in imports.fetchall()] == [("ok", first["imported"]), ("ok", second["imported"])]
        topic_label = con.execute("select label from topics where topic_id = ?", [hit["topic"]["topic_id"]]).fetchone()
    assert count == second["documents"] and latest <= date(2021, 12, 31)  # nothing after the last checkpoint
    assert topic_label == (hit["topic"]["label"],)


def test_backtest_replays_a_source_already_in_the_warehouse(
    cli: Callable[..., Result], db_path: Path, tmp_path: Path
) -> None:
    imported = cli("import", str(SAMPLE), "--kind", "policy", "--source", "bundestag", "--id-col", "doc_id",
                   "--date-col", "published", "--language", "de")  # fmt: skip
    assert imported.exit_code == 0, imported.output
    body = """
granularity = "year"
top = 5
[technology.xylophon]
terms = ["xylophon"]
[[checkpoint]]
as_of = 2020-12-31
forbid = ["xylophon"]
"""
    replay = '[input]\nsource = "bundestag"\n[input.filter]\nsample = 300\nseed = 1\n'
    path = write_spec(tmp_path, body, input_table=replay)
    result = cli("backtest", str(path), "--format", "json")
    assert result.exit_code == 0, result.output  # every check holds
    report = json.loads(result.stdout)
    assert report["input"]["format"] == "warehouse" and report["input"]["read"] == 2540
    with duckdb.connect(str(db_path), read_only=True) as con:
        upto = con.execute("select count(*) from documents where published <= date '2020-12-31'").fetchone()[0]
    assert 0 < report["checkpoints"][0]["imported"] < upto  # the sample of 300, up to the checkpoint
    assert report["summary"]["passed"] and report["summary"]["false_alarms"] == 0
    other = write_spec(tmp_path, body, input_table='[input]\nsource = "landtag"\n')
    missing = cli("backtest", str(other))
    assert missing.exit_code == 2 and "has no dated documents of source 'landtag'" in missing.stderr


def test_shares_count_the_documents_of_each_technology_per_period(cli: Callable[..., Result], tmp_path: Path) -> None:
    import csv
    import gzip

    path = write_spec(tmp_path, GOOD_BODY, settings="")
    result = cli("backtest", str(path), "--shares", "--format", "json")
    assert result.exit_code == 0, result.output
    table = {row["period"]: row for row in json.loads(result.stdout)["periods"]}
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    in_2020 = [r for r in rows if r["published"].startswith("2020")]
    mentioning = [r for r in in_2020 if re.search("pandemie", f"{r['speaker']} {r['text']}", re.IGNORECASE)]
    assert table["2020"]["documents"] == len(in_2020)
    assert table["2020"]["pandemie"] == {
        "documents": len(mentioning),
        "share": round(len(mentioning) / len(in_2020), 5),
    }


def test_the_documented_example_spec_is_valid(tmp_path: Path) -> None:
    docs = (Path(__file__).parents[1] / "docs" / "backtests.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(name = .*?)```", docs, re.DOTALL)
    assert example is not None
    path = tmp_path / "example.toml"
    path.write_text(example.group(1), encoding="utf-8")
    data = tmp_path / "data"
    (data / "nvidia_patents").mkdir(parents=True)
    (data / "nvidia_patents" / "nvidia_patents_merged.csv.gz").write_bytes(b"")
    spec = load_spec(path, load_config(None), data_dir=data)
    assert spec.granularity == "year" and spec.top == 10 and spec.config.analysis.window.year == 12
    assert [c.as_of for c in spec.checkpoints] == [date(2019, 12, 31), date(2023, 12, 31)]
    assert spec.checkpoints[1].checks["forbid"] == ("long_standing_graphics",)  # the top-level forbid joins in
    assert spec.precision is not None and spec.precision.min_share == 0.8


def test_label_honesty_flags_rare_label_words_and_source_names() -> None:
    honest = FitDescription(
        1, "wasserstoff / elektrolyseur", ("wasserstoff", "elektrolyseur", "stahl"), (0.8, 0.3, 0.05), 20
    )
    rare = FitDescription(2, "pandemie / weeknd", ("pandemie", "weeknd"), (0.6, 0.05), 20)
    named = FitDescription(3, "ki / chatgpt", ("ki", "chatgpt", "n-tv.de"), (0.5, 0.4, 0.3), 10)
    verdict = label_honesty([honest], ["n-tv.de"], 0.1)
    assert verdict is not None and verdict["holds"] and verdict["share_min"] == 0.3 and verdict["label_words"] == 2
    verdict = label_honesty([honest, rare, named], ["n-tv.de", "tagesspiegel"], 0.1)
    assert verdict is not None and not verdict["holds"]
    assert verdict["below_min"] == [{"topic_id": 2, "word": "weeknd", "share": 0.05}]
    assert verdict["source_name_words"] == [{"topic_id": 3, "word": "n-tv.de"}]
    assert label_honesty([], ["x"], 0.1) is None
