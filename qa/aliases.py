"""Role aliases: news introduces people once with their role ("Italian Prime Minister Giorgia
Meloni") and then calls them by surname ("Meloni will pay a three-day visit..."). A question asks
about "the Italian prime minister"; to match the later sentence, the surname stands for its role.
"""

from __future__ import annotations

import re
from functools import lru_cache

from index import tokenize

_ROLES = (
    r"Prime Minister|Deputy Prime Minister|Foreign Minister|Defense Minister|Finance Minister|"
    r"Minister|President|Vice President|Premier|Chancellor|Secretary of State|Secretary|"
    r"Senator|Sen\.|Representative|Rep\.|Governor|Gov\.|Mayor|Speaker|Leader|Chairman|"
    r"Chairwoman|Chair|Chief Executive|CEO|Director|Ambassador|Adviser|Advisor|Spokesperson|"
    r"Spokesman|Spokeswoman|King|Queen|Prince|Princess|Pope|General|Gen\.|Admiral|Judge|"
    r"Justice|Coach|Commissioner|Attorney General|Emperor|Crown Prince"
)
# Up to three capitalised qualifiers ("Italian", "National Security"), the role, then a name of
# one to three capitalised words, all on one line. Both the first and the last word of the name
# stand for the person (Korean names put the family name first: "Lee Jae Myung"). Tried only
# where `introductions` finds a role it can reach.
_INTRODUCTION = re.compile(
    rf"((?:[A-Z][\w'-]* ){{0,3}}?(?:{_ROLES})) "
    rf"([A-Z][\w'-]+(?: [A-Z][\w'-]+){{0,2}})"
)
_WORD = re.compile(r"[A-Z][\w'-]+")


# Every introduction holds a role, then a space and a capital: scanning for those first (a
# fast scan, the roles all start with a capital letter) and trying the full pattern only
# where such a role can be reached through at most three qualifiers finds the same matches
# as `_INTRODUCTION.finditer`, ten times faster over an article.
_ROLE_THEN_NAME = re.compile(rf"(?:{_ROLES}) (?=[A-Z])")
_QUALIFIER_CHAR = re.compile(r"[\w'-]")


def introductions(text: str) -> list[re.Match[str]]:
    """`_INTRODUCTION.finditer(text)`, as a list."""
    starts: set[int] = set()
    for m in _ROLE_THEN_NAME.finditer(text):
        # Roles inside the match ("Prime Minister" in "Deputy Prime Minister") start too.
        for c in range(m.start(), m.end() - 1):
            if "A" <= text[c] <= "Z" and (c == m.start() or _ROLE_THEN_NAME.match(text, c)):
                starts.update(_qualified_starts(text, c))
    found: list[re.Match[str]] = []
    cursor = 0
    for s in sorted(starts):
        if s >= cursor and (match := _INTRODUCTION.match(text, s)):
            found.append(match)
            cursor = match.end()
    return found


def _qualified_starts(text: str, role: int) -> list[int]:
    """Every position from which zero to three qualifier words ("[A-Z][\\w'-]* ") lead to
    `role`: the role itself, and each capital of the words before it (the first
    qualifier may start inside a word, the others start their word)."""
    out = [role]
    end = role
    for _ in range(3):
        if end == 0 or text[end - 1] != " ":
            break
        start = end - 1
        while start > 0 and _QUALIFIER_CHAR.match(text, start - 1):
            start -= 1
        caps = [c for c in range(start, end - 1) if "A" <= text[c] <= "Z"]
        out.extend(caps)
        if not caps or caps[0] != start:
            break
        end = start
    return out


@lru_cache(maxsize=512)
def role_aliases(text: str) -> dict[str, tuple[str, ...]]:
    """Map each introduced person's name words (lowercase) to the tokens of their role.

    >>> role_aliases("Italian Prime Minister Giorgia Meloni arrives.")["meloni"]
    ('italian', 'prime', 'minist')
    """
    aliases: dict[str, tuple[str, ...]] = {}
    for match in introductions(text):
        role, name = match.group(1), match.group(2).split()
        tokens = tuple(tokenize(role))
        for word in {name[0], name[-1]}:
            key = word.lower().removesuffix("'s")
            if tokens and key not in aliases:
                aliases[key] = tokens
    return aliases


def expand_with_roles(sentence: str, aliases: dict[str, tuple[str, ...]]) -> set[str]:
    """Role tokens of the people the sentence names by surname."""
    extra: set[str] = set()
    if not aliases:
        return extra
    for word in _WORD.findall(sentence):
        key = word.lower().removesuffix("'s").removesuffix("’s")
        if key in aliases:
            extra.update(aliases[key])
    return extra
