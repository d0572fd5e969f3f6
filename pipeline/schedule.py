"""Scheduling the weekly scan: a ready crontab line or a systemd service and timer, printed, never installed.

Why print and not install: where a scan runs (a user crontab, a system timer, a container) is the
operator's decision; the text here is complete and correct for this installation (absolute path of
the `foresight` executable, the warehouse, the configuration and the working folder), so pasting it
is the only step. The scan writes log lines, not a progress bar, when it is not on a terminal.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

FORMATS = ("cron", "systemd")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SYSTEMD_DAYS = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}
_CRON_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


class ScheduleError(ValueError):
    """The schedule options are wrong; the message says which and what is allowed."""


@dataclass(frozen=True)
class ScanSchedule:
    """When and how the weekly scan runs."""

    executable: Path
    db: Path
    workdir: Path
    config: Path | None = None
    weekday: str = "mon"
    time: str = "06:00"
    log_file: Path | None = None

    def __post_init__(self) -> None:
        if self.weekday not in WEEKDAYS:
            raise ScheduleError(f"unknown weekday {self.weekday!r}; use one of {', '.join(WEEKDAYS)}")
        self.hour_minute()

    def hour_minute(self) -> tuple[int, int]:
        try:
            hour_text, minute_text = self.time.split(":")
            hour, minute = int(hour_text), int(minute_text)
        except ValueError:
            raise ScheduleError(f"time {self.time!r} is not HH:MM (for example 06:00)") from None
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise ScheduleError(f"time {self.time!r} is not a valid time of day")
        return hour, minute

    def command(self) -> list[str]:
        """The scan command line with absolute paths, as a list of arguments."""
        args = [str(self.executable), "--db", str(self.db)]
        if self.config:
            args += ["--config", str(self.config)]
        return [*args, "scan"]


def default_executable() -> Path:
    """The `foresight` next to this Python (the virtual environment), else the one on PATH."""
    beside = Path(sys.executable).parent / "foresight"
    if beside.exists():
        return beside.absolute()
    found = shutil.which("foresight")
    return Path(found).absolute() if found else beside.absolute()


def cron_text(schedule: ScanSchedule) -> str:
    """A crontab line (``crontab -e``) with its explanation as comments."""
    hour, minute = schedule.hour_minute()
    log_file = schedule.log_file or schedule.workdir / "foresight-scan.log"
    command = " ".join(shlex.quote(a) for a in schedule.command())
    line = (
        f"{minute} {hour} * * {_CRON_DAYS[schedule.weekday]} "
        f"cd {shlex.quote(str(schedule.workdir))} && {command} >> {shlex.quote(str(log_file))} 2>&1"
    )
    return (
        f"# foresight: weekly scan every {schedule.weekday} at {schedule.time} (add with `crontab -e`)\n"
        "# Needs no terminal: progress is written as log lines. Mail/chat hooks can read the alerts file.\n"
        f"{line}\n"
    )


def systemd_text(schedule: ScanSchedule) -> str:
    """A oneshot service and its weekly timer, as two files to save under ~/.config/systemd/user/."""
    hour, minute = schedule.hour_minute()
    exec_start = " ".join(_systemd_quote(a) for a in schedule.command())
    return (
        "# ~/.config/systemd/user/foresight-scan.service\n"
        "[Unit]\n"
        "Description=foresight weekly scan (ingest, analyze, report, alerts)\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"WorkingDirectory={schedule.workdir}\n"
        f"ExecStart={exec_start}\n"
        "Nice=10\n"
        "\n"
        "# ~/.config/systemd/user/foresight-scan.timer\n"
        "[Unit]\n"
        "Description=Run the foresight scan weekly\n"
        "\n"
        "[Timer]\n"
        f"OnCalendar={_SYSTEMD_DAYS[schedule.weekday]} *-*-* {hour:02d}:{minute:02d}:00\n"
        "Persistent=true\n"
        "RandomizedDelaySec=10min\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
        "\n"
        "# Enable with: systemctl --user daemon-reload && systemctl --user enable --now foresight-scan.timer\n"
        "# Logs: journalctl --user -u foresight-scan.service\n"
    )


def schedule_text(fmt: str, schedule: ScanSchedule) -> str:
    if fmt == "cron":
        return cron_text(schedule)
    if fmt == "systemd":
        return systemd_text(schedule)
    raise ScheduleError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def _systemd_quote(arg: str) -> str:
    """systemd's ExecStart quoting: double quotes around arguments with spaces, backslash-escaped."""
    if arg and all(c.isalnum() or c in "/._-=:+@,%" for c in arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'
