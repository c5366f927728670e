"""What kind of thing a question asks for, and whether a sentence holds something of that kind.

"When was the SCO founded?" wants a date, "how many ..." a number, "who ..." a name, "where
..." / "which city ..." a place, "which country ..." a country (`rag.country_names`: by any
of its names or demonyms, so "Lawmakers in Florida" names none and "the Mexican state" one),
"what did Nasirzadeh say?" the words said (a quotation of three words or more). A sentence
that restates the question without one ("... attended a gathering of the Shanghai
Cooperation Organization") does not answer it however close its meaning, and a sentence that
holds one it did not get from the question ("Founded in 2001 ...") often does. Owns only
these two tests, by the question's opening words and the sentence's surface form (figures,
month names, capitalised words, the table of countries, quotation marks): no tagger, no
model. `rag.answers` turns a match into a bonus on the sentence's evidence score.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.country_names import countries_in
from rag.lexical import WHAT_WAS_SAID
from rag.relative_dates import find_expressions

DATE, NUMBER, NAME, PLACE, COUNTRY, QUOTE = "date", "number", "name", "place", "country", "quote"

_PLACE_NOUNS = ("city", "state", "town", "region", "province", "place", "continent", "capital", "island",
                "village", "county", "location")
_COUNTRY_NOUNS = ("country", "countries", "nation")
_TIME_NOUNS = ("year", "years", "date", "day", "month", "century", "decade", "time", "era", "period")
# Things a question asks for by their name ("which airline ...", "which member of the royal
# family ..."): the answer is a capitalised name the question lacks.
_NAME_NOUNS = ("person", "man", "woman", "people", "company", "companies", "organi[sz]ation", "group",
               "team", "member", "star", "actor", "actress", "singer", "player", "athlete", "leader",
               "politician", "president", "minister", "official", "celebrity", "artist", "musician",
               "rapper", "author", "writer", "candidate", "senator", "governor", "billionaire", "ceo",
               "airline", "brand", "firm", "network", "party", "band", "club", "university", "newspaper",
               "agency", "judge", "prince", "princess", "king", "queen", "director", "coach")
_QUANTITY = r"(?:many|much|long|far|old|big|large|tall|high|deep|wide|often|fast|heavy)"
# Up to two describing words between "which" and its noun ("which Nordic country", "which US
# state"); "the", "is" or "did" there mean the noun phrase has ended.
_MODIFIERS = r"(?:(?!(?:the|a|an|is|was|are|were|did|does|do|has|have|had|of|in|on|to)\b)[\w’'-]+ ){0,2}"


_PREPOSITION = r"(?:with|for|to|by|from|against|about|at|on|over|than|after|before|behind)"
# "What is the name of the mission?", "What's the new official brand name of the vaccine?"
_NAME_OF = r"\bwhat(?:['’]s| is| was| are| were) (?:the |their |its |his |her )?(?:[\w-]+ ){0,3}?names?\b"


def _which(nouns: tuple[str, ...]) -> str:
    return rf"(?:what|which) {_MODIFIERS}(?:{'|'.join(nouns)})(?:s|es)?\b"


# Each kind's question phrase: (at a sentence's start only, anywhere in a sentence). "who",
# "when" and "where" ask only where a sentence opens with them (or, for "who", after a
# preposition or right before the question mark); inside one they are mostly relative ("the
# man who ...", "when he arrived"), as "which" is when no noun follows it.
_PHRASES: tuple[tuple[str, str, str], ...] = (
    (DATE, r"when\b|since when\b", rf"\b(?:in |by |from |until )?{_which(_TIME_NOUNS)}"),
    (NUMBER, "", rf"\bhow {_QUANTITY}\b|\b{_which(('percentage', 'percent', 'number', 'amount', 'share', 'proportion'))}"),
    (COUNTRY, "", rf"\b{_which(_COUNTRY_NOUNS)}"),
    (PLACE, r"where\b", rf"\b{_which(_PLACE_NOUNS)}"),
    # "... denied an affair with who?", "... paving the way for who to advance?"
    (NAME, r"who\b|whom\b|whose\b", rf"\b{_which(_NAME_NOUNS)}|\b{_PREPOSITION} whom?\b|(?<!the )\bwhom?\?"
                                        rf"|{_NAME_OF}"),
)
# "Which" before a noun no kind lists ("... the skeleton of which dinosaur?", "Which chain
# ..."), where it asks (opening the sentence or after a preposition, never after a comma),
# mostly wants a name: read only when no listed phrase matched.
_ANY_NOUN = r"(?!(?:is|was|are|were|did|does|do|has|have|had|will|would|can|could)\b)[\w’'-]+"
_OTHER_WHICH = re.compile(rf"(?:^|\b{_PREPOSITION} |\bof |\bin |\bbetween )which {_MODIFIERS}{_ANY_NOUN}")
_OPENING_PHRASE = [(kind, re.compile(f"^(?:{start})")) for kind, start, _ in _PHRASES if start]
# "What did Nasirzadeh say?" asks for the words said: a sentence that quotes them.
_INNER_PHRASE = [(kind, re.compile(inner)) for kind, _, inner in _PHRASES] + [(QUOTE, WHAT_WAS_SAID)]
# A quotation of three words or more: an opening mark after a space or a bracket, a closing
# one before a space or punctuation, so the apostrophe of "Iran's" inside opens or closes none.
_QUOTATION = re.compile(r"(?:^|(?<=[\s(\[—–-]))['‘\"“](?=\w)(?:[^\s]+\s+){2,}?[^\s]*?[\w.,!?]['’\"”](?=[\s.,;:!?)\]—–-]|$)")
# A question's sentences: "Bob McGrath died this week at age 90. Which show did he appear on?"
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")

_MONTHS = ("january february march april may june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec").split()
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_NUMBER_WORDS = frozenset(("one two three four five six seven eight nine ten eleven twelve twenty "
                           "thirty forty fifty hundred thousand million billion trillion dozen half "
                           "once twice").split())
_YEAR = re.compile(r"(?<!\d)(?:1\d{3}|20\d{2})s?(?!\d)")
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W_][\w'’.-]*")
# Capitalised words that name no person or place: sentence openers and calendar words.
_NOT_NAMES = frozenset(["I", "The", "A", "An", "It", "In", "On", "At", "He", "She", "They", "We",
                        "This", "That", "These", "Those", "But", "And", "As", "For", "After", "While"]
                       + [m.capitalize() for m in _MONTHS + _WEEKDAYS])


def _words(text: str) -> list[str]:
    """Words without a trailing full stop or possessive ("China's" is "China")."""
    return [_without_possessive(w.rstrip(".")) for w in _WORD.findall(text)]


def _without_possessive(word: str) -> str:
    # string tests, not a regular expression: every word of every scored sentence comes here
    return word[:-2] if word.endswith(("'s", "’s")) else word


@lru_cache(maxsize=256)  # every scored sentence is checked against the same question
def _asked(question: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in _words(question))


def expected_kind(question: str) -> str | None:
    """DATE, NUMBER, PLACE, NAME, COUNTRY or QUOTE (the words someone said) when the question
    asks for one, else None ("what did ... do",
    "why ...", yes/no questions: no kind a surface test can check). The asking sentence is
    read first (the one ending in "?", after any sentences that set the scene), then the
    others; in each, the earliest question phrase decides ("... sold this week in which
    state?", "... how many charges of sex trafficking?")."""
    sentences = _SENTENCE_END.split(" ".join(question.casefold().split()))
    for sentence in sorted(sentences, key=lambda s: not s.endswith("?")):
        found = [(0, kind) for kind, pattern in _OPENING_PHRASE if pattern.match(sentence)]
        found += [(match.start(), kind) for kind, pattern in _INNER_PHRASE
                  if (match := pattern.search(sentence))]
        if found:
            return min(found, key=lambda position_kind: position_kind[0])[1]
    if any(_OTHER_WHICH.search(sentence) for sentence in sentences if sentence.endswith("?")):
        return NAME
    return None


def holds_kind(sentence: str, question: str, kind: str | None) -> bool:
    """Whether `sentence` holds a `kind` of thing the question does not already say."""
    if kind is None:
        return False
    asked = _asked(question)
    words = _words(sentence)
    new = [(i, w) for i, w in enumerate(words) if w.casefold() not in asked]
    if kind == DATE:
        # "Last year, two Chinese warships docked ..." answers "when?" as a year would
        return (any(_YEAR.fullmatch(w) or w.casefold() in _MONTHS or w.casefold() in _WEEKDAYS for _, w in new)
                or bool(find_expressions(sentence)))
    if kind == NUMBER:
        return any(_FIGURE.search(w) or w.casefold() in _NUMBER_WORDS for _, w in new)
    if kind == COUNTRY:
        return bool(countries_in(sentence) - countries_in(question))
    if kind == QUOTE:
        return any(quoted.group() not in question for quoted in _QUOTATION.finditer(sentence))
    # NAME, PLACE: a capitalised word the question lacks, past the sentence's first word
    # (which is capitalised whatever it is)
    return any(i > 0 and w[0].isupper() and w not in _NOT_NAMES for i, w in new)
