"""Cut a cleaned document into passages: the units that are embedded, searched and cited.

One passage per paragraph, with two corrections: a fragment too short to stand alone (a
byline, a caption, a one-line heading) is merged into its neighbour, and a paragraph longer
than the model's window is split at sentence boundaries (a single over-long sentence at word
boundaries), so the model never silently truncates text. Offsets are exact positions in the
stored text; every passage carries its sentence spans and the paragraph of each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.sentences import sentence_spans

# Below this many words a paragraph is a fragment (byline, caption, heading), not a passage.
MIN_WORDS = 10
PARAGRAPH_SEPARATOR = "\n\n"

CountTokens = Callable[[Sequence[str]], list[int]]

# Each passage is embedded and indexed together with its document's title, because a
# paragraph's own words often leave its subject implicit ("The drills lasted four days").
# Measured on the tuning splits: docs/evaluation.md. Long titles are cut to their first words.
TITLE_CONTEXT = True
CONTEXT_TITLE_WORDS = 24


def title_context(title: str) -> str:
    return " ".join(title.split()[:CONTEXT_TITLE_WORDS]) if TITLE_CONTEXT else ""


def context_fingerprint() -> str:
    return "title" if TITLE_CONTEXT else "plain"


def in_context(title: str, text: str) -> str:
    """What the model and the lexical index read for a passage: title, newline, text."""
    context = title_context(title)
    return f"{context}\n{text}" if context else text


def context_offset(title: str) -> int:
    """Where the passage's own text starts inside `in_context(title, text)`."""
    context = title_context(title)
    return len(context) + 1 if context else 0


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    paragraph: int  # 1-based


@dataclass(frozen=True)
class PassageSpan:
    paragraph: int  # the paragraph holding most of the passage's text
    start: int
    end: int
    sentences: tuple[Sentence, ...]


def paragraph_starts(paragraphs: Sequence[str]) -> list[int]:
    starts, position = [], 0
    for paragraph in paragraphs:
        starts.append(position)
        position += len(paragraph) + len(PARAGRAPH_SEPARATOR)
    return starts


def build_passages(
    paragraphs: Sequence[str],
    *,
    count_tokens: CountTokens,
    max_tokens: int,
    min_words: int = MIN_WORDS,
    lead: int = 0,
) -> list[PassageSpan]:
    """Passages over `PARAGRAPH_SEPARATOR.join(paragraphs)`, in document order. The first
    `lead` characters (a wire dateline, `CleanDocument.lead`) belong to no passage or
    sentence: a place, a date and an agency's name are not evidence."""
    text = PARAGRAPH_SEPARATOR.join(paragraphs)
    units: list[list[Sentence]] = []
    whole: list[bool] = []  # is the unit an entire paragraph (only those count as fragments)?
    for number, (start, paragraph) in enumerate(zip(paragraph_starts(paragraphs), paragraphs), 1):
        skip = lead if number == 1 else 0
        sentences = [Sentence(s, e, number) for s, e in sentence_spans(paragraph[skip:], start + skip)]
        groups = _fit_window(text, sentences, count_tokens, max_tokens)
        units.extend(groups)
        whole.extend([len(groups) == 1] * len(groups))
    units = _merge_fragments(text, units, whole, count_tokens, max_tokens, min_words)
    return [_to_span(text, unit) for unit in units]


def _to_span(text: str, unit: list[Sentence]) -> PassageSpan:
    size: dict[int, int] = {}
    for sentence in unit:
        size[sentence.paragraph] = size.get(sentence.paragraph, 0) + sentence.end - sentence.start
    main = max(size, key=lambda number: (size[number], -number))
    return PassageSpan(main, unit[0].start, unit[-1].end, tuple(unit))


def _fit_window(
    text: str, sentences: list[Sentence], count_tokens: CountTokens, max_tokens: int
) -> list[list[Sentence]]:
    """Split one paragraph's sentences into groups that each fit the model's window."""
    if not sentences:
        return []
    if count_tokens([text[sentences[0].start : sentences[-1].end]])[0] <= max_tokens:
        return [sentences]
    pieces: list[Sentence] = []
    sizes = count_tokens([text[s.start : s.end] for s in sentences])
    for sentence, size in zip(sentences, sizes):
        pieces.extend([sentence] if size <= max_tokens else _split_words(text, sentence, count_tokens, max_tokens))
    groups: list[list[Sentence]] = []
    for piece in pieces:
        if groups and _fits(text, groups[-1] + [piece], count_tokens, max_tokens):
            groups[-1].append(piece)
        else:
            groups.append([piece])
    return groups


def _split_words(
    text: str, sentence: Sentence, count_tokens: CountTokens, max_tokens: int
) -> list[Sentence]:
    """An over-long sentence, cut at word boundaries into window-sized pieces."""
    words = [(m.start() + sentence.start, m.end() + sentence.start)
             for m in re.finditer(r"\S+", text[sentence.start : sentence.end])]
    pieces: list[Sentence] = []
    begin = 0
    while begin < len(words):
        # Grow the piece by binary search on the number of words that still fit.
        low, high = begin + 1, len(words)
        while low < high:
            middle = (low + high + 1) // 2
            if count_tokens([text[words[begin][0] : words[middle - 1][1]]])[0] <= max_tokens:
                low = middle
            else:
                high = middle - 1
        pieces.append(Sentence(words[begin][0], words[low - 1][1], sentence.paragraph))
        begin = low
    return pieces


def _fits(text: str, unit: list[Sentence], count_tokens: CountTokens, max_tokens: int) -> bool:
    return count_tokens([text[unit[0].start : unit[-1].end]])[0] <= max_tokens


def _merge_fragments(
    text: str,
    units: list[list[Sentence]],
    whole: list[bool],
    count_tokens: CountTokens,
    max_tokens: int,
    min_words: int,
) -> list[list[Sentence]]:
    """Fold each too-short paragraph into the next unit (or the previous, at the end).
    Pieces of a split paragraph are never fragments: they stay where the window put them."""
    words = lambda unit: len(text[unit[0].start : unit[-1].end].split())  # noqa: E731
    merged: list[list[Sentence]] = []
    pending: list[Sentence] = []
    for unit, is_whole in zip(units, whole):
        candidate = pending + unit
        if pending and not _fits(text, candidate, count_tokens, max_tokens):
            merged.append(pending)
            candidate = unit
        if is_whole and words(candidate) < min_words:
            pending = candidate
        else:
            merged.append(candidate)
            pending = []
    if pending:
        if merged and _fits(text, merged[-1] + pending, count_tokens, max_tokens):
            merged[-1] = merged[-1] + pending
        else:
            merged.append(pending)
    return merged
