"""The backtest spec: one TOML file that says which history to replay and what an analyst should have seen in it.

`foresight backtest SPEC.toml` reads it here, once, into frozen dataclasses. Every mistake a user can make in the
file (an unknown key, a missing file, a regular expression that does not compile, a checkpoint outside the data, a
technology a checkpoint names but nobody defined) is a `SpecError` whose one line says what to fix, so a wrong spec
never costs the hour a replay takes. The format is documented, with a full example, in docs/backtests.md.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from models.periods import GRANULARITIES
from pipeline.config import Config, ConfigError, config_from_mapping, merge_settings, settings_dict
from sources.document import KINDS
from sources.files import FORMATS as FILE_FORMATS
from sources.files import ColumnMapping

# Document fields a truth or documents matcher may read; any other name is a key of the document's `extra`.
DOCUMENT_FIELDS = ("title", "text", "title_text", "url", "source", "language")
# The checks a checkpoint can list, each a list of technology names (docs/backtests.md, "Checks").
CHECKS = ("expect", "expect_by", "burst", "fading", "forbid", "flagged", "flagged_by", "early")
TOP_KEYS = (
    "name", "description", "data", "granularity", "top", "window", "words", "onset_share", "forbid",
    "input", "topics", "analysis", "emergence", "technology", "checkpoint", "precision",
)  # fmt: skip
INPUT_KEYS = (
    "file", "kind", "source", "source_col", "id_col", "title_col", "text_col", "date_col", "url_col", "lang_col",
    "language",
    "split", "format", "encoding", "filter",
)  # fmt: skip
FILTER_KEYS = ("sample", "seed", "min_text_chars", "why")
TECHNOLOGY_KEYS = ("label", "terms", "patterns", "truth", "match", "documents", "min_presence")
MATCHES = ("truth", "words", "both")
TRUTH_KEYS = ("field", "pattern", "exclude", "min_share")
PRECISION_KEYS = ("technology", "not_technology", "min_share")


class SpecError(Exception):
    """The spec cannot be run as written; the message names the place and what to change."""


@dataclass(frozen=True)
class DocumentMatcher:
    """Documents whose `field` matches `pattern` (any element, for a list) and no element matches `exclude`.

    As a topic's truth, at least `min_share` of its member documents must match.
    """

    field: str
    pattern: re.Pattern[str]
    exclude: re.Pattern[str] | None = None
    min_share: float = 0.3


@dataclass(frozen=True)
class Technology:
    """What an analyst would recognise as one technology (or one thing that must not be flagged).

    A listed topic *is* this technology by `match`: "truth" (its documents meet `truth`; documents are the truth
    where the source has it, e.g. CPC codes), "words" (a term or pattern matches its label, top words or rising
    terms) or "both" (what the analyst reads says it and the documents back it up). Default: "truth" when there is
    a truth, else "words".
    An emerging term is this technology when a term or pattern matches it. `documents` picks the documents whose
    share over time gives the onset for the lead time.
    """

    name: str
    label: str
    terms: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    truth: DocumentMatcher | None = None
    match: str = "words"
    documents: DocumentMatcher | None = None
    min_presence: float | None = None  # only topics present in at least this share of the earlier periods

    @property
    def by_truth(self) -> bool:
        return self.match in ("truth", "both")

    @property
    def by_words(self) -> bool:
        return self.match in ("words", "both")


@dataclass(frozen=True)
class Checkpoint:
    as_of: date
    checks: Mapping[str, tuple[str, ...]]  # check name (CHECKS) -> technology names
    since: date | None = None  # `expect_by` / `flagged_by` count earlier checkpoints from this date on


@dataclass(frozen=True)
class Precision:
    """How the technology precision of each top N is judged: patterns over a topic's label and words."""

    technology: tuple[re.Pattern[str], ...]
    not_technology: tuple[re.Pattern[str], ...]
    min_share: float | None = None  # a check: at least this share of each top N judged technology


@dataclass(frozen=True)
class InputFilter:
    min_text_chars: int = 0
    sample: int = 0
    seed: int = 0
    why: str = ""


@dataclass(frozen=True)
class InputSpec:
    """A file with its column mapping (as for `foresight import`), or a source or kind of the `--db` warehouse."""

    file: Path | None
    kind: str | None
    source: str | None
    mapping: ColumnMapping = field(default_factory=ColumnMapping)
    language: str | None = None
    fmt: str | None = None
    encoding: str = "auto"
    filter: InputFilter = field(default_factory=InputFilter)


