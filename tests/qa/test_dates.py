"""Relative dates in quotes, resolved against the publication date (AP-style labels)."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.dates import LABEL_PATTERN, annotate, format_day, format_month, resolve_dates
from qa.types import DateNote

FRI = date(2026, 1, 9)  # the seed article's date, a Friday

# Sentences copied from the seed article (published Friday Jan. 9, 2026).
TRIP = ("President Lee Jae Myung will make a two-day trip to Japan's Nara Prefecture on Tuesday "
        "and Wednesday for a summit with Japanese Prime Minister Sanae Takaichi to discuss "
        "economic, social and cultural cooperation, the Blue House announced Friday.")
SUMMIT = ("On Tuesday, Lee and Takaichi will hold their bilateral summit, including one-on-one "
          "and expanding talks.")
TEMPLE = ("On Wednesday morning, the two leaders will visit Horyu-ji, an ancient Buddhist temple "
          "in Nara Prefecture and a Unesco World Cultural Heritage site.")
REMARKS = ("Lee's summit with Takaichi comes amid flared tensions between Japan and China over "
           "the Japanese prime minister's remarks last November stating that an attack on Taiwan "
           "could constitute an existential threat to Japan.")
REMAINS = ("The summit could discuss issues such as the excavation of Korean remains, after "
           "suspected remains of the victims were discovered in August of last year.")
TOKYO = ("This will mark Lee's second trip to Japan after a visit to Tokyo in August last year "
         "for a summit with Japanese Prime Minister Shigeru Ishiba.")
APEC = ("Lee first met with Takaichi — who is considered more hawkish than her predecessor — at "
        "the Asia Pacific Economic Cooperation Summit in Gyeongju, North Gyeongsang. in late "
        "October of last year, and expressed his desire to visit her hometown Nara Prefecture.")
MELONI = ("Continuing his month of diplomacy, Lee will hold a bilateral summit and official "
          "luncheon meeting with Italian Prime Minister Giorgia Meloni on Jan. 19, to promote "
          "cooperation in trade, investment, AI and other cutting-edge technologies, the Blue "
          "House said Friday.")


def labels(text: str, published: date = FRI) -> list[tuple[str, str]]:
    return [(n.phrase, n.label) for n in resolve_dates(text, published)]


@pytest.mark.parametrize(("text", "expected"), [
    (TRIP, [("on Tuesday", "Jan. 13, 2026"), ("Wednesday", "Jan. 14, 2026"),
            ("Friday", "Jan. 9, 2026")]),
    (SUMMIT, [("On Tuesday", "Jan. 13, 2026")]),
    (TEMPLE, [("On Wednesday morning", "Jan. 14, 2026")]),
    (REMARKS, [("last November", "Nov. 2025")]),
    (REMAINS, [("August of last year", "Aug. 2025")]),
    (TOKYO, [("August last year", "Aug. 2025")]),
    (APEC, [("late October of last year", "Oct. 2025")]),
    (MELONI, [("Friday", "Jan. 9, 2026")]),  # "Jan. 19" is in the article's own year
])
def test_seed_article_sentences(text: str, expected: list[tuple[str, str]]) -> None:
    assert labels(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # Bare weekdays follow the tense of their clause; the publication weekday itself is "today".
    ("He resigned Monday.", "Jan. 5, 2026"),
    ("He will resign Monday.", "Jan. 12, 2026"),
    ("The vote is scheduled for Monday.", "Jan. 12, 2026"),
    ("The ministry plans to respond Thursday.", "Jan. 15, 2026"),
    ("The two sides are expected to meet Sunday.", "Jan. 11, 2026"),
    ("Officials met Thursday.", "Jan. 8, 2026"),
    ("The ministry said Friday that talks would resume.", "Jan. 9, 2026"),
    ("He will speak Friday.", "Jan. 9, 2026"),
    ("Talks on Wednesday ended without a deal.", "Jan. 7, 2026"),
    ("Markets on Wednesday.", "Jan. 7, 2026"),  # no tense marker: past
    ("The talks ended Saturday, officials said.", "Jan. 3, 2026"),
    # Qualifiers.
    ("The deal was signed last Friday.", "Jan. 2, 2026"),
    ("The deal was signed last Thursday.", "Jan. 8, 2026"),
    ("The deal will be signed next Friday.", "Jan. 16, 2026"),
    ("The deal will be signed next Monday.", "Jan. 12, 2026"),
    ("Prices rose this past Monday.", "Jan. 5, 2026"),
    ("Prices will rise this coming Monday.", "Jan. 12, 2026"),
    ("This Monday, he will fly to Seoul.", "Jan. 12, 2026"),
    ("Tuesday's meeting was tense.", "Jan. 6, 2026"),
    ("The storm hit late Tuesday.", "Jan. 6, 2026"),
    ("Voters will go to the polls Thursday night.", "Jan. 15, 2026"),
    # A participle after "be" carries no tense; the auxiliary does.
    ("The bill will be signed Tuesday.", "Jan. 13, 2026"),
    ("Charges will be filed, and he is expected to be arraigned on Tuesday.", "Jan. 13, 2026"),
    ("The rule will be effective 7 a.m. Saturday.", "Jan. 10, 2026"),  # "a.m." ends no sentence
])
def test_weekdays(text: str, expected: str) -> None:
    notes = resolve_dates(text, FRI)
    assert [n.label for n in notes] == [expected]


@pytest.mark.parametrize(("text", "phrase", "label"), [
    ("The results were announced today.", "today", "Jan. 9, 2026"),
    ("Today's vote was close.", "Today's", "Jan. 9, 2026"),
    ("The team will play tonight.", "tonight", "Jan. 9, 2026"),
    ("The minister arrived this morning.", "this morning", "Jan. 9, 2026"),
    ("The fire broke out yesterday morning.", "yesterday morning", "Jan. 8, 2026"),
    ("The fire broke out last night.", "last night", "Jan. 8, 2026"),
    ("The court will rule tomorrow.", "tomorrow", "Jan. 10, 2026"),
    ("Exports fell last week.", "last week", "week of Dec. 29, 2025"),
    ("Exports fell this week.", "this week", "week of Jan. 5, 2026"),
    ("The envoy arrives next week.", "next week", "week of Jan. 12, 2026"),
    ("Last week's talks failed.", "Last week's", "week of Dec. 29, 2025"),
    ("Prices rose last month.", "last month", "Dec. 2025"),
    ("The law takes effect next month.", "next month", "Feb. 2026"),
    ("Growth slowed last year.", "last year", "2025"),
    ("Growth will pick up this year.", "this year", "2026"),
    ("The plant opens next year.", "next year", "2027"),
    ("The museum reopens next March.", "next March", "March 2026"),
    ("The museum reopened last March.", "last March", "March 2025"),
    ("The museum closed last January.", "last January", "Jan. 2025"),
    ("The festival returns this May.", "this May", "May 2026"),
    ("It began in early September of last year.", "early September of last year", "Sept. 2025"),
    ("Construction ends in mid-June next year.", "mid-June next year", "June 2027"),
])
def test_relative_days_weeks_months_years(text: str, phrase: str, label: str) -> None:
    assert labels(text) == [(phrase, label)]


@pytest.mark.parametrize(("text", "published", "expected"), [
    # A month and day without a year is labelled only when it falls in another year.
    ("The deadline is Jan. 3.", date(2025, 12, 28), [("Jan. 3", "Jan. 3, 2026")]),
    ("The audit began Dec. 30.", date(2026, 1, 2), [("Dec. 30", "Dec. 30, 2025")]),
    ("Talks resume 5 January.", date(2025, 12, 20), [("5 January", "Jan. 5, 2026")]),
    ("Talks resume on the 5th of January.", date(2025, 12, 20), [("5th of January",
                                                                  "Jan. 5, 2026")]),
    ("Meloni will visit from Jan. 17.", FRI, []),
    ("The vote is on Jan. 19, 2027.", FRI, []),
    ("The vote was held on January 19 2025.", FRI, []),
    ("The deal was signed Tuesday, Jan. 6.", FRI, []),  # already explicit: no weekday label
    ("Feb. 29 comes every four years.", date(2026, 6, 1), []),  # no Feb. 29 in 2025-2027
    # Tense picks the side when both years are within half a year.
    ("The law was passed Oct. 1.", date(2026, 4, 2), [("Oct. 1", "Oct. 1, 2025")]),
    ("The law will take effect Oct. 1.", date(2026, 4, 2), []),
    ("The law takes effect Oct. 1.", date(2026, 4, 2), []),  # nearest: this year
    # Months away and no tense toward another year: not labelled.
    ("Following the death of Lenin on Jan. 21, a new leader rose.", date(2020, 9, 6), []),
    ("Jan. 21 is the date.", date(2020, 9, 6), []),
    ("The hearing will be on Jan. 21.", date(2020, 9, 6), [("Jan. 21", "Jan. 21, 2021")]),
    ("They questioned the January 6, 2021attack.", date(2022, 10, 31), []),  # typo in source
])
def test_month_and_day(text: str, published: date,
                       expected: list[tuple[str, str]]) -> None:
    assert labels(text, published) == expected


@pytest.mark.parametrize("text", [
    "",
    "Officials may meet again soon.",
    "May the best team win.",
    "May I ask a question?",
    "In May, the rain usually starts.",  # a bare month: too often generic
    "The mayor spoke in August.",
    "Black Friday sales rose 5 percent.",
    "Shoppers flocked to stores on Cyber Monday.",
    "The USA Today report was cited.",
    "Sales fell over the last year.",
    "Profits rose in the past week.",
    "The vote falls on the last Friday of the month.",
    "He works Mondays and Tuesdays.",
    "March is the windiest month.",
    "The report covers 2024 and 2025.",
    "Mr. Monday spoke.",
    "The state bans Sunday hunting.",
    "He wrote for the Sunday Times.",
    "wednesday is lowercase here.",
    "The Marchetti group left.",
])
def test_not_dates(text: str) -> None:
    assert resolve_dates(text, FRI) == []


@pytest.mark.parametrize("text", [TRIP, SUMMIT, TEMPLE, REMARKS, REMAINS, APEC,
                                  "Today's vote, held this week, came last Friday (local time)."])
def test_offsets_point_into_the_text(text: str) -> None:
    for note in resolve_dates(text, FRI):
        assert text[note.start:note.end] == note.phrase


def test_notes_never_overlap_and_prefer_the_longer_phrase() -> None:
    notes = resolve_dates("It happened in October of last year, not last year.", FRI)
    assert [n.phrase for n in notes] == ["October of last year", "last year"]
    assert all(a.end <= b.start for a, b in pairwise(notes))


def test_resolved_dates() -> None:
    notes = resolve_dates(TRIP + " " + REMARKS, FRI)
    assert [n.resolved for n in notes] == [date(2026, 1, 13), date(2026, 1, 14),
                                           date(2026, 1, 9), date(2025, 11, 1)]


def test_tense_is_read_per_clause_across_sentences() -> None:
    text = "He will fly out Tuesday. The talks ended Tuesday."
    assert [n.resolved for n in resolve_dates(text, FRI)] == [date(2026, 1, 13),
                                                              date(2026, 1, 6)]


def test_annotate_inserts_labels_after_phrases() -> None:
    assert annotate(TRIP, resolve_dates(TRIP, FRI)).endswith(
        "on Tuesday (Jan. 13, 2026) and Wednesday (Jan. 14, 2026) for a summit with Japanese "
        "Prime Minister Sanae Takaichi to discuss economic, social and cultural cooperation, "
        "the Blue House announced Friday (Jan. 9, 2026).")
    assert annotate(TEMPLE, resolve_dates(TEMPLE, FRI)).startswith(
        "On Wednesday morning (Jan. 14, 2026), the two leaders")
    assert "remarks last November (Nov. 2025) stating" in annotate(
        REMARKS, resolve_dates(REMARKS, FRI))


def test_annotate_without_notes_is_identity() -> None:
    assert annotate(MELONI, []) == MELONI


def test_annotate_rejects_overlapping_notes() -> None:
    note = DateNote("Friday", 0, 6, FRI, "Jan. 9, 2026")
    with pytest.raises(ValueError, match="overlaps"):
        annotate("Friday night", [note, DateNote("Friday night", 0, 12, FRI, "x")])


def test_label_pattern_matches_every_inserted_label() -> None:
    text = ("Exports fell last week and last month, rose last year, and will rise Tuesday and "
            "next March.")
    annotated = annotate(text, resolve_dates(text, FRI))
    assert annotated != text
    assert LABEL_PATTERN.sub("", annotated) == text


@pytest.mark.parametrize(("day", "as_day", "as_month"), [
    (date(2026, 1, 13), "Jan. 13, 2026", "Jan. 2026"),
    (date(2026, 3, 3), "March 3, 2026", "March 2026"),
    (date(2025, 9, 30), "Sept. 30, 2025", "Sept. 2025"),
    (date(2025, 7, 4), "July 4, 2025", "July 2025"),
])
def test_ap_style_labels(day: date, as_day: str, as_month: str) -> None:
    assert (format_day(day), format_month(day)) == (as_day, as_month)


_VOCAB = ["on", "last", "next", "this", "past", "coming", "the", "will", "said", "was", "be",
          "signed", "Monday", "Friday's", "Sunday", "morning", "today", "yesterday", "week",
          "month", "year", "of", "in", "late", "May", "may", "Jan.", "October", "19", "5th",
          "2025", ",", ".", "Mr.", "(", ")", "—", "a.m.", "“", "”"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_VOCAB), max_size=25),
       st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)))
def test_any_text_round_trips(words: list[str], published: date) -> None:
    text = " ".join(words)
    notes = resolve_dates(text, published)
    for a, b in pairwise(notes):
        assert a.end <= b.start
    for note in notes:
        assert text[note.start:note.end] == note.phrase
    assert LABEL_PATTERN.sub("", annotate(text, notes)) == text


_PHRASES = ["Tuesday", "on Friday evening", "last Monday", "this past Sunday", "today",
            "Tonight", "yesterday morning", "tomorrow", "this afternoon", "last night",
            "next week", "this month", "last year", "early March of next year", "last May",
            "Jan. 6", "on 3 September", "Sept. 12-14", "Dec. 2", "May 5", "mid-October last year",
            "the week", "this coming Thursday's", "Black Friday", "2025", "spring"]


@given(st.lists(st.sampled_from([*_PHRASES, "the council met", "and", ",", "will", "said"]),
                max_size=12),
       st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)))
@settings(max_examples=300, deadline=None)
def test_the_quick_check_for_date_words_never_skips_a_phrase(words: list[str],
                                                             published: date) -> None:
    # resolve_dates skips a text that holds none of _PHRASE_PARTS: running every finder on
    # it anyway must find nothing more.
    from qa import dates

    text = " ".join(words)
    found = [m for finder in dates._FINDERS for m in finder(text, published)]
    assert resolve_dates(text, published) == dates._notes(text, found)
