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
weighs a sentence by whether it gives the office to the question's country, or names none.
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
# "Who is India's defense minister?" asks for the holder; "US President Trump said he will not
# extend the deadline for which company?" only names one on the way to another question.
_ASKS_WHO = re.compile(r"\s*who(?:'s|’s|\s+(?:is|was|are|were|will be|has been))\b", re.IGNORECASE)


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


def asked_office_evidence(sentence: str, question: str) -> int:
    """For a question asking the holder of a country's office: +1 when `sentence` gives that
    office to that country ("Chinese Defense Minister Dong Jun" for "who is China's defense
    minister?"), -1 when it names no such office at all (it cannot say who holds it: "... SCO
    countries, which include India, Iran ...") or only other countries' ("US President ..."
    for Iran's president), 0 otherwise (the office with no country beside
    it, "one of nine defense ministers that Chinese state media say ..."). 0 for any question
    that does not ask who holds the office."""
    asked, wanted = _asked_offices(question)
    if not asked or not wanted or not _ASKS_WHO.match(question):
        return 0
    words = _WORD.findall(sentence)
    wanted_terms = _office_terms(frozenset(wanted))  # "ministers" is "minister"
    offices = [i for i, word in enumerate(words)
               if word.casefold() in OFFICES and _office_terms(frozenset({word.casefold()})) & wanted_terms]
    owners = [_country_of_office(words, i) for i in offices]
    if any(owner & asked for owner in owners):
        return 1
    # none, or only other countries' ("US President Donald Trump" for the president of Iran)
    return -1 if all(owners) else 0


@lru_cache(maxsize=256)  # a handful of office words, read for every scored sentence
def _office_terms(offices: frozenset[str]) -> frozenset[str]:
    return frozenset(term for office in offices for term in lexical.terms(office))


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
