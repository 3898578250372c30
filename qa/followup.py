"""Turn a follow-up question in a chat into a self-contained retrieval query, without generation.

    >>> rewrite_query("And how many of them were Korean?", [(
    ...     "What happened at the Chosei coal mine in 1942?",
    ...     "In 1942, a flood at the mine in Yamaguchi killed 183 workers. [1]")])
    'And how many of them were Korean? Chosei coal mine 1942 Yamaguchi 183'

A question is a follow-up when history exists and it starts with a connective ("and", "but",
"what about", "so", ...), refers back with a pronoun or demonstrative ("it", "them", "that
summit", "there"), or has no named entity of its own while being very short (<= 4 content
words) or coming after a turn that had some. A follow-up keeps its own words first, then gets
the salient terms of the last turns appended, newest turn first: the earlier question's content
words and entities, then the entities and numbers of the earlier answer (citation markers such as
"[1]" and inserted date labels such as "(Jan. 13, 2026)" are stripped first). The query is capped
at `MAX_QUERY_WORDS` words. Anything else is returned unchanged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from qa.dates import LABEL_PATTERN

__all__ = ["MAX_QUERY_WORDS", "clean_answer", "is_followup", "rewrite_query"]

logger = logging.getLogger(__name__)

#: The rewritten query never grows past this many words (the question itself is never cut).
MAX_QUERY_WORDS = 40
#: Turns looked back at, and how many terms each contributes (newest first).
_TERMS_PER_TURN = (12, 6, 3)
_ANSWER_TERMS_PER_TURN = (6, 3, 2)

_CONNECTIVES = ("what about", "how about", "and", "but", "so", "then", "also", "or", "plus")
_PRONOUNS = frozenset({"it", "its", "they", "them", "their", "theirs", "he", "she", "his",
                       "her", "him", "hers", "these", "those", "then", "itself", "themselves"})
_DEMONSTRATIVES = frozenset({"this", "that"})
_TIME_NOUNS = frozenset({"year", "week", "month", "morning", "afternoon", "evening", "time",
                         "weekend", "day", "season", "spring", "summer", "fall", "autumn",
                         "winter"})
# Words before "that" which make it a reference ("about that", "did that happen").
_BEFORE_REFERENCE = frozenset({"about", "of", "in", "after", "before", "for", "with", "from",
                               "at", "on", "to", "by", "did", "does", "do", "is", "was", "will",
                               "why", "how", "when", "where", "what", "who", "mean", "means"})
_BE = frozenset({"is", "are", "was", "were", "be", "been", "will", "has", "have", "had", "'s"})
_STOPWORDS = frozenset({
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "about", "as",
    "into", "over", "after", "before", "between", "during", "under", "than", "and", "or", "but",
    "nor", "so", "yet", "if", "then", "else", "when", "while", "what", "which", "who", "whom",
    "whose", "where", "why", "how", "is", "are", "was", "were", "be", "been", "being", "am", "do",
    "does", "did", "done", "have", "has", "had", "having", "will", "would", "shall", "should",
    "can", "could", "may", "might", "must", "it", "its", "they", "them", "their", "he", "she",
    "his", "her", "him", "this", "that", "these", "those", "there", "here", "i", "me", "my", "we",
    "us", "our", "you", "your", "not", "no", "yes", "any", "some", "all", "many", "much", "more",
    "most", "few", "other", "such", "only", "own", "same", "too", "very", "just", "also", "one",
    "ones", "s", "t", "don", "doesn", "happen", "happened", "happens", "tell", "say", "said",
    "says", "know", "think", "make", "made", "get", "got", "give", "go", "going", "went", "come",
    "came", "take", "took", "see", "seen", "want", "like", "well", "please", "kind", "sort",
    "thing", "things", "way", "really", "ever"
})
# Capitalised at the start of a question, but not entities.
_NOT_ENTITIES = _STOPWORDS | frozenset({"describe", "explain", "list", "name", "give", "show",
                                        "summarize", "summarise", "compare", "find", "since",
                                        "until", "although", "however", "meanwhile"})

_WORD = re.compile(r"[^\W_][\w'.-]*[^\W_]|[^\W_]")
_POSSESSIVE = re.compile(r"'s$")
_MARKER = re.compile(r"\s?\[\d+(?:\s*[,–-]\s*\d+)*\]")


def is_followup(question: str, history: Sequence[tuple[str, str]]) -> bool:
    """Whether `question` leans on the conversation in `history` (oldest turn first)."""
    if not history or not question.strip():
        return False
    words = _words(question)
    lowered = [w.lower() for w in words]
    text = " ".join(lowered)
    if any(text == c or text.startswith(c + " ") for c in _CONNECTIVES):
        return True
    if _refers_back(lowered):
        return True
    if _entities(words):
        return False
    content = [w for w in lowered if w not in _STOPWORDS]
    previous_question = str(history[-1][0] or "")
    return len(content) <= 4 or bool(_entities(_words(previous_question)))


def rewrite_query(question: str, history: Sequence[tuple[str, str]]) -> str:
    """A self-contained retrieval query for `question` given the earlier `(question, answer
    text)` turns, oldest first. Returns `question` unchanged when it is not a follow-up."""
    if not is_followup(question, history):
        return question
    have = {w.lower() for w in _words(question)}
    budget = MAX_QUERY_WORDS - len(question.split())
    added: list[str] = []
    turns = list(reversed(history[-len(_TERMS_PER_TURN):]))
    for turn, (prev_q, prev_a) in enumerate(turns):
        for terms, cap in ((_question_terms(str(prev_q or "")), _TERMS_PER_TURN[turn]),
                           (_answer_terms(str(prev_a or "")), _ANSWER_TERMS_PER_TURN[turn])):
            new = [t for t in dict.fromkeys(terms) if t.lower() not in have][: min(cap, budget)]
            have.update(t.lower() for t in new)
            added.extend(new)
            budget -= len(new)
    query = " ".join([question, *added]) if added else question
    logger.debug("follow-up %r rewritten to %r", question, query)
    return query


def clean_answer(text: str) -> str:
    """`text` without citation markers ("[1]", "[2, 3]") and inserted date labels."""
    return LABEL_PATTERN.sub("", _MARKER.sub("", text))


def _words(text: str) -> list[str]:
    return [_POSSESSIVE.sub("", w) for w in _WORD.findall(text.replace("’", "'"))]


def _refers_back(lowered: list[str]) -> bool:
    for i, word in enumerate(lowered):
        before = lowered[i - 1] if i else ""
        after = lowered[i + 1] if i + 1 < len(lowered) else ""
        if word in _PRONOUNS:
            return True
        if word in _DEMONSTRATIVES and after not in _TIME_NOUNS and (
                i == 0 or not after or before in _BEFORE_REFERENCE):
            return True
        # "were there?" points back to a place; "is there a ...?" is existential.
        if word == "there" and (not after or (before not in _BE and after not in _BE)):
            return True
    return False


def _entities(words: list[str]) -> list[str]:
    """Capitalised words that are not question words, stopwords or imperatives ("Describe")."""
    return [w for w in words if w[0].isupper() and w.lower() not in _NOT_ENTITIES]


def _question_terms(question: str) -> list[str]:
    """Entities first, then the other content words, in order, without duplicates."""
    words = _words(question)
    entities = _entities(words)
    content = [w for w in words if w.lower() not in _STOPWORDS and w not in entities]
    return list(dict.fromkeys(entities + content))


def _answer_terms(answer: str) -> list[str]:
    """Entities and numbers of an answer in text order, the most frequent first."""
    words = _words(clean_answer(answer))
    entities = set(_entities(words))
    terms = [w for w in words if w in entities or w[0].isdigit()]
    counts: dict[str, int] = {}
    for term in terms:
        counts[term] = counts.get(term, 0) + 1
    return sorted(counts, key=lambda t: -counts[t])
