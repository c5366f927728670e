"""People named in full once and by one of their names after: in a document that says
"Chinese Defense Minister Dong Jun ..." and later "... Dong said", "Dong" means "Dong Jun".

News (and Wikipedia) name a person in full at first mention and by one name afterwards, so the
sentence that quotes them ("'Unilateralism ... are surging,' Dong said") lacks the name a
question uses ("What did Dong Jun criticise?"). Owns finding those full names in a text:
a run of capitalised words whose name part, once titles ("Defense Minister", "Adm."),
countries and demonyms ("Chinese", "Iran's") and calendar words are set aside, is exactly two
words. Either word then stands for the pair (surname last, "Donald Trump"; or first, "Dong
Jun"). Longer runs ("Shanghai Cooperation Organization", "New York Times") are
organisations, not people, and are left alone. Shares the shape of `rag.abbreviations`'
definitions ({short form: long form}) so `rag.answers` reads both the same way. Guesses
nothing beyond the document: no list of people.
"""

from __future__ import annotations

import re

from rag.country_names import countries_in
from rag.lexical import STOPWORDS

# Words that precede or sit inside a name without being part of it: titles and offices.
TITLE_WORDS = frozenset("""
    president vice prime minister ministers deputy secretary general gen adm admiral chief defense defence
    foreign interior finance trade health justice state national security attorney supreme leader former
    acting senator sen rep representative governor gov mayor king queen prince princess pope judge
    ambassador spokesman spokeswoman spokesperson chairman chairwoman chair ceo director commander colonel
    col captain capt lt sgt sergeant lieutenant major dr mr mrs ms miss sir lord lady dame rev father
    sheikh emir sultan crown chancellor premier speaker house senate congressman congresswoman
    minority majority whip officer agent detective inspector police professor prof coach
    """.split())
# Months and days ("Wednesday June ..."); not "May", "June" or "August", which name people too,
# nor short forms such as "Jun", which is a name as often ("Dong Jun").
CALENDAR_WORDS = frozenset("""
    january february march april july september october november december
    monday tuesday wednesday thursday friday saturday sunday
    """.split())
# A word with the full stop after it, if any: "Adm." (a title's stop), "Jun." (a sentence's end).
_WORD = re.compile(r"[^\W\d_][\w'’\-]*\.?")


def find_full_names(text: str) -> dict[str, str]:
    """{one name: full name} for every two-word name `text` gives in full at its words' first
    mention ("Dong": "Dong Jun", "Jun": "Dong Jun")."""
    names: dict[str, str] = {}
    lower_case, inside = _word_uses(text)
    seen: set[str] = set()  # the capitalised words of the runs before
    for run in _capitalised_runs(text):
        core = _name_part(run)
        if len(core) == 3 and core[0] not in inside:
            core = core[1:]  # "Later Dong Jun spoke": a sentence's first word before the name
        if len(core) == 2 and not countries_in(" ".join(core)):  # "United States" is no person
            full = " ".join(core)
            for word in core:
                # The full name is the word's first mention, as news names a person: a word said
                # alone before ("Jacksonville ... Jacksonville Beaches", "Florida ... South
                # Florida") means something of its own. A name is also capitalised inside a
                # sentence somewhere and never written in lower case: "Later Dong said" gives
                # no name "Later", "Fox News ... news media" no "News"; capitalised alone, such a
                # word would most likely open another sentence.
                if word not in seen and word in inside and word.casefold() not in lower_case:
                    names.setdefault(word, full)
        seen.update(_plain(word) for word in run)
    return names


def _word_uses(text: str) -> tuple[set[str], set[str]]:
    """The words `text` writes in lower case (casefolded), and those it capitalises other than
    as a sentence's or a line's first word (a title's stop ends no sentence: "Adm. Sun")."""
    lower_case, inside = set(), set()  # as written: a text repeats its words, so each is read once after
    previous, previous_end = None, 0
    for match in _WORD.finditer(text):
        word = match.group()
        # most words are lower case: they need no look at what came before them
        if word[0].islower():
            lower_case.add(word)
        else:
            gap = text[previous_end : match.start()]
            opens = (previous is None or (gap != " " and ("\n" in gap or "." in gap or "!" in gap or "?" in gap))
                     or (previous[-1] == "." and _bare(previous) not in TITLE_WORDS))
            if not opens:
                inside.add(word)
        previous, previous_end = word, match.end()
    return {_plain(word).casefold() for word in lower_case}, {_plain(word) for word in inside}


def _capitalised_runs(text: str) -> list[list[str]]:
    """Runs of words that each open with a capital letter, one space apart. A full stop ends a
    run ("... Dong Jun. Officials said") unless it is a title's ("Adm. Sun Jianguo")."""
    runs: list[list[str]] = []
    current: list[str] = []
    previous_end = None
    for match in _WORD.finditer(text):
        word = match.group()
        if not word[0].isupper():
            current = []
        elif current and text[previous_end : match.start()] == " ":
            current.append(word)
        else:
            current = [word]
            runs.append(current)
        if word.endswith(".") and _bare(word) not in TITLE_WORDS:
            current = []
        previous_end = match.end()
    return runs


def _name_part(run: list[str]) -> list[str]:
    """The words of a run that can be a person's names: what qualifies them at its start
    (titles, countries, demonyms, calendar and minor words, names of outlets such as "CNN's")
    set aside ("Chinese Defense Minister Dong Jun" -> "Dong Jun"). Empty when anything but a
    name follows a name word ("Dong Jun Defense ...")."""
    core: list[str] = []
    for word in run:
        bare = _bare(word)
        plain = _plain(word)
        is_name = (_name_like(plain) and bare not in TITLE_WORDS
                   and bare not in CALENDAR_WORDS and bare not in STOPWORDS and not countries_in(plain))
        if is_name:
            core.append(plain)
        elif core:
            return []
    return core


def _name_like(word: str) -> bool:
    """A capital, then a lower-case letter, then letters, apostrophes or hyphens, in any script
    ("Nasirzadeh", "O'Brien", "Özdemir"); "US" and "SCO" are no names."""
    return (len(word) > 1 and word[0].isupper() and word[1].islower()
            and all(ch.isalpha() or ch in "'’-" for ch in word))


def _plain(word: str) -> str:
    """The word without its full stop and possessive ending: "Iran's" -> "Iran", "Adm." -> "Adm"."""
    word = word.rstrip(".")
    return word[:-2] if word.endswith(("'s", "’s")) else word


def _bare(word: str) -> str:
    return _plain(word).casefold()
