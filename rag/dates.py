"""Publication dates stated in a document's own text.

Recognises a short dateline near the top of an article ("Yahoo26-06-2025", "June 26, 2025",
"Published 2025-06-26", "Orlavia Herald, 4 March 2025", "Reuters, June 26, 2025", "Updated
3:45 PM EDT, Mon July 8, 2024") and the dateline that opens a wire story's first paragraph
("WASHINGTON, June 26 (Reuters) - ", "KYIV, Ukraine (AP) — ", "Washington (CNN) — "). A date
inside an ordinary sentence or a photo caption ("... in Beijing on Nov. 26, 2007.") is not a
publication date and is ignored. Numeric dates are read
day-first (26-06-2025) unless only month-first is valid. A wire dateline without a year
("June 26") gives no date: guessing the year would be a wrong date for an old story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?<![A-Za-z])(?P<month_name>[A-Za-z]{3,9})\.?"
# A dateline is short: an optional outlet or "Published/Updated" label, maybe followed by a
# separator ("Orlavia Herald, 4 March 2025", "Outlet | June 26, 2025"), then the date.
_LABEL = r"(?:(?P<label>[A-Za-z][\w .&'’:-]{0,40}?)\s*[,|·•–—-]?)?\s*"
# "Mon July 8, 2024", "Thursday, June 26, 2025": the day of the week before a written date.
_WEEKDAY = r"(?:(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)(?:day|sday|nesday|rsday|urday)?\.?,?\s+)?"
_PATTERNS = [
    re.compile(_LABEL + r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"),
    re.compile(_LABEL + r"(?P<day>\d{1,2})[-/.](?P<month>\d{1,2})[-/.](?P<year>\d{4})"),
    re.compile(_LABEL + _WEEKDAY + _MONTH + r"\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"),
    re.compile(_LABEL + _WEEKDAY + r"(?P<day>\d{1,2})\s+" + _MONTH + r",?\s+(?P<year>\d{4})"),
]
# after the date, maybe its time: "10:32", "at 10:32 a.m. EST", "| 9.05pm GMT"
_TRAILER = re.compile(r"[\s,|·•-]*((?:at\s+)?\d{1,2}[:.]\d{2}(\s*[ap]\.?m\.?)?(\s*[A-Z]{2,4})?)?\s*$", re.I)
MAX_DATELINE_CHARS = 60

# "WASHINGTON, June 26 (Reuters) - ", "LONDON, Jan. 3, 2025 (AP) — ", "KYIV, Ukraine (AP) — ",
# "June 26 (Reuters) - ", "NEW DELHI — ": a place in capitals and/or a date, then an agency in
# brackets and/or a dash. Without an agency the place must be in capitals, so an ordinary
# sentence that opens with a name and a dash is left alone.
_PLACE = r"(?P<place>[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,3}(?:, [A-Z][A-Za-z.'’-]+(?: [A-Z][A-Za-z.'’-]+){0,2})?)"
_LEAD_DATE = _MONTH + r"\s+(?P<day>\d{1,2})(?:,?\s+(?P<year>\d{4}))?"
_AGENCY = r"\((?P<agency>[A-Z][\w .&/'’-]{0,30})\)"
_DASH = r"\s*(?:--?|[–—])\s+"
_OPENS_SENTENCE = re.compile(r"[\"“‘'(\d]*[A-Z0-9]")  # the story's first word follows
# Before a wire agency in brackets the place may be in title case ("Washington (CNN) — "):
# the agency's short name and the dash already mark a dateline ("Jane Doe (D-Calif.) — " is
# no agency).
_TITLED_PLACE = r"(?P<place>[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3}(?:, [A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,2})?)"
_WIRE = r"\((?P<agency>[A-Z]{2,6}|Reuters|Bloomberg|Xinhua|Kyodo|Yonhap)\)"
# CNN's own dateline has no dash: "(CNN) The telescope ...", "Washington (CNN)President ...".
_CNN = rf"\((?P<cnn>CNN(?: Business| Politics| Sports| Travel| Health| Style)?)\)(?:{_DASH}|\s*)"
_LEAD_PATTERNS = [
    re.compile(rf"(?:{_PLACE},?\s+)?(?:{_LEAD_DATE}\s*)?{_AGENCY}{_DASH}"),
    re.compile(rf"(?:{_TITLED_PLACE},?\s+)?{_CNN}"),
    re.compile(rf"{_TITLED_PLACE},?\s+(?:{_LEAD_DATE}\s*)?{_WIRE}{_DASH}"),
    re.compile(rf"{_PLACE}(?:,\s+{_LEAD_DATE})?{_DASH}"),
]


@dataclass(frozen=True)
class LeadDateline:
    end: int  # the article's own words start here
    published: str | None  # ISO date, only when the dateline states the year


def parse_dateline(line: str) -> str | None:
    """The ISO date if `line` is a dateline and nothing more, else None."""
    line = line.strip()
    if not line or len(line) > MAX_DATELINE_CHARS:
        return None
    for pattern in _PATTERNS:
        match = pattern.match(line)
        if match and _TRAILER.fullmatch(line[match.end() :]):
            found = _to_date(match.groupdict())
            if found:
                return found.isoformat()
    return None


def parse_lead_dateline(paragraph: str) -> LeadDateline | None:
    """The wire dateline opening `paragraph`, if any, and the date it states."""
    for pattern in _LEAD_PATTERNS:
        match = pattern.match(paragraph)
        if not match or not _OPENS_SENTENCE.match(paragraph, match.end()):
            continue
        parts = match.groupdict()
        if not (parts.get("place") or parts.get("month_name") or parts.get("cnn")):
            continue  # "(Reuters) - " alone opens no dateline we can vouch for
        if parts.get("month_name") and parts["month_name"].lower() not in _MONTHS:
            continue
        if parts.get("place") and not _is_place(parts["place"]):
            continue
        found = _to_date(parts) if parts.get("year") else None
        return LeadDateline(match.end(), found.isoformat() if found else None)
    return None


def _is_place(place: str) -> bool:
    """A capitalised place name, not a month or a bare initial."""
    first = place.split(",")[0].replace(".", "")
    return len(first.replace(" ", "")) >= 2 and first.lower() not in _MONTHS


def _to_date(parts: dict) -> date | None:
    year, day = int(parts["year"]), int(parts["day"])
    if parts.get("month_name"):
        month = _MONTHS.get(parts["month_name"].lower())
        if month is None:
            return None
        candidates = [(month, day)]
    else:
        month = int(parts["month"])
        candidates = [(month, day), (day, month)]  # day-first reading first
    for month, day in candidates:
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return None


def normalise_iso_date(value: str | None) -> str | None:
    """Accept 'YYYY-MM-DD' (optionally followed by a time) from metadata; None if invalid."""
    if not value:
        return None
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", str(value))
    if not match:
        return None
    try:
        return date(*map(int, match.groups())).isoformat()
    except ValueError:
        return None
