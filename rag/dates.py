"""Publication dates stated in a document's own text.

Recognises a short dateline near the top of an article ("Yahoo26-06-2025", "June 26, 2025",
"Published 2025-06-26"). A date inside an ordinary sentence or a photo caption ("... in
Beijing on Nov. 26, 2007.") is not a publication date and is ignored. Numeric dates are read
day-first (26-06-2025) unless only month-first is valid.
"""

from __future__ import annotations

import re
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
# A dateline is short: an optional outlet or "Published/Updated" label, then the date.
_LABEL = r"(?P<label>[A-Za-z][\w .&'’:-]{0,40}?)?\s*"
_PATTERNS = [
    re.compile(_LABEL + r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"),
    re.compile(_LABEL + r"(?P<day>\d{1,2})[-/.](?P<month>\d{1,2})[-/.](?P<year>\d{4})"),
    re.compile(_LABEL + _MONTH + r"\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"),
    re.compile(_LABEL + r"(?P<day>\d{1,2})\s+" + _MONTH + r",?\s+(?P<year>\d{4})"),
]
_TRAILER = re.compile(r"[\s,|·•-]*(\d{1,2}:\d{2}(\s*[ap]\.?m\.?)?(\s*[A-Z]{2,4})?)?\s*$", re.I)
MAX_DATELINE_CHARS = 60


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
