"""Process set-up for the `foresight` command: compiled numba code is kept on disk, so no run pays for it twice.

UMAP and its nearest-neighbour library (pynndescent) compile their numba functions when first used. Most of
UMAP's functions are not declared ``cache=True``, so every new process compiled them again: about 11 s for the
first UMAP fit of 600 vectors on an idle 2-core machine against 1 s for the second, and 37 s on a busy one.

`configure_runtime` (called first thing by `pipeline.cli.main`) therefore

1. points ``NUMBA_CACHE_DIR`` at the user's cache folder (``$XDG_CACHE_HOME/foresight/numba``, else
   ``~/.cache/foresight/numba``; ``%LOCALAPPDATA%\\foresight\\numba`` on Windows) unless it is set already; numba
   reads it when it is first imported, which is after this;
2. installs an import hook that switches on numba's own on-disk cache for the module-level numba functions of
   `CACHED_PACKAGES` as each of their modules is imported, before anything is compiled.

numba checks each cached entry against its function's source file and the machine, so an upgraded UMAP or a
different CPU compiles afresh. Nothing is imported here: commands that never cluster stay as quick as before.

The language step keeps the seed terms' lemma keys in the same folder (`restore_phrase_keys`, `keep_phrase_keys`:
an entry of `models.startup_cache`), under a fingerprint of the code, data and settings that computed them.
``$FORESIGHT_CACHE_DIR`` overrides the folder (the tests use a folder of their own).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import logging
import os
import sys
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from models.startup_cache import keep_entry, read_entry, startup_file, user_cache_dir

if TYPE_CHECKING:
    from models.annotate import Annotator

CACHED_PACKAGES = ("umap", "pynndescent")
PHRASE_KEYS = "phrase-keys"  # the start-up cache entry of the seed terms' lemma keys
log = logging.getLogger("foresight.runtime")


def configure_runtime(packages: Sequence[str] = CACHED_PACKAGES) -> Path | None:
    """Keep numba's compiled code of `packages` on disk across runs; returns the cache folder (None if unusable).

    A folder that cannot be written (a read-only home) leaves numba as it is: slower, never broken.
    """
    folder = Path(os.environ.get("NUMBA_CACHE_DIR") or user_cache_dir() / "numba")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return None
    os.environ.setdefault("NUMBA_CACHE_DIR", str(folder))
    # A few pynndescent functions use dynamic globals and cannot be cached; numba says so once per function on
    # every run. They are compiled as before, so the warning tells a user nothing they could act on.
    warnings.filterwarnings("ignore", message=r"Cannot cache compiled function")
    if not any(isinstance(finder, _CachingFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _CachingFinder(packages))
    for name in [m for m in sys.modules if m.partition(".")[0] in packages]:  # imported before the hook
        enable_numba_cache(sys.modules[name])
    return folder


#: Packages whose versions change what a fit computes (clusters, vectors, words): named with every backtest result.
NUMERIC_PACKAGES = (
    "numpy", "scipy", "scikit-learn", "numba", "llvmlite", "umap-learn", "pynndescent", "hdbscan", "bertopic",
    "spacy", "duckdb",
)  # fmt: skip
#: Environment variables that choose the numeric kernels (the CPU numba compiles for, OpenBLAS's kernels, threads).
NUMERIC_ENVIRONMENT = (
    "NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "NUMBA_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS", "PYTHONHASHSEED",
)  # fmt: skip


def machine_facts() -> dict[str, object]:
    """What the numbers of a run may depend on beyond the code and the data: CPU, kernels, library versions.

    UMAP's layout amplifies the last digits of its input (docs/performance.md, "exact neighbours"), and those digits
    depend on the kernels the machine runs: numba compiles for the host CPU (with ``fastmath``, so AVX-512 and AVX2
    sum in different orders) and OpenBLAS picks its kernels by CPU. The same commit can then give other clusters on
    another machine. A backtest names these facts beside its results, so two results can be told apart by machine
    before anyone reads a difference as the code's (docs/backtests.md, "Output").
    """
    import platform
    from importlib import metadata

    facts: dict[str, object] = {
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.machine()}",
        "cores": os.cpu_count(),
        "cpu": _cpu_model() or platform.processor() or None,
    }
    try:
        import llvmlite.binding as llvm

        facts["numba_target"] = os.environ.get("NUMBA_CPU_NAME") or llvm.get_host_cpu_name()
    except Exception:  # noqa: BLE001 - a fact we cannot read is left out, never an error
        facts["numba_target"] = None
    try:
        import numpy  # noqa: F401 - threadpoolctl lists the BLAS libraries loaded, and these two load theirs
        import scipy.linalg  # noqa: F401
        from threadpoolctl import threadpool_info

        facts["blas"] = sorted(
            {f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}" for i in threadpool_info()
             if i.get("user_api") == "blas"}
        )  # fmt: skip
    except Exception:  # noqa: BLE001
        facts["blas"] = []
    versions: dict[str, str] = {}
    for name in NUMERIC_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    facts["packages"] = versions
    facts["environment"] = {name: os.environ[name] for name in NUMERIC_ENVIRONMENT if name in os.environ}
    return facts


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        return None
    return None


def enable_numba_cache(module: ModuleType) -> int:
    """Switch on numba's on-disk cache for the not-yet-cached numba functions defined in `module`; returns how many.

    Only takes effect for functions not compiled yet in this process (the hook calls it right after import).
    """
    if "numba" not in sys.modules:
        return 0
    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    enabled = 0
    for value in list(vars(module).values()):
        if not isinstance(value, Dispatcher) or not isinstance(value._cache, NullCache):
            continue
        if getattr(value.py_func, "__module__", None) != module.__name__:
            continue  # imported from elsewhere: its own module's hook handles it
        try:
            value.enable_caching()
        except RuntimeError as exc:  # numba found no usable cache folder for this function
            log.debug("numba cache not enabled for %s: %s", value.py_func.__qualname__, exc)
            continue
        enabled += 1
    return enabled


class _CachingFinder(importlib.abc.MetaPathFinder):
    """Finds the modules of the cached packages with the other finders and wraps their `exec_module`."""

    def __init__(self, packages: Iterable[str]) -> None:
        self.packages = frozenset(packages)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in self.packages:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is not None and hasattr(loader, "exec_module") and not hasattr(loader.exec_module, "_caches"):
            original = loader.exec_module

            def exec_module(module: ModuleType) -> None:
                original(module)
                enable_numba_cache(module)

            exec_module._caches = True  # type: ignore[attr-defined]  # a loader shared by modules is wrapped once
            loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def phrase_key_file(fingerprint: str) -> Path:
    """Where the language step keeps the lemma keys of the seed terms for annotators of this fingerprint."""
    return startup_file(PHRASE_KEYS, fingerprint)


def restore_phrase_keys(annotator: Annotator) -> int:
    """Give `annotator` the seed terms' lemma keys an earlier process computed (same code, data and settings).

    Keying the ~1,500 seed terms of the lead markets runs each through spaCy and HanTa: 5-10 s at every start of a
    language step, more than the step then spends on a few thousand abstracts. The keys depend only on the
    fingerprint (`Annotator.phrase_key_fingerprint`), so they are read back instead. A missing or unreadable file
    just means computing them; returns how many were restored.
    """
    known = read_entry(PHRASE_KEYS, annotator.phrase_key_fingerprint())
    return annotator.restore_phrase_keys(known) if isinstance(known, dict) else 0


def keep_phrase_keys(annotator: Annotator) -> bool:
    """Write the annotator's phrase keys for later processes when it computed new ones; True if written."""
    if not annotator.new_phrase_keys:
        return False
    return keep_entry(PHRASE_KEYS, annotator.phrase_key_fingerprint(), annotator.known_phrase_keys())
