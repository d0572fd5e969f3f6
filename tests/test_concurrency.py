"""Analysts read while a scan writes: two real processes on one warehouse.

The writer commits in many small steps (as the scan's stages do); the reader queries in a loop. The
reader must never fail, never block the writer, and only ever see a published state: before the
writer started or after it closed, never a state in between.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.conftest import FIXTURES
from warehouse import Warehouse
from warehouse.db import published_path

WRITER = textwrap.dedent(
    """
    import sys, time
    from datetime import date
    from sources.document import Document
    from warehouse import Warehouse
    from warehouse.documents import upsert_documents
    from warehouse.runs import start_run, finish_run

    wh = Warehouse.open_writer(sys.argv[1])
    run_id = start_run(wh.con, "scan")
    print("writing", flush=True)
    for step in range(20):                       # 20 committed steps of 10 documents
        docs = [Document(doc_id=f"t:{step}-{i}", kind="news", source="t", title=f"Meldung {step}-{i}",
                         published=date(2024, 1, 1)) for i in range(10)]
        wh.con.execute("begin transaction")
        upsert_documents(wh, docs, run_id)
        wh.con.execute("commit")
        time.sleep(0.05)
    finish_run(wh.con, run_id, "ok")
    wh.close()
    print("published", flush=True)
    """
)

READER = textwrap.dedent(
    """
    import sys, time
    from warehouse import Warehouse
    deadline = time.time() + float(sys.argv[2])
    while time.time() < deadline:
        with Warehouse.open_reader(sys.argv[1]) as wh:
            n, = wh.con.execute("select count(*) from documents").fetchone()
            runs, = wh.con.execute("select count(*) from runs where status = 'running'").fetchone()
        print(n, runs, flush=True)
        time.sleep(0.01)
    """
)


def test_reader_sees_only_published_states_while_a_writer_commits(cli, db_path: Path, tmp_path: Path) -> None:
    cli("import", str(FIXTURES / "import" / "nvidia_patents_100_3broken.csv"), "--kind", "patent",
        "--id-col", "patent_id", "--date-col", "grant_date")  # fmt: skip
    assert published_path(db_path).exists()
    root = str(Path(__file__).resolve().parents[1])
    env = {"PYTHONPATH": root, "PATH": "/usr/bin:/bin"}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db_path)], stdout=subprocess.PIPE, text=True, env=env)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    reader = subprocess.run(
        [sys.executable, "-c", READER, str(db_path), "2.5"], capture_output=True, text=True, env=env, timeout=60
    )
    assert writer.stdout.readline().strip() == "published"
    assert writer.wait(timeout=30) == 0
    assert reader.returncode == 0, reader.stderr
    seen = [tuple(map(int, line.split())) for line in reader.stdout.splitlines()]
    assert len(seen) > 10
    # Only two states are ever visible: the one before the writer started, and the finished one.
    assert set(seen) <= {(97, 0), (297, 0)}, sorted(set(seen))
    assert seen[0] == (97, 0)
    with Warehouse.open_reader(db_path) as wh:
        assert wh.con.execute("select count(*) from documents").fetchone() == (297,)


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
