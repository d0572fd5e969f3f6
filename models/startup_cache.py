"""What a process builds at start-up and can read back faster than it builds it, kept in the user's cache folder.

Every language step starts by turning shipped data into Python dictionaries: wordfreq's general-language frequencies
(650,000 German and 320,000 English words, 1.5 s on an idle core) and the memo of HanTa analyses (360,000 forms,
1.1 s). The worker processes are forked only after that, so it is serial time at every start: with 2,000 abstracts
to annotate it was a fifth of the step. A pickle of the finished dictionary loads in a third of the time.

An entry is named by what it was built from (`fingerprint`: the data file's hash, the package's version), so a new
wordfreq or lexicon builds afresh and an old entry is simply never read again. The folder is
``$FORESIGHT_CACHE_DIR``, else ``$XDG_CACHE_HOME/foresight`` or ``~/.cache/foresight`` (``%LOCALAPPDATA%\\foresight``
on Windows). A folder that cannot be read or written only costs the build; nothing else depends on it.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


def user_cache_dir() -> Path:
    """The user's cache folder for foresight (created on demand by the caller); ``$FORESIGHT_CACHE_DIR`` if set."""
    if os.environ.get("FORESIGHT_CACHE_DIR"):
        return Path(os.environ["FORESIGHT_CACHE_DIR"])
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "foresight"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "foresight"


def startup_file(name: str, fingerprint: str) -> Path:
    """Where the entry `name` built from `fingerprint` is kept."""
    return user_cache_dir() / "startup" / f"{name}-{fingerprint}.pickle"


def read_entry(name: str, fingerprint: str) -> object | None:
    """The entry an earlier process kept, or None when there is none or it cannot be read as such.

    Only foresight writes these files (in the user's own folder), as numba does its compiled code there; a file
    that cannot be read (truncated, from another Python) counts as missing and is replaced by the next write.
    """
    path = startup_file(name, fingerprint)
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)  # noqa: S301 - our own file in the user's cache folder
    except FileNotFoundError:
        return None
    except Exception as exc:  # a damaged or foreign file
        log.debug("start-up cache %s not read: %s", path, exc)
        return None


def keep_entry(name: str, fingerprint: str, value: object) -> bool:
    """Keep `value` for later processes; True if written (an unwritable folder only costs them the build)."""
    path = startup_file(name, fingerprint)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        with partial.open("wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)  # atomic: a reader sees no file, the old one or the whole new one
    except OSError as exc:
        log.debug("start-up cache %s not written: %s", path, exc)
        return False
    return True


def load_or_build(name: str, fingerprint: str, build: Callable[[], T]) -> T:
    """The entry read back if an earlier process kept it, else `build()`'s result, kept for the next process."""
    value = read_entry(name, fingerprint)
    if value is None:
        value = build()
        keep_entry(name, fingerprint, value)
    return value  # type: ignore[return-value]
