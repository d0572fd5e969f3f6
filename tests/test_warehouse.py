"""The warehouse file: migrations, the version guard, the connection policy, and `foresight sql`/`status`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import duckdb
import pytest

from tests.conftest import FIXTURES
from warehouse import SchemaTooNew, Warehouse, WarehouseLocked, WarehouseMissing
from warehouse.db import latest_version, migrations


def test_init_creates_every_migration_once(cli, db_path) -> None:
    assert cli("init").exit_code == 0
    assert cli("init").exit_code == 0  # idempotent
    with duckdb.connect(str(db_path), read_only=True) as con:
        versions = [r[0] for r in con.execute("select version from schema_version order by 1").fetchall()]
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert versions == [m.version for m in migrations()]
    assert {"documents", "runs", "sources", "run_problems", "schema_version"} <= tables


def test_a_newer_schema_is_refused_and_left_untouched(cli, db_path) -> None:
    cli("init")
    with duckdb.connect(str(db_path)) as con:
        con.execute("insert into schema_version values (999, 'from_the_future', now())")
    before = db_path.read_bytes()
    with pytest.raises(SchemaTooNew, match="newer foresight"):
        Warehouse.open_writer(db_path)
    result = cli("import", str(FIXTURES / "import" / "nvidia_patents_100_3broken.csv"), "--kind", "patent",
                 "--id-col", "patent_id", "--date-col", "grant_date")  # fmt: skip
    assert result.exit_code == 1
    assert "schema version 999" in result.stderr and "not changed" in result.stderr
    assert db_path.read_bytes() == before


def test_reader_needs_an_existing_current_warehouse(cli, db_path) -> None:
    with pytest.raises(WarehouseMissing, match="foresight init"):
        Warehouse.open_reader(db_path)
    result = cli("sql", "select 1")
    assert result.exit_code == 1 and "no warehouse at" in result.stderr


def test_second_writer_process_gets_a_clear_message(cli, db_path) -> None:
    cli("init")
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(db_path)!r})
            print('locked', flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseLocked, match="another foresight process"):
            Warehouse.open_writer(db_path)
    finally:
        holder.communicate("\n", timeout=10)


def test_sql_prints_table_csv_and_json(cli) -> None:
    cli("import", str(FIXTURES / "import" / "nvidia_patents_100_3broken.csv"), "--kind", "patent",
        "--id-col", "patent_id", "--date-col", "grant_date", "--source", "nv")  # fmt: skip
    query = (
        "select year(published) as year, count(*) as n from documents "
        "where year(published) < 2000 group by 1 order by 1"
    )
    as_csv = cli("sql", query, "--format", "csv")
    assert as_csv.stdout.splitlines()[0] == "year,n"
    as_json = json.loads(cli("sql", query, "--format", "json").stdout)
    assert as_json and set(as_json[0]) == {"year", "n"} and all(r["year"] < 2000 for r in as_json)
    assert sum(r["n"] for r in as_json) == int(as_csv.stdout.splitlines()[1].split(",")[1]) + sum(
        int(line.split(",")[1]) for line in as_csv.stdout.splitlines()[2:]
    )
    table = cli("sql", query)
    assert "year" in table.stdout and "n" in table.stdout


def test_sql_errors_are_one_line_and_writes_are_refused(cli) -> None:
    cli("init")
    bad = cli("sql", "select nope from documents")
    assert bad.exit_code == 1
    assert bad.stderr.strip().startswith("error: SQL error: Binder Error")
    assert "Traceback" not in bad.output
    write = cli("sql", "delete from documents")
    assert write.exit_code == 1 and "read-only" in write.stderr


def test_status_shows_counts_runs_and_version(cli) -> None:
    cli("import", str(FIXTURES / "import" / "nvidia_patents_100_3broken.csv"), "--kind", "patent",
        "--id-col", "patent_id", "--date-col", "grant_date", "--source", "nv")  # fmt: skip
    out = cli("status").stdout
    assert f"schema version {latest_version()}" in out
    assert "97 documents" in out
    assert "nv" in out and "import" in out and "partial" in out


def test_a_migration_that_landed_after_a_higher_number_is_still_applied(tmp_path) -> None:
    """007 was written while 010 and 011 were already on main: a warehouse at 011 without 007 gets 007 on open."""
    db = tmp_path / "w.duckdb"
    Warehouse.open_writer(db).close()
    with Warehouse.open_writer(db) as wh:  # as a warehouse migrated before 007 existed
        wh.con.execute("drop table document_sources")
        wh.con.execute("delete from schema_version where version = 7")
    with Warehouse.open_writer(db) as wh:
        versions = [v for (v,) in wh.con.execute("select version from schema_version order by version").fetchall()]
        tables = {t for (t,) in wh.con.execute("select table_name from information_schema.tables").fetchall()}
    assert versions == [m.version for m in migrations()] and "document_sources" in tables


def test_emerging_terms_list_technologies_then_new_terms_then_by_score(tmp_path) -> None:
    """A new technology term comes before an established one with a higher score; `--all` drops only the first key."""
    from datetime import date

    from warehouse.signals import ScoresRun, emerging_terms
    from warehouse.terms import write_term_signals

    as_of = date(2016, 12, 31)
    rows = [  # (term, score, is_technology, is_new)
        ("neural network", 0.80, True, False),  # established and still rising: not a new signal
        ("generative adversarial network", 0.40, True, True),  # born in the recent window
        ("benchmark", 0.90, False, False),
        ("wahlkampf", 0.70, False, True),
        ("gan", 0.60, True, True),
    ]
    with Warehouse.open_writer(tmp_path / "w.duckdb") as wh:
        write_term_signals(
            wh,
            [
                {
                    "run_id": 7,
                    "as_of": as_of,
                    "granularity": "year",
                    "term": term,
                    "documents": 10,
                    "score": score,
                    "is_technology": tech,
                    "is_new": new,
                    "technology": 0.9 if tech else 0.1,
                    "kinds": ["publication"],
                    "recent_series": [0, 1, 4],
                    "evidence": {},
                }
                for term, score, tech, new in rows
            ],  # fmt: skip
        )
        sql = "insert into signals (run_id, fit_run_id, as_of, granularity, topic_id) values (7, 6, ?, 'year', 1)"
        wh.con.execute(sql, [as_of])
        scores = ScoresRun(7, 6, "year", as_of)
        listed = [r["term"] for r in emerging_terms(wh, scores)]
        everything = [r["term"] for r in emerging_terms(wh, scores, everything=True)]
        view = [r[0] for r in wh.con.execute("select term from v_emerging_terms").fetchall()]
    assert listed == ["gan", "generative adversarial network", "neural network", "wahlkampf", "benchmark"]
    assert view == listed
    assert everything == ["wahlkampf", "gan", "generative adversarial network", "benchmark", "neural network"]
