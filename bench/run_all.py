"""Run every benchmark: `make bench` (full figures) or `make bench-quick` (CI: small sizes, so the
scripts never rot). Each script prints its own table; this runner stops at the first failure.

    python bench/run_all.py [--quick] [--index DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from common import subset_index, work_dir

HERE = Path(__file__).resolve().parent


def run(script: str, *args: str) -> None:
    command = [sys.executable, str(HERE / script), *args]
    print(f"\n$ {' '.join(command[1:])}", flush=True)
    subprocess.run(command, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--index", type=Path, default=None,
                        help="a MiniLM index for the query benchmarks, ideally of all realtimeqa "
                        "articles: scale.py derives its 1k-30k chunk subsets from it "
                        "(default: build one)")
    args = parser.parse_args()
    quick = ["--quick"] if args.quick else []
    with work_dir("all") as work:
        index = args.index
        if index is None:
            index = subset_index(20 if args.quick else 300, work)
        run("build.py", *quick)
        run("embedders.py", *quick)
        run("query.py", "--index", str(index), *quick)
        run("scale.py", "--index", str(index), *quick)
        run("ann.py", "--index", str(index), *quick)
        run("stores.py", "--index", str(index), *quick)
        run("load.py", "--index", str(index), "--model", "all-MiniLM-L6-v2",
            "--seconds", "10" if args.quick else "60")
        run("incremental.py", *quick)
        run("memory.py", "--index", str(index), *quick)
        run("coldstart.py", "--index", str(index), *quick)
        run("extraction.py")  # seconds: the fixture pages are the whole data set


if __name__ == "__main__":
    main()
