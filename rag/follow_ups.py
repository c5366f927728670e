"""Follow-up questions: "and when was it founded?" read in the context of the question before.

The library answers each question on its own, so a follow-up that leaves its subject
implicit would be searched without it. `read_in_context` gives the question to search with:
the new question as typed, with the previous question's names (or, when it names nothing,
its content words) added in parentheses, when the new question

- refers back (it, its, they, them, their, there, these, those, he, she, ...), or
- says nothing besides question words and filler ("and why?", "when?", "tell me more").

A follow-up that is only a new name in the old frame ("what about Russia?", "and India?",
"how about China and Iran then?", "and in 2024?") asks the previous question again about it:
it is read as the previous question with the new name in place of the previous one's first
run of names ("Which countries joined the SCO drills?" -> "Which countries joined the Russia
drills?"); a year replaces a figure, a name a name. When the previous question has no name of
that kind, the new one is added in parentheses, as for a pronoun.

A question that names something itself ("when was the SCO founded?", "where is Bandar Abbas
and who runs it?") is self-contained and left exactly as typed, as is a first question.
"There" in "is there", "are there" is not a reference. Does not resolve which earlier thing
a pronoun means (no coreference model): the context is the whole previous question's
subject matter, which the search then weighs like any other words.
"""

from __future__ import annotations

import re
from typing import NamedTuple

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


# "what about X?", "and X?", "how about X then?": the lead that marks a new subject in the old
# frame, a preposition or "the" the new subject may carry ("and in 2024?"), and a closing word.
_NEW_SUBJECT = re.compile(
    r"\s*(?:(?:and|but)(?:\s+(?:what|how)\s+about|\s+what\s+of)?|(?:what|how)\s+about|what\s+of)\s+"
    r"(?:(?:in|for|with|at|on|from|by)\s+)?(?:the\s+)?(?P<subject>.+?)"
    r"(?:,?\s+(?:then|too|instead|as\s+well))?[\s?!.]*", re.IGNORECASE)
_NAME_WORD = re.compile(r"[^\W_][\w'’.-]*")  # as `rag.confidence.names` reads words
_JOINED = re.compile(r"\s+|\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+", re.IGNORECASE)  # "China and Iran"


class NameRun(NamedTuple):
    """Neighbouring names (or figures) in a question, joined by spaces, commas, "and", "or"."""

    start: int
    end: int
    figures: bool


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


def name_runs(question: str) -> list[NameRun]:
    """Where `question`'s names (`rag.confidence.names`) stand, neighbouring ones as one run."""
    runs: list[NameRun] = []
    for i, match in enumerate(_NAME_WORD.finditer(question)):
        word = match.group()
        if not ((i > 0 and word[0].isupper()) or word[0].isdigit()):
            continue
        end, figures = match.start() + len(word.rstrip(".")), word[0].isdigit()
        if runs and runs[-1].figures == figures and _JOINED.fullmatch(question[runs[-1].end:match.start()]):
            runs[-1] = runs[-1]._replace(end=end)
        else:
            runs.append(NameRun(match.start(), end, figures))
    return runs


def new_subject(question: str) -> str | None:
    """The name `question` asks about when it is only that name in the frame of the question
    before ("what about Russia?" -> "Russia"), else None."""
    match = _NEW_SUBJECT.fullmatch(question)
    if not match:
        return None
    words = _words(match.group("subject"))
    named = [w for w in words if w[0].isupper() or w[0].isdigit()]
    if not named or len(named) < len([w for w in words if w.casefold() not in ("and", "or")]):
        return None  # a lowercase word ("what about Russia's navy?") says more than a name
    return match.group("subject").strip(" ,")


def _with_new_subject(subject: str, previous: str) -> str | None:
    """`previous` asked about `subject` instead; None when that is `previous` itself."""
    figures = all(w[0].isdigit() for w in _words(subject))
    run = next((r for r in name_runs(previous) if r.figures == figures), None)
    if run is None:
        stem = previous.strip().rstrip("?!. ")
        return f"{stem} ({subject})?"
    if previous[run.start:run.end].casefold() == subject.casefold():
        return None  # "and the SCO?" after a question about the SCO: nothing new to ask
    return previous[:run.start] + subject + previous[run.end:]


def read_in_context(question: str, previous: str | None) -> str:
    """The question to search with: `question` itself, or, for a follow-up of `previous`
    (the question the previous answer was searched with), `question` plus its context, or
    `previous` about the follow-up's new subject."""
    if not previous:
        return question
    if subject := new_subject(question):
        return _with_new_subject(subject, previous) or question
    if not needs_context(question):
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
