"""Secrets: API keys come from the environment or a private config file and appear in no output of a scan.

A real `foresight --verbose scan` runs in its own process against the local replay of every source (which refuses
requests without the right keys, so a passing scan proves the keys were used), with the EPO key and secret in the
environment and the OpenAlex key in a config file readable only by its owner. Then every output is searched for
each fake secret (and the EPO access token the replay hands out): stdout, stderr with debug logging, the report
(HTML, Markdown, CSV), the alerts file, the text of every column of every warehouse table, and the bytes of the
warehouse file and its published snapshot. A config file holding a secret that others can read is refused.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer

from pipeline.config import ConfigError, load_config
from pipeline.demo import DEMO_AS_OF
from tests.scan_helpers import small_sample
from tests.sources_replay import (
    EPO_KEY,
    EPO_SECRET,
    EPO_TOKEN,
    OPENALEX_KEY,
    SECRETS,
    Replay,
    local_server,
    merged,
    replay_settings,
    write_config,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """One full scan with fake secrets; what it printed and where it wrote."""
    folder = tmp_path_factory.mktemp("secrets")
    sample = small_sample(folder / "speeches.csv.gz", per_year=40)  # enough speeches for topics and a report
    with local_server() as server:
        replay = Replay(server).install()
        config = folder / "foresight.toml"
        settings = merged(
            replay_settings(server),
            {
                "sources": {"openalex": {"api_key": OPENALEX_KEY}},  # from the file; EPO's from the environment
                "scan": {"imports": [{"file": str(sample), "kind": "policy", "source": "bundestag", "language": "de"}]},
            },
        )
        write_config(config, settings)
        config.chmod(0o600)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORESIGHT_")}
        env.update({"FORESIGHT_EPO_KEY": EPO_KEY, "FORESIGHT_EPO_SECRET": EPO_SECRET, "PYTHONUNBUFFERED": "1"})
        db = folder / "w.duckdb"
        done = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "--verbose", "--db", str(db), "--config", str(config), "scan",
             "--as-of", DEMO_AS_OF.isoformat(), "--report-dir", str(folder / "reports"),
             "--alerts", str(folder / "alerts.jsonl")],
            cwd=folder, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        yield {"done": done, "folder": folder, "db": db, "replay": replay, "server": server}


@pytest.mark.slow
def test_the_scan_used_the_keys(scanned) -> None:
    done = scanned["done"]
    assert done.returncode == 0, done.stderr[-3000:]
    server: HTTPServer = scanned["server"]
    openalex = [r for r, _ in server.log if r.path == "/openalex/works"]
    assert openalex and all(r.args.get("api_key") == OPENALEX_KEY for r in openalex)  # the key from the file
    assert scanned["replay"].tokens_issued >= 1  # EPO's key and secret from the environment were accepted
    with duckdb.connect(str(scanned["db"]), read_only=True) as con:
        statuses = dict(con.execute("select source, status from runs where source in ('openalex', 'epo')").fetchall())
    assert statuses == {"openalex": "ok", "epo": "ok"}


@pytest.mark.slow
def test_no_secret_in_printed_output_or_debug_logs(scanned) -> None:
    done = scanned["done"]
    assert "DEBUG" in done.stderr or "INFO" in done.stderr  # the logs were on, so there was a chance to leak
    for secret in SECRETS:
        assert secret not in done.stdout, secret
        assert secret not in done.stderr, secret


@pytest.mark.slow
def test_no_secret_in_report_alerts_or_any_file_written(scanned) -> None:
    folder: Path = scanned["folder"]
    reports = sorted((folder / "reports").glob("*"))
    assert {p.suffix for p in reports} >= {".html", ".md", ".csv"}
    written = [p for p in folder.rglob("*") if p.is_file()]
    assert (folder / "alerts.jsonl") in written
    for path in written:
        content = path.read_bytes()
        if path.name == "foresight.toml":
            continue  # the user's own config file is where the OpenAlex key lives
        for secret in SECRETS:
            assert secret.encode() not in content, (path.name, secret)


@pytest.mark.slow
def test_no_secret_in_any_table_of_the_warehouse_or_its_snapshot(scanned) -> None:
    for db in (scanned["db"], scanned["db"].with_name("w.published.duckdb")):
        with duckdb.connect(str(db), read_only=True) as con:
            tables = [t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()]
            assert {"documents", "runs", "sources", "source_pages", "run_problems"} <= set(tables)
            for table in tables:
                columns = [c for (c,) in con.execute(f'select column_name from (describe "{table}")').fetchall()]
                concatenated = ", ".join(f"coalesce(cast(\"{c}\" as varchar), '')" for c in columns)
                for secret in SECRETS:
                    hits = con.execute(
                        f"select count(*) from \"{table}\" where contains(concat_ws(' ', {concatenated}), ?)", [secret]
                    ).fetchone()[0]
                    assert hits == 0, (db.name, table, secret)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_config_file_with_a_secret_that_others_can_read_is_refused(tmp_path, mode) -> None:
    config = write_config(tmp_path / "foresight.toml", {"sources": {"epo": {"consumer_secret": EPO_SECRET}}})
    config.chmod(mode)
    with pytest.raises(ConfigError) as refused:
        load_config(config)
    assert "chmod 600" in str(refused.value) and EPO_SECRET not in str(refused.value)
    config.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert load_config(config).sources.epo.consumer_secret == EPO_SECRET


def test_the_command_refuses_a_readable_secret_file_in_one_line_without_echoing_it(tmp_path, cli, db_path) -> None:
    config = write_config(tmp_path / "shared.toml", {"sources": {"openalex": {"api_key": OPENALEX_KEY}}})
    config.chmod(0o644)
    result = cli("--config", str(config), "scan", "--as-of", "2025-03-31")
    assert result.exit_code == 1
    assert "chmod 600" in result.stderr and "Traceback" not in result.stderr
    assert OPENALEX_KEY not in result.stderr + result.stdout
    assert not db_path.exists()  # refused before the warehouse was even opened


def test_the_configuration_hash_stored_with_runs_does_not_depend_on_secrets(tmp_path) -> None:
    one = write_config(tmp_path / "a.toml", {"sources": {"openalex": {"api_key": "first-fake-key"}}})
    two = write_config(tmp_path / "b.toml", {"sources": {"openalex": {"api_key": "second-fake-key"}}})
    for path in (one, two):
        path.chmod(0o600)
    assert load_config(one).config_hash() == load_config(two).config_hash()
    assert EPO_TOKEN not in load_config(one).config_hash()
