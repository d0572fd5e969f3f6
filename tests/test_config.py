"""The configuration is typed and checked: the shipped template states exactly the defaults, and typos stop a command.

Why it matters: a key spelt wrong used to load as if it were not there, so a user's `min_topic_sise = 3` silently ran
with the default and nobody noticed that the analysis was not the one configured.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from pipeline.config import (
    Config,
    ConfigError,
    config_from_mapping,
    default_config_text,
    load_config,
    settings_dict,
)


def _documented_keys(text: str) -> dict[str, set[str]]:
    """Per TOML table of the template, the keys it sets or shows commented out (``# key = ...``)."""
    tables: dict[str, set[str]] = {"": set()}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        header = re.match(r"^#?\s*\[\[?([A-Za-z0-9_.]+)\]\]?", line)
        if header and not re.match(r"^#?\s*\[[^\]]*=", line):
            current = header.group(1)
            tables.setdefault(current, set())
            continue
        key = re.match(r'^#?\s*("?[A-Za-z0-9_.:-]+"?)\s*=', line)
        if key:
            tables.setdefault(current, set()).add(key.group(1).strip('"'))
    return tables


def _settings_tables(cls: type, prefix: str = "") -> dict[str, set[str]]:
    """Per TOML table (dotted name), the keys the settings dataclasses accept."""
    tables: dict[str, set[str]] = {prefix: set()}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if f.metadata.get("flatten"):
            excluded = set(f.metadata.get("exclude", ()))
            for table, keys in _settings_tables(tp, prefix).items():
                tables.setdefault(table, set()).update(keys - excluded if table == prefix else keys)
            continue
        key = f.metadata.get("toml", f.name)
        if key is None:
            continue
        args = typing.get_args(tp)
        inner = tp if dataclasses.is_dataclass(tp) else None
        if inner is None and args and dataclasses.is_dataclass(args[0]):
            inner = args[0]
        if inner is not None and key != "window":
            tables.update(_settings_tables(inner, f"{prefix}.{key}" if prefix else key))
        else:
            tables[prefix].add(key)
    return tables


def test_the_shipped_template_states_exactly_the_defaults() -> None:
    template = tomllib.loads(default_config_text())
    assert config_from_mapping(template) == Config()
    assert settings_dict(config_from_mapping(template)) == settings_dict(Config())


def test_every_setting_is_documented_in_the_template_and_the_template_knows_no_other_key() -> None:
    documented = _documented_keys(default_config_text())
    accepted = _settings_tables(Config)
    for table, keys in accepted.items():
        if not table:
            continue
        as_tables = {k for k in keys if f"{table}.{k}" in documented}  # e.g. [http.host_min_interval_s]
        missing = keys - documented.get(table, set()) - as_tables
        assert not missing, f"[{table}] keys not documented in pipeline/default_config.toml: {sorted(missing)}"
    # Every key the template sets is accepted (unknown keys would already fail the first test), and every table it
    # shows exists: a documented table that the settings do not know is as wrong as an undocumented key.
    for table in documented:
        parent, _, key = table.rpartition(".")
        if table and table not in accepted and key not in accepted.get(parent, set()):
            raise AssertionError(f"pipeline/default_config.toml documents [{table}], which no setting reads")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[topics]\nmin_topic_sise = 3\n", "[topics] min_topic_sise: unknown key; did you mean min_topic_size?"),
        ("[topics]\nlink_treshold = 0.5\n", "[topics] link_treshold: unknown key; did you mean link_threshold?"),
        ("[http]\nretires = 2\n", "[http] retires: unknown key; did you mean retries?"),
        ("[sources.epo]\nenabeld = false\n", "[sources.epo] enabeld: unknown key; did you mean enabled?"),
        ("[analysis]\ngranularity = 'fortnight'\n", "[analysis.granularity]: 'fortnight' is not one of week, month"),
        ("[report]\ntop_topics = 'ten'\n", "[report.top_topics]: must be a whole number, not 'ten'"),
        ("[topics]\nreduction = 'tsne'\n", "[topics]: unknown reduction 'tsne'"),
        ("[scna]\nreport_dir = 'r'\n", "scna: unknown key; did you mean scan?"),
        ("[[scan.imports]]\nfile = 'x.csv'\nkind = 'blog'\n", "[scan.imports] #1: kind 'blog' is not one of"),
    ],
)
def test_a_wrong_key_or_value_stops_with_the_key_and_what_to_write(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "foresight.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_settings_from_a_real_file_reach_the_typed_sections(tmp_path: Path) -> None:
    path = tmp_path / "foresight.toml"
    path.write_text(
        """
[topics]
min_topic_size = 7
backend = "use-m3"
[analysis]
granularity = "quarter"
window = { quarter = 12 }
[[sources.news.feeds]]
url = "https://example.org/feed.xml"
""",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.topics.model.min_topic_size == 7
    assert config.topics.backend == "use-m3"
    assert config.analysis.granularity == "quarter"
    assert config.analysis.window.quarter == 12 and config.analysis.window.month == 48
    assert [f.name for f in config.sources.news.feeds] == ["feed:example.org/feed.xml"]
    assert config.path == path
    assert config.config_hash() != Config().config_hash()


def test_the_command_line_reports_a_typo_in_one_line(cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "foresight.toml").write_text("[topics]\nmin_topic_sise = 3\n", encoding="utf-8")
    result = cli("--config", str(tmp_path / "foresight.toml"), "init")
    assert result.exit_code == 1
    assert "min_topic_sise: unknown key; did you mean min_topic_size?" in result.stderr
    assert "Traceback" not in result.stderr
