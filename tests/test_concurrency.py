"""Analysts read while scans write: real processes on one warehouse.

Writers commit in several steps per command (as import and the scan's stages do); readers query the published
snapshot in a loop. A reader must never fail, never block a writer, and only ever see a state one writer finished:
never a command half done, never one writer's finished state mixed with another's unfinished one, and never an older
state after a newer one.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from warehouse import Warehouse, WarehouseLocked
from warehouse.db import published_path

ROOT = Path(__file__).resolve().parents[1]

# One writer process: `commands` commands one after the other, each waiting for the lock like a cron job retrying.
# A command is one `runs` row and two committed steps of 20 documents, each step checkpointed into the file (as a
# large import is), and its run finished with the count. The disk is slow: the fsync of the published copy takes
# 0.15 s, which widens every moment at which a second writer could slip in between a writer and its snapshot.
WRITER = textwrap.dedent(
    """
    import os, sys, time
    from datetime import date
    from sources.document import Document
    from warehouse import Warehouse, WarehouseLocked
    from warehouse.documents import upsert_documents

    real_fsync = os.fsync
    def slow_fsync(fd):
        time.sleep(0.15)
        real_fsync(fd)
    os.fsync = slow_fsync

    db, name, commands = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for command in range(commands):
        while True:
            try:
                wh = Warehouse.open_writer(db)
                break
            except WarehouseLocked:
                time.sleep(0.05)
        with wh, wh.runs.start("import", source=name) as run:
            for step in range(2):
                docs = [Document(doc_id=f"{name}:{command}-{step}-{i}", kind="news", source=name,
                                 title=f"{name} {command} {step} {i}", published=date(2024, 1, 1))
                        for i in range(20)]
                with wh.transaction():
                    upsert_documents(wh, docs, run.id)
                wh.con.execute("checkpoint")
            run.counts = {"documents": 40}
    print("done", flush=True)
    """
)

# The reader polls until the file `stop` appears: per poll the documents, the runs still running, and the documents
# the finished commands say they wrote.
READER = textwrap.dedent(
    """
    import os, sys, time
    from warehouse import Warehouse
    db, stop = sys.argv[1], sys.argv[2]
    while not os.path.exists(stop):
        with Warehouse.open_reader(db) as wh:
            (documents, running, promised), = wh.con.execute(
                "select (select count(*) from documents), "
                "(select count(*) from runs where status = 'running'), "
                "(select coalesce(sum((counts->>'documents')::integer), 0) from runs where status = 'ok')"
            ).fetchall()
        print(documents, running, promised, flush=True)
        time.sleep(0.2)
    """
)


def test_two_writer_processes_and_a_reader_the_reader_sees_only_states_one_writer_finished(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with Warehouse.open_writer(db):
        pass  # an empty, published warehouse
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db), str(stop)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env,
    )  # fmt: skip
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), name, "3"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )  # fmt: skip
        for name in ("a", "b")
    ]
    try:
        outcomes = [writer.communicate(timeout=120) for writer in writers]
    finally:
        stop.touch()
        seen_out, reader_err = reader.communicate(timeout=60)
    for writer, (out, err) in zip(writers, outcomes, strict=True):
        assert writer.returncode == 0 and out.strip() == "done", err
    assert reader.returncode == 0, reader_err
    seen = [tuple(map(int, line.split())) for line in seen_out.splitlines()]
    assert len(seen) >= 3, seen  # the reader polled while the writers worked
    # Every state seen is one a writer finished: no command running, and every document belongs to a finished one.
    assert all(running == 0 and documents == promised for documents, running, promised in seen), sorted(set(seen))
    # The snapshot only moves forward: the publishes land in the order the writers finished.
    counts = [documents for documents, _, _ in seen]
    assert counts == sorted(counts), counts
    # And after both writers, readers see everything both committed: no publish was lost to the other.
    with Warehouse.open_reader(db) as wh:
        assert wh.con.execute("select source, count(*) from documents group by all order by all").fetchall() == [
            ("a", 3 * 40),
            ("b", 3 * 40),
        ]
        assert wh.con.execute("select count(*) from runs where status = 'ok'").fetchone() == (6,)


# A writer whose publish hangs on a slow disk: it says so when the snapshot is written and about to be renamed.
SLOW_PUBLISHER = textwrap.dedent(
    """
    import os, sys, time
    from warehouse import Warehouse
    real_fsync = os.fsync
    def slow_fsync(fd):
        print("PUBLISHING", flush=True)
        time.sleep(1.0)
        real_fsync(fd)
    os.fsync = slow_fsync
    with Warehouse.open_writer(sys.argv[1]) as wh:
        wh.con.execute("insert into sources values ('slow', 'news', now(), null, '{}')")
    print("DONE", flush=True)
    """
)


def test_no_second_writer_gets_in_while_a_writer_publishes(tmp_path: Path) -> None:
    """The next writer process waits for the snapshot: if it got the lock mid-publish, its writes could end up in it."""
    db = tmp_path / "w.duckdb"
    with Warehouse.open_writer(db):
        pass
    publisher = subprocess.Popen(
        [sys.executable, "-c", SLOW_PUBLISHER, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert publisher.stdout is not None and publisher.stdout.readline().strip() == "PUBLISHING"
    with pytest.raises(WarehouseLocked):
        Warehouse.open_writer(db)
    assert publisher.stdout.read().split()[-1] == "DONE"
    assert publisher.wait(timeout=30) == 0
    with Warehouse.open_reader(db) as wh:
        assert wh.con.execute("select source from sources").fetchall() == [("slow",)]


def test_a_reader_holding_the_snapshot_open_does_not_block_the_next_writer(cli, db_path: Path) -> None:
    cli("init")
    with Warehouse.open_reader(db_path) as reader:
        started = time.time()
        with Warehouse.open_writer(db_path) as writer:
            writer.con.execute("insert into sources values ('x', 'news', now(), null, '{}')")
        assert time.time() - started < 5
        # The open reader keeps its consistent view of the old state.
        assert reader.con.execute("select count(*) from sources").fetchone() == (0,)
    with Warehouse.open_reader(db_path) as fresh:
        assert fresh.con.execute("select count(*) from sources").fetchone() == (1,)
    assert published_path(db_path).exists()
