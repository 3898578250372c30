"""The UI's event handlers, called directly with a fake assistant."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from ui_fakes import EVIL, NARA, FakeAssistant

from qa import MAX_QUESTION_CHARS, MAX_TOP_K
from qa.errors import QuestionError
from ui import handlers
from ui.handlers import DateRangeError, Turn, parse_date_range
from ui.render import render_article

INJECTIONS = ("<script", "<img", "<b>", "<a ", "javascript:alert(1)\"", "onerror=alert(1)>")


def test_ask_returns_chat_and_source_cards(fake: FakeAssistant) -> None:
    result = handlers.ask_question(fake, "What happened at the Chosei coal mine in 1942?", [])
    assert result.warning is None
    assert result.question == ""  # the box is cleared for the next question
    user, bot = result.chat
    assert user == {"role": "user", "content": "What happened at the Chosei coal mine in 1942?"}
    assert bot["role"] == "assistant"
    assert "killed 183 workers" in bot["content"]
    assert '<span class="nq-cite">[1]</span>' in bot["content"]
    html = result.sources_html
    assert 'id="nq-src-1"' in html and "[1]</span>" in html
    assert "Lee, Takaichi to hold summit in Nara" in html
    assert "Jan 9, 2026" in html and "SARAH KIM" in html and "paragraph 3" in html
    assert "<mark>In 1942, a devastating flood" in html
    assert "<details><summary>Read the whole article</summary>" in html
    (turn,) = result.turns
    assert turn == Turn(turn.question, turn.answer_text, bot["content"])


def test_citation_numbers_in_answer_match_cards(fake: FakeAssistant) -> None:
    result = handlers.ask_question(fake, "When will Lee travel to Nara Prefecture?", [], top_k=3)
    assert fake.calls[-1]["top_k"] == 3
    for n in range(1, 4):
        if f"[{n}]" in result.chat[1]["content"]:
            assert f'id="nq-src-{n}"' in result.sources_html
    assert "“Tuesday” = Jan. 13, 2026" in result.sources_html


def test_follow_up_passes_history(fake: FakeAssistant) -> None:
    first = handlers.ask_question(fake, "When will Lee travel to Nara Prefecture?", [])
    second = handlers.ask_question(fake, "Which temple will the leaders visit?", first.turns)
    assert fake.calls[-1]["history"] == [(first.turns[0].question, first.turns[0].answer_text)]
    assert len(second.chat) == 4


def test_abstention_says_so_and_shows_related_passages(fake: FakeAssistant) -> None:
    result = handlers.ask_question(fake, "Who won the football cup in Nara?", [])
    assert "Not answered." in result.chat[1]["content"]
    assert "Related passages (not an answer)" in result.sources_html
    assert 'id="nq-src-1"' in result.sources_html


def test_escapes_article_html_and_markdown(evil_fake: FakeAssistant) -> None:
    question = "What drew crowds at the harbor festival <b>x</b>?"
    result = handlers.ask_question(evil_fake, question, [])
    output = result.sources_html + "".join(m["content"] for m in result.chat)
    for needle in INJECTIONS:
        assert needle not in output
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in output
    assert "&lt;img src=x onerror=alert(1)&gt;" in output
    assert "[x](javascript:alert(1))" in output  # shown as text, never a link
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in output
    assert "&lt;b&gt;x&lt;/b&gt;" in result.chat[0]["content"]


def test_library_rows_are_plain_values(evil_fake: FakeAssistant) -> None:
    rows = handlers.library_rows(evil_fake)
    assert rows[0] == [NARA.title, "Jan 9, 2026", "SARAH KIM", 3, NARA.id]
    assert rows[1][0] == EVIL.title  # the Dataframe shows "str" cells as text


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("", "", (None, None)),
        (" 2026-01-01 ", None, (date(2026, 1, 1), None)),
        ("2026-01-01", "2026-01-31", (date(2026, 1, 1), date(2026, 1, 31))),
        ("2026-01-09", "2026-01-09", (date(2026, 1, 9), date(2026, 1, 9))),
    ],
)
def test_parse_date_range(since: str, until: str | None, expected: tuple) -> None:
    assert parse_date_range(since, until) == expected


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("2026/01/01", "", "'2026/01/01' is not in YYYY-MM-DD form"),
        ("yesterday", "", "From date 'yesterday'"),
        ("", "2026-02-30", "To date '2026-02-30' is not a real date"),
        ("2026-02-01", "2026-01-01", "'From' date 2026-02-01 is after 'To' date 2026-01-01"),
    ],
)
def test_bad_date_range_is_a_clear_warning(
    fake: FakeAssistant, since: str, until: str, message: str
) -> None:
    with pytest.raises(DateRangeError, match=r"YYYY-MM-DD|real date|after"):
        parse_date_range(since, until)
    result = handlers.ask_question(fake, "When will Lee travel?", [], since=since, until=until)
    assert result.warning is not None and message in result.warning
    assert fake.calls == [] and result.chat == []
    assert result.question == "When will Lee travel?"  # kept, so the user can retry


def test_dates_and_top_k_reach_the_assistant(fake: FakeAssistant) -> None:
    handlers.ask_question(fake, "Nara trip?", [], top_k=42.0, since="2026-01-01", until="")
    assert fake.calls[-1]["top_k"] == 42
    assert fake.calls[-1]["since"] == date(2026, 1, 1) and fake.calls[-1]["until"] is None


@pytest.mark.parametrize(("asked", "sent"), [(0, 1), (80, MAX_TOP_K), ("five", 5)])
def test_top_k_is_kept_within_the_assistants_limits(fake: FakeAssistant, asked, sent) -> None:
    handlers.ask_question(fake, "Nara trip?", [], top_k=asked)
    assert fake.calls[-1]["top_k"] == sent


@pytest.mark.parametrize("question", ["", "   ", None])
def test_empty_question_warns_without_asking(fake: FakeAssistant, question) -> None:
    result = handlers.ask_question(fake, question, [])
    assert result.warning and fake.calls == []


def test_a_long_question_goes_to_the_assistant_which_shortens_it(fake: FakeAssistant) -> None:
    """One limit for every surface: the assistant's (it cuts the question, with a note)."""
    question = "Nara trip? " * (MAX_QUESTION_CHARS // 5)
    handlers.ask_question(fake, question, [])
    assert fake.calls[-1]["question"] == question.strip()


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (QuestionError("the question is empty; type a question"), "the question is empty"),
        (RuntimeError("index went away"), "Unexpected error (RuntimeError): index went away"),
    ],
)
def test_assistant_errors_become_a_chat_message(fake: FakeAssistant, error, shown) -> None:
    fake.error = error
    result = handlers.ask_question(fake, "Anything?", [])
    assert shown in result.chat[1]["content"] and "Traceback" not in result.chat[1]["content"]
    assert result.turns[0].answer_text is None
    fake.error = None
    handlers.ask_question(fake, "Nara trip?", result.turns)
    assert fake.calls[-1]["history"] == []  # errors are not sent as conversation


