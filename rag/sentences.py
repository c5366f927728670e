"""Sentence spans with exact character offsets.

pysbd decides where sentences end; this module maps its output back onto the original
string, so every span slices the text exactly. Text pysbd drops or alters is never lost:
uncovered stretches become spans of their own. A closing quote or bracket pysbd leaves at the
start of the next sentence ("... in the region.'" gave "'" a sentence of its own, a third of
the sample article's quoted paragraphs) goes back to the sentence it closes.

pysbd's work grows with the square of a text's length (its abbreviation pass rewrites the
whole text once per abbreviation it finds), so a text longer than `MAX_WHOLE_CHARS` is read
in windows of `WINDOW_CHARS`: all sentences of a window but its last two are kept (pysbd looks
ahead past a sentence's end, so the window's cut must not be in sight), and the next window
starts where the last kept one ends. A sentence longer than a window is cut at the window's
last space. Texts up to `MAX_WHOLE_CHARS` (every ordinary paragraph) are segmented whole.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

# Longer than any ordinary paragraph: news paragraphs are under 2,000 characters, SQuAD's
# under 4,100, SciFact's abstracts at most 10,000 (so evaluation reads them as before).
MAX_WHOLE_CHARS = 10_000
# Long enough to hold several sentences, short enough that pysbd's quadratic pass costs
# little: ~11 µs a character here in windows of 5,000, ~23 µs in windows of 10,000.
WINDOW_CHARS = 5_000
_LAST_SPACE = re.compile(r"\s(?=\S*\Z)")
# Closing quotes and brackets (straight quotes close when a space or the end follows them).
_CLOSERS = re.compile(r"[\"'”’»)\]]+(?=\s|$)")

_local = threading.local()  # pysbd's Segmenter keeps state; one per thread


def _segmenter():
    if not hasattr(_local, "segmenter"):
        import pysbd

        from rag import pysbd_patterns

        _local.segmenter = pysbd.Segmenter(language="en", clean=False)
        pysbd_patterns.install()  # after the segmenter imported every module it uses
    return _local.segmenter


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, shifted by `offset`, whitespace trimmed."""
    spans = _spans(text) if len(text) <= MAX_WHOLE_CHARS else _windowed_spans(text)
    return [(offset + start, offset + end) for start, end in spans]


def _windowed_spans(text: str) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    start = 0
    while len(text) - start > WINDOW_CHARS:
        window = text[start : start + WINDOW_CHARS]
        spans = _segment(window)
        if len(spans) > 1:
            kept = spans[:-2] if len(spans) > 2 else spans[:-1]
            resume = kept[-1][1]
        else:  # one sentence longer than the window (or none): cut it at the last space
            space = _LAST_SPACE.search(window)
            resume = space.start() if space and space.start() > 0 else WINDOW_CHARS
            kept = [span for span in [_trim(window, 0, resume)] if span]
        found.extend((start + s, start + e) for s, e in kept)
        start += resume
    found.extend((start + s, start + e) for s, e in _segment(text[start:]))
    return found


@lru_cache(maxsize=4096)
def _spans(text: str) -> tuple[tuple[int, int], ...]:
    return _segment(text)


def clear_cache() -> None:
    """Forget the sentences of texts already segmented (for benchmarks of segmenting)."""
    _spans.cache_clear()


def _segment(text: str) -> tuple[tuple[int, int], ...]:
    if not text.strip():
        return ()
    found: list[tuple[int, int]] = []
    cursor = 0
    for segment in _segmenter().segment(text):
        piece = segment.strip()
        if not piece:
            continue
        at = text.find(piece, cursor)
        if at < 0:
            continue  # pysbd altered this piece; the gap filling below keeps its text
        found.append((at, at + len(piece)))
        cursor = at + len(piece)
    return tuple(_attach_closers(text, _fill_gaps(text, found)))


def _fill_gaps(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Make sure every non-space character belongs to exactly one span."""
    result: list[tuple[int, int]] = []
    cursor = 0
    for start, end in spans + [(len(text), len(text))]:
        gap = _trim(text, cursor, start)
        if gap:
            result.append(gap)
        if end > start:
            result.append((start, end))
        cursor = end
    return result


def _attach_closers(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Closing quotes and brackets that directly follow a sentence and precede a space (or the
    end) belong to it, not to the sentence after."""
    result: list[tuple[int, int]] = []
    for start, end in spans:
        closers = _CLOSERS.match(text, start, end) if result and result[-1][1] == start else None
        if closers is None:
            result.append((start, end))
            continue
        result[-1] = (result[-1][0], closers.end())
        rest = _trim(text, closers.end(), end)
        if rest:
            result.append(rest)
    return result


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None
