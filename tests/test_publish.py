"""What the readers' snapshot holds, and when a writer publishes it.

The snapshot (`<name>.published.duckdb`) is what `foresight sql/status/report/emerging/topic/alerts` and analysts'
own DuckDB sessions read. It must answer every query the warehouse answers, except on the vectors, which only
`analyze` reads; and it must only ever move to a state a command finished successfully.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import FIXTURES
from tests.report_fixture import fill_scored_warehouse
from warehouse import Warehouse
from warehouse.db import UNPUBLISHED_TABLES, WarehouseMissing, latest_version, published_path

IMPORT = ["--kind", "patent", "--id-col", "patent_id", "--date-col", "grant_date"]


def _catalog(con: duckdb.DuckDBPyConnection) -> dict[str, list[Any]]:
    """Tables with their columns and types, views with their SQL, and sequences of the connection's database."""
    return {
        "columns": con.execute(
            "select table_name, column_index, column_name, data_type from duckdb_columns() "
            "where database_name = current_database() order by all"
        ).fetchall(),
        "views": con.execute(
            "select view_name, sql from duckdb_views() where database_name = current_database() and not internal "
            "order by all"
        ).fetchall(),
        "sequences": con.execute(
            "select sequence_name from duckdb_sequences() where database_name = current_database() order by all"
        ).fetchall(),
    }


def _rows(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[Any, ...]]:
    return sorted(con.execute(f"select * from {relation}").fetchall(), key=repr)


