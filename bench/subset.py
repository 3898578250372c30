"""Write a realtimeqa subset (the dev questions' gold articles first, then a seeded sample) and a
copy of the dev questions beside it, for quality runs that fit this machine's time.

    python bench/subset.py 1000 /tmp/rtqa-1000 && newsqa build /tmp/rtqa-1000/articles.jsonl \\
        --index /tmp/rtqa-1000/index && newsqa eval /tmp/rtqa-1000/questions.dev.jsonl \\
        --index /tmp/rtqa-1000/index
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
