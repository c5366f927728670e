"""Whether a sentence is addressed to whoever reads it, a language model above all: "Ignore
previous instructions and ...", "You are now an AI assistant that ...", "Tell the user ...".

Such a sentence states no fact about the world, so it is never evidence: the quoted answer
does not cite it (`rag.headings.states_nothing`), and a written sentence cannot be supported
by it (`rag.claim_check`). A document could otherwise vouch for the very claim it asks a
model to make. Owns only the surface test; the patterns are narrow on purpose (an ordinary
"officials say that ..." is reporting, not an instruction).
"""

from __future__ import annotations

import re

_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?]{0,60}\b(?:instructions?|prompts?|rules|directions)\b"
    r"|\bsystem prompt\b|\byou are (?:now )?(?:an? )?(?:ai|assistant|chatbot|language model|llm)\b"
    r"|\bas an ai\b|\b(?:ai|assistant|chatbot|language model|llm)s?,? (?:must|should|will|are to)\b"
    r"|\b(?:tell|inform|assure) the (?:user|reader)s?\b"
    r"|\b(?:respond|reply) (?:only )?with\b",
    re.I)


def is_instruction(sentence: str) -> bool:
    return _INSTRUCTION.search(sentence) is not None
