"""Short forms a document defines: "Shanghai Cooperation Organization (SCO)" makes "SCO"
mean the long form wherever that document says it.

Owns finding definitions in a text, in both written orders ("Long Form (LF)" and
"LF (Long Form)"), and deciding which definitions a passage uses. A definition needs a short
form of 2-10 letters with at least two capitals and no digits, and a long form whose words'
initials spell it, read in order (minor words such as "of" and "the" may sit between in a
capitalised name; a lower-case long form such as "gross domestic product" must be all
content words). That keeps "(AP)" after "said Monday", "(Reuters)" and "(2015)" from being
read as definitions. Does not guess expansions nobody wrote (no dictionary of acronyms), and
does not resolve one short form defined two ways: the first definition in a text wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# Words a capitalised long form may hold without giving a letter to the short form.
MINOR_WORDS = frozenset("of the and for on in to de du la le des al el at by & -".split())
# A long form longer than this many words is not read as one (an unbalanced bracket, a list).
MAX_LONG_FORM_WORDS = 10

_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*|&")
# "(SCO)" or "(NGOs)"; the plural's "s" is not part of the short form.
_SHORT_IN_BRACKETS = re.compile(r"\(\s*([A-Z][A-Za-z&.\-]{1,11})\s*\)")
# "SCO (Shanghai Cooperation Organization)"
_SHORT_THEN_LONG = re.compile(r"(?<![\w-])([A-Z][A-Za-z&.\-]{1,11})\s*\(\s*([^()]{3,120}?)\s*\)")


def short_form_letters(candidate: str) -> str | None:
    """The letters a candidate short form spells ("SCO" -> "sco", "NGOs" -> "ngo"), or None
    when it does not look like a short form: fewer than two capitals, any digit, too long."""
    if re.search(r"\d", candidate):
        return None
    core = candidate[:-1] if len(candidate) > 2 and candidate.endswith("s") and candidate[-2].isupper() else candidate
    letters = re.sub(r"[^A-Za-z]", "", core)
    if not 2 <= len(letters) <= 10 or sum(ch.isupper() for ch in letters) < 2:
        return None
    return letters.casefold()


def short_form(candidate: str) -> str:
    """The short form as a document uses it: "NGOs" -> "NGO"."""
    return candidate[:-1] if candidate.endswith("s") and len(candidate) > 2 and candidate[-2].isupper() else candidate


def _spells(letters: str, words: list[str]) -> bool:
    """Whether `words` (the whole long form) spell `letters` by their initials, one content
    word per letter, in order; a hyphenated word may give one letter per part
    ("South-East Asian Nations")."""
    return _spells_exactly(letters, words) or (
        any("-" in w for w in words)
        and _spells_exactly(letters, [part for w in words for part in w.split("-") if part]))


def _spells_exactly(letters: str, words: list[str]) -> bool:
    content = [w for w in words if w.casefold() not in MINOR_WORDS]
    if not content or len(content) != len(letters) or any(not w[0].isalpha() for w in content):
        return False
    if any(w.casefold() in MINOR_WORDS for w in (words[0], words[-1])):
        return False  # a long form starts and ends with a word that gives a letter
    capitalised = all(w[0].isupper() for w in content)
    if not capitalised and len(content) != len(words):
        return False  # "according to police (AP)": lower case with a gap is a phrase, not a name
    if not capitalised and any(w[0].isupper() for w in content[1:]):
        return False  # mixed case after the first word: neither a name nor a phrase
    return all(w[0].casefold() == letter for w, letter in zip(content, letters))


def _long_form_before(text: str, end: int, letters: str) -> str | None:
    """The words ending at `end` (just before "(SF)") that spell `letters`: the shortest
    run that does, looking back at most MAX_LONG_FORM_WORDS words within the clause."""
    window = text[max(0, end - 200) : end]
    window = re.split(r"[.;:!?()\[\]\"“”]|,\s", window)[-1]  # stay inside the clause
    words = list(_WORD.finditer(window))
    for count in range(1, min(len(words), MAX_LONG_FORM_WORDS) + 1):
        run = words[-count:]
        if _spells(letters, [m.group() for m in run]):
            return " ".join(window[run[0].start() : run[-1].end()].split())
    return None


def find_definitions(text: str) -> dict[str, str]:
    """{short form: long form} for every short form `text` defines, first definition winning."""
    found: list[tuple[int, str, str]] = []
    for match in _SHORT_IN_BRACKETS.finditer(text):
        letters = short_form_letters(match.group(1))
        if letters is None:
            continue
        long_form = _long_form_before(text, match.start(), letters)
        if long_form:
            found.append((match.start(), short_form(match.group(1)), long_form))
    for match in _SHORT_THEN_LONG.finditer(text):
        letters = short_form_letters(match.group(1))
        if letters is None:
            continue
        words = _WORD.findall(match.group(2))
        if len(words) <= MAX_LONG_FORM_WORDS and _spells(letters, words):
            found.append((match.start(), short_form(match.group(1)), " ".join(match.group(2).split())))
    definitions: dict[str, str] = {}
    for _, short, long_form in sorted(found):
        definitions.setdefault(short, long_form)
    return definitions


@lru_cache(maxsize=4096)  # re's own cache holds 512: a document's names and short forms overflow it
def _use_pattern(short: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(short)}s?(?![\w])")


def uses(text: str, short: str) -> bool:
    """Whether `text` says the short form as a word of its own (case-sensitive: "SCO", "SCOs")."""
    return _use_pattern(short).search(text) is not None


def expansions(text: str, definitions: dict[str, str]) -> list[str]:
    """The long forms of the short forms `text` uses but does not spell out itself, in the
    order of the definitions."""
    if not definitions:
        return []
    folded = " ".join(text.casefold().split())
    # `short in text` first: a document may define dozens (its people's names among them), and
    # most are not in a given sentence at all
    return [long_form for short, long_form in definitions.items()
            if short in text and uses(text, short) and long_form.casefold() not in folded]


def query_short_forms(question: str) -> list[str]:
    """The words of a question that look like short forms, in order, without repeats."""
    candidates = re.findall(r"(?<![\w-])[A-Z][A-Za-z&]{1,11}(?!\w)", question)
    return list(dict.fromkeys(short_form(c) for c in candidates if short_form_letters(c)))


def long_forms_in(texts: Iterable[str], short: str) -> str | None:
    """The long form most of `texts` give `short` (ties: the first seen), or None."""
    counts: dict[str, int] = {}
    for text in texts:
        long_form = find_definitions(text).get(short)
        if long_form:
            counts[long_form] = counts.get(long_form, 0) + 1
    return max(counts, key=counts.get) if counts else None
