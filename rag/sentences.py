"""Sentence spans with exact character offsets.

pysbd decides where sentences end; this module maps its output back onto the original
string, so every span slices the text exactly. Text pysbd drops or alters is never lost:
uncovered stretches become spans of their own.
"""

from __future__ import annotations

import threading
from functools import lru_cache

_local = threading.local()  # pysbd's Segmenter keeps state; one per thread


def _segmenter():
    if not hasattr(_local, "segmenter"):
        import pysbd

        _local.segmenter = pysbd.Segmenter(language="en", clean=False)
    return _local.segmenter


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, shifted by `offset`, whitespace trimmed."""
    return [(offset + start, offset + end) for start, end in _spans(text)]


@lru_cache(maxsize=4096)
def _spans(text: str) -> tuple[tuple[int, int], ...]:
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
    return tuple(_fill_gaps(text, found))


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


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None
