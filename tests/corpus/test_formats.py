"""Each file format, parsed from small hand-written files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from corpus import Article, ArticleFormatError, load_file

SEED = """\
 date 2026-01-09 Lee, Takaichi to hold summit in Nara on economy, AI, regional issues
SARAH KIM
President Lee Jae Myung will make a two-day trip to Japan's Nara Prefecture on Tuesday.

National Security Adviser Wi Sung-lac said he expects the summit to discuss "cooperation."
The visit is an extension of the ongoing "shuttle diplomacy" between the leaders.
"""


def load_one(tmp_path: Path, name: str, content: str | bytes) -> Article:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    articles = load_file(path)
    assert len(articles) == 1
    return articles[0]


def test_news_seed_format(tmp_path: Path) -> None:
    article = load_one(tmp_path, "2026-01-09-summit.txt", SEED)
    assert article.id == "2026-01-09-summit"
    assert article.title.startswith("Lee, Takaichi to hold summit")
    assert article.published == date(2026, 1, 9)
    assert article.byline == "SARAH KIM"
    assert article.source == "2026-01-09-summit.txt"
    assert len(article.paragraphs) == 3
    assert article.paragraphs[0].startswith("President Lee")
    assert "SARAH KIM" not in article.text


@pytest.mark.parametrize(
    ("second_line", "byline"),
    [
        ("SARAH KIM", "SARAH KIM"),
        ("By Sarah Kim", "By Sarah Kim"),
        ("BY SARAH KIM AND JUNG MIN-HO", "BY SARAH KIM AND JUNG MIN-HO"),
        ("SEOUL.", None),  # a short paragraph, not a byline
        ("The summit opens Tuesday in Nara with talks on trade", None),
        ("President Lee will travel to Nara next week for the summit", None),
        ("Lee Jae Myung", None),  # not in capitals: a paragraph
    ],
)
def test_news_byline_detection(tmp_path: Path, second_line: str, byline: str | None) -> None:
    text = f" date 2026-01-09 Title\n{second_line}\nThe first paragraph.\n"
    article = load_one(tmp_path, "a.txt", text)
    assert article.byline == byline
    assert (second_line in article.paragraphs) == (byline is None)


def test_news_header_without_leading_space(tmp_path: Path) -> None:
    article = load_one(tmp_path, "a.txt", "date 2022/06/12 Title here\nBody.\n")
    assert (article.title, article.published, article.paragraphs) == (
        "Title here", date(2022, 6, 12), ("Body.",)
    )


def test_news_malformed_date_warns_and_keeps_the_article(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    article = load_one(tmp_path, "a.txt", " date 2026-13-45 Title\nBody text.\n")
    assert article.published is None and article.title == "Title"
    assert "a.txt:1" in caplog.text and "2026-13-45" in caplog.text


def test_plain_txt_without_header(tmp_path: Path) -> None:
    text = "A plain title\n\nBy Jane Doe\n\nFirst paragraph.\nSecond paragraph.\n\n\nThird one.\n"
    article = load_one(tmp_path, "plain.txt", text)
    assert article.title == "A plain title"
    assert article.byline == "By Jane Doe"
    assert article.published is None
    assert article.paragraphs == ("First paragraph.", "Second paragraph.", "Third one.")


def test_plain_txt_hard_wrapped(tmp_path: Path) -> None:
    text = (
        "Wrapped title\n\n"
        "The first paragraph is wrapped\nat a short width by an editor\nthat likes short lines.\n\n"
        "The second paragraph\nis wrapped as well.\n"
    )
    article = load_one(tmp_path, "wrapped.txt", text)
    assert article.paragraphs == (
        "The first paragraph is wrapped at a short width by an editor that likes short lines.",
        "The second paragraph is wrapped as well.",
    )


def test_markdown_with_front_matter(tmp_path: Path) -> None:
    text = """---
title: Summit in Nara
date: 2026-01-09
author: [Sarah Kim, Jung Min-ho]
url: https://example.com/summit
---

# A heading that is not the title

