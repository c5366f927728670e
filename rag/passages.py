"""Cut a cleaned document into passages: the units that are embedded, searched and cited.

One passage per paragraph, with two corrections: a fragment too short to stand alone (a
byline, a caption, a one-line heading) is merged into its neighbour, and a paragraph longer
than the model's window is split at sentence boundaries (a single over-long sentence at word
boundaries), so the model never silently truncates text. Offsets are exact positions in the
stored text; every passage carries its sentence spans and the paragraph of each.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from rag.abbreviations import expansions, find_definitions
from rag.sentences import sentence_spans

PARAGRAPH_SEPARATOR = "\n\n"

CountTokens = Callable[[Sequence[str]], list[int]]

# A tokenizer holds ~660 bytes per token of a text it counts, so reading stays within a bounded
# memory only if no one text it is given is long: a paragraph longer than this many characters
# per token of the window is not counted whole (prose has ~4.5; only words over 100 letters,
# one [UNK] token each, could make it fit), and sentences are counted a batch at a time.
MAX_CHARS_PER_TOKEN = 64
COUNT_BATCH_CHARS = 100_000


@dataclass(frozen=True)
class PassageSettings:
    """Every setting that decides what a passage is and what is embedded and indexed for it.
    `rag.ingest.pipeline_fingerprint` hashes the whole value, so changing any field makes
    the next ingest re-embed every document (and gives evaluation a fresh cached library)."""

    # Below this many words a paragraph is a fragment (byline, caption, heading), not a passage.
    min_words: int = 10
    # Each passage is embedded and indexed together with its document's title, because a
    # paragraph's own words often leave its subject implicit ("The drills lasted four days").
    # Measured on the tuning splits: docs/evaluation.md. Long titles are cut to their first words.
    title_context: bool = True
    context_title_words: int = 24
    # A passage that uses a short form its document defines ("SCO", defined once as "Shanghai
    # Cooperation Organization (SCO)") is read with the long form too (`rag.abbreviations`),
    # at most this many words of long forms per passage.
    abbreviation_context: bool = True
    abbreviation_context_words: int = 24

    def fingerprint(self) -> str:
        fields = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(fields.encode("utf-8")).hexdigest()[:16]


# The settings in force; tools that measure another setting replace the whole value.
SETTINGS = PassageSettings()


def title_context(title: str) -> str:
    settings = SETTINGS
    return " ".join(title.split()[: settings.context_title_words]) if settings.title_context else ""


def passage_contexts(title: str, text: str, spans: Sequence[tuple[int, int]],
                     link_words: str = "") -> list[str]:
    """What each passage of a document (its (start, end) spans of the stored `text`) is read
    with besides its own words: the title, the words of the URLs of the links its plain text
    had (`rag.inline_markup`), and the long forms of the short forms it uses. A pure function
    of the stored document, so repairs can compute it again."""
    settings = SETTINGS
    head = _head(title, link_words)
    definitions = find_definitions(text) if settings.abbreviation_context else {}
    contexts = []
    for start, end in spans:
        long_forms = _capped(expansions(text[start:end], definitions), settings.abbreviation_context_words)
        contexts.append("\n".join(part for part in (head, "; ".join(long_forms)) if part))
    return contexts


def context_ceiling(title: str, text: str, link_words: str = "") -> str:
    """The longest context any passage of the document can get (for cutting passages short
    enough that context and passage fit the model's window together)."""
    settings = SETTINGS
    long_forms = list(find_definitions(text).values()) if settings.abbreviation_context else []
    capped = _capped(long_forms, settings.abbreviation_context_words)
    return "\n".join(part for part in (_head(title, link_words), "; ".join(capped)) if part)


def _head(title: str, link_words: str) -> str:
    """What every passage of a document is read with: its title, then its links' words."""
    return "\n".join(part for part in (title_context(title), link_words) if part)


def _capped(phrases: list[str], max_words: int) -> list[str]:
    kept, words = [], 0
    for phrase in phrases:
        words += len(phrase.split())
        if words > max_words:
            break
        kept.append(phrase)
    return kept


def in_context(context: str, text: str) -> str:
    """What the model and the lexical index read for a passage: its context, newline, text."""
    return f"{context}\n{text}" if context else text


def context_offset(context: str) -> int:
    """Where the passage's own text starts inside `in_context(context, text)`."""
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
    min_words: int | None = None,
    lead: int = 0,
) -> list[PassageSpan]:
    """Passages over `PARAGRAPH_SEPARATOR.join(paragraphs)`, in document order; fragments
    are paragraphs under `min_words` (default: `SETTINGS.min_words`). The first `lead`
    characters (a wire dateline, `CleanDocument.lead`) belong to no passage or sentence: a
    place, a date and an agency's name are not evidence."""
    min_words = SETTINGS.min_words if min_words is None else min_words
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
    # A paragraph too long to be counted whole is cut like one over the window; if it did fit
    # after all, the grouping below puts all its sentences back together.
    if sentences[-1].end - sentences[0].start <= MAX_CHARS_PER_TOKEN * max_tokens and _fits(
            text, sentences, count_tokens, max_tokens):
        return [sentences]
    pieces: list[Sentence] = []
    sizes = _count_in_batches(count_tokens, [text[s.start : s.end] for s in sentences])
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
    fits = lambda begin, end: count_tokens([text[words[begin][0] : words[end - 1][1]]])[0] <= max_tokens  # noqa: E731
    pieces: list[Sentence] = []
    begin = 0
    while begin < len(words):
        # Grow the piece by binary search on the number of words that still fit, between
        # bounds found by doubling from `begin`: a search from the sentence's end would
        # tokenize the whole rest of the sentence for every piece (quadratic in its length).
        low, step = begin + 1, 1
        while low + step <= len(words) and fits(begin, low + step):
            low, step = low + step, step * 2
        high = min(low + step - 1, len(words))
        while low < high:
            middle = (low + high + 1) // 2
            if fits(begin, middle):
                low = middle
            else:
                high = middle - 1
        pieces.append(Sentence(words[begin][0], words[low - 1][1], sentence.paragraph))
        begin = low
    return pieces


def _fits(text: str, unit: list[Sentence], count_tokens: CountTokens, max_tokens: int) -> bool:
    return count_tokens([text[unit[0].start : unit[-1].end]])[0] <= max_tokens


def _count_in_batches(count_tokens: CountTokens, texts: list[str]) -> list[int]:
    """`count_tokens(texts)`, at most COUNT_BATCH_CHARS characters (or one text) a call."""
    counts: list[int] = []
    start = 0
    while start < len(texts):
        end, chars = start + 1, len(texts[start])
        while end < len(texts) and chars + len(texts[end]) <= COUNT_BATCH_CHARS:
            chars, end = chars + len(texts[end]), end + 1
        counts += count_tokens(texts[start:end])
        start = end
    return counts


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
