"""`foresight schedule --print cron|systemd`: the text an operator pastes must run the weekly scan as is."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from pipeline.schedule import ScanSchedule, ScheduleError, cron_text, systemd_text


def test_cron_line_runs_the_scan_weekly_with_absolute_paths(cli, db_path, tmp_path) -> None:
    result = cli("schedule", "--print", "cron", "--weekday", "wed", "--time", "05:30")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
    assert len(lines) == 1
    minute, hour, day_of_month, month, weekday, *command = lines[0].split(" ")
    assert (minute, hour, day_of_month, month, weekday) == ("30", "5", "*", "*", "3")
    words = shlex.split(" ".join(command))
    assert words[0] == "cd" and Path(words[1]).is_absolute()
    executable = Path(words[3])
    assert executable.is_absolute() and executable.name == "foresight"
    assert words[4:7] == ["--db", str(db_path), "scan"]
    assert words[7] == ">>"  # output goes to a log file, not into cron's mail
    assert Path(words[8]).name == "foresight-scan.log" and words[9] == "2>&1"


def test_cron_quotes_paths_with_spaces(tmp_path) -> None:
    folder = tmp_path / "Foresight Ruhr"
    text = cron_text(ScanSchedule(Path("/opt/fs/bin/foresight"), folder / "w.duckdb", folder, weekday="mon"))
    line = text.splitlines()[-1]
    words = shlex.split(line.split(" ", 5)[5])
    assert words[1] == str(folder)
    assert str(folder / "w.duckdb") in words


def test_systemd_prints_a_service_and_a_weekly_timer(cli, db_path, tmp_path) -> None:
    config = tmp_path / "my.toml"
    config.write_text("[http]\ncontact = 'a@b.de'\n", encoding="utf-8")
    result = cli("--config", str(config), "schedule", "--print", "systemd", "--weekday", "sun", "--time", "23:05")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "Type=oneshot" in text
    exec_line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    assert exec_line.endswith(f"--db {db_path} --config {config} scan")
    assert "OnCalendar=Sun *-*-* 23:05:00" in text
    assert "Persistent=true" in text and "WantedBy=timers.target" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--print", "launchd"], "unknown format 'launchd'"),
        (["--weekday", "someday"], "unknown weekday 'someday'"),
        (["--time", "25:00"], "not a valid time"),
        (["--time", "six"], "is not HH:MM"),
    ],
)
def test_bad_options_are_refused_with_a_reason(cli, args, message) -> None:
    result = cli("schedule", *args)
    assert result.exit_code == 1
    assert message in result.stderr


def test_systemd_quotes_arguments_with_spaces() -> None:
    text = systemd_text(ScanSchedule(Path("/opt/fs/bin/foresight"), Path("/data/my db.duckdb"), Path("/data")))
    assert 'ExecStart=/opt/fs/bin/foresight --db "/data/my db.duckdb" scan' in text


def test_schedule_rejects_bad_values_directly() -> None:
    with pytest.raises(ScheduleError):
        ScanSchedule(Path("/x"), Path("/y"), Path("/z"), weekday="monday")
