"""A document's definitions: the long forms of its short forms and its people's full names.

Owns reading them from a document's text ("SCO" -> "Shanghai Cooperation Organization",
"Dong" -> "Dong Jun") and how they are stored with the document (`documents.definitions`:
JSON that names the version of this reading). They are read at ingest, beside the passages,
because reading a document's full names costs ~3 ms per ten paragraphs: at question time that
was a third of `ask` at 100k passages for questions about documents not asked about before
(docs/performance.md). A document stored without them, or by another version of the reading,
is read again when asked about (`rag.evidence_reading`). Does not score evidence (`rag.answers`).
"""

from __future__ import annotations

import json

from rag.abbreviations import find_definitions
from rag.name_mentions import find_full_names

# Changes whenever `read` gives other definitions for the same text: what was stored under
# another version is read again from the text.
VERSION = "1"


def read(text: str) -> dict[str, str]:
    """Each short form's long form and each one name's full name the text gives; a short form
    the document defines wins over a name."""
    return {**find_full_names(text), **find_definitions(text)}


def encoded(definitions: dict[str, str]) -> str:
    """What `documents.definitions` stores for them."""
    return json.dumps({"version": VERSION, "forms": definitions}, ensure_ascii=False, sort_keys=True)


def decoded(stored: str | None) -> dict[str, str] | None:
    """The definitions a `documents.definitions` value holds; None when there are none to
    trust (not stored, another version's, or damaged): read the text again."""
    if not stored:
        return None
    try:
        value = json.loads(stored)
    except ValueError:
        return None
    if not isinstance(value, dict) or value.get("version") != VERSION:
        return None
    forms = value.get("forms")
    if not isinstance(forms, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in forms.items()):
        return None
    return forms
