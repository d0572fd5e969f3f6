"""The configuration: one TOML file, read once at start and passed down; no globals.

Lookup order: `--config FILE`, then `$FORESIGHT_CONFIG`, then ``./foresight.toml``; with none of
them the built-in defaults apply (see `pipeline/default_config.toml`, which is also the template
that `foresight init` writes). Secrets (API keys) may live in the file only if it is not readable by
others; otherwise they must come from the environment. `config_hash` ignores secrets.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

ENV_CONFIG = "FORESIGHT_CONFIG"
DEFAULT_CONFIG_NAME = "foresight.toml"
SECRET_KEYS = ("api_key", "key", "secret", "client_secret", "consumer_secret", "consumer_key", "token", "password")


class ConfigError(Exception):
    """The configuration file is missing, unreadable or wrong; the message says where."""


@dataclass(frozen=True)
class Config:
    """The merged configuration: built-in defaults overlaid by the user's file."""

    data: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def section(self, name: str) -> dict[str, Any]:
        """A top-level table (``[http]``, ``[language]``, ...) or an empty dict."""
        value = self.data.get(name, {})
        return value if isinstance(value, dict) else {}

    def config_hash(self) -> str:
        """A short digest of everything but secrets, stored with each run to tell configurations apart."""
        canonical = json.dumps(_without_secrets(self.data), sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def default_config_text() -> str:
    return resources.files("pipeline").joinpath("default_config.toml").read_text(encoding="utf-8")


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the defaults and overlay the user's file, if there is one."""
    data = tomllib.loads(default_config_text())
    chosen = Path(path) if path else None
    if chosen is None and os.environ.get(ENV_CONFIG):
        chosen = Path(os.environ[ENV_CONFIG])
    if chosen is None and Path(DEFAULT_CONFIG_NAME).is_file():
        chosen = Path(DEFAULT_CONFIG_NAME)
    if chosen is None:
        return Config(data=data, path=None)
    if not chosen.is_file():
        raise ConfigError(f"configuration file {chosen} not found")
    try:
        user = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{chosen}: not valid TOML ({exc})") from None
    if _contains_secret(user) and _readable_by_others(chosen):
        raise ConfigError(
            f"{chosen} holds an API key or secret but can be read by other users; "
            f"run `chmod 600 {chosen}` or move the secret into an environment variable"
        )
    return Config(data=merge_settings(data, user), path=chosen)


def merge_settings(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`base` with `override` laid over it, table by table: how a user's file overrides the defaults."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_settings(merged[key], value)
        else:
            merged[key] = value
    return merged


def _is_secret(key: str) -> bool:
    return key.lower() in SECRET_KEYS or key.lower().endswith(("_secret", "_api_key", "_token"))


def _without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if not _is_secret(k)}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _contains_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return any((_is_secret(k) and v) or _contains_secret(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_secret(v) for v in value)
    return False


def _readable_by_others(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))
