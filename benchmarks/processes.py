"""Child processes of the benchmarks: run one and measure it, ask a warehouse through `foresight sql`.

Standard library only: `benchmarks/speed.py` imports this under the plain-BERTopic venv's python too.

Why the parent measures: a benchmark that times the product from inside shares its process (imports, caches,
compiled code) with whatever ran before. Each measured command here is a fresh process; its CPU seconds and the
largest process's peak RSS come from ``wait4`` (that child and its descendants only), and the peak RSS summed
over its process tree (worker pools count) and the 1-minute load average are sampled from /proc meanwhile.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SAMPLE_S = 0.2


@dataclass
class Measured:
    """What the parent saw of one child process (and its children)."""

    command: str
    wall_s: float
    cpu_s: float  # user + system of the child and its descendants
    maxrss_mb: float  # the largest single process of the tree (ru_maxrss of wait4)
    tree_peak_mb: float  # the highest sum of RSS over the process tree, sampled every SAMPLE_S
    load_mean: float  # 1-minute load average, mean of the samples while it ran
    load_max: float
    returncode: int
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)
    # The highest sum of PSS (proportional set size) over the tree: forked workers share the pages they inherited
    # copy-on-write, which the RSS sum counts once per process; PSS splits each shared page among its sharers, so
    # the sum is the memory the tree really occupies (None where /proc has no smaps_rollup).
    tree_pss_peak_mb: float | None = None

    def brief(self) -> dict[str, Any]:
        """The numbers and the last line of stdout (a command's summary), for a results file."""
        row = asdict(self)
        row.pop("stderr")
        lines = self.stdout.strip().splitlines()
        row["stdout"] = lines[-1] if lines else ""
        return row


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def tree_rss_bytes(root: int) -> int:
    """RSS summed over `root` and all its descendants (processes that vanish meanwhile count as 0)."""
    children, total, todo, page = _children_map(), 0, [root], os.sysconf("SC_PAGE_SIZE")
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * page
        except OSError:
            pass
        todo.extend(children.get(pid, []))
    return total


def tree_pss_bytes(root: int) -> int | None:
    """PSS summed over `root` and its descendants, from ``/proc/PID/smaps_rollup`` (None if unreadable)."""
    children, total, todo = _children_map(), 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except FileNotFoundError:
            if pid == root:
                return None
        except OSError:
            pass
        todo.extend(children.get(pid, []))
    return total


def measure(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> Measured:
    """Run `command` to its end, sampling its process tree; stdout and stderr go to `log`.out / `log`.err."""
    stdout_path, stderr_path = log.with_suffix(".out"), log.with_suffix(".err")
    samples_rss, samples_pss, samples_load = [0], [0], []
    with open(stdout_path, "w", encoding="utf-8") as out, open(stderr_path, "w", encoding="utf-8") as err:
        started = time.monotonic()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(SAMPLE_S):
                samples_rss.append(tree_rss_bytes(proc.pid))
                pss = tree_pss_bytes(proc.pid)
                if pss is not None:
                    samples_pss.append(pss)
                samples_load.append(os.getloadavg()[0])

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's resources only, not those of earlier children
        wall = time.monotonic() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    samples_load = samples_load or [os.getloadavg()[0]]
    return Measured(
        command=" ".join(command),
        wall_s=round(wall, 2),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
        maxrss_mb=round(usage.ru_maxrss / 1024, 1),
        tree_peak_mb=round(max(samples_rss) / 2**20, 1),
        tree_pss_peak_mb=round(max(samples_pss) / 2**20, 1) if len(samples_pss) > 1 else None,
        load_mean=round(sum(samples_load) / len(samples_load), 2),
        load_max=round(max(samples_load), 2),
        returncode=proc.returncode,
        stdout=stdout_path.read_text(encoding="utf-8", errors="replace"),
        stderr=stderr_path.read_text(encoding="utf-8", errors="replace"),
    )


def checked(measured: Measured, what: str) -> Measured:
    """`measured` if it exited 0; else stop the benchmark with the command and the end of its stderr."""
    if measured.returncode != 0:
        raise SystemExit(f"{what} failed (exit {measured.returncode}): {measured.command}\n{measured.stderr[-3000:]}")
    return measured


def renice(level: int = 10) -> None:
    """Run this benchmark and every child at least `level` nice (the machine is shared with others' work)."""
    current = os.nice(0)
    if current < level:
        os.nice(level - current)


def foresight_sql(foresight: Path, db: Path, query: str, env: dict[str, str], cwd: Path) -> list[dict[str, Any]]:
    """Rows of a read-only query through `foresight --db DB sql QUERY --format json` (the published snapshot)."""
    done = subprocess.run(
        [str(foresight), "--db", str(db), "sql", query, "--format", "json"], cwd=cwd, env=env, capture_output=True,
        text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"foresight sql failed: {query}\n{done.stderr[-2000:]}")
    text = done.stdout.strip()
    return json.loads(text[text.index("[") :]) if "[" in text else []


def stage_seconds(foresight: Path, db: Path, parent_run: int, env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Seconds of each run directly under `parent_run`, by stage name, from the warehouse's `runs` table."""
    rows = foresight_sql(
        foresight,
        db,
        "select stage, round(epoch(finished_at - started_at), 2) as seconds from runs "
        f"where parent_run_id = {int(parent_run)} order by run_id",
        env,
        cwd,
    )
    return {str(row["stage"]): float(row["seconds"]) for row in rows if row["seconds"] is not None}
