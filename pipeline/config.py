"""The configuration: one TOML file, read once at start, checked, and passed down as frozen dataclasses.

Lookup order: `--config FILE`, then `$FORESIGHT_CONFIG`, then ``./foresight.toml``; with none of them the defaults
apply. Each TOML table is one frozen dataclass whose field defaults are *the* defaults (declared once, here or in the
module that uses the section: `sources.http.HttpSettings`, `models.language.LanguageSettings`,
`models.topics.TopicConfig`); `pipeline/default_config.toml` documents every key and a test checks that it says
exactly what the dataclasses say. A key the dataclasses do not know stops the command with the nearest valid name
("[topics] min_topic_sise: unknown key; did you mean min_topic_size?"), because a typo that silently falls back to a
default is a wrong analysis nobody notices. Secrets (API keys) may live in the file only if it is not readable by
others; otherwise they must come from the environment. `config_hash` ignores secrets.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import os
import re
import stat
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from models.emergence_config import GRANULARITY_WINDOWS, EmergenceConfig
from models.settings import LanguageSettings, TopicConfig
from sources.settings import FeedSpec, HttpSettings

ENV_CONFIG = "FORESIGHT_CONFIG"
DEFAULT_CONFIG_NAME = "foresight.toml"
SECRET_KEYS = ("api_key", "key", "secret", "client_secret", "consumer_secret", "consumer_key", "token", "password")
GRANULARITIES = ("week", "month", "quarter", "year")
Granularity = Literal["week", "month", "quarter", "year"]


class ConfigError(Exception):
    """The configuration file is missing, unreadable or wrong; the message says where and what to write instead."""


# -- the sections ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WarehouseSettings:
    path: str = ""  # the warehouse file when neither --db nor $FORESIGHT_DB is given ("" = ./foresight.duckdb)


@dataclass(frozen=True)
class ImportSettings:
    batch_size: int = 5000  # documents staged per statement while importing a file


# Regional feeds (ruhr.md §4a; found in public code, check before relying on them).
RUHR_FEEDS = (
    FeedSpec("waz", "https://www.waz.de/rss", "de"),
    FeedSpec("wdr-ruhrgebiet", "https://www1.wdr.de/nachrichten/ruhrgebiet/uebersicht-ruhrgebiet-100.feed", "de"),
    FeedSpec("ruhr-nachrichten", "https://www.ruhrnachrichten.de/feed/", "de"),
    FeedSpec("rub-news", "https://news.rub.de/newsfeed", "de", full_text=True),
)
# UA Ruhr and the other Ruhr universities, universities of applied sciences and institutes (ruhr.md §3.2), by ROR.
RUHR_RORS = (
    "04tsk2644", "01k97gp34", "04mz5ra38", "00yq55g44", "04tkkr536", "03gf02c22", "03dv91853", "04x02q560",
    "04p7ekn23", "02nkxrq89", "001rdde17", "033jd5r25", "03hj8rz96", "03vz3qc29", "03vpj4s62",
)  # fmt: skip
# Initial Ruhr applicant list (ruhr.md §3.2-3.3); names as OPS writes them (umlauts transliterated).
RUHR_APPLICANTS = (
    "thyssenkrupp", "Evonik", "RWE", "E.ON", "Vonovia", "Hochtief", "Wilo", "Steag", "Brenntag", "Amprion",
    "Open Grid Europe", "Gelsenwasser", "Emschergenossenschaft", "Ruhrverband", "Aldi", "Ruhr Universitaet Bochum",
    "Universitaet Duisburg Essen", "Technische Universitaet Dortmund",
)  # fmt: skip
RUHR_ARXIV_QUERY = 'all:"Ruhr" OR all:"Bochum" OR all:"Dortmund" OR all:"Duisburg" OR all:"Gelsenkirchen"'


@dataclass(frozen=True)
class NewsSettings:
    enabled: bool = True
    full_text_retry_days: float = 7.0  # a page whose full text failed is asked again after this many days
    full_text_max_per_run: int = 50  # at most this many article pages fetched per feed and run
    feeds: tuple[FeedSpec, ...] = RUHR_FEEDS


@dataclass(frozen=True)
class OpenAlexSection:
    enabled: bool = True
    base_url: str = "https://api.openalex.org"
    api_key_env: str = "FORESIGHT_OPENALEX_API_KEY"  # the key is read from this variable ...
    api_key: str = ""  # ... or from here (then chmod 600 the file)
    require_api_key: bool = True  # OpenAlex needs a key since Feb 2026; without one the source is skipped
    mailto: str = ""  # default: [http] contact if it is an e-mail address
    per_page: int = 100
    ror_batch: int = 50  # RORs OR-ed into one filter
    institutions: tuple[str, ...] = RUHR_RORS


@dataclass(frozen=True)
class ArxivSection:
    enabled: bool = True
    base_url: str = "https://export.arxiv.org/api/query"
    delay_s: float = 3.0  # arXiv asks for one request every 3 s
    page_size: int = 100
    max_results: int = 2000
    search_query: str = RUHR_ARXIV_QUERY


@dataclass(frozen=True)
class EpoSection:
    enabled: bool = True
    auth_url: str = "https://ops.epo.org/3.2/auth/accesstoken"
    base_url: str = "https://ops.epo.org/3.2/rest-services"
    key_env: str = "FORESIGHT_EPO_KEY"  # consumer key and secret of your developers.epo.org app ...
    secret_env: str = "FORESIGHT_EPO_SECRET"
    consumer_key: str = ""  # ... or here (then chmod 600 the file)
    consumer_secret: str = ""
    applicant_batch: int = 10  # applicants OR-ed into one CQL query
    page_size: int = 100  # OPS Range pages hold at most 100
    max_hits: int = 2000  # OPS serves the first 2,000 hits of a query; more splits the query
    preferred_languages: tuple[str, ...] = ("en", "de")
    honour_throttling: bool = True  # follow X-Throttling-Control
    applicants: tuple[str, ...] = RUHR_APPLICANTS


@dataclass(frozen=True)
class SourcesSettings:
    lookback_days: int = 30  # first run of an API source reads this many days back
    overlap_days: int = 7  # later runs re-read this many days before the last window's end
    news: NewsSettings = field(default_factory=NewsSettings)
    openalex: OpenAlexSection = field(default_factory=OpenAlexSection)
    arxiv: ArxivSection = field(default_factory=ArxivSection)
    epo: EpoSection = field(default_factory=EpoSection)


@dataclass(frozen=True)
class ScanImport:
    """An export file the scan re-reads every week (`[[scan.imports]]`), mapped as for `foresight import`."""

    file: str
    kind: str
    source: str = ""
    language: str = ""
    id_col: str = ""
    title_col: str = ""
    text_col: str = ""
    date_col: str = ""
    url_col: str = ""
    lang_col: str = ""
    split: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        from sources.document import KINDS

        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class ScanSettings:
    report_dir: str = "reports"
    imports: tuple[ScanImport, ...] = ()


@dataclass(frozen=True)
class ReportSettings:
    top_topics: int = 12
    top_per_market: int = 5
    top_terms: int = 15  # emerging terms listed
    evidence_per_topic: int = 5
    places_per_topic: int = 8


@dataclass(frozen=True)
class AlertsSettings:
    file: str = "alerts.jsonl"  # "" = none, "-" = stdout
    technologies_only: bool = True  # alert only topics that are technologies (false: every topic)


@dataclass(frozen=True)
class TopicsSettings:
    """`[topics]`: the embedding backend and linking, and (in the same table) every `TopicConfig` field."""

    backend: str = "tfidf-svd"
    embedding_dim: int = 256
    refit_share: float = 0.02
    fit_documents_max: int = 100_000
    translate_words: bool = True  # tfidf-svd: German and English words that translate each other are one term
    translation_min_cosine: float = 0.7  # ... when their use-m3 word vectors are at least this close
    translation_word_weight: float = 2.0  # ... and such a space's vectors carry a mean word vector, this weight
    source_markers: bool = True  # tfidf-svd: each source's markers ("SZ Plus", "Newsticker") stay out of the space
    topicality: bool = False  # tfidf-svd: weigh words by how much sharing one means a shared subject (docs/topics.md)
    link_threshold: float = 0.7
    lead_market_seeds: bool = True
    model: TopicConfig = field(default_factory=TopicConfig, metadata={"flatten": True})


@dataclass(frozen=True)
class AnalysisWindow:
    week: int = 104
    month: int = 48
    quarter: int = 20
    year: int = 12

    def periods(self, granularity: str) -> int:
        return int(getattr(self, granularity))


@dataclass(frozen=True)
class AnalysisSettings:
    granularity: Granularity = "month"
    window: AnalysisWindow = field(default_factory=AnalysisWindow)
    lead_market_min_score: float = 0.2
    lead_market_min_share: float = 0.1
    lead_market_min_documents: float = 0.25  # a topic is listed under a market only if this share of it carries it
    technology_threshold: float = 0.5  # a topic or term with this technology score or more is a technology
    run_language: bool = True


WINDOW_FIELDS = ("recent", "trend_window", "popularity_window", "history_before_birth")


@dataclass(frozen=True)
class EmergenceWindows:
    """The windows of one granularity (`[emergence.<granularity>]`), in its periods; unset = the shipped default
    (`models.emergence_config.GRANULARITY_WINDOWS`: the recent window is 4 weeks, 3 months, 4 quarters, 2 years)."""

    recent: int | None = None
    trend_window: int | None = None
    popularity_window: int | None = None
    history_before_birth: int | None = None


@dataclass(frozen=True)
class EmergenceSettings:
    """`[emergence]`: every indicator's parameters (one table) and the windows of each granularity (sub-tables)."""

    week: EmergenceWindows = field(default_factory=EmergenceWindows)
    month: EmergenceWindows = field(default_factory=EmergenceWindows)
    quarter: EmergenceWindows = field(default_factory=EmergenceWindows)
    year: EmergenceWindows = field(default_factory=EmergenceWindows)
    model: EmergenceConfig = field(
        default_factory=EmergenceConfig, metadata={"flatten": True, "exclude": WINDOW_FIELDS}
    )

    def for_granularity(self, granularity: str) -> EmergenceConfig:
        """The indicators' settings for one granularity: its windows with every other setting of the table."""
        chosen = {k: v for k, v in dataclasses.asdict(getattr(self, granularity)).items() if v is not None}
        return dataclasses.replace(self.model, **{**GRANULARITY_WINDOWS[granularity], **chosen})


