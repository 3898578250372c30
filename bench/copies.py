"""How well syndicated copies are detected (`index.sync.copies`), with the detection code
alone (no index, no embedding).

1. Hand-written fixtures: `tests/fixtures/copies/articles.jsonl` (copies made with the edits
   outlets make, and different stories on the same topics that must stay apart) and the
   ferry story of `tests/fixtures/story`. Precision and recall over article pairs.
2. Synthetic copies of real articles: N RealTime QA articles (not already in a group), each
   copied with random edits (a new headline, a dateline tagline, the last paragraphs trimmed,
   a middle paragraph dropped, words replaced, a credit line added), detected among all
   3,784 articles plus the copies. Recall over the N pairs; precision over the pairs found
   that involve a copy.
3. The copy groups the RealTime QA articles themselves contain, with examples to check.

    python bench/copies.py [--articles ../shared/data/realtimeqa-2022/articles.jsonl] [-n 300]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from dataclasses import replace
from datetime import date
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus import Article  # noqa: E402
from corpus.load import load_articles  # noqa: E402
from index.sync.copies import comparison, detect_copies, shingles  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "copies" / "articles.jsonl"
STORY = ROOT / "tests" / "fixtures" / "story"
STORY_LABELS = {"2026-03-10-wire-ferry": "2026-03-10-ferry-approved"}


def detect(articles: list[Article]):  # type: ignore[no-untyped-def]
    by_id = {a.id: a for a in articles}
    return detect_copies(None, {a.id: a.content_hash for a in articles}, by_id.__getitem__)


def grouped_pairs(groups) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {tuple(sorted(p)) for g in groups for p in combinations(g, 2)}  # type: ignore[misc]


def fixtures() -> None:
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    articles = [Article(r["id"], r["title"], tuple(r["text"].split("\n\n")), "fixture",
                        date.fromisoformat(r["date"]), r["byline"]) for r in rows]
    label = {r["id"]: r["story"] for r in rows}
    story = load_articles([STORY]).articles
    articles += story
    label.update({a.id: STORY_LABELS.get(a.id, a.id) for a in story})
    truth = {tuple(sorted(p)) for p in combinations(label, 2) if label[p[0]] == label[p[1]]}
    found = grouped_pairs(detect(articles).groups)
    hits = found & truth
    print(f"fixtures: {len(articles)} articles, {len(truth)} copy pairs, "
          f"{len(list(combinations(label, 2))) - len(truth)} pairs to keep apart")
    print(f"  found {len(found)} pairs: precision {len(hits) / max(len(found), 1):.3f}, "
          f"recall {len(hits) / len(truth):.3f}")
    texts = {a.id: shingles(a.text) for a in articles}
    for a, b in sorted(tuple(sorted(p)) for p in combinations(label, 2)):
        same, jaccard = comparison(texts[a], texts[b])
        if jaccard > 0.05 or (a, b) in truth:
            shared = len(texts[a] & texts[b]) / max(min(len(texts[a]), len(texts[b])), 1)
            kind = "copy" if (a, b) in truth else "apart"
            verdict = "ok" if same == ((a, b) in truth) else "WRONG"
            print(f"  {kind:5} J={jaccard:.2f} shared/shorter={shared:.2f} {verdict:5} {a} ~ {b}")


_WORD = re.compile(r"\b[a-z]{4,}\b")


def edited_copy(article: Article, rng: random.Random, n: int) -> Article:
    paragraphs = list(article.paragraphs)
    keep = max(len(paragraphs) - rng.choice([0, 0, 1, 2]), (len(paragraphs) * 2 + 2) // 3)
    paragraphs = paragraphs[:keep]
    if len(paragraphs) > 4 and rng.random() < 0.4:
        del paragraphs[rng.randrange(1, len(paragraphs) - 1)]
    if rng.random() < 0.6:
        paragraphs[0] = f"{rng.choice(['NEW YORK', 'LONDON', 'WASHINGTON'])} (Wire) — " \
                        + paragraphs[0]
    words = [w for p in paragraphs for w in _WORD.findall(p)]
    for _ in range(max(1, len(words) // 50)):  # ~2% of the words reworded
        old, new = rng.choice(words), rng.choice(words)
        i = rng.randrange(len(paragraphs))
        paragraphs[i] = re.sub(rf"\b{re.escape(old)}\b", new, paragraphs[i], count=1)
    if rng.random() < 0.5:
        paragraphs.append("Copyright 2022 Wire Services. All rights reserved.")
    # A new headline keeps some of the story's words, as rewritten headlines do ("Biden
    # signs the bill" -> "Wire: bill Biden"): every other word, shuffled.
    kept = article.title.split()[::2]
    rng.shuffle(kept)
    return replace(article, id=f"copy-{n}", title="Wire: " + " ".join(kept),
                   paragraphs=tuple(paragraphs), byline=None)


def synthetic(articles: list[Article], count: int) -> None:
    # Originals neither in a group nor sharing their body with another article under
    # another headline (a page's boilerplate, which copies of it would match too).
    same_headline = [replace(a, title="one headline") for a in articles]
    grouped = {i for g in detect(same_headline).groups for i in g}
    rng = random.Random(15)
    pool = [a for a in articles if a.id not in grouped and len(a.paragraphs) >= 5
            and len(shingles(a.text)) >= 150]
    originals = rng.sample(pool, min(count, len(pool)))
    copies = [edited_copy(a, rng, n) for n, a in enumerate(originals)]
    truth = {tuple(sorted((a.id, c.id))) for a, c in zip(originals, copies, strict=True)}
    started = time.perf_counter()
    found = grouped_pairs(detect(articles + copies).groups)
    seconds = time.perf_counter() - started
    involving = {p for p in found if p[0].startswith("copy-") or p[1].startswith("copy-")}
    hits = involving & truth
    print(f"synthetic: {len(copies)} edited copies of RealTime QA articles among "
          f"{len(articles)} articles ({seconds:.1f} s to detect all)")
    precision = len(hits) / max(len(involving), 1)
    print(f"  recall {len(hits) / len(truth):.3f}, precision {precision:.3f}"
          f" ({len(involving) - len(hits)} wrong pairs)")
    missed = sorted(truth - found)[:5]
    texts = {a.id: a for a in originals + copies}
    for a, b in missed:
        _, jaccard = comparison(shingles(texts[a].text), shingles(texts[b].text))
        print(f"  missed: J={jaccard:.2f} {a} ~ {b}")


def dataset_groups(articles: list[Article], examples: int) -> None:
    started = time.perf_counter()
    copies = detect(articles)
    seconds = time.perf_counter() - started
    by_id = {a.id: a for a in articles}
    sizes: dict[int, int] = {}
    for g in copies.groups:
        sizes[len(g)] = sizes.get(len(g), 0) + 1
    folded = sum(len(g) - 1 for g in copies.groups)
    print(f"RealTime QA: {len(articles)} articles, {len(copies.groups)} copy groups "
          f"({folded} copies folded), group sizes {dict(sorted(sizes.items()))}; "
          f"{seconds:.1f} s")
    jaccard = {(a, b): j for a, b, j in copies.pairs}
    for g in sorted(copies.groups, key=len)[:examples] + sorted(copies.groups, key=len)[-2:]:
        first = by_id[g[0]]
        pairs = [jaccard[p] for p in combinations(sorted(g), 2) if p in jaccard]
        words = len(first.text.split())
        print(f"  {len(g)} articles, {words} words, Jaccard {min(pairs):.2f}-{max(pairs):.2f}:")
        for aid in g[:4]:
            a = by_id[aid]
            print(f"    {a.published} {aid} {a.title[:70]!r}")
        print(f"    text: {first.text[:110]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path,
                        default=ROOT.parent / "shared" / "data" / "realtimeqa-2022"
                        / "articles.jsonl")
    parser.add_argument("-n", type=int, default=300, help="synthetic copies to make")
    parser.add_argument("--examples", type=int, default=8)
    args = parser.parse_args()
    fixtures()
    if not args.articles.is_file():
        print(f"no {args.articles}: skipping the RealTime QA parts")
        return
    articles = load_articles([args.articles]).articles
    dataset_groups(articles, args.examples)
    synthetic(articles, args.n)


if __name__ == "__main__":
    main()
