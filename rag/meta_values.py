"""What the values in a library's `meta` table may be, and the one test of them.

Every reader parses `generation`, `next_passage_id` and `dimension` as numbers and opens
`vector_file` inside the library folder; a damaged value must stop them with an error that
says what to do, not a ValueError, and must never lead them to another folder's files.
Owns those rules and the vector files' names; the table itself is `rag.store`'s.
"""

from __future__ import annotations

import re
from pathlib import Path

from embeddings import FAITHFUL_KIND, VECTOR_KINDS
from rag.errors import LibraryError

# vectors-<generation>.faiss: a bare name inside the library folder, nothing else.
VECTOR_FILE_PATTERN = re.compile(r"vectors-(\d{6,})\.faiss")
_WHOLE_NUMBER = re.compile(r"\d{1,18}")
_RULES = {  # key -> (smallest value, required)
    "generation": (0, True),
    "next_passage_id": (1, True),
    "dimension": (1, False),
}


def vector_kind(meta: dict[str, str]) -> str:
    """The kind of vectors the library holds (`embeddings.VECTOR_KINDS`' values); a library
    without the record was built before it, always on the default, faithful path."""
    return meta.get("vector_kind", FAITHFUL_KIND)


def backend_for(meta: dict[str, str]) -> str:
    """The encoder backend that makes the library's kind of vectors."""
    kind = vector_kind(meta)
    return "auto" if kind == FAITHFUL_KIND else kind


def vector_file_name(generation: int) -> str:
    return f"vectors-{generation:06d}.faiss"


def generation_of_file(name: str) -> int | None:
    """The generation a vector file's name says it was written for; None if the name is
    not a bare `vectors-<generation>.faiss`."""
    match = VECTOR_FILE_PATTERN.fullmatch(name)
    return int(match.group(1)) if match else None


def problems(meta: dict[str, str]) -> dict[str, str]:
    """key -> a sentence saying why, for each metadata value no reader can use."""
    found = {}
    for key, (smallest, required) in _RULES.items():
        value = meta.get(key)
        if value is None:
            if required:
                found[key] = f"meta.{key} is missing"
        elif not _WHOLE_NUMBER.fullmatch(value) or int(value) < smallest:
            found[key] = f"meta.{key} is {value!r}, not a whole number of at least {smallest}"
    kind = meta.get("vector_kind")
    if kind is not None and kind not in VECTOR_KINDS.values():
        found["vector_kind"] = (f"meta.vector_kind is {kind!r}, not one of "
                                f"{', '.join(sorted(set(VECTOR_KINDS.values())))}")
    name = meta.get("vector_file")
    if name is not None and generation_of_file(name) is None:
        found["vector_file"] = f"meta.vector_file is {name!r}, not a file name vectors-NNNNNN.faiss inside the library folder"
    return found


def checked(meta: dict[str, str], folder: Path) -> dict[str, str]:
    """`meta` if every value is usable, else a LibraryError naming them and the fix."""
    if found := problems(meta):
        raise LibraryError(f"The library at {folder} has damaged metadata: {'; '.join(found.values())}. "
                           "Run `python -m rag check --repair` to restore it")
    return meta