President **Lee** will visit [Nara](https://example.com/nara) on Tuesday,
the Blue House said. ![photo](photo.jpg)

## What is on the agenda

- economic cooperation
- AI and `regional` issues

> "We expect progress," an aide said.

```
code is dropped
```

<div>raw html is dropped</div>
"""
    article = load_one(tmp_path, "summit.md", text)
    assert article.title == "Summit in Nara"
    assert article.published == date(2026, 1, 9)
    assert article.byline == "Sarah Kim, Jung Min-ho"
    assert article.url == "https://example.com/summit"
    assert article.paragraphs == (
        "A heading that is not the title",
        "President Lee will visit Nara on Tuesday, the Blue House said.",
        "What is on the agenda",
        "economic cooperation",
        "AI and regional issues",
        '"We expect progress," an aide said.',
    )


def test_markdown_title_from_heading(tmp_path: Path) -> None:
    article = load_one(tmp_path, "a.markdown", "# The Title\n\nBody paragraph.\n")
    assert (article.title, article.paragraphs, article.published) == (
        "The Title", ("Body paragraph.",), None
    )


def test_markdown_front_matter_after_the_title(tmp_path: Path) -> None:
    text = "# Volcano erupts\n\n---\ndate: 2025-12-15\nauthor: Ana Silva\n---\n\nAsh fell.\n"
    article = load_one(tmp_path, "volcano.md", text)
    assert (article.title, article.published, article.byline, article.paragraphs) == (
        "Volcano erupts", date(2025, 12, 15), "Ana Silva", ("Ash fell.",)
    )


@pytest.mark.parametrize(
    "text",
    ["# Title\n\n---\n\nText between rules.\n\n---\n", "# Title\n\n---\nText.\n"],
)
def test_markdown_rules_after_the_title_are_not_front_matter(tmp_path: Path, text: str) -> None:
    article = load_one(tmp_path, "rules.md", text)
    assert article.title == "Title" and article.published is None
    assert article.paragraphs[0].startswith("Text")


def test_markdown_empty_front_matter(tmp_path: Path) -> None:
    article = load_one(tmp_path, "empty.md", "---\n---\n# T\n\nBody.\n")
    assert (article.title, article.paragraphs) == ("T", ("Body.",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: [unclosed\n---\nBody.\n", "invalid YAML"),
        ("---\ntitle: x\nBody.\n", "never closed"),
        ("---\n- a list\n---\nBody.\n", "key: value"),
        ("# Only a title\n", "no article text"),
    ],
)
def test_markdown_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ArticleFormatError, match=message) as error:
        load_file(path)
    assert str(path) in str(error.value)


HTML = """<!doctype html>
<html><head>
<title>Summit in Nara - Example News</title>
<meta property="og:title" content="Summit in Nara">
<meta property="article:published_time" content="2026-01-09T08:30:00+09:00">
<meta name="author" content="Sarah Kim">
<link rel="canonical" href="https://example.com/summit">
<style>p { color: red }</style>
<script>var x = "<p>not text</p>";</script>
</head><body>
<nav><p>Home | World</p></nav>
<article>
  <h1>Summit in Nara</h1>
  <p>President Lee   will <b>visit</b>
     Nara on Tuesday.</p>
  <h2>Agenda</h2>
  <ul><li>Economy</li><li><p>AI &amp; trade</p></li></ul>
  <aside><p>Related: other story</p></aside>
  <form><p>Subscribe now</p></form>
  <p>Line one<br>line two.</p>
</article>
<footer><p>Copyright</p></footer>
</body></html>
"""


def test_html_article(tmp_path: Path) -> None:
    article = load_one(tmp_path, "summit.html", HTML)
    assert article.title == "Summit in Nara"
    assert article.published == date(2026, 1, 9)
    assert article.byline == "Sarah Kim"
    assert article.url == "https://example.com/summit"
    assert article.paragraphs == (
        "President Lee will visit Nara on Tuesday.",
        "Agenda",
        "Economy",
        "AI & trade",
        "Line one line two.",
    )


@pytest.mark.parametrize(
    ("head", "expected_title", "expected_date"),
    [
        ("<title>Only title</title><meta name='date' content='2022/06/12'>",
         "Only title", date(2022, 6, 12)),
        ("<meta name='pubdate' content='20220612'>", "Heading", date(2022, 6, 12)),
        # an unreadable meta date: the page's <time datetime> is used instead
        ("<meta name='date' content='last Tuesday'>", "Heading", date(2021, 3, 4)),
        ("", "Heading", date(2021, 3, 4)),  # from <time datetime>
    ],
)
def test_html_title_and_date_fallbacks(
    tmp_path: Path, head: str, expected_title: str, expected_date: date | None
) -> None:
    body = "<main><h1>Heading</h1><time datetime='2021-03-04'>March 4</time><p>Text.</p></main>"
    if "<title>" in head:
        body = body.replace("<h1>Heading</h1>", "")
    article = load_one(tmp_path, "a.htm", f"<html><head>{head}</head><body>{body}</body></html>")
    assert article.title == expected_title
    assert article.published == expected_date


def test_html_without_paragraph_tags(tmp_path: Path) -> None:
    html = "<html><body><div>First block of text.</div><div>Second block.</div></body></html>"
    article = load_one(tmp_path, "divs.html", html)
    assert article.paragraphs == ("First block of text.", "Second block.")


def test_html_byline_element_is_not_a_paragraph(tmp_path: Path) -> None:
    html = "<article><p class='byline'>By Jane Doe</p><p>Body text.</p></article>"
    article = load_one(tmp_path, "a.html", html)
    assert (article.byline, article.paragraphs) == ("Jane Doe", ("Body text.",))


def test_jsonl_fields(tmp_path: Path) -> None:
    lines = [
        {"_id": "d41d", "title": "Squid Game - CNN", "text": "New York CNN —\n\nIt is back.\n\n",
         "url": "https://cnn.com/x", "publish_date": "2022/06/12"},
        {"id": 7, "title": "Single newlines", "text": "One.\nTwo.\n",
         "date": "2022-06-13T10:00:00Z", "authors": ["A", "B"]},
        {"title": "", "text": "Dateline —\n\nThe first real paragraph of the story.",
         "byline": "By C"},
    ]
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    first, second, third = load_file(path)
    assert (first.id, first.title, first.published, first.url, first.paragraphs) == (
        "d41d", "Squid Game - CNN", date(2022, 6, 12), "https://cnn.com/x",
        ("New York CNN —", "It is back."),
    )
    assert (second.id, second.paragraphs, second.published, second.byline) == (
        "7", ("One.", "Two."), date(2022, 6, 13), "A, B"
    )
    assert (third.id, third.title, third.byline) == (
        "news:3", "The first real paragraph of the story.", "By C"
    )
    assert {a.source for a in (first, second, third)} == {"news.jsonl"}


def test_json_list(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps([{"text": "A."}, {"id": "b", "text": "B."}]), encoding="utf-8")
    assert [a.id for a in load_file(path)] == ["list:1", "b"]


@pytest.mark.parametrize("content", ["{not json", '"a string"'])
def test_json_bad_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ArticleFormatError, match=r"bad\.json"):
        load_file(path)
