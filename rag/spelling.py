"""British spellings read as American ones, so "criticise" finds "criticize" and "defence" finds
"defense": news is written in both, and a reader does not notice the difference.

Owns one mapping of a lower-cased word to its American form, applied by `rag.lexical` before
stemming (the stemmer alone leaves "criticis" and "critic" apart). Only regular, common
patterns: -ise/-isation/-yse (with the words where -ise is no variant of -ize), a list of
-our, -re, -ence, -logue and -mme words. Anything else is left as written.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Words ending in -ise whose -ise is not a British -ize ("promise", "exercise", "advise").
_ISE_WORDS = frozenset("""advertise advise apprise appraise arise chastise circumcise comprise compromise
    concise demise despise devise disguise enterprise excise exercise expertise franchise improvise
    incise merchandise precise premise promise raise praise reprise revise rise supervise surmise
    surprise televise treatise paradise noise poise cruise bruise anise valise turquoise tortoise
    porpoise guise sunrise uprise otherwise likewise clockwise wise mortise braise liaise
    louise denise elise marquise chemise""".split())
# Endings of -ise words that are never -ize ("likewise", "televise", "enterprise", "disguise").
_ISE_ENDINGS = ("wise", "vise", "prise", "guise")
_ISE = re.compile(r"^([a-z]{3,}?)([iy])s(e|ed|es|ing|ation|ations|er|ers)$")
_OUR = re.compile(r"^(colo|hono|favo|labo|neighbo|behavio|harbo|rumo|humo|vigo|valo|odo|armo|flavo|endeavo|"
                  r"savio|splendo|cando|clamo|parlo|savo|tumo|vapo|fervo|rigo|arbo|demeano)ur(\w*)$")
_RE = re.compile(r"^(cent|theat|met|lit|fib|calib|somb|spect|lust|meag|sab|kilomet|centimet|millimet|"
                 r"epicent)re(s|d)?$")
_ENCE = re.compile(r"^(defen|offen|preten|licen)ce(s|less)?$")
_LOGUE = re.compile(r"^(catalo|dialo|analo|monolo|prolo|epilo)gue(s)?$")
_MME = re.compile(r"^(program)me(s)?$")


@lru_cache(maxsize=200_000)
def american(word: str) -> str:
    """`word` (lower case) in American spelling, or unchanged."""
    match = _ISE.match(word)
    if match:
        base, vowel, ending = match.groups()
        lemma = f"{base}{vowel}se"
        return word if lemma in _ISE_WORDS or lemma.endswith(_ISE_ENDINGS) else f"{base}{vowel}z{ending}"
    if match := _OUR.match(word):
        return f"{match.group(1)}r{match.group(2)}"
    if match := _RE.match(word):
        ending = {None: "", "s": "s", "d": "ed"}[match.group(2)]
        return f"{match.group(1)}er{ending}"
    if match := _ENCE.match(word):
        return f"{match.group(1)}se{match.group(2) or ''}"
    if match := _LOGUE.match(word):
        return f"{match.group(1)}g{match.group(2) or ''}"
    if match := _MME.match(word):
        return f"{match.group(1)}{match.group(2) or ''}"
    return word
