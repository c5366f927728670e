"""How current a passage's document is, for a question about the present.

A question that says it is about the present ("this week", "recently", "the latest") means
the library's latest news: asked in a library of one week's news, "Which head of state
announced his resignation this week?" is about that week, and a page of the year before that
happens to be in the library ("Gordon abruptly resigned as head of the state's health
department ...") is not the answer however close its words. The reference is the library's
own newest publication date (not after today): a library of last year's news reads "this
week" as the last week it holds.

Without such words a question may be about any time, and an old page may be the one that
knows ("Who is Sun Jianguo?"), so it is read as before; so is one that names a year ("this
year, in 2014").

Owns that reference date, when a question says it is about the present, and a document's
staleness in [0, 1]: 0 for a document published within `FRESH_DAYS` of the reference,
rising towards 1 with age. An undated document, or any document of a library that holds no
dates, is never stale: nothing changes there. What staleness costs a passage is the
caller's (`rag.rerank`, `rag.answers`).
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date

# A story this many days older than the library's newest is still current news (the week
# a quiz asks about, a follow-up a few weeks on).
FRESH_DAYS = 30
# Past FRESH_DAYS, staleness is age / (age + STALE_HALF_DAYS): half at this many days more.
STALE_HALF_DAYS = 180

# Words that place a question in the present. Not "last year": that asks about a year ago,
# where the year-old pages are the current ones.
_NOW = re.compile(r"\b(?:this (?:week|weekend|month|year|summer|fall|autumn|spring|winter|season|morning)"
                  r"|(?:earlier|later) this (?:week|month|year)|last (?:week|weekend|night)|past (?:week|few days)"
                  r"|yesterday|recent(?:ly)?|latest|now|current(?:ly)?|today|tonight|so far|upcoming|soon)\b",
                  re.IGNORECASE)
_YEAR = re.compile(r"(?<![\w.,$£€])(?:1[6-9]|20)\d\d(?:s\b|(?![\w.,]\d))")


def asks_about_now(question: str) -> bool:
    """Whether the question says it is about the present ("this week", "recently", "the
    latest", "now"): then a page older than the library's news is most likely not the answer.
    Without such words an old page may be the one that knows ("Who is Sun Jianguo?")."""
    return _NOW.search(question) is not None and not sets_its_own_time(question)


def sets_its_own_time(question: str) -> bool:
    """Whether the question names a year ("in 2014", "the 1990s"): it says which news it means."""
    return _YEAR.search(question) is not None


def reference_date(connection: sqlite3.Connection, today: date | None = None,
                   restriction: tuple[str, list] | None = None) -> str | None:
    """The newest publication date in the library that is not after `today` (ISO), or None
    when no document is dated. `restriction`: a search filter's condition over documents `d`
    (`store.filter_clause`): a search of 2015's news reads "now" as 2015's newest."""
    today = today or date.today()
    where, arguments = restriction or ("1", [])
    row = connection.execute(f"SELECT max(d.published) FROM documents d WHERE ({where}) AND d.published <= ?",
                             [*arguments, today.isoformat()]).fetchone()
    return row[0] if row and row[0] else None


def staleness(published: str | None, reference: str | None) -> float:
    """0 for a current or undated document, towards 1 the older it is than `reference`."""
    if not published or not reference:
        return 0.0
    try:
        age = (date.fromisoformat(reference[:10]) - date.fromisoformat(published[:10])).days - FRESH_DAYS
    except ValueError:  # a partial date ("2015-03") says too little to judge
        return 0.0
    return age / (age + STALE_HALF_DAYS) if age > 0 else 0.0
