"""Relative date expressions in a sentence, resolved against the publication date.

"Last year" in an article published on 2015-10-15 means 2014; an analyst reading the quote
months later needs that written beside it. This module finds such expressions in a piece of
text (one sentence of cited evidence) and says what each one means, as `ResolvedDate`s whose
offsets point into the document (`offset` is where the text starts in it). It never changes
the text. Without a publication date nothing is resolved: `find_expressions` still says
where the expressions are, so callers can tell the user why no date is shown.

The rules (news conventions; each is a choice where English is ambiguous):

- today, tonight, this morning/afternoon/evening: the publication day; yesterday, last night:
  the day before; tomorrow: the day after; "the day before yesterday" / "after tomorrow": two.
- this/last/next week, month, year: the calendar period (weeks run Monday to Sunday);
  "earlier this month" runs from the period's start to the publication day, "later this
  year" from the publication day to its end. "the last year", "the next month" (with "the")
  are rolling periods, not calendar ones, and are left alone.
- N days/weeks/months/years ago (digits or one..twelve, "a", "an").
- A weekday ("Friday", "on Friday", "Friday's"): the most recent such day on or before the
  publication day (the publication day itself if it is that weekday), because news reports
  what happened; but when the sentence speaks of the future before it ("will", "is expected
  to", "expect the water to peak", "is due to", "intends to", "scheduled", ... not followed by
  a reporting verb such as "said"), the first such day on or after it. "last Friday": the
  most recent before the publication day; "next Friday": the first after it (some readers
  mean "of next week": ambiguous); "this (coming) Friday": on or after it. Named days ("Good
  Friday", "Super Tuesday") are not weekdays here.
- A month without a year ("in July", "since May", "June 13", "13 June", "early July"): the
  most recent such month (or day) on or before the publication date, so "in December" in a
  March article is last December; in a future-tense sentence the first on or after it.
  "last July": the most recent July before the publication month; "next July": the first
  after it; "July last year" is July of the year before. A bare month name needs a
  preposition ("in", "since", "by", ...) or a day number, so "May" the verb and "June" the
  name are not dates. A month followed by a year ("July 2015") is absolute: nothing to do.
  February 29 resolves to the nearest leap year in the chosen direction. Early/mid/late
  mean days 1-10, 11-20, 21-end.

Left out: vague spans ("recently", "in recent years", "soon"), seasons, times of day,
expressions relative to another event in the story ("two days later", "the previous week").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from rag.dates import normalise_iso_date
from rag.results import ResolvedDate

MONTHS = [calendar.month_name[m] for m in range(1, 13)]
_MONTH_NUMBER = {name.lower(): m for m, name in enumerate(MONTHS, 1)}
_MONTH_NUMBER.update({name.lower()[:3]: m for m, name in enumerate(MONTHS, 1)})
_MONTH_NUMBER["sept"] = 9
_WEEKDAYS = [calendar.day_name[d] for d in range(7)]  # Monday first, as date.weekday()
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}

_NUMBER = r"(?P<count>\d{1,3}|" + "|".join(_NUMBERS) + r")"
_WEEKDAY = r"(?P<weekday>" + "|".join(_WEEKDAYS) + r")"
# Month names are matched with their capital (so "may" the verb is not one); abbreviations too.
_MONTH = (r"(?P<month>(?-i:" + "|".join(MONTHS) + r")\b"
          r"|(?-i:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?)")
_DAY = r"(?P<day>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_NOT_ROLLING = r"(?<!the )"  # "the last year" is the past twelve months, not last year
_NAMED_DAYS = r"(?<!the last )(?<!the next )(?<!Good )(?<!Black )(?<!Ash )(?<!Super )(?<!Cyber )(?<!Holy )(?<!Maundy )" \
              r"(?<!Easter )(?<!Bloody )(?<!Palm )"
_MONTH_CONTEXT = r"\b(?:in|In|since|Since|by|By|until|till|from|From|through|during|" \
                 r"before|after|of|on|On|between|and|or|to|for|For) $"
_NO_YEAR_AFTER = r"(?!,?\s+\d{4}\b)"
# after a month name: a day (not followed by a year), or no number at all ("July 2015" is absolute)
_DAY_OR_NOTHING = r"(?: " + _DAY + r"\b" + _NO_YEAR_AFTER + r"|(?!\.?,?\s*\d))"

# "expect the water to peak on Wednesday": expecting something (named in up to four words) to
# happen; "is due to", "aims to", "intends to" as "plans to".
_FUTURE = re.compile(r"\b(?:will|shall|won't|going to|scheduled|expected to|set to|plans? to|"
                     r"planned|upcoming|to be held|expects?(?: \S+){1,4} to|(?:is|are) due to|"
                     r"aims? to|intends? to)\b|'ll\b", re.I)
_REPORTING = re.compile(r"\b(?:said|says|told|announced|reported|added|stated|confirmed|wrote|"
                        r"tweeted|posted)\b", re.I)


@dataclass(frozen=True)
class _Period:
    value: str
    first: date
    last: date


def _day(d: date) -> _Period:
    return _Period(d.isoformat(), d, d)


def _week(d: date) -> _Period:
    monday = d - timedelta(days=d.weekday())
    return _Period(f"week of {monday.isoformat()}", monday, monday + timedelta(days=6))


_PART_LABEL = {"early": "early ", "mid": "mid-", "late": "late "}


def _month(year: int, month: int, part: str | None = None) -> _Period:
    last_day = calendar.monthrange(year, month)[1]
    first, last = {"early": (1, 10), "mid": (11, 20), "late": (21, last_day)}.get(part or "", (1, last_day))
    label = f"{_PART_LABEL.get(part or '', '')}{MONTHS[month - 1]} {year}"
    return _Period(label, date(year, month, first), date(year, month, last))


def _year(year: int) -> _Period:
    return _Period(str(year), date(year, 1, 1), date(year, 12, 31))


def _shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def _calendar_period(unit: str, published: date, shift: int) -> _Period:
    if unit == "week":
        return _week(published + timedelta(weeks=shift))
    if unit == "month":
        return _month(*_shift_month(published.year, published.month, shift))
    return _year(published.year + shift)


_SHIFT = {"last": -1, "this": 0, "next": 1}


# -- one resolver per pattern: (match, publication date, future tense?) -> period or None ----
def _named_day(m, published, future):
    offsets = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1, "last night": -1,
               "the day before yesterday": -2, "the day after tomorrow": 2}
    word = " ".join(m.group(0).lower().split())
    return _day(published + timedelta(days=offsets.get(word, 0)))


def _this_period(m, published, future):
    unit, shift = m.group("unit").lower(), _SHIFT[m.group("which").lower()]
    if unit == "weekend":
        saturday = published + timedelta(days=5 - published.weekday() + 7 * shift)
        return _Period(f"weekend of {saturday.isoformat()}", saturday, saturday + timedelta(days=1))
    return _calendar_period(unit, published, shift)


def _part_of_period(m, published, future):
    period = _calendar_period(m.group("unit").lower(), published, 0)
    if m.group("part").lower() == "earlier":
        return _Period(period.value, period.first, published)
    return _Period(period.value, published, period.last)


def _the_weekend(m, published, future):
    """"over the weekend": the most recent Saturday-Sunday (the current one at a weekend)."""
    saturday = published - timedelta(days=(published.weekday() - 5) % 7)
    return _Period(f"weekend of {saturday.isoformat()}", saturday, saturday + timedelta(days=1))


def _ago(m, published, future):
    count = m.group("count").lower()
    count = int(count) if count.isdigit() else _NUMBERS[count]
    unit = m.group("unit").lower()
    if unit == "day":
        return _day(published - timedelta(days=count))
    if unit == "week":
        return _week(published - timedelta(weeks=count))
    if unit == "month":
        return _month(*_shift_month(published.year, published.month, -count))
    return _year(published.year - count)


def _weekday(m, published, future):
    weekday = _WEEKDAYS.index(m.group("weekday").capitalize())
    which = " ".join((m.group("which") or "").lower().split())
    back = (published.weekday() - weekday) % 7  # days since the most recent one, 0 = today
    ahead = (weekday - published.weekday()) % 7
    if which == "last":
        days = -(back or 7)
    elif which == "next":
        days = ahead or 7
    elif which or future:  # "this Friday", "this coming Friday", "coming Friday"
        days = ahead
    else:
        days = -back
    return _day(published + timedelta(days=days))


def _month_year(m, published, future):
    groups = {name: (value or "").lower() for name, value in m.groupdict().items()}
    month = _MONTH_NUMBER[groups["month"].rstrip(".")]
    day = int(groups["day"]) if groups["day"] else None
    part = groups.get("part", "").strip(" -") or None
    which, year_word = groups.get("which", ""), groups.get("year_word", "")
    if year_word:  # "July last year"
        years = [published.year + _SHIFT[year_word]]
        direction = 0
    elif which == "this":
        years, direction = [published.year], 0
    elif which in ("last", "next"):
        direction = -1 if which == "last" else 1
        years = [published.year + direction * i for i in range(0, 9)]
    else:
        direction = 1 if future else -1
        years = [published.year + direction * i for i in range(0, 9)]
    for year in years:
        try:
            found = date(year, month, day or 1)
        except ValueError:  # February 29 outside a leap year: try the next year that way
            continue
        if direction and not _on_the_right_side(found, published, direction, day is None, strict=bool(which)):
            continue
        return _day(found) if day else _month(year, month, part)
    return None


def _on_the_right_side(found: date, published: date, direction: int, whole_month: bool, strict: bool) -> bool:
    here = (found.year, found.month) if whole_month else (found.year, found.month, found.day)
    now = (published.year, published.month) if whole_month else (published.year, published.month, published.day)
    if strict:
        return here < now if direction < 0 else here > now
    return here <= now if direction < 0 else here >= now


_Resolver = Callable[[re.Match, date, bool], "_Period | None"]
_RULES: list[tuple[re.Pattern, _Resolver, bool]] = [  # (pattern, resolver, depends on tense)
    (re.compile(r"\bthe day (?:before yesterday|after tomorrow)\b", re.I), _named_day, False),
    (re.compile(r"\b(?:today|tonight|yesterday|tomorrow|last night|this (?:morning|afternoon|evening))\b",
                re.I), _named_day, False),
    (re.compile(r"\b(?P<part>earlier|later) this (?P<unit>week|month|year)\b", re.I), _part_of_period, False),
    (re.compile(_NOT_ROLLING + r"\b(?P<which>this|last|next) (?P<unit>weekend|week|month|year)\b", re.I),
     _this_period, False),
    (re.compile(r"(?:(?<=\bover )|(?<=\bat )|(?<=\bduring ))the weekend\b", re.I), _the_weekend, False),
    (re.compile(r"\b" + _NUMBER + r" (?P<unit>day|week|month|year)s? ago\b", re.I), _ago, False),
    (re.compile(r"(?:" + _NOT_ROLLING + r"\b(?P<which>last|next|this coming|this|coming) )?"
                + _NAMED_DAYS + r"\b" + _WEEKDAY + r"\b", re.I), _weekday, True),
    # "June 13", "last July", "early July", "July last year"; bare months need a preposition
    (re.compile(r"(?:\b(?P<which>last|next|this) |\b(?P<part>early |late |mid-))?\b" + _MONTH
                + _DAY_OR_NOTHING + r"(?: (?P<year_word>last|this|next) year\b)?", re.I),
     _month_year, True),
    (re.compile(r"\b" + _DAY + r" " + _MONTH + _NO_YEAR_AFTER, re.I), _month_year, True),
]


# A word every expression of `_RULES` holds, whatever its case: "day" (today, Monday, "the day
# before"), "night", "morning", "tomorrow", a unit (week, weekend, month, year) or a month's
# first three letters (May, Sept., June). Most sentences hold none, and one search then
# replaces the rules' nine.
_CUE = re.compile(r"day|night|morning|afternoon|evening|tomorrow|week|month|year|"
                  r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", re.I)


def _scan(text: str) -> list[tuple[re.Match, _Resolver, bool]]:
    """Every expression in `text`, leftmost-longest, none overlapping."""
    if _CUE.search(text) is None:
        return []
    found = []
    for pattern, resolver, tensed in _RULES:
        for match in pattern.finditer(text):
            if _counts(match):
                found.append((match, resolver, tensed))
    found.sort(key=lambda f: (f[0].start(), -(f[0].end() - f[0].start())))
    chosen, reach = [], 0
    for item in found:
        if item[0].start() >= reach:
            chosen.append(item)
            reach = item[0].end()
    return chosen


def _counts(match: re.Match) -> bool:
    """A bare month name ("May", "June") is a date only with a day, a modifier or a
    preposition before it; every other expression in the table always counts."""
    groups = match.groupdict()
    if "month" not in groups or groups.get("day") or groups.get("which") or groups.get("part") \
            or groups.get("year_word"):
        return True
    return re.search(_MONTH_CONTEXT, match.string[: match.start()]) is not None


def _future(before: str) -> bool:
    """Whether the clause before an expression speaks of the future ("will meet on
    Friday"), and no reporting verb comes after that ("who will attend said on Friday")."""
    future = [m.end() for m in _FUTURE.finditer(before)]
    if not future:
        return False
    reporting = [m.end() for m in _REPORTING.finditer(before)]
    return not reporting or future[-1] > reporting[-1]


def find_expressions(text: str, *, offset: int = 0) -> tuple[tuple[int, int], ...]:
    """(start, end) of every relative date expression in `text`, offsets shifted by `offset`."""
    return tuple((offset + m.start(), offset + m.end()) for m, _, _ in _scan(text))


def resolve_dates(text: str, published: str | None, *, offset: int = 0) -> tuple[ResolvedDate, ...]:
    """The relative date expressions in `text`, resolved against `published` (YYYY-MM-DD);
    none if the publication date is unknown or not a date. `offset` is where `text` starts
    in the document, so each result's start/end slice the expression out of the document."""
    day = normalise_iso_date(published)
    if day is None:
        return ()
    publication = date.fromisoformat(day)
    resolved = []
    for match, resolver, tensed in _scan(text):
        period = resolver(match, publication, tensed and _future(text[: match.start()]))
        if period is not None:
            resolved.append(ResolvedDate(
                start=offset + match.start(), end=offset + match.end(), text=match.group(0),
                value=period.value, first_day=period.first.isoformat(), last_day=period.last.isoformat(),
            ))
    return tuple(resolved)