@dataclass(frozen=True)
class Config:
    """The whole configuration: one field per TOML table, each a frozen dataclass; `path` is the file read."""

    warehouse: WarehouseSettings = field(default_factory=WarehouseSettings)
    import_: ImportSettings = field(default_factory=ImportSettings, metadata={"toml": "import"})
    http: HttpSettings = field(default_factory=HttpSettings)
    sources: SourcesSettings = field(default_factory=SourcesSettings)
    scan: ScanSettings = field(default_factory=ScanSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    alerts: AlertsSettings = field(default_factory=AlertsSettings)
    language: LanguageSettings = field(default_factory=LanguageSettings)
    topics: TopicsSettings = field(default_factory=TopicsSettings)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    emergence: EmergenceSettings = field(default_factory=EmergenceSettings)
    path: Path | None = field(default=None, metadata={"toml": None})

    def config_hash(self) -> str:
        """A short digest of everything but secrets, stored with each run to tell configurations apart."""
        canonical = json.dumps(_without_secrets(settings_dict(self)), sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# -- reading ----------------------------------------------------------------------------------------------------------


def default_config_text() -> str:
    """The shipped, documented template (`foresight init` users copy it); it states exactly the defaults."""
    return resources.files("pipeline").joinpath("default_config.toml").read_text(encoding="utf-8")


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the user's file (if there is one) and check it against the settings; missing keys keep defaults."""
    chosen = Path(path) if path else None
    if chosen is None and os.environ.get(ENV_CONFIG):
        chosen = Path(os.environ[ENV_CONFIG])
    if chosen is None and Path(DEFAULT_CONFIG_NAME).is_file():
        chosen = Path(DEFAULT_CONFIG_NAME)
    if chosen is None:
        return Config()
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
    try:
        return config_from_mapping(user, path=chosen)
    except ConfigError as exc:
        raise ConfigError(f"{chosen}: {exc}") from None


def config_from_mapping(data: Mapping[str, Any], path: Path | None = None) -> Config:
    """Build the checked configuration from TOML data (the file's tables); used by `load_config` and the demo."""
    return dataclasses.replace(build_settings(Config, data, ""), path=path)


def merge_settings(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`base` with `override` laid over it, table by table (for tools that compose configuration data)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_settings(merged[key], value)
        else:
            merged[key] = value
    return merged


def toml_text(data: Mapping[str, Any]) -> str:
    """TOML for configuration data (tables, arrays of tables, strings, numbers, booleans, lists), e.g. the demo's."""
    lines: list[str] = []
    _toml_table(lines, [], data)
    return "\n".join(lines) + "\n"


def _toml_table(lines: list[str], prefix: list[str], table: Mapping[str, Any]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping) and not _is_table_list(v)}
    if prefix and scalars:
        lines.append(f"[{'.'.join(_toml_key(p) for p in prefix)}]")
    for key, value in scalars.items():
        lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in table.items():
        if isinstance(value, Mapping) and value:
            _toml_table(lines, [*prefix, key], value)
        elif isinstance(value, Mapping):
            lines.append(f"[{'.'.join(_toml_key(p) for p in [*prefix, key])}]")
        elif _is_table_list(value):
            for item in value:
                lines.append(f"[[{'.'.join(_toml_key(p) for p in [*prefix, key])}]]")
                for k, v in item.items():
                    lines.append(f"{_toml_key(k)} = {_toml_value(v)}")


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


# -- the checked builder ----------------------------------------------------------------------------------------------


def toml_keys(cls: type) -> dict[str, dataclasses.Field[Any]]:
    """The TOML keys of a settings dataclass and the field behind each (flattened fields contribute their keys)."""
    keys: dict[str, dataclasses.Field[Any]] = {}
    for f in dataclasses.fields(cls):
        if f.metadata.get("flatten"):
            inner = toml_keys(_hints(cls)[f.name])
            keys.update({k: v for k, v in inner.items() if k not in f.metadata.get("exclude", ())})
        elif "toml" not in f.metadata or f.metadata["toml"] is not None:
            keys[f.metadata.get("toml", f.name)] = f
    return keys


def build_settings(cls: type, data: Mapping[str, Any], where: str) -> Any:  # noqa: ANN401 - returns an instance of cls
    """An instance of the settings dataclass `cls` from a TOML table, every value type-checked.

    `where` names the table in messages ("[sources.news]"). Unknown keys and wrong types raise `ConfigError`.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where or 'the file'} must be a table")
    known = toml_keys(cls)
    for key in data:
        if key not in known:
            raise ConfigError(_unknown_key(where, str(key), list(known)))
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.metadata.get("flatten"):
            inner = _hints(cls)[f.name]
            excluded = f.metadata.get("exclude", ())
            own = {k: v for k, v in data.items() if k in toml_keys(inner) and k not in excluded}
            kwargs[f.name] = build_settings(inner, own, where)
            continue
        key = f.metadata.get("toml", f.name)
        if key is None or key not in data:
            continue
        kwargs[f.name] = _convert(data[key], hints[f.name], _child(where, key))
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except Exception as exc:  # the dataclass's own check (__post_init__): say which table it came from
        missing = [f.name for f in dataclasses.fields(cls) if _required(f) and f.name not in kwargs]
        if missing:
            raise ConfigError(f"{where or 'the file'}: missing {', '.join(missing)}") from None
        raise ConfigError(f"{where or 'the file'}: {exc}") from None


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _child(where: str, key: str) -> str:
    inner = where.strip("[]")
    return f"[{inner}.{key}]" if inner else f"[{key}]"


def _unknown_key(where: str, key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else f"valid keys: {', '.join(sorted(known))}"
    return f"{where + ' ' if where else ''}{key}: unknown key; {hint}"


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _convert(value: Any, tp: Any, where: str) -> Any:  # noqa: C901 - one branch per TOML type
    """`value` as type `tp`, or a `ConfigError` naming the key and what it must be."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        errors = []
        for option in options:
            try:
                return _convert(value, option, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0])
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(map(str, args))}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: must be true or false, not {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: must be a whole number, not {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: must be a number, not {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: must be a string in quotes, not {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: must be a list like [...], not {value!r}")
        item = args[0] if args else Any
        if dataclasses.is_dataclass(item):
            return tuple(build_settings(item, v, f"[{where.strip('[]')}] #{i + 1}") for i, v in enumerate(value))
        return tuple(_convert(v, item, where) for v in value)
    if origin in (dict, Mapping) or tp in (dict, Mapping) or origin is typing.Mapping:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: must be a table like {{key = value}}, not {value!r}")
        item = args[1] if len(args) == 2 else Any
        return {str(k): _convert(v, item, f"{where} {k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return build_settings(tp, value, where)
    if tp is Path:
        return Path(str(value))
    raise ConfigError(f"{where}: unsupported setting type {_type_name(tp)}")


def settings_dict(config: Any) -> Any:  # noqa: ANN401 - JSON-like
    """The configuration as plain TOML-shaped data (flattened tables merged, `path` left out)."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(config):
            value = getattr(config, f.name)
            if f.metadata.get("flatten"):
                excluded = f.metadata.get("exclude", ())
                out.update({k: v for k, v in settings_dict(value).items() if k not in excluded})
            elif f.metadata.get("toml", f.name) is not None:
                out[f.metadata.get("toml", f.name)] = settings_dict(value)
        return out
    if isinstance(config, tuple | list):
        return [settings_dict(v) for v in config]
    if isinstance(config, Mapping):
        return {str(k): settings_dict(v) for k, v in config.items()}
    return config


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
