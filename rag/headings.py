"""Whether a sentence of a passage is a heading: a subheading such as "What happens next"
stored as its own paragraph above the text it introduces.

A heading names what follows; it states nothing, so it is never evidence, however close its
words are to a question ("What happens next with the rail strike?" would otherwise be
answered by the heading "What happens next"). It stays in the passage, whose meaning and
words it helps retrieval find. Owns only the test, by the surface: a whole paragraph of a
few words that does not end like a sentence and has more of the passage after it. A list
item ("- India", "1. Iran") is no heading: it may be the answer.
"""

from __future__ import annotations

import re

from rag.results import Passage

MAX_HEADING_WORDS = 12
_ENDS_LIKE_A_SENTENCE = re.compile(r"""[.!?:;…,]["'’”)\]]*$""")
_LIST_ITEM = re.compile(r"^\s*(?:[-–—•*·▪◦‣]|\d{1,3}[.)])\s")
_OPENS_SENTENCE = re.compile(r"""["'‘“(]*[A-Z]""")


def is_heading(passage: Passage, index: int) -> bool:
    """Whether sentence `index` of `passage` is a heading over the text after it."""
    sentences = passage.sentences
    if index + 1 >= len(sentences):
        return False  # nothing after it in the passage: a one-line text is text
    span = sentences[index]
    if sentences[index + 1].paragraph == span.paragraph:
        return False  # a paragraph's first sentence, not a paragraph of its own
    if index > 0 and sentences[index - 1].paragraph == span.paragraph:
        return False
    text = passage.sentence_text(span).strip()
    after = passage.sentence_text(sentences[index + 1]).lstrip()
    words = text.split()
    # what follows opens a sentence of its own: "Concentrated O" over "2 is ..." is one sentence
    # a line break cut (a subscript), not a heading
    return (0 < len(words) <= MAX_HEADING_WORDS and text[:1].isupper() and _OPENS_SENTENCE.match(after) is not None
            and not _ENDS_LIKE_A_SENTENCE.search(text) and not _LIST_ITEM.match(text))
