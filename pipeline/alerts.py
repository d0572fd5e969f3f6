"""Alerts: the new weak signals and the topics turned strong since the last scan, as JSON lines.

Why snapshots: the analyst views show the *current* state of every topic; "new since last week"
needs what the last scan saw. Each scan writes the latest scores (`warehouse.signals.latest_scores` for the
configured granularity) into `scan_signal_snapshots` (migration 005) once it has scored, and a change is a difference
between the current scores and the snapshot of the scan before the one that produced them. The same
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

from pipeline.output import to_jsonable
from warehouse.db import Warehouse
from warehouse.signals import (
    ScoresRun,
    emerging_topics,
    latest_snapshot_before,
    save_snapshot,
    snapshot_classes,
)

ALERT_KINDS = ("new_weak_signal", "turned_strong")


@dataclass
class SignalChanges:
    """What changed between the previous scan's snapshot and the current scores."""

    baseline_scan_run_id: int | None
    new_topics: list[dict[str, Any]] = field(default_factory=list)
    new_weak_signals: list[dict[str, Any]] = field(default_factory=list)
    turned_strong: list[dict[str, Any]] = field(default_factory=list)


def current_signals(warehouse: Warehouse, scores: ScoresRun) -> list[dict[str, Any]]:
    """The topics of the current scores, one row per topic, with the id as text (as snapshots keep it)."""
    return [{**row, "topic_id": str(row["topic_id"])} for row in emerging_topics(warehouse, scores)]


def baseline_scan(warehouse: Warehouse, scores: ScoresRun, before_run_id: int | None = None) -> int | None:
    """The snapshot to compare the current scores with.

    With `before_run_id` (a scan's alerts): the newest snapshot of an earlier scan, so a scan that changed nothing
    alerts nothing. Without (the report): the newest snapshot taken before the run that produced the scores (the
    scores' emergence run followed up to its root scan or stand-alone `analyze`), so the report written inside a
    scan and one written later with `foresight report` describe the same week.
    """
    if before_run_id is not None:
        return latest_snapshot_before(warehouse, before_run_id)
    root = warehouse.runs.root_of(scores.run_id)
    return latest_snapshot_before(warehouse, root[0] if root else scores.run_id)


def signal_changes(
    warehouse: Warehouse, scores: ScoresRun, before_run_id: int | None = None, *, everything: bool = True
) -> SignalChanges:
    """New topics, new weak signals and topics turned strong against the baseline snapshot.

    Without `everything` only technologies (`is_technology`) count: a football coach's transfer that turns strong is
    not an alert for a technology radar.
    """
    baseline = baseline_scan(warehouse, scores, before_run_id)
    previous = snapshot_classes(warehouse, baseline) if baseline is not None else {}
    changes = SignalChanges(baseline)
    for topic in current_signals(warehouse, scores):
        if not everything and not topic.get("is_technology"):
            continue
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


def take_snapshot(warehouse: Warehouse, scan_run_id: int, scores: ScoresRun | None) -> int:
    """Keep this scan's view of every topic of the current scores; returns the rows (0 without scores)."""
    return save_snapshot(warehouse, scan_run_id, scores) if scores is not None else 0


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
                        "technology": topic.get("technology"),
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


def emit_alerts(
    warehouse: Warehouse,
    scores: ScoresRun | None,
    scan_run_id: int,
    out: TextIO | Path | None,
    *,
    everything: bool = False,
) -> list[dict[str, Any]]:
    """Compute this scan's alerts (technologies only unless `everything`) and write them out (none without scores)."""
    if scores is None:
        return []
    changes = signal_changes(warehouse, scores, before_run_id=scan_run_id, everything=everything)
    alerts = alerts_from(changes, scan_run_id)
    write_alerts(alerts, out)
    return alerts
