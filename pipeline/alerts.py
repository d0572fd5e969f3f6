"""Alerts: the new weak signals and the topics turned strong since the last scan, as JSON lines.

Why snapshots: the analyst views show the *current* state of every topic; "new since last week"
needs what the last scan saw. Each scan writes its view of `v_emerging_topics` into
`scan_signal_snapshots` (migration 005) once it has scored, and a change is a difference between the
current view and the snapshot of the scan before the one that produced the current scores. The same
comparison feeds the report's week summary, so the alert file and the report never disagree.

One alert is one JSON object per line (``{"alert": "new_weak_signal", "topic_id": ..., ...}``) so a
mail or chat hook can read it with a line loop; see docs/scan.md for the fields.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import duckdb

from pipeline.output import to_jsonable

ALERT_KINDS = ("new_weak_signal", "turned_strong")

# The current scores, one row per topic; the analyst view is the contract, not the tables behind it.
CURRENT_SQL = """
select cast(topic_id as varchar) as topic_id, label, top_terms, score, signal_class, trend, growth,
       first_seen, lead_markets, as_of, granularity, run_id
from v_emerging_topics
"""


@dataclass
class SignalChanges:
    """What changed between the previous scan's snapshot and the current scores."""

    baseline_scan_run_id: int | None
    new_topics: list[dict[str, Any]] = field(default_factory=list)
    new_weak_signals: list[dict[str, Any]] = field(default_factory=list)
    turned_strong: list[dict[str, Any]] = field(default_factory=list)


def current_signals(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cursor = con.execute(CURRENT_SQL)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def baseline_scan(con: duckdb.DuckDBPyConnection, before_run_id: int | None = None) -> int | None:
    """The snapshot to compare the current scores with.

    With `before_run_id` (a scan's alerts): the newest snapshot of an earlier scan, so a scan that
    changed nothing alerts nothing. Without (the report): the newest snapshot taken before the run
    that produced the current scores (``v_emerging_topics.run_id`` followed up to its root scan or
    stand-alone `analyze`), so the report written inside a scan and one written later with
    `foresight report` describe the same week.
    """
    if before_run_id is not None:
        row = con.execute(
            "select max(scan_run_id) from scan_signal_snapshots where scan_run_id < ?", [before_run_id]
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None
    row = con.execute(
        """
        with recursive up(run_id, parent_run_id) as (
            select run_id, parent_run_id from runs where run_id = (select max(run_id) from v_emerging_topics)
            union all
            select r.run_id, r.parent_run_id from runs r join up on r.run_id = up.parent_run_id
        )
        select max(s.scan_run_id) from scan_signal_snapshots s
        where s.scan_run_id < coalesce((select min(run_id) from up), 9223372036854775807)
        """
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def signal_changes(con: duckdb.DuckDBPyConnection, before_run_id: int | None = None) -> SignalChanges:
    """New topics, new weak signals and topics turned strong against the baseline snapshot."""
    baseline = baseline_scan(con, before_run_id)
    previous: dict[str, str | None] = {}
    if baseline is not None:
        previous = dict(
            con.execute(
                "select topic_id, signal_class from scan_signal_snapshots where scan_run_id = ?", [baseline]
            ).fetchall()
        )
    changes = SignalChanges(baseline)
    for topic in current_signals(con):
        before = previous.get(topic["topic_id"])
        known = topic["topic_id"] in previous
        topic = {**topic, "previous_class": before}
        if not known:
            changes.new_topics.append(topic)
        if topic["signal_class"] == "weak" and before not in ("weak", "strong"):
            changes.new_weak_signals.append(topic)
        if topic["signal_class"] == "strong" and before != "strong":
            changes.turned_strong.append(topic)
    return changes


def take_snapshot(con: duckdb.DuckDBPyConnection, scan_run_id: int) -> int:
    """Keep this scan's view of every topic (replacing a partial one of the same scan); returns the rows."""
    con.execute("begin transaction")
    try:
        con.execute("delete from scan_signal_snapshots where scan_run_id = ?", [scan_run_id]).fetchall()
        con.execute(
            f"""
            insert into scan_signal_snapshots
            select ?, now(), cast(as_of as date), granularity, topic_id, label, signal_class, trend,
                   score, growth
            from ({CURRENT_SQL})
            """,
            [scan_run_id],
        ).fetchall()
        count = con.execute(
            "select count(*) from scan_signal_snapshots where scan_run_id = ?", [scan_run_id]
        ).fetchone()
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return int(count[0]) if count else 0


def alerts_from(changes: SignalChanges, scan_run_id: int | None) -> list[dict[str, Any]]:
    """The alert objects, one per changed topic, strongest news first."""
    alerts = []
    for kind, topics in (("turned_strong", changes.turned_strong), ("new_weak_signal", changes.new_weak_signals)):
        for topic in sorted(topics, key=lambda t: -(t.get("score") or 0)):
            alerts.append(
                to_jsonable(
                    {
                        "alert": kind,
                        "scan_run_id": scan_run_id,
                        "as_of": topic.get("as_of"),
                        "topic_id": topic["topic_id"],
                        "label": topic.get("label"),
                        "signal_class": topic.get("signal_class"),
                        "previous_class": topic.get("previous_class"),
                        "trend": topic.get("trend"),
                        "score": topic.get("score"),
                        "growth": topic.get("growth"),
                        "first_seen": topic.get("first_seen"),
                        "lead_markets": list(topic.get("lead_markets") or []),
                        "top_terms": list(topic.get("top_terms") or [])[:10],
                        "details": f"foresight topic {topic['topic_id']}",
                    }
                )
            )
    return alerts


def write_alerts(alerts: list[dict[str, Any]], out: TextIO | Path | None) -> None:
    """Append one JSON object per line to a file (created with its folder) or write to a stream."""
    if out is None:
        return
    lines = "".join(json.dumps(a, ensure_ascii=False, sort_keys=True) + "\n" for a in alerts)
    if isinstance(out, Path):
        if str(out) == "-":
            sys.stdout.write(lines)
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a", encoding="utf-8") as handle:
            handle.write(lines)
    else:
        out.write(lines)
        out.flush()


def emit_alerts(con: duckdb.DuckDBPyConnection, scan_run_id: int, out: TextIO | Path | None) -> list[dict[str, Any]]:
    """Compute this scan's alerts against the previous snapshot and write them out."""
    alerts = alerts_from(signal_changes(con, before_run_id=scan_run_id), scan_run_id)
    write_alerts(alerts, out)
    return alerts
