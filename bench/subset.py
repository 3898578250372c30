"""Write a realtimeqa subset (the dev questions' gold articles first, then a seeded sample) and a
copy of the dev questions beside it, for quality runs that fit this machine's time.

    python bench/subset.py 1000 SUBSET && newsqa build SUBSET/articles.jsonl \\
        --index SUBSET/index && newsqa eval SUBSET/questions.dev.jsonl --index SUBSET/index
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from common import REALTIMEQA, realtimeqa_subset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=int)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    realtimeqa_subset(args.articles, args.out / "articles.jsonl")
    shutil.copy(REALTIMEQA / "questions.dev.jsonl", args.out / "questions.dev.jsonl")
    print(args.out)


if __name__ == "__main__":
    main()