def test_the_snapshot_answers_every_table_and_view_like_the_warehouse_without_the_vectors(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with Warehouse.open_writer(db) as wh:
        fill_scored_warehouse(wh)
        wh.con.execute(
            "insert into embeddings select 'd' || i, 'tfidf-svd#1', 2, [1.0, 0.0], 1, now() from range(50) t(i)"
        )
        wh.con.execute(
            "insert into embedding_models (space, backend, version, state, fitted_on, fitted_until, run_id, "
            "created_at) values ('tfidf-svd#1', 'tfidf-svd', 1, 'npz'::blob, 50, null, 1, now())"
        )
    with duckdb.connect(str(db), read_only=True) as warehouse, Warehouse.open_reader(db) as reader:
        snapshot = reader.con
        assert _catalog(snapshot) == _catalog(warehouse)  # same tables, columns, types, views and sequences
        assert warehouse.execute("select count(*) from duckdb_indexes()").fetchone()[0] > 0
        assert snapshot.execute("select count(*) from duckdb_indexes()").fetchone() == (0,)  # indexes serve writers
        assert reader.schema_version() == latest_version()
        tables = [name for (name,) in warehouse.execute("select table_name from duckdb_tables()").fetchall()]
        views = [
            name for (name,) in warehouse.execute("select view_name from duckdb_views() where not internal").fetchall()
        ]
        assert {"documents", "signals", "schema_version", *UNPUBLISHED_TABLES} <= set(tables)
        assert {"v_emerging_topics", "v_topic_series", "v_lead_market_overview", "v_topic_evidence"} <= set(views)
        for table in tables:
            expected = [] if table in UNPUBLISHED_TABLES else _rows(warehouse, table)
            assert _rows(snapshot, table) == expected, table
        for view in views:  # every analyst view gives the warehouse's answer: none depends on the vectors
            assert _rows(snapshot, view) == _rows(warehouse, view), view
        assert _rows(snapshot, "v_emerging_topics"), "the fixture scores topics: the view must show them"
        assert warehouse.execute("select count(*) from embeddings").fetchone() == (50,)  # the writer keeps them


def test_a_command_that_fails_leaves_readers_on_the_last_good_state_until_one_succeeds(cli, db_path: Path) -> None:
    cli("import", str(FIXTURES / "import" / "nvidia_patents_100_3broken.csv"), *IMPORT)
    empty = db_path.parent / "empty.csv"
    empty.write_text("", encoding="utf-8")
    failed = cli("import", str(empty), *IMPORT)
    assert failed.exit_code == 1 and "file is empty" in failed.stderr
    # The failed import recorded its run in the warehouse, but readers still see the state of the good import.
    statuses = "select status, coalesce(error, '') from runs order by run_id"
    assert cli("sql", statuses, "--format", "csv").stdout.splitlines()[1:] == ["partial,"]
    with duckdb.connect(str(db_path), read_only=True) as warehouse:  # the file itself, looked at without publishing
        assert warehouse.execute("select status from runs order by run_id").fetchall() == [("partial",), ("failed",)]
    # The next command that succeeds publishes everything committed, the failed run included.
    cli("init")
    assert cli("sql", statuses, "--format", "csv").stdout.splitlines()[1:] == [
        "partial,",
        f"failed,{empty}: file is empty",
    ]


def test_a_block_that_raises_does_not_publish_what_it_committed(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with Warehouse.open_writer(db):
        pass
    with pytest.raises(RuntimeError, match="stage failed"), Warehouse.open_writer(db) as wh:
        with wh.transaction():
            wh.con.execute("insert into sources values ('kept', 'news', now(), null, '{}')")
        raise RuntimeError("stage failed")
    with Warehouse.open_reader(db) as reader:
        assert reader.con.execute("select count(*) from sources").fetchone() == (0,)
    with Warehouse.open_writer(db) as wh:
        assert wh.con.execute("select source from sources").fetchall() == [("kept",)]  # committed, not lost
    with Warehouse.open_reader(db) as reader:
        assert reader.con.execute("select source from sources").fetchall() == [("kept",)]


def test_a_reader_never_publishes_it_says_how_to_get_a_snapshot(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    Warehouse.open_writer(db).close(publish=False)  # as a first command that failed, or an older foresight, leaves it
    with pytest.raises(WarehouseMissing, match="no published state yet.*foresight init"):
        Warehouse.open_reader(db)
    assert not published_path(db).exists()  # the reader took no lock and wrote nothing
    with Warehouse.open_writer(db):
        pass
    with Warehouse.open_reader(db) as reader:
        assert reader.schema_version() == latest_version()


def _unchanged_command(db: Path) -> None:
    """A writer command that changed nothing readers see (as an `analyze` with nothing new)."""
    with Warehouse.open_writer(db) as wh:
        wh.nothing_for_readers()


def test_a_command_that_changed_nothing_for_readers_leaves_a_current_snapshot_as_it_is(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _unchanged_command(db)  # a new file has no snapshot yet: it is published all the same
    with Warehouse.open_writer(db) as wh:
        wh.con.execute("insert into sources values ('kept', 'news', now(), null, '{}')")
    stamp = published_path(db).stat()
    _unchanged_command(db)
    after = published_path(db).stat()
    assert (after.st_ino, after.st_mtime_ns) == (stamp.st_ino, stamp.st_mtime_ns)
    with Warehouse.open_reader(db) as reader:
        assert reader.con.execute("select source from sources").fetchall() == [("kept",)]
        assert reader.con.execute("select count(*) from unpublished_writes").fetchone() == (0,)


def test_a_failed_or_killed_writer_makes_the_next_unchanged_command_publish(tmp_path: Path) -> None:
    """What a failed or killed command committed reaches the readers with the next command, even one that changed
    nothing itself: the snapshot was not current when it began."""
    db = tmp_path / "w.duckdb"
    _unchanged_command(db)
    with pytest.raises(RuntimeError, match="stage failed"), Warehouse.open_writer(db) as wh:
        wh.con.execute("insert into sources values ('failed', 'news', now(), null, '{}')")
        raise RuntimeError("stage failed")
    _unchanged_command(db)
    with Warehouse.open_reader(db) as reader:
        assert reader.con.execute("select source from sources").fetchall() == [("failed",)]
    killed = Warehouse.open_writer(db)
    killed.con.execute("insert into sources values ('killed', 'news', now(), null, '{}')")
    killed.con.close()  # the process died: no close, no publish
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from unpublished_writes").fetchone() == (1,)  # its row stayed
    _unchanged_command(db)
    with Warehouse.open_reader(db) as reader:
        assert sorted(reader.con.execute("select source from sources").fetchall()) == [("failed",), ("killed",)]
    stamp = published_path(db).stat()
    _unchanged_command(db)  # now the snapshot is current again
    assert published_path(db).stat().st_ino == stamp.st_ino