def _write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name", ["setup.exe", "paper.pdf", "noext", "page.PHP"])
def test_upload_rejects_other_file_types(fake: FakeAssistant, tmp_path: Path, name: str) -> None:
    result = handlers.upload_articles(fake, [_write(tmp_path, name, "binary")])
    assert result.warning is not None and name in result.warning
    assert "not supported" in result.warning and ".txt" in result.warning
    assert name in result.report_html and len(result.rows) == 1


def test_upload_adds_good_files_and_reports_bad_ones(fake: FakeAssistant, tmp_path: Path) -> None:
    good = _write(tmp_path, "harbor.txt", "Harbor bridge approved\nThe council voted 7-2.")
    big = tmp_path / "huge.txt"
    with big.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)
    seen: list[tuple] = []
    result = handlers.upload_articles(
        fake, [good, str(big), _write(tmp_path, "x.pdf", "%PDF")],
        progress=lambda value, desc=None: seen.append((value, desc)),
    )
    assert [r[4] for r in result.rows if r[4] == "harbor"] == ["harbor"]
    assert any(choice[1] == "harbor" for choice in result.choices)
    assert "<strong>Added</strong> 1 article: harbor" in result.report_html
    assert "huge.txt" in result.warning and "20 MB limit" in result.warning
    assert "x.pdf" in result.warning
    assert seen == [((1, 1), "embedding")]  # unknown stages are shown as given
    assert result.changed


def test_upload_format_error_names_the_file(fake: FakeAssistant, tmp_path: Path) -> None:
    result = handlers.upload_articles(fake, [_write(tmp_path, "bad.md", "BROKEN")])
    assert result.warning == "Nothing was added: bad.md: no title line; start the file with one"
    assert "/" not in result.warning.split(":")[1]  # only the file name, never the temp path


def test_upload_index_error_is_one_line(fake: FakeAssistant, tmp_path: Path) -> None:
    from index.errors import IndexLockedError

    def locked(paths, *, progress=None):
        raise IndexLockedError("another build holds the index lock; try again in a minute")

    fake.add_files = locked
    result = handlers.upload_articles(fake, [_write(tmp_path, "ok.txt", "Title\nBody.")])
    assert result.warning == (
        "Nothing was added: another build holds the index lock; try again in a minute"
    )
    assert not result.changed and len(result.rows) == 1


def test_upload_with_nothing_chosen(fake: FakeAssistant) -> None:
    assert handlers.upload_articles(fake, None).warning == "Choose one or more article files first."


