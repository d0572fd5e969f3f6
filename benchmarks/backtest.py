"""Run the development corpora's backtest specs (benchmarks/backtests/*.toml), one after the other.

Each spec goes through the product command, `foresight backtest SPEC.toml`, in its own process (its own memory, its
own exit code); this wrapper only picks the specs, passes the data folder, and writes each result as JSON. What a
spec checks and how to read the result: docs/backtests.md.

    nice -n 10 .venv/bin/python benchmarks/backtest.py --corpus nvidia_patents --data /work/shared/data/corpora
    nice -n 10 .venv/bin/python benchmarks/backtest.py --out-dir /tmp/backtests     # all four
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

SPECS = Path(__file__).resolve().parent / "backtests"


def main(argv: list[str] | None = None) -> int:
    available = sorted(p.stem for p in SPECS.glob("*.toml"))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=[*available, "all"], default="all", help="which spec (default: all)")
    parser.add_argument("--data", type=Path, default=None, help="data folder (default: each spec's `data`)")
    parser.add_argument("--out-dir", type=Path, default=Path("."), help="write <spec>.json here")
    args = parser.parse_args(argv)
    names = available if args.corpus == "all" else [args.corpus]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    worst = 0
    for name in names:
        command = [sys.executable, "-m", "pipeline.cli", "backtest", str(SPECS / f"{name}.toml"),
                   "--out", str(args.out_dir / f"{name}.json")]  # fmt: skip
        if args.data is not None:
            command += ["--data", str(args.data)]
        print(" ".join(command), flush=True)
        worst = max(worst, subprocess.run(command, check=False).returncode)
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
