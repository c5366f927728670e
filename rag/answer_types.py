"""What kind of thing a question asks for, and whether a sentence holds something of that kind.

"When was the SCO founded?" wants a date, "how many ..." a number, "who ..." a name, "where
..." / "which city ..." a place. A sentence that restates the question without one ("...
attended a gathering of the Shanghai Cooperation Organization") does not answer it however
close its meaning, and a sentence that holds one it did not get from the question ("Founded
in 2001 ...") often does. Owns only these two tests, by the question's opening words and the
sentence's surface form (figures, month names, capitalised words): no tagger, no model.
`rag.answers` turns a match into a bonus on the sentence's evidence score.
"""

from __future__ import annotations

import re

DATE, NUMBER, NAME, PLACE = "date", "number", "name", "place"

_PLACE_NOUNS = ("city", "country", "countries", "state", "town", "region", "province", "place",
                "continent", "nation", "capital", "island", "village", "county", "location")
_TIME_NOUNS = ("year", "years", "date", "day", "month", "century", "decade", "time", "era", "period")
_QUANTITY = r"(?:many|much|long|far|old|big|large|tall|high|deep|wide|often|fast|heavy)"
_OPENINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (DATE, re.compile(rf"^(?:when|since when|(?:in |by |from |until )?(?:what|which) (?:{'|'.join(_TIME_NOUNS)})\b)")),
    (NUMBER, re.compile(rf"^(?:how {_QUANTITY}|(?:what|which) (?:percentage|percent|number|amount|share|proportion)\b)")),
    (PLACE, re.compile(rf"^(?:where|(?:in |to |from )?(?:what|which) (?:{'|'.join(_PLACE_NOUNS)})\b)")),
    (NAME, re.compile(r"^(?:who|whom|whose|(?:what|which) (?:person|man|woman|people|company|organi[sz]ation|group|team)\b)")),
)

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
    return [re.sub(r"['’]s$", "", w.rstrip(".")) for w in _WORD.findall(text)]


def expected_kind(question: str) -> str | None:
    """DATE, NUMBER, PLACE or NAME when the question's opening asks for one, else None
    ("what did ...", "why ...", yes/no questions: no kind a surface test can check)."""
    opening = " ".join(question.casefold().split())
    for kind, pattern in _OPENINGS:
        if pattern.match(opening):
            return kind
    return None


def holds_kind(sentence: str, question: str, kind: str | None) -> bool:
    """Whether `sentence` holds a `kind` of thing the question does not already say."""
    if kind is None:
        return False
    asked = {w.casefold() for w in _words(question)}
    words = _words(sentence)
    new = [(i, w) for i, w in enumerate(words) if w.casefold() not in asked]
    if kind == DATE:
        return any(_YEAR.fullmatch(w) or w.casefold() in _MONTHS or w.casefold() in _WEEKDAYS for _, w in new)
    if kind == NUMBER:
        return any(_FIGURE.search(w) or w.casefold() in _NUMBER_WORDS for _, w in new)
    # NAME, PLACE: a capitalised word the question lacks, past the sentence's first word
    # (which is capitalised whatever it is)
    return any(i > 0 and w[0].isupper() and w not in _NOT_NAMES for i, w in new)
