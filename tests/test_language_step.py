"""The language step over a real DuckDB warehouse, the bad inputs of the issue, and the two commands."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from pipeline.language_work import WORKER_DIED
from sources.document import Document
from tests.language_support import (
    DUISBURG,
    SOLID_STATE_ABSTRACT,
    annotation_sample,
    annotator,
    load,
    real_texts,
    rows,
    rub_news,
    sample_documents,
    step,
    write_config,
)


def documents() -> list[Document]:
    speech = real_texts()["bundestag:ID209300100"]
    html_item = rub_news()[0]
    return [
        Document("t:duisburg", "news", "test", title="Elektrolyseur in Duisburg", text=DUISBURG),
        Document("t:patent", "patent", "test", title="Solid-state battery", text=SOLID_STATE_ABSTRACT),
        Document("t:speech", "policy", "test", title=None, text=speech["text"]),
        Document("t:empty", "news", "test", title=None, text=""),
        Document("t:symbols", "news", "test", title="", text="1234 %%% ---"),
        Document("t:title-only", "news", "test", title="Neue Wärmepumpen für Bochum und Herne", text=None),
        Document("t:html", "news", "test", title=html_item["title"], text=html_item["html"]),
        Document(
            "t:mixed",
            "news",
            "test",
            title="Wasserstoff im Ruhrgebiet",
            text=DUISBURG + ' Der Minister sagte auf Englisch: "We need green hydrogen in the Ruhr area now." '
            "Die Leitung nach Essen soll 2027 fertig sein.",
        ),
        Document("t:french", "news", "test", title="Hydrogène", text="L'hydrogène vert est produit par électrolyse."),
    ]


def test_step_stores_every_table_and_skips_bad_input_with_reasons(db_path: Path) -> None:
    load(db_path, documents())
    counts = step(db_path)
    assert counts["pending"] == 9 and counts["processed"] == 6 and counts["skipped"] == 3 and counts["failed"] == 0
    status = dict((r[0], r[1:]) for r in rows(db_path, "select doc_id, language, status, reason from doc_language"))
    assert status["t:empty"] == (None, "skipped", "empty: no text")
    assert status["t:symbols"][1:] == ("skipped", "empty: no words, only digits or symbols")
    assert status["t:french"] == ("fr", "skipped", "unsupported language: fr (foresight analyses de, en)")
    assert status["t:title-only"][:2] == ("de", "processed")
    assert status["t:mixed"][:2] == ("de", "processed")
    assert status["t:patent"][:2] == ("en", "processed")

    terms = rows(db_path, "select term, head, rank from doc_terms where doc_id = 't:duisburg' order by rank")
    assert ("grüner Wasserstoff", "Wasserstoff") in [(t, h) for t, h, _ in terms]
    assert [r for _, _, r in terms] == list(range(1, len(terms) + 1))
    places = rows(db_path, "select doc_id, municipality, kreis, place_type, mentions from doc_places order by all")
    assert ("t:duisburg", "Duisburg", None, "municipality", 2) in places  # title + text
    assert ("t:title-only", "Herne", None, "municipality", 1) in places
    assert ("t:mixed", None, None, "region", 1) in places  # "Ruhrgebiet" in the title
    markets = rows(
        db_path,
        "select doc_id, lead_market_id, rank, evidence from doc_lead_markets where rank = 1 order by doc_id",
    )
    best = {doc_id: market for doc_id, market, _, _ in markets}
    assert best["t:duisburg"] == "ressourceneffizienz" and best["t:patent"] == "mobilitaet"
    evidence = json.loads(next(e for d, _, _, e in markets if d == "t:duisburg"))
    assert "Elektrolyseur" in [hit["term"] for hit in evidence["seed_terms"]]
    assert rows(db_path, "select count(*), count(distinct name_de) from lead_markets") == [(9, 9)]
    html_terms = rows(db_path, "select term from doc_terms where doc_id = 't:html'")
    assert html_terms and not any("<" in t or "field-std" in t for (t,) in html_terms)
    actors = rows(db_path, "select actor, ror from doc_actors where doc_id = 't:html'")
    assert actors == [("Ruhr-Universität Bochum", "https://ror.org/04tsk2644")]
    runs = rows(db_path, "select command, stage, status from runs where stage = 'language'")
    assert runs == [("analyze", "language", "ok")]


def test_rerun_processes_nothing_twice_and_changed_documents_again(db_path: Path) -> None:
    load(db_path, documents()[:3])
    assert step(db_path)["processed"] == 3
    before = rows(db_path, "select count(*) from doc_terms")
    again = step(db_path)
    assert again["pending"] == 0 and again["processed"] == 0
    assert rows(db_path, "select count(*) from doc_terms") == before
    changed = Document("t:duisburg", "news", "test", title="Umzug", text="Die Stadtwerke Essen bauen in Essen.")
    load(db_path, [changed])
    third = step(db_path)
    assert third["pending"] == 1 and third["processed"] == 1
    assert rows(db_path, "select municipality from doc_places where doc_id = 't:duisburg'") == [("Essen",)]
    assert rows(db_path, "select count(*) from doc_language") == [(3,)]


def test_limit_and_batches_leave_the_rest_pending(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load(db_path, documents())
    monkeypatch.setenv("FORESIGHT_CONFIG", str(write_config(db_path.parent, "[language]\nbatch_size = 2\n")))
    first = step(db_path, limit=3)
    assert first["pending"] == 3 and first["processed"] + first["skipped"] == 3
    rest = step(db_path)
    assert rest["pending"] == 6
    assert rows(db_path, "select count(*) from doc_language") == [(9,)]


def test_two_worker_processes_give_the_same_rows(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial_db = tmp_path / "serial.duckdb"
    load(serial_db, documents())
    step(serial_db)
    load(db_path, documents())
    monkeypatch.setenv("FORESIGHT_CONFIG", str(write_config(tmp_path, "[language]\nbatch_size = 3\nprocesses = 2\n")))
    counts = step(db_path)
    assert counts["processed"] == 6 and counts["skipped"] == 3
    query = "select doc_id, term, head, count, termhood, rank from doc_terms order by all"
    assert rows(db_path, query) == rows(serial_db, query)
    query = "select doc_id, lead_market_id, score, rank from doc_lead_markets order by all"
    assert rows(db_path, query) == rows(serial_db, query)


def test_hantas_answers_for_new_word_forms_are_kept_and_a_later_run_asks_hanta_nothing(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.annotate import Annotator
    from models.hanta import HANTA_MODELS, LEARNT_ANSWERS, answers_fingerprint
    from models.startup_cache import read_entry
    from pipeline.config import load_config
    from pipeline.language_step import run_language_step
    from warehouse import Warehouse

    monkeypatch.setenv("FORESIGHT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FORESIGHT_CONFIG", str(write_config(tmp_path, "[language]\nbatch_size = 3\nprocesses = 2\n")))
    load(db_path, documents())
    with Warehouse.open_writer(db_path) as wh:
        first = run_language_step(wh, load_config(None), annotator=Annotator())
    assert first["processes"] == 2  # the answers were got in the workers and collected by the step
    kept = read_entry(f"{LEARNT_ANSWERS}-de", answers_fingerprint(HANTA_MODELS["de"]))
    assert isinstance(kept, dict) and len(kept) >= 20  # the speech's forms outside the shipped lexicon
    assert all(isinstance(lemma, str) and isinstance(tag, str) for lemma, tag in kept.values())

    later = Annotator()  # what a new process has: nothing but what it reads back
    later.warm()

    def refuse(form: str, **_: object) -> tuple[str, str]:
        raise AssertionError(f"HanTa asked about {form!r} again")

    for lang, tagger in later.hanta_taggers().items():
        if lang == "de":
            assert set(kept) <= set(tagger._memo)
        tagger.tagger.analyze = refuse
    other = tmp_path / "other.duckdb"
    load(other, documents())
    with Warehouse.open_writer(other) as wh:
        again = run_language_step(wh, load_config(None), annotator=later)
    assert again["failed"] == 0 and again["processed"] == first["processed"] == 6
    for query in (
        "select doc_id, term, head, count, termhood, rank from doc_terms order by all",
        "select doc_id, lead_market_id, score, rank from doc_lead_markets order by all",
    ):
        assert rows(other, query) == rows(db_path, query)


def test_one_megabyte_text_is_processed_in_chunks(db_path: Path) -> None:
    speech = real_texts()["bundestag:ID208200100"]["text"]
    big = ("\n\n".join([speech] * (1_000_000 // len(speech) + 1)))[:1_000_000]
    load(db_path, [Document("t:big", "policy", "test", title="Sehr lange Rede", text=big)])
    counts = step(db_path)
    assert counts["processed"] == 1
    [(n_words, status)] = rows(db_path, "select n_words, status from doc_language")
    assert status == "processed" and n_words > 100_000
    top = rows(db_path, "select term, count from doc_terms where doc_id = 't:big' order by rank limit 3")
    assert all(count > 100 for _, count in top)


def test_a_document_that_breaks_the_annotator_is_recorded_not_fatal(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(db_path, documents()[:2])
    real = annotator().annotate

    def flaky(text: str | None, title: str | None = None):
        if title == "Solid-state battery":
            raise RuntimeError("simulated tagger crash")
        return real(text, title)

    monkeypatch.setattr(annotator(), "annotate", flaky)
    counts = step(db_path)
    assert counts["failed"] == 1 and counts["processed"] == 1
    assert rows(db_path, "select status, reason from doc_language where doc_id = 't:patent'") == [
        ("skipped", "error: RuntimeError: simulated tagger crash")
    ]
    assert rows(db_path, "select location, message from run_problems") == [
        ("t:patent", "language step failed: RuntimeError: simulated tagger crash")
    ]
    assert rows(db_path, "select status from runs where stage = 'language'") == [("partial",)]


def test_annotate_command_json_contract(cli: Callable[..., Result]) -> None:
    result = cli("annotate", "--format", "json", DUISBURG)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["language"] == "de"
    assert data["places"] == ["Duisburg"]
    assert "grüner Wasserstoff" in data["terms"] and "Elektrolyseur" in data["terms"]
    first = data["lead_markets"][0]
    assert set(first) >= {"id", "name", "score", "evidence"}
    assert first["id"] == "ressourceneffizienz" and first["name"] == "Ressourceneffizienz"
    assert [m["score"] for m in data["lead_markets"]] == sorted(
        (m["score"] for m in data["lead_markets"]), reverse=True
    )


def test_annotate_command_file_table_and_errors(cli: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "abstract.txt"
    path.write_text(SOLID_STATE_ABSTRACT, encoding="utf-8")
    result = cli("annotate", "--file", str(path))
    assert result.exit_code == 0
    assert "solid-state battery" in result.stdout and "Mobilität" in result.stdout
    data = json.loads(cli("annotate", "--format", "json", "--file", str(path)).stdout)
    assert "Mobilität" in [m["name"] for m in data["lead_markets"]]
    missing = cli("annotate", "--file", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 1 and "not found" in missing.stderr
    (tmp_path / "latin1.txt").write_bytes("Wärmepumpe".encode("latin-1"))
    assert "not UTF-8" in cli("annotate", "--file", str(tmp_path / "latin1.txt")).stderr
    assert cli("annotate").exit_code == 1
    skipped = cli("annotate", "Ceci est un texte en français sur l'hydrogène vert.")
    assert skipped.exit_code == 0 and "unsupported language: fr" in skipped.stdout


def test_analyze_language_command(cli: Callable[..., Result], db_path: Path) -> None:
    assert cli("init").exit_code == 0
    load(db_path, documents()[:3])
    result = cli("analyze-language")
    assert result.exit_code == 0, result.stderr
    assert "3 documents processed" in result.stdout
    assert "0 documents processed" in cli("analyze-language").stdout


def test_analyze_language_again_annotates_every_document_once_more_and_replaces_its_rows(
    cli: Callable[..., Result], db_path: Path
) -> None:
    """After an upgrade that changed the language rules, `--again` re-annotates everything: the rows are replaced,
    never added to (the per-day term counts stay those of one annotation), and a plain rerun finds nothing to do."""
    assert cli("init").exit_code == 0
    load(db_path, sample_documents(annotation_sample()[:3]))  # dated, so that they are counted per day
    assert "3 documents processed" in cli("analyze-language").stdout
    terms_sql = "select doc_id, term, count from doc_terms order by all"
    terms, counts = rows(db_path, terms_sql), rows(db_path, _TERM_DAYS)
    again = cli("analyze-language", "--again")
    assert again.exit_code == 0, again.stderr
    assert "3 documents to annotate again" in again.stderr and "3 documents processed" in again.stdout
    assert rows(db_path, terms_sql) == terms and terms
    assert rows(db_path, _TERM_DAYS) == counts == rows(db_path, _RECOUNT) and counts
    assert "0 documents processed" in cli("analyze-language").stdout


def test_the_fast_step_finds_what_the_step_found_before_the_speed_work(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """65 real patent abstracts and speeches through two worker processes: the terms and lead-market scores recorded
    with the code before the speed work (array tagger, term collector, dense similarity, Arrow writes), and the
    places and actors the annotator finds in this process."""
    sample = annotation_sample()
    load(db_path, sample_documents(sample))
    monkeypatch.setenv("FORESIGHT_CONFIG", str(write_config(tmp_path, "[language]\nbatch_size = 10\nprocesses = 2\n")))
    counts = step(db_path)
    assert counts["processes"] == 2 and counts["processed"] + counts["skipped"] == len(sample)
    languages = {r[0]: r[1:] for r in rows(db_path, "select doc_id, language, status, n_words from doc_language")}
    terms = rows(db_path, "select doc_id, term, head, count, termhood from doc_terms order by doc_id, rank")
    markets = rows(
        db_path,
        "select doc_id, lead_market_id, score, seed_score, similarity, evidence from doc_lead_markets "
        "order by doc_id, rank",
    )
    places = rows(db_path, "select doc_id, place_type, place, municipality, mention, mentions from doc_places")
    actors = rows(db_path, "select doc_id, actor, mention, mentions from doc_actors")
    for row in sample:
        doc_id, expected = row["doc_id"], row["expected"]
        assert languages[doc_id] == (expected["language"], expected["status"], expected["n_words"]), doc_id
        assert [list(t[1:]) for t in terms if t[0] == doc_id] == expected["terms"], doc_id
        found = [m for m in markets if m[0] == doc_id]
        assert [list(m[1:5]) for m in found] == [m[:4] for m in expected["lead_markets"]], doc_id
        for (*_, evidence), (*_, wanted) in zip(found, expected["lead_markets"], strict=True):
            evidence = json.loads(evidence)
            assert evidence["seed_terms"] == wanted["seed_terms"], doc_id
            # the five words most similar to a market's description: the same, but ties were ordered arbitrarily
            # (numpy's unstable sort) and are now alphabetical
            assert sorted(evidence["similar_terms"]) == sorted(wanted["similar_terms"]), doc_id
        here = annotator().annotate(row["text"], row["title"])
        assert sorted(p[1:3] for p in places if p[0] == doc_id) == sorted({(p.place_type, p.name) for p in here.places})
        assert sorted(a[1] for a in actors if a[0] == doc_id) == sorted(here.actor_names)
    assert len(terms) > 1000 and len(markets) > 100  # the comparison above had something to compare


def test_a_document_that_kills_its_worker_is_recorded_and_the_rest_are_processed(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial_db = tmp_path / "serial.duckdb"
    load(serial_db, documents())
    step(serial_db)
    load(db_path, documents())
    real = annotator().annotate

    def deadly(text: str | None, title: str | None = None):
        if title == "Solid-state battery" and multiprocessing.parent_process() is not None:
            os._exit(9)  # as the kernel's out-of-memory killer would end the worker
        return real(text, title)

    monkeypatch.setattr(annotator(), "annotate", deadly)
    monkeypatch.setenv("FORESIGHT_CONFIG", str(write_config(tmp_path, "[language]\nbatch_size = 3\nprocesses = 2\n")))
    counts = step(db_path)
    assert (counts["processed"], counts["skipped"], counts["failed"]) == (5, 3, 1)
    assert rows(db_path, "select status, reason from doc_language where doc_id = 't:patent'") == [
        ("skipped", f"error: {WORKER_DIED}")
    ]
    assert rows(db_path, "select location from run_problems") == [("t:patent",)]
    assert rows(db_path, "select status from runs where stage = 'language'") == [("partial",)]
    query = "select doc_id, term, head, count, termhood, rank from doc_terms where doc_id <> 't:patent' order by all"
    assert rows(db_path, query) == rows(serial_db, query)


_STEP_IN_CHILD = """
import sys
from pathlib import Path
from pipeline.config import load_config
from pipeline.language_step import run_language_step
from warehouse import Warehouse