@dataclass(frozen=True)
class Spec:
    path: Path
    name: str
    description: str
    input: InputSpec
    granularity: str
    top: int
    words: int
    onset_share: float
    technologies: Mapping[str, Technology]
    checkpoints: tuple[Checkpoint, ...]
    precision: Precision | None
    overrides: Mapping[str, Any]  # the spec's [topics], [analysis], [emergence] tables, laid over the configuration
    config: Config  # the configuration the replay runs with: the user's, with the overrides


def load_spec(path: Path, config: Config, data_dir: Path | None = None) -> Spec:
    """Read and check a spec; `data_dir` (``--data``) replaces the spec's own `data` folder for the input file."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: no such spec file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: not valid TOML ({exc})") from None
    where = str(path)
    _known(raw, TOP_KEYS, where)
    granularity = _choice(raw.get("granularity", "month"), GRANULARITIES, f"{where}: granularity")
    top = _positive_int(raw.get("top", 10), f"{where}: top")
    words = _positive_int(raw.get("words", 5), f"{where}: words")
    onset_share = _share(raw.get("onset_share", 0.01), f"{where}: onset_share")
    technologies = {
        str(name): _technology(str(name), table, f"{where}: [technology.{name}]")
        for name, table in _table(raw.get("technology", {}), f"{where}: [technology]").items()
    }
    if not technologies:
        raise SpecError(f"{where}: no [technology.NAME] tables; define what the checkpoints expect")
    forbid_always = _names(raw.get("forbid", []), technologies, f"{where}: forbid")
    checkpoints = _checkpoints(raw.get("checkpoint", []), technologies, forbid_always, where)
    spec_input = _input(_table(raw.get("input"), f"{where}: [input]"), path, raw.get("data"), data_dir, where)
    precision = _precision(raw["precision"], f"{where}: [precision]") if "precision" in raw else None
    overrides, run_config = _settings(raw, config, granularity, where)
    return Spec(
        path=path,
        name=str(raw.get("name", path.stem)),
        description=str(raw.get("description", "")),
        input=spec_input,
        granularity=granularity,
        top=top,
        words=words,
        onset_share=onset_share,
        technologies=technologies,
        checkpoints=checkpoints,
        precision=precision,
        overrides=overrides,
        config=run_config,
    )


# -- parts ------------------------------------------------------------------------------------------------------


def _input(table: Mapping[str, Any], spec_path: Path, data: Any, data_dir: Path | None, where: str) -> InputSpec:
    where = f"{where}: [input]"
    _known(table, INPUT_KEYS, where)
    kind = table.get("kind")
    if kind is not None and kind not in KINDS:
        raise SpecError(f"{where}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    source = _optional_str(table.get("source"), f"{where}: source")
    filter_table = _table(table.get("filter", {}), f"{where}.filter")
    _known(filter_table, FILTER_KEYS, f"{where}.filter")
    spec_filter = InputFilter(
        min_text_chars=_non_negative_int(filter_table.get("min_text_chars", 0), f"{where}.filter: min_text_chars"),
        sample=_non_negative_int(filter_table.get("sample", 0), f"{where}.filter: sample"),
        seed=_non_negative_int(filter_table.get("seed", 0), f"{where}.filter: seed"),
        why=str(filter_table.get("why", "")),
    )
    if "file" not in table:
        if source is None and kind is None:
            raise SpecError(
                f'{where}: name a file (file = "...", with kind and columns as for `foresight import`) or a '
                'source or kind of the --db warehouse to replay (source = "..." or kind = "...")'
            )
        extra = sorted(set(table) - {"source", "kind", "filter"})
        if extra:
            raise SpecError(f'{where}: {", ".join(extra)} only apply to a file; add file = "..." or remove them')
        return InputSpec(file=None, kind=kind, source=source, filter=spec_filter)
    if kind is None:
        raise SpecError(f"{where}: a file needs its kind (kind = one of {', '.join(KINDS)})")
    folder = data_dir if data_dir is not None else spec_path.parent / str(data or ".")
    file = Path(folder) / str(table["file"])
    if not file.is_file():
        hint = "pass --data DIR (the folder holding it)" if data_dir is None else "check --data"
        raise SpecError(f"{where}: input file {file} not found; {hint}")
    split = table.get("split", [])
    if isinstance(split, str):
        split = [split]
    fmt = table.get("format")
    if fmt is not None and fmt not in FILE_FORMATS:
        raise SpecError(f"{where}: unknown format {fmt!r}; use one of {', '.join(FILE_FORMATS)}")
    mapping = ColumnMapping(
        id=_optional_str(table.get("id_col"), f"{where}: id_col"),
        title=_optional_str(table.get("title_col"), f"{where}: title_col"),
        text=_optional_str(table.get("text_col"), f"{where}: text_col"),
        date=_optional_str(table.get("date_col"), f"{where}: date_col"),
        url=_optional_str(table.get("url_col"), f"{where}: url_col"),
        language=_optional_str(table.get("lang_col"), f"{where}: lang_col"),
        split=tuple(str(s) for s in _list(split, f"{where}: split")),
        source=_optional_str(table.get("source_col"), f"{where}: source_col"),
    )
    return InputSpec(
        file=file,
        kind=kind,
        source=source or file.name.split(".")[0],
        mapping=mapping,
        language=_optional_str(table.get("language"), f"{where}: language"),
        fmt=fmt,
        encoding=str(table.get("encoding", "auto")),
        filter=spec_filter,
    )


def _technology(name: str, table: Any, where: str) -> Technology:
    table = _table(table, where)
    _known(table, TECHNOLOGY_KEYS, where)
    terms = tuple(str(t).strip().lower() for t in _list(table.get("terms", []), f"{where}: terms") if str(t).strip())
    patterns = tuple(_regex(p, f"{where}: patterns") for p in _list(table.get("patterns", []), f"{where}: patterns"))
    truth = _matcher(table["truth"], f"{where}: truth") if "truth" in table else None
    documents = _matcher(table["documents"], f"{where}: documents") if "documents" in table else None
    if not (terms or patterns or truth):
        raise SpecError(f"{where}: give terms, patterns or truth, so topics can be matched")
    match = _choice(table.get("match", "truth" if truth else "words"), MATCHES, f"{where}: match")
    if match in ("truth", "both") and truth is None:
        raise SpecError(f"{where}: match = {match!r} needs a truth = {{ field = ..., pattern = ... }}")
    if match in ("words", "both") and not (terms or patterns):
        raise SpecError(f"{where}: match = {match!r} needs terms or patterns")
    min_presence = table.get("min_presence")
    return Technology(
        name=name,
        label=str(table.get("label", name)),
        terms=terms,
        patterns=patterns,
        truth=truth,
        match=match,
        documents=documents,
        min_presence=_share(min_presence, f"{where}: min_presence") if min_presence is not None else None,
    )


def _matcher(table: Any, where: str) -> DocumentMatcher:
    table = _table(table, where)
    _known(table, TRUTH_KEYS, where)
    if "field" not in table or "pattern" not in table:
        raise SpecError(f"{where}: needs field (a document field or `extra` key) and pattern (a regular expression)")
    return DocumentMatcher(
        field=str(table["field"]),
        pattern=_regex(table["pattern"], f"{where}: pattern"),
        exclude=_regex(table["exclude"], f"{where}: exclude") if "exclude" in table else None,
        min_share=_share(table.get("min_share", 0.3), f"{where}: min_share"),
    )


def _checkpoints(
    items: Any, technologies: Mapping[str, Technology], forbid_always: tuple[str, ...], where: str
) -> tuple[Checkpoint, ...]:
    if not isinstance(items, list) or not items:
        raise SpecError(f"{where}: no [[checkpoint]] tables; add at least one with as_of = YYYY-MM-DD")
    checkpoints: list[Checkpoint] = []
    for number, table in enumerate(items, start=1):
        here = f"{where}: checkpoint {number}"
        table = _table(table, here)
        _known(table, ("as_of", "since", *CHECKS), here)
        as_of = _date(table.get("as_of"), f"{here}: as_of")
        since = _date(table["since"], f"{here}: since") if "since" in table else None
        if since is not None and since > as_of:
            raise SpecError(f"{here}: since {since} is after as_of {as_of}")
        if checkpoints and as_of <= checkpoints[-1].as_of:
            raise SpecError(f"{here}: as_of {as_of} is not after the previous checkpoint ({checkpoints[-1].as_of})")
        checks = {name: _names(table.get(name, []), technologies, f"{here}: {name}") for name in CHECKS}
        checks["forbid"] = tuple(dict.fromkeys(checks["forbid"] + forbid_always))
        checkpoints.append(Checkpoint(as_of=as_of, checks={k: v for k, v in checks.items() if v}, since=since))
    return tuple(checkpoints)


def _precision(table: Any, where: str) -> Precision:
    table = _table(table, where)
    _known(table, PRECISION_KEYS, where)
    technology = tuple(_regex(p, f"{where}: technology") for p in _list(table.get("technology", []), where))
    not_technology = tuple(_regex(p, f"{where}: not_technology") for p in _list(table.get("not_technology", []), where))
    if not technology and not not_technology:
        raise SpecError(f"{where}: give technology and/or not_technology patterns, or remove [precision]")
    min_share = table.get("min_share")
    return Precision(technology, not_technology, _share(min_share, f"{where}: min_share") if min_share else None)


def _settings(raw: Mapping[str, Any], config: Config, granularity: str, where: str) -> tuple[dict, Config]:
    """The spec's [topics], [analysis] and [emergence] laid over the configuration, checked exactly as it is."""
    overrides: dict[str, Any] = {}
    for section in ("topics", "analysis", "emergence"):
        table = _table(raw.get(section, {}), f"{where}: [{section}]")
        if table:
            overrides[section] = dict(table)
    if "window" in raw:
        if "window" in overrides.get("analysis", {}):
            raise SpecError(f"{where}: window is given twice (top level and [analysis]); keep one")
        window = _positive_int(raw["window"], f"{where}: window")
        overrides.setdefault("analysis", {})["window"] = {granularity: window}
    try:
        merged = config_from_mapping(merge_settings(_unset_dropped(settings_dict(config)), overrides), path=config.path)
    except ConfigError as exc:
        raise SpecError(f"{where}: {exc}") from None
    return overrides, merged


