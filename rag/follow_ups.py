"""Follow-up questions: "and when was it founded?" read in the context of the question before.

The library answers each question on its own, so a follow-up that leaves its subject
implicit would be searched without it. `read_in_context` gives the question to search with:
the new question as typed, with the previous question's names (or, when it names nothing,
its content words) added in parentheses, when the new question

- refers back (it, its, they, them, their, there, these, those, he, she, ...), or
- says nothing besides question words and filler ("and why?", "when?", "tell me more").

A question that names something itself ("when was the SCO founded?", "where is Bandar Abbas
and who runs it?") is self-contained and left exactly as typed, as is a first question.
"There" in "is there", "are there" is not a reference. Does not resolve which earlier thing
a pronoun means (no coreference model): the context is the whole previous question's
subject matter, which the search then weighs like any other words.
"""

from __future__ import annotations

import re

from rag.confidence import names
from rag.lexical import STOPWORDS
from rag.query import normalise_query

# Not "this" and "that": as relative pronouns and in "this year" they more often start a
# self-contained clause than refer back; "when did that happen?" is caught as saying nothing.
REFERRING = frozenset("it its they them their theirs there these those he him his she her hers".split())
# Words that ask or fill but name no subject: a question made of only these and stopwords
# ("and how many?", "tell me more about that") depends on the one before.
FILLER = frozenset("""also else tell more please much many long exactly happened happen happens ok okay
    thanks thank anything something else again""".split())
_WORD = re.compile(r"[^\W_][\w'’-]*")
_EXISTENTIAL = re.compile(r"\b(?:is|are|was|were|be|been|will)\s+there\b|\bthere\s+(?:is|are|was|were|be|been)\b",
                          re.IGNORECASE)


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _content_words(text: str) -> list[str]:
    seen, kept = set(), []
    for word in _words(text):
        folded = word.casefold()
        if folded not in STOPWORDS and folded not in FILLER and folded not in seen:
            seen.add(folded)
            kept.append(word)
    return kept


def needs_context(question: str) -> bool:
    """Whether `question` leaves its subject to the question before it."""
    if names(question) or not _words(question):  # no words: an empty question, refused as such
        return False
    words = {w.casefold() for w in _words(_EXISTENTIAL.sub(" ", question))}
    return bool(words & REFERRING) or not _content_words(question)


def context_words(previous: str) -> list[str]:
    """What a follow-up inherits from `previous`: its names and figures, else its content words."""
    return list(dict.fromkeys(names(previous))) or _content_words(previous)


def read_in_context(question: str, previous: str | None) -> str:
    """The question to search with: `question` itself, or, for a follow-up of `previous`
    (the question the previous answer was searched with), `question` plus its context."""
    if not previous or not needs_context(question):
        return question
    context = [w for w in context_words(previous) if w.casefold() not in {x.casefold() for x in _words(question)}]
    if not context:
        return question
    stem = question.strip().rstrip("?!. ")
    return f"{stem} ({', '.join(context)})?"


def read_as(question: str, searched: str) -> str | None:
    """How the UI says a question was read: `searched` (the question its answer was searched
    with, `Answer.question`) when that is not just `question` tidied, else None."""
    if searched == question or normalise_query(searched) == normalise_query(question):
        return None
    return searched
