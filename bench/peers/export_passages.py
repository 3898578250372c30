"""Write the passages of a news-qa index as JSONL, for a peer system to index the same text.

    python bench/peers/export_passages.py --index DIR --out passages.jsonl

Runs in the product's venv. One line per indexed chunk, rows ascending:
`{"id": chunk id, "doc_id": article id, "text": ...}`, where `text` is what the product
embeds for the chunk (`corpus.embedding_text`: the title, possibly shortened, a newline,
the chunk), stripped of surrounding whitespace (an untitled article's text would otherwise
start with a bare newline; no tokenizer sees a difference). The product's BM25 indexes the
same words, with the full title instead of the shortened one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from corpus import embedding_text
from index import open_index

BATCH = 1000  # chunk rows read per call


def export_passages(index_dir: Path, out: Path) -> int:
    """Write every chunk of the index at `index_dir` to `out`, one copy of each syndicated
    story (the copies news-qa answers from: readers fold the others); returns the count."""
    with open_index(index_dir) as reader:
        titles = {a.id: a.title for a in reader.articles()}
        rows = reader.rows_matching(sources=list(titles))
        if rows is None or not len(rows):
            raise SystemExit(f"index '{index_dir}': could not list its {reader.size} chunks")
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as f:
            for start in range(0, len(rows), BATCH):
                for chunk in reader.chunks(rows[start : start + BATCH].tolist()):
                    text = embedding_text(chunk, titles[chunk.article_id]).strip()
                    line = {"id": chunk.id, "doc_id": chunk.article_id, "text": text}
                    f.write(json.dumps(line, ensure_ascii=False) + "\n")
        return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="a news-qa index folder")
    parser.add_argument("--out", type=Path, required=True, help="passages JSONL to write")
    args = parser.parse_args()
    started = time.perf_counter()
    count = export_passages(args.index, args.out)
    seconds = time.perf_counter() - started
    print(f"wrote {count:,} passages to {args.out} in {seconds:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
