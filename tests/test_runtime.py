"""Compiled numba code is kept in the user's cache folder, so a second `foresight` process does not compile again.

Each case runs in fresh Python processes (numba reads NUMBA_CACHE_DIR when it is first imported), with a tiny
package of numba functions that, like most of UMAP's, are not declared ``cache=True``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = """
import numba

@numba.njit
def add(a, b):
    return a + b

@numba.njit(cache=True)
def already_cached(a):
    return a * 2
"""
RUN = (
    "from pipeline.runtime import configure_runtime; folder = configure_runtime(packages=('fakeumap',)); "
    "import fakeumap; print(fakeumap.add(1, 2), fakeumap.already_cached(3), folder, "
    "fakeumap.add.stats.cache_hits.get(fakeumap.add.signatures[0], 0) if fakeumap.add.signatures else -1)"
)


def run(tmp_path: Path, code: str, **env: str) -> list[str]:
    # the user's cache folder as a user has it: no explicit NUMBA_CACHE_DIR or FORESIGHT_CACHE_DIR (the test
    # session sets both for its own processes)
    environment = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "FORESIGHT_CACHE_DIR")}
    environment.update({"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "XDG_CACHE_HOME": str(tmp_path / "cache")})
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_a_second_process_loads_compiled_code_from_the_user_cache(tmp_path: Path) -> None:
    (tmp_path / "fakeumap").mkdir()
    (tmp_path / "fakeumap" / "__init__.py").write_text(PACKAGE, encoding="utf-8")
    first = run(tmp_path, RUN)
    assert first[:3] == ["3", "6", str(tmp_path / "cache" / "foresight" / "numba")]
    assert first[3] == "0"  # compiled in this process
    assert list((tmp_path / "cache" / "foresight" / "numba").rglob("*add*.nbi"))
    second = run(tmp_path, RUN)
    assert second[:2] == ["3", "6"] and int(second[3]) >= 1  # loaded from disk, not compiled


def test_an_unwritable_cache_folder_leaves_numba_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "fakeumap").mkdir()
    (tmp_path / "fakeumap" / "__init__.py").write_text(PACKAGE, encoding="utf-8")
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    out = run(tmp_path, RUN, NUMBA_CACHE_DIR=str(tmp_path / "file" / "numba"))
    assert out[:3] == ["3", "6", "None"]


def test_foresight_cache_dir_moves_the_whole_cache_folder(tmp_path: Path) -> None:
    (tmp_path / "fakeumap").mkdir()
    (tmp_path / "fakeumap" / "__init__.py").write_text(PACKAGE, encoding="utf-8")
    out = run(tmp_path, RUN, FORESIGHT_CACHE_DIR=str(tmp_path / "elsewhere"))
    assert out[:3] == ["3", "6", str(tmp_path / "elsewhere" / "numba")]
