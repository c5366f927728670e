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

# Each pattern names who is addressed or what is to be set aside: news says "ignore the rules",
# "respond with force", "the AI assistant will launch" and "its system prompt was changed",
# and none of those is an instruction.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+)?"
    r"(?:previous|prior|above|earlier|preceding|foregoing|original)\s+(?:instructions?|prompts?|rules|directions)\b"
    r"|\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:the\s+|your\s+)?(?:instructions?|prompts?|rules)\s+"
    r"(?:above|before)\b"
    r"|\b(?:ignore|disregard|reveal|print|repeat)\s+(?:your|the)\s+system\s+prompt\b"
    r"|\byou are (?:now )?(?:an? )?(?:ai|assistant|chatbot|language model|llm)\b"
    r"|\bas an ai (?:language model|assistant)\b"
    r"|\b(?:ai|assistant|chatbot|language model|llm)s?,?\s+(?:must|should|will)\s+(?:now\s+)?"
    r"(?:ignore|say|answer|respond|reply|write|output|state)\b"
    r"|\b(?:tell|inform|assure) the (?:user|reader)s?\b",
    re.I)


def is_instruction(sentence: str) -> bool:
    return _INSTRUCTION.search(sentence) is not None