def progress(name, done, total=None):
    print(f"{name} {done}/{total}", flush=True)

with Warehouse.open_writer(Path(sys.argv[1])) as wh:
    run_language_step(wh, load_config(Path(sys.argv[2])), progress=progress)
"""


@pytest.mark.slow
@pytest.mark.parametrize("batches_done", [1, 4])
def test_a_step_killed_with_its_workers_running_reruns_to_the_same_rows(
    db_path: Path, tmp_path: Path, batches_done: int
) -> None:
    sample = annotation_sample()[::2]
    serial_db = tmp_path / "serial.duckdb"
    load(serial_db, sample_documents(sample))
    step(serial_db)
    load(db_path, sample_documents(sample))
    config = write_config(tmp_path, "[language]\nbatch_size = 3\nprocesses = 2\n")
    child = subprocess.Popen(
        [sys.executable, "-c", _STEP_IN_CHILD, str(db_path), str(config)],
        cwd=Path(__file__).parents[1],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("language ") and int(line.split()[1].split("/")[0]) >= 3 * batches_done:
            break
    workers = _children(child.pid)
    child.kill()  # SIGKILL: no clean-up of any kind, a transaction may be open
    child.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if _alive(pid)], "worker processes outlived the killed step"
    step(db_path)
    for query in (
        "select doc_id, language, status, reason, n_words, published, kind from doc_language order by all",
        "select doc_id, term, head, count, termhood, rank from doc_terms order by all",
        "select doc_id, lead_market_id, score, rank, evidence::varchar from doc_lead_markets order by all",
        "select doc_id, place_type, place, mentions from doc_places order by all",
    ):
        assert rows(db_path, query) == rows(serial_db, query), query
    assert rows(db_path, _TERM_DAYS) == rows(db_path, _RECOUNT) == rows(serial_db, _TERM_DAYS)


_TERM_DAYS = (
    "select term, day, kind, sum(documents) from term_days group by all having sum(documents) <> 0 order by all"
)
_RECOUNT = (
    "select t.term, l.published, l.kind, count(*) from doc_terms t join doc_language l using (doc_id) "
    "where l.published is not null group by all order by all"
)


def _children(pid: int) -> list[int]:
    """Worker processes of `pid` (Linux /proc); [] where the system does not list them."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())  # a zombie has exited
