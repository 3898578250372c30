"""Answering: hybrid retrieval, quoted answers with exact citations, the `Assistant` facade.

    from qa import Assistant
    assistant = Assistant.open("path/to/index")
    answer = assistant.ask("When will Lee meet Meloni?")
    timeline = assistant.timeline("Port Alder ferry")
"""

from qa.answer import AnswerConfig
from qa.api import MAX_QUESTION_CHARS, MAX_TOP_K, Assistant
from qa.errors import QAConfigError, QAError, QuestionError
from qa.retrieve import RetrievalConfig
from qa.types import (
    Answer,
    ArticleCopy,
    Citation,
    DateNote,
    Event,
    Hit,
    IndexStatus,
    ShortAnswer,
    Timeline,
)

__all__ = [
    "MAX_QUESTION_CHARS",
    "MAX_TOP_K",
    "Answer",
    "AnswerConfig",
    "ArticleCopy",
    "Assistant",
    "Citation",
    "DateNote",
    "Event",
    "Hit",
    "IndexStatus",
    "QAConfigError",
    "QAError",
    "QuestionError",
    "RetrievalConfig",
    "ShortAnswer",
    "Timeline",
]
