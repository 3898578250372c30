""""As of": the period a question is about, the recency prior, and the API's filter."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from qa import Assistant, QAConfigError
from qa.recency import Period, RecencyParams, question_period, recency_prior

AS_OF = date(2026, 3, 18)  # a Wednesday


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What did the council decide?", Period(AS_OF, AS_OF, "")),
        ("What happened this week?", Period(date(2026, 3, 16), date(2026, 3, 18), "this week",
                                            AS_OF)),
        ("What was agreed last week?", Period(date(2026, 3, 9), date(2026, 3, 15), "last week",
                                              AS_OF)),
        ("What did they say last month?", Period(date(2026, 2, 1), date(2026, 2, 28),
                                                 "last month", AS_OF)),
        ("What was decided in November?", Period(date(2025, 11, 1), date(2025, 11, 30),
                                                 "in November", AS_OF)),
        ("Who won in 2021?", Period(date(2021, 1, 1), date(2021, 12, 31), "in 2021", AS_OF)),
        ("What happened in May 2024?", Period(date(2024, 5, 1), date(2024, 5, 31),
                                              "in May 2024", AS_OF)),
        ("What happened yesterday?", Period(date(2026, 3, 17), date(2026, 3, 17), "yesterday",
                                            AS_OF)),
        ("Which team won, its first title since 2010?", Period(
            date(2010, 1, 1), date(2010, 12, 31), "since 2010", AS_OF)),
        # Periods longer than a week around as_of, or after it, say no more than as_of.
        ("What was decided in March?", Period(AS_OF, AS_OF, "")),
        ("Who is headlining the festival this year?", Period(AS_OF, AS_OF, "")),
        ("Who will testify next month?", Period(AS_OF, AS_OF, "")),
    ],
)
def test_question_period(question: str, expected: Period) -> None:
    assert question_period(question, AS_OF) == expected


def test_without_as_of_only_absolute_periods() -> None:
    assert question_period("What happened this week?", None) is None
    assert question_period("Who won in 2021?", None) == Period(
        date(2021, 1, 1), date(2021, 12, 31), "in 2021")


def test_prior_falls_with_distance_and_ignores_undated() -> None:
    undated = np.iinfo(np.int64).min
    days = np.array([AS_OF.toordinal(), AS_OF.toordinal() - 3, AS_OF.toordinal() - 30,
                     undated], dtype=np.int64)
    prior = recency_prior(days, Period(AS_OF, AS_OF), RecencyParams(strength=2.0,
                                                                    half_life_days=3.0),
                          undated=undated)
    assert prior[0] == pytest.approx(2.0)
    assert prior[1] == pytest.approx(1.0)
    assert prior[2] < 0.01 and prior[3] == 0.0
    assert not recency_prior(days, None, RecencyParams(), undated=undated).any()


def test_a_named_period_counts_the_week_after() -> None:
    undated = np.iinfo(np.int64).min
    period = Period(date(2026, 3, 1), date(2026, 3, 31), "in March")
    days = np.array([date(2026, 3, 15).toordinal(), date(2026, 4, 5).toordinal(),
                     date(2026, 2, 10).toordinal()], dtype=np.int64)
    prior = recency_prior(days, period, RecencyParams(strength=1.0, half_life_days=7.0),
                          undated=undated)
    assert prior[0] == prior[1] == pytest.approx(1.0)
    assert prior[2] < prior[0]


def test_a_past_period_asked_later_also_prefers_recent_articles() -> None:
    undated = np.iinfo(np.int64).min
    period = Period(date(2010, 1, 1), date(2010, 12, 31), "since 2010", AS_OF)
    days = np.array([AS_OF.toordinal() - 2, date(2010, 6, 1).toordinal(),
                     date(2018, 6, 1).toordinal()], dtype=np.int64)
    prior = recency_prior(days, period, RecencyParams(strength=1.0, half_life_days=7.0),
                          undated=undated)
    assert prior[0] == pytest.approx(2 ** (-2 / 7)) and prior[1] == pytest.approx(1.0)
    assert prior[2] < 0.01


@pytest.mark.parametrize("bad", [{"strength": -1}, {"half_life_days": 0}])
def test_bad_recency_params(bad: dict) -> None:
    with pytest.raises(ValueError, match="recency"):
        RecencyParams(**bad)


def test_as_of_leaves_out_later_articles(hash_index: Path) -> None:
    assistant = Assistant.open(hash_index)
    question = "What did the city council approve?"
    assert assistant.ask(question).citations[0].article_id == "harbor-bridge"
    before = assistant.ask(question, as_of="2025-11-01", top_k=10)
    assert "harbor-bridge" not in {h.chunk.article_id for h in before.hits}
    later = assistant.ask(question, as_of=date(2025, 11, 4), top_k=10)
    assert later.hits and later.hits[0].chunk.article_id == "harbor-bridge"


def test_as_of_prefers_recent_articles(hash_index: Path) -> None:
    assistant = Assistant.open(hash_index)
    question = "What happened on Sunday?"
    plain = [h.chunk.article_id for h in assistant.ask(question, top_k=10).hits]
    dated = [h.chunk.article_id for h in assistant.ask(question, top_k=10,
                                                       as_of="2025-12-16").hits]
    assert dated[0] == "volcano"  # published Dec. 15, the day before
    assert set(plain) >= set(dated)


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "01/02/2026"])
def test_bad_as_of_is_one_clear_error(hash_index: Path, bad: str) -> None:
    with pytest.raises(QAConfigError, match="as_of must be a date"):
        Assistant.open(hash_index).ask("What happened?", as_of=bad)