def test_remove_article(evil_fake: FakeAssistant) -> None:
    result = handlers.remove_article(evil_fake, "evil")
    assert [r[4] for r in result.rows] == [NARA.id]
    assert result.choices == [(f"{NARA.title} (Jan 9, 2026) · {NARA.id}", NARA.id)]
    assert "<strong>Removed</strong> 1 article: evil" in result.report_html
    assert handlers.remove_article(evil_fake, "evil").warning == (
        "No indexed article has the id 'evil'."
    )
    assert handlers.remove_article(evil_fake, None).warning == "Choose an article to remove first."


def test_render_article_marks_the_span_and_escapes() -> None:
    start = EVIL.text.index("crowds")
    html = render_article(EVIL, (start, start + len("crowds")))
    assert "drew <mark>crowds</mark> &lt;img" in html
    assert html.count("<p>") == 2 and "<script" not in html
    byline = render_article(NARA, (0, 5), "byline")
    assert "By <mark>SARAH</mark> KIM" in byline and "<mark>" not in byline.split("</div>", 2)[2]


def test_importing_ui_does_not_import_gradio() -> None:
    code = "import sys, ui; assert 'gradio' not in sys.modules; print(ui.__all__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr


def test_a_card_does_not_mark_a_quote_the_changed_article_no_longer_holds(
    fake: FakeAssistant,
) -> None:
    import dataclasses

    answer = fake.ask("What happened at the Chosei coal mine in 1942?")
    assert "has changed since this answer" not in handlers.render_sources(answer, fake)
    # The article is re-indexed with a paragraph inserted before the quoted one.
    changed = dataclasses.replace(NARA, paragraphs=("A new first paragraph.", *NARA.paragraphs))
    fake._articles[NARA.id] = changed
    html = handlers.render_sources(answer, fake)
    assert "<mark>In 1942, a devastating flood" in html.split("<details>", 1)[0]
    whole = html.split("<details>", 1)[1]
    assert "has changed since this answer" in whole
    assert "<mark>" not in whole  # the passage above still shows the quote as it was cited


def test_index_status_line_says_how_far_a_build_embedded() -> None:
    assistant = FakeAssistant()
    assert handlers.index_status(assistant) == (
        '<div class="nq-status">1 articles, 19,227 passages</div>')
    assistant.embedded = 12_400
    line = handlers.index_status(assistant)
    assert "12,400 of 19,227 chunks embedded" in line and "keyword search" in line
    assistant.index_status = None  # a failing status never breaks the page
    assert handlers.index_status(assistant) == ""


def test_as_of_defaults_to_today_and_reaches_the_assistant(fake: FakeAssistant) -> None:
    handlers.ask_question(fake, "Nara trip?", [])
    assert fake.calls[-1]["as_of"] == date.today()
    handlers.ask_question(fake, "Nara trip?", [], as_of=" 2026-01-10 ")
    assert fake.calls[-1]["as_of"] == date(2026, 1, 10)


@pytest.mark.parametrize("bad", ["last week", "2026-13-01"])
def test_bad_as_of_is_a_clear_warning(fake: FakeAssistant, bad: str) -> None:
    result = handlers.ask_question(fake, "Nara trip?", [], as_of=bad)
    assert result.warning is not None and "'As of'" in result.warning and bad in result.warning
    assert fake.calls == []


def test_the_short_answer_shows_above_the_quote_and_is_marked_in_it() -> None:
    from dataclasses import replace

    from corpus import Chunk
    from qa.types import Citation, DateNote, ShortAnswer
    from ui.render import render_answer

    text = "Lee will meet Meloni on Tuesday in Rome."
    article_start = 100
    chunk = Chunk(id="a:0", article_id="a", n=0, text=text, start=article_start,
                  end=article_start + len(text), paragraphs=(0, 0), sentences=((article_start,
                                                             article_start + len(text)),))
    citation = Citation(n=1, article_id="a", title="Summit", published=date(2026, 1, 9),
                        byline=None, source="a.txt", paragraph=1, start=article_start,
                        end=article_start + len(text), quote=text, passage=chunk, score=1.0)
    note = DateNote("on Tuesday", text.index("on Tuesday"), text.index("on Tuesday") + 10,
                    date(2026, 1, 13), "Jan. 13, 2026")
    citation = replace(citation, dates=(note,))
    rome = text.index("Rome")
    from qa.types import Answer

    answer = Answer("Where?", "Lee will meet Meloni on Tuesday (Jan. 13, 2026) in Rome. [1]",
                    False, (citation,), (),
                    short=ShortAnswer("Rome", article_start + rome, article_start + rome + 4,
                                      0.9))
    html = render_answer(answer)
    assert '<div class="nq-short">Rome</div>' in html
    assert '<mark class="nq-short-mark">Rome</mark>' in html
    assert html.index("nq-short") < html.index("nq-quote")
    assert "(Jan. 13, 2026)" in html
