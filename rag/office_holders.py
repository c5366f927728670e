"""Offices of another country: "US President Donald Trump" is no answer to "Who is the
president of Iran?", though the sentence also says "Iran".

A question that asks for the holder of an office of a country ("the president of Iran",
"Iran's defense minister", "the Chinese foreign minister") is answered by a sentence that
gives that country's office holder. A sentence whose every mention of the office is
qualified by other countries ("US President ...", "Indian Defense Minister ...") names someone
else: its office word does not hold the question's. Owns only that test, on the surface: the
country or demonym right before the office ("US President", "Iran's defense minister"), or
after it ("the president of Iran"). An office with no country beside it may be anyone's and
is left alone. `rag.answers` takes such office words out of the terms a sentence covers, and
counts a sentence that gives the office to the question's country as holding what was asked.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag import lexical
from rag.country_names import countries_in

# Nouns of an office a country has one holder of at a time (or a few: "ministers").
OFFICES = frozenset("""president presidents minister ministers premier chancellor king queen emir sultan
    ambassador ambassadors spokesman spokeswoman spokesperson secretary""".split())
# Words that may sit between a country and its office: "Iran's defense minister", "US Vice President".
_QUALIFIERS = frozenset("""vice prime deputy foreign defense defence interior finance trade health justice
    home state first acting former then new top chief""".split())
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
_OF = frozenset({"of", "for"})


def offices_of_other_countries(sentence: str, question: str) -> frozenset[str]:
    """The terms of the offices the question asks about that `sentence` gives only to countries
    the question does not name. Empty when the question names no country or asks no office."""
    asked, wanted = _asked_offices(question)
    if not asked or not wanted:
        return frozenset()
    words = _WORD.findall(sentence)
    countries_by_office: dict[str, list[frozenset[str]]] = {}
    for i, word in enumerate(words):
        office = word.casefold()
        if office in wanted:
            countries_by_office.setdefault(office, []).append(_country_of_office(words, i))
    other = {office for office, owners in countries_by_office.items()
             if all(owner and not owner & asked for owner in owners)}
    return frozenset(term for office in other for term in lexical.terms(office))


def gives_asked_office(sentence: str, question: str) -> bool:
    """Whether `sentence` gives an office the question asks about to a country it names
    ("Chinese Defense Minister Dong Jun" for "who is China's defense minister?"): the sentence
    that says whose office it is, over one where the office has no country beside it ("one of
    nine defense ministers that Chinese state media say ...")."""
    asked, wanted = _asked_offices(question)
    if not asked or not wanted:
        return False
    words = _WORD.findall(sentence)
    return any(word.casefold() in wanted and _country_of_office(words, i) & asked for i, word in enumerate(words))


@lru_cache(maxsize=256)  # every scored sentence is checked against the same question
def _asked_offices(question: str) -> tuple[frozenset[str], frozenset[str]]:
    """The countries the question names and the office words it uses."""
    return countries_in(question), frozenset(w.casefold() for w in _WORD.findall(question)
                                             if w.casefold() in OFFICES)


def _country_of_office(words: list[str], at: int) -> frozenset[str]:
    """The countries named right before the office word (over its qualifiers: "Indian Defense
    Minister") or right after it ("president of Iran"); empty when none is."""
    i = at - 1
    while i >= 0 and words[i].casefold() in _QUALIFIERS:
        i -= 1
    if i >= 0 and (before := countries_in(words[i])):
        return before
    if at + 2 < len(words) and words[at + 1].casefold() in _OF:
        return countries_in(" ".join(words[at + 2 : at + 5]))
    return frozenset()
