"""The house rules of the warehouse: one transaction context, run bookkeeping by API, no SQL outside `warehouse/`.

Why these matter to a user: a step that fails half-way must leave the warehouse as it was and say so in `runs`
(`foresight status` is where an analyst looks first), and a stage that forgets to close its run would leave a
`running` row forever.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from warehouse import Warehouse, WarehouseError

ROOT = Path(__file__).resolve().parents[1]


def _add_source(wh: Warehouse, name: str) -> None:
    wh.con.execute("insert into sources (source, kind, first_seen, state) values (?, 'news', now(), '{}')", [name])


def _runs(wh: Warehouse) -> list[tuple]:
    return wh.query("select run_id, parent_run_id, command, stage, status, counts, error from runs order by run_id")[1]


def test_a_failure_inside_a_transaction_rolls_back_and_marks_the_run_failed(tmp_path: Path) -> None:
    with Warehouse.open_writer(tmp_path / "w.duckdb") as wh:
        with pytest.raises(RuntimeError, match="disk gone"), wh.runs.start("import", source="x") as run:
            run.counts = {"read": 3}
            with wh.transaction():
                wh.con.execute(
                    "insert into sources (source, kind, first_seen, state) values ('x', 'news', now(), '{}')"
                )
                raise RuntimeError("disk gone")
        assert wh.query("select count(*) from sources")[1] == [(0,)]
        ((_, _, command, _, status, counts, error),) = _runs(wh)
        assert (command, status, error) == ("import", "failed", "disk gone")
        assert json.loads(counts) == {"read": 3}


def test_a_failed_inner_block_is_never_committed_by_the_outer_one(tmp_path: Path) -> None:
    with Warehouse.open_writer(tmp_path / "w.duckdb") as wh:
        with pytest.raises(WarehouseError, match="nothing of it was saved"), wh.transaction():
            _add_source(wh, "a")
            try:
                with wh.transaction():
                    wh.con.execute(
                        "insert into sources (source, kind, first_seen, state) values ('b', 'news', now(), '{}')"
                    )
                    raise ValueError("half-written")
            except ValueError:
                pass  # a careless caller swallows the inner failure ...
        assert wh.query("select count(*) from sources")[1] == [(0,)]  # ... and still nothing half-written is kept
        with wh.transaction():
            _add_source(wh, "c")
        assert wh.query("select source from sources")[1] == [("c",)]


def test_stages_nest_under_their_run_and_record_status_counts_and_interruptions(tmp_path: Path) -> None:
    with Warehouse.open_writer(tmp_path / "w.duckdb") as wh:
        with wh.runs.start("analyze", config_hash="abc") as parent:
            with wh.runs.child(parent, "topics") as stage:
                stage.counts, stage.status = {"topics": 4}, "partial"
            with wh.runs.child(parent, "emergence") as stage, wh.transaction():
                stage.finish(counts={"signals": 4})  # recorded inside the stage's own transaction
            with pytest.raises(KeyboardInterrupt), wh.runs.child(parent, "report"):
                raise KeyboardInterrupt
        rows = _runs(wh)
        assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
            (None, "analyze", None, "ok"),
            (parent.id, "analyze", "topics", "partial"),
            (parent.id, "analyze", "emergence", "ok"),
            (parent.id, "analyze", "report", "failed"),
        ]
        assert json.loads(rows[1][5]) == {"topics": 4} and json.loads(rows[2][5]) == {"signals": 4}
        assert rows[3][6] == "interrupted"
        assert list(wh.runs.stage_seconds(parent)) == ["topics", "emergence", "report"]


def _python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_pipeline_holds_no_sql_and_never_touches_the_connection() -> None:
    offenders = []
    for path in _python_files("pipeline"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("execute", "executemany", "con", "sql"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert offenders == [], "SQL belongs in warehouse/: " + ", ".join(offenders)


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [("sources", ("models", "warehouse", "pipeline")), ("models", ("sources", "warehouse", "pipeline")),
     ("warehouse", ("models", "pipeline"))],
)  # fmt: skip
def test_each_layer_imports_only_what_it_may(layer: str, forbidden: tuple[str, ...]) -> None:
    """docs/architecture.md: sources -> Document records; models pure; warehouse knows only the Document type."""
    offenders = []
    for path in _python_files(layer):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                top = name.split(".")[0]
                if top in forbidden and not (layer == "warehouse" and name == "sources.document"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert offenders == []
