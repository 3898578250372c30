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
# stand for the person (Korean names put the family name first: "Lee Jae Myung").
_INTRODUCTION = re.compile(
    rf"((?:[A-Z][\w'-]* ){{0,3}}?(?:{_ROLES})) "
    rf"([A-Z][\w'-]+(?: [A-Z][\w'-]+){{0,2}})"
)
_WORD = re.compile(r"[A-Z][\w'-]+")


@lru_cache(maxsize=512)
def role_aliases(text: str) -> dict[str, tuple[str, ...]]:
    """Map each introduced person's name words (lowercase) to the tokens of their role.

    >>> role_aliases("Italian Prime Minister Giorgia Meloni arrives.")["meloni"]
    ('italian', 'prime', 'minist')
    """
    aliases: dict[str, tuple[str, ...]] = {}
    for match in _INTRODUCTION.finditer(text):
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
