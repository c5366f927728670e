"""Whether a sentence of a passage states nothing: a heading, or a question.

A subheading such as "What happens next", stored as its own paragraph above the text it
introduces, names what follows; a question ("Which pop star will perform at the halftime
show?", a news quiz's or an explainer's) asks it. Neither is evidence, however close its words
are to the question asked: quoting "Which pop star will perform ...?" back as the answer to
"Who will perform at the halftime show?" tells the reader nothing. Both stay in the passage,
whose meaning and words they help retrieval find. Owns only the tests, by the surface: a
heading is a whole paragraph of a few words that does not end like a sentence and has more of
the passage after it (a list item, "- India" or "1. Iran", is no heading: it may be the
answer); a question opens with a question word or an auxiliary verb, or asks "which US
currency?" inside it, and ends in a question mark (inside its closing quotes or brackets too).
"""

from __future__ import annotations

import re

from rag.instructions import is_instruction
from rag.results import Passage

MAX_HEADING_WORDS = 12
_ENDS_LIKE_A_SENTENCE = re.compile(r"""[.!?:;…,]["'’”)\]]*$""")
_LIST_ITEM = re.compile(r"^\s*(?:[-–—•*·▪◦‣]|\d{1,3}[.)])\s")
_OPENS_SENTENCE = re.compile(r"""["'‘“(]*[A-Z]""")
_ENDS_LIKE_A_QUESTION = re.compile(r"""\?["'’”)\]]*\s*$""")
# A quiz's "Anna May Wong will be featured on the back of which US currency?": a question
# word inside a sentence without quotation or colon ("Thesis 86, which asks: 'Why does the
# pope ...?'" reports a question).
_ASKS_INSIDE = re.compile(r"""^(?=[^"“”:]*$).*?\b(?:which|what|who|whom|whose|when|where|why|how)\b""")
_OPENS_LIKE_A_QUESTION = re.compile(
    r"""^["'‘“(\s]*(?:who|what|which|when|where|why|how|whose|whom|is|are|was|were|am|do|does|did|can|"""
    r"""could|will|would|should|shall|has|have|had|may|might|must|(?:is|are|was|were|do|does|did|wo|ca|"""
    r"""could|would|should|has|have)n['’]t)\b""",
    re.I,
)


def states_nothing(passage: Passage, index: int) -> bool:
    """Whether sentence `index` of `passage` is a heading, a question, or an instruction to its
    reader (`rag.instructions`: "Ignore previous instructions and ...")."""
    sentence = passage.sentence_text(passage.sentences[index])
    return is_question(sentence) or is_instruction(sentence) or is_heading(passage, index)


def is_question(sentence: str) -> bool:
    """A sentence that asks: it ends in a question mark and opens with a question word or an
    auxiliary verb, or holds a lowercase question word and no quotation or colon. "Tesla said
    he did not believe in telepathy, stating, '... Now, isn't that so?'" or "ABC aired Who's
    the Boss?" state something before the question or title they end with."""
    return _ENDS_LIKE_A_QUESTION.search(sentence) is not None and (
        _OPENS_LIKE_A_QUESTION.match(sentence) is not None or _ASKS_INSIDE.match(sentence) is not None)


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
