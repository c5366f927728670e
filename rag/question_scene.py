"""The scene a question sets before it asks: "Liz Cheney lost her seat in Congress this week
after voters in Wyoming elected a Trump-backed Republican. Who won?"

News questions often restate the story first and ask about one detail of it last. The
story's lede restates the scene too, so it holds most of the question's words, and without
the asked detail it does not answer ("Republican Liz Cheney has lost her seat in Congress
after voters in Wyoming elected a Trump-backed candidate ..."; the name is in the next
sentence). `rag.answers` counts the scene's words for less in a sentence's evidence score.
Owns only the split: the asking sentence is the last that ends in "?" (else the last), the
scene is every other sentence; a one-sentence question has no scene.
"""

from __future__ import annotations

import re

from rag.lexical import term_set

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def scene_terms(question: str) -> frozenset[str]:
    """The lexical terms of the question's scene that its asking sentence does not repeat."""
    sentences = _SENTENCE_END.split(" ".join(question.split()))
    if len(sentences) < 2:
        return frozenset()
    asking = next((n for n in range(len(sentences) - 1, -1, -1) if sentences[n].endswith("?")),
                  len(sentences) - 1)
    scene = " ".join(s for n, s in enumerate(sentences) if n != asking)
    return term_set(scene) - term_set(sentences[asking])