def _unset_dropped(data: Any) -> Any:
    """TOML data without the None values `settings_dict` gives for unset settings (TOML has no null: unset)."""
    if isinstance(data, dict):
        return {k: _unset_dropped(v) for k, v in data.items() if v is not None}
    return data


# -- small checks with one-line errors ---------------------------------------------------------------------------


def _known(table: Mapping[str, Any], valid: Iterable[str], where: str) -> None:
    valid = tuple(valid)
    for key in table:
        if key not in valid:
            near = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]!r}?" if near else f"; valid keys: {', '.join(valid)}"
            raise SpecError(f"{where}: unknown key {key!r}{hint}")


def _table(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        raise SpecError(f"{where}: missing")
    if not isinstance(value, dict):
        raise SpecError(f"{where}: must be a table, not {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise SpecError(f'{where}: must be a list, e.g. ["a", "b"]')
    return value


def _names(value: Any, technologies: Mapping[str, Technology], where: str) -> tuple[str, ...]:
    names = tuple(str(v) for v in _list(value, where))
    for name in names:
        if name not in technologies:
            near = difflib.get_close_matches(name, list(technologies), n=1, cutoff=0.5)
            hint = f"did you mean {near[0]!r}?" if near else f"define [technology.{name}]"
            raise SpecError(f"{where}: no technology {name!r}; {hint}")
    return names


def _regex(value: Any, where: str) -> re.Pattern[str]:
    try:
        return re.compile(str(value), re.IGNORECASE)
    except re.error as exc:
        raise SpecError(f"{where}: {value!r} is not a valid regular expression ({exc})") from None


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SpecError(f"{where}: must be a date like 2021-12-31, not {value!r}") from None


def _choice(value: Any, choices: Iterable[str], where: str) -> str:
    choices = tuple(choices)
    if value not in choices:
        raise SpecError(f"{where}: {value!r} is not one of {', '.join(choices)}")
    return str(value)


def _positive_int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SpecError(f"{where}: must be a whole number of at least 1, not {value!r}")
    return value


def _non_negative_int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SpecError(f"{where}: must be a whole number of at least 0, not {value!r}")
    return value


def _share(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise SpecError(f"{where}: must be a share between 0 and 1, not {value!r}")
    return float(value)


def _optional_str(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"{where}: must be a non-empty string")
    return value
