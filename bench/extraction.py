"""HTML extraction quality: the hand-written BeautifulSoup rules, trafilatura with its
defaults, and newsqa's extractor (trafilatura tuned for news, `corpus.formats.html`), on
the fixture pages in tests/fixtures/web/pages (each NAME.html has a hand-written
NAME.expected.json: the article's paragraphs, metadata and boilerplate strings).

    python bench/extraction.py [--pages DIR] [--per-page]

Per extractor: word precision and recall of the text against the expected paragraphs (bags
of lower-cased words), boilerplate strings leaked into the text, exact paragraph lists, and
how many titles, dates, bylines and canonical URLs are right.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trafilatura
from common import REPO

from corpus.formats.common import Origin, decode, parse_date
from corpus.formats.html import parse_html
from corpus.formats.html_rules import parse_html_rules

PAGES = REPO / "tests" / "fixtures" / "web" / "pages"


@dataclass
class Result:
    paragraphs: list[str]
    title: str | None
    published: str | None
    byline: str | None
    url: str | None


def rules(text: str, origin: Origin) -> Result:
    a = parse_html_rules(text, origin)
    return Result(list(a.paragraphs), a.title, _iso(a.published), a.byline, a.url)


def newsqa(text: str, origin: Origin) -> Result:
    a = parse_html(text, origin)
    return Result(list(a.paragraphs), a.title, _iso(a.published), a.byline, a.url)


def trafilatura_defaults(text: str, origin: Origin) -> Result:
    d = trafilatura.bare_extraction(text, with_metadata=True)
    if d is None:
        return Result([], None, None, None, None)
    lines = [" ".join(line.split()) for line in (d.text or "").split("\n")]
    return Result([x for x in lines if x], d.title, d.date, d.author, d.url)


EXTRACTORS: dict[str, Callable[[str, Origin], Result]] = {
    "rules (BeautifulSoup)": rules,
    "trafilatura defaults": trafilatura_defaults,
    "newsqa (trafilatura tuned)": newsqa,
}


def _iso(value: object) -> str | None:
    return value.isoformat() if value is not None else None  # type: ignore[attr-defined]


def _words(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


def _names(byline: str | None) -> set[str]:
    parts = re.split(r"\s*(?:[,;]|\band\b)\s*", re.sub(r"^by\s+", "", byline or "", flags=re.I))
    return {p.lower() for p in parts if p}


def score(result: Result, expected: dict) -> dict[str, float]:
    got, want = _words(" ".join(result.paragraphs)), _words(" ".join(expected["paragraphs"]))
    overlap = sum((got & want).values())
    text = "\n".join(result.paragraphs)
    leaked = [b for b in expected["boilerplate"]
              if re.search(r"(?<!\w)" + re.escape(b) + r"(?!\w)", text)]
    date = parse_date(result.published, "page") if result.published else None
    return {
        "precision": overlap / max(sum(got.values()), 1),
        "recall": overlap / max(sum(want.values()), 1),
        "leaked": len(leaked),
        "boilerplate": len(expected["boilerplate"]),
        "exact": float(result.paragraphs == expected["paragraphs"]),
        "title": float(result.title == expected["title"]),
        "date": float(_iso(date) == expected["published"]),
        "byline": float(_names(result.byline) == _names(expected["byline"])),
        "url": float(result.url == expected["url"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=PAGES)
    parser.add_argument("--per-page", action="store_true", help="one row per page and extractor")
    args = parser.parse_args()
    pages = sorted(args.pages.glob("*.html"))
    shown = args.pages.relative_to(REPO) if args.pages.is_relative_to(REPO) else args.pages
    print(f"{len(pages)} pages in {shown}\n")
    print("| extractor | word precision | word recall | boilerplate leaked | exact paragraphs "
          "| title | date | byline | url | ms/page |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    rows = []
    for name, extract in EXTRACTORS.items():
        first = pages[0]  # warm up: imports and lxml's first parse are not per-page costs
        extract(decode(first.read_bytes(), str(first)), Origin(str(first), first.name, "x"))
        scores, started = [], time.perf_counter()
        for page in pages:
            expected = json.loads(page.with_suffix(".expected.json").read_text(encoding="utf-8"))
            text = decode(page.read_bytes(), str(page))
            s = score(extract(text, Origin(str(page), page.name, page.stem)), expected)
            scores.append(s)
            rows.append((page.stem, name, s))
        ms = (time.perf_counter() - started) * 1000 / len(pages)
        n = len(scores)

        def total(key: str, scores: list[dict[str, float]] = scores) -> float:
            return sum(s[key] for s in scores)

        print(f"| {name} | {total('precision') / n:.3f} | {total('recall') / n:.3f} "
              f"| {int(total('leaked'))} of {int(total('boilerplate'))} "
              f"| {int(total('exact'))}/{n} | {int(total('title'))}/{n} | {int(total('date'))}/{n} "
              f"| {int(total('byline'))}/{n} | {int(total('url'))}/{n} | {ms:.1f} |")
    if args.per_page:
        print("\n| page | extractor | P | R | leaked | title | date | byline | url |")
        print("|---|---|--:|--:|--:|--:|--:|--:|--:|")
        for page, name, s in rows:
            print(f"| {page} | {name} | {s['precision']:.2f} | {s['recall']:.2f} | "
                  f"{int(s['leaked'])} | {int(s['title'])} | {int(s['date'])} | "
                  f"{int(s['byline'])} | {int(s['url'])} |")


if __name__ == "__main__":
    main()
