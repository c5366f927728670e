"""What the UI's Library page shows: the documents by date and source, how many came out
each month, and one document to read with the places a word occurs marked.

Plain values only (the reader's HTML is `rag.render.reader_html`); the page's widgets are
app.py's. Finding is literal,
ignores case and matches whole words ("sco" finds "SCO", not the "sco" in "Moscow"); it does
not stem or match by meaning: that is what asking a question does.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from rag.results import DocumentSummary, source_label

# Beyond this many months between the first and the last document, counting by month would
# draw a bar too thin to see: the chart counts by year instead.
MAX_MONTHS = 36
MAX_FIND_CHARS = 200
_BETWEEN_WORDS = r"(?:[^\S\n]|\n(?!\n))+"


def document_table(documents: Sequence[DocumentSummary]) -> list[dict]:
    """One row per document, newest first, undated last (then by source)."""
    ordered = sorted(documents, key=lambda d: (d.published is None, _descending(d.published or ""), d.source))
    return [{"published": d.published or "unknown", "title": d.display_title, "source": source_label(d.source),
             "format": d.format, "paragraphs": d.paragraphs, "id": d.id} for d in ordered]


def _descending(date: str) -> tuple[int, ...]:
    return tuple(-int(part) for part in date.split("-") if part.isdigit())


def documents_per_period(documents: Sequence[DocumentSummary]) -> tuple[str, dict[str, int]]:
    """("month" | "year", {"2025-06": 3, ...}): dated documents counted per period, every
    period from the first to the last present (a month with none shows as 0)."""
    months = Counter(d.published[:7] for d in documents if d.published)
    if not months:
        return "month", {}
    first, last = min(months), max(months)
    span = [(year, month) for year in range(int(first[:4]), int(last[:4]) + 1) for month in range(1, 13)]
    labels = [f"{y:04d}-{m:02d}" for y, m in span if first <= f"{y:04d}-{m:02d}" <= last]
    if len(labels) <= MAX_MONTHS:
        return "month", {label: months.get(label, 0) for label in labels}
    years = Counter()
    for label, count in months.items():
        years[label[:4]] += count
    return "year", {str(y): years.get(str(y), 0) for y in range(int(first[:4]), int(last[:4]) + 1)}


def find(text: str, word: str) -> list[tuple[int, int]]:
    """Where `word` (or phrase) occurs in `text` as a whole word, as (start, end) offsets,
    ignoring case; none for an empty or blank `word`."""
    word = " ".join(word.split())[:MAX_FIND_CHARS]
    if not word:
        return []
    # whole words: no letter or digit may continue a match that starts or ends with one; the
    # words of a phrase may be apart by spaces or a line break, never a paragraph break
    pattern = _BETWEEN_WORDS.join(map(re.escape, word.split()))
    if word[0].isalnum():
        pattern = r"(?<![^\W_])" + pattern
    if word[-1].isalnum():
        pattern += r"(?![^\W_])"
    return [m.span() for m in re.finditer(pattern, text, re.IGNORECASE)]
