"""Files -> documents ready to store: discovery, reading, cleaning and passage cutting.

Owns which files a path means (folders are walked recursively, hidden entries and
unsupported suffixes inside folders are skipped, symlinked folders are not followed, so a
symlink loop cannot trap the walk) and turning one file into a `PreparedDocument`. Embedding
and storage are `rag.library`'s job.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rag.cleaning import clean, rules_fingerprint
from rag.errors import SUPPORTED_SUFFIXES, DocumentError, EmptyDocumentError, MissingPathError
from rag.passages import PassageSpan, build_passages
from rag.readers import DEFAULT_MAX_BYTES, read_file

log = logging.getLogger(__name__)

# Bump when reading, cleaning or cutting changes, so stored documents are re-ingested.
PIPELINE_VERSION = "1"


@dataclass(frozen=True)
class PreparedDocument:
    source: str
    content_hash: str
    format: str
    title: str
    published: str | None
    paragraphs: tuple[str, ...]
    passages: tuple[PassageSpan, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def pipeline_fingerprint(model: str, max_tokens: int) -> str:
    return f"{PIPELINE_VERSION}:{rules_fingerprint()}:{model}:{max_tokens}"


def discover(paths: Iterable[Path | str]) -> list[Path]:
    """Every file the given paths mean, in a stable order. Missing paths raise at once,
    before anything is read, so a typo never half-ingests a batch."""
    paths = [Path(p).expanduser() for p in paths]
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise MissingPathError(path)
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(_walk(path))
        else:
            files.append(path)  # named explicitly: a wrong type is reported, not ignored
    seen, unique = set(), []
    for file in files:
        key = os.path.abspath(file)
        if key not in seen:
            seen.add(key)
            unique.append(file)
    return unique


def _walk(folder: Path) -> list[Path]:
    found = []
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(root, name)
            if name.startswith(".") or path.suffix.lower() not in SUPPORTED_SUFFIXES:
                log.debug("skipping %s: not a supported document", path)
                continue
            found.append(path)
    return found


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise DocumentError(path, f"the file cannot be opened ({error.strerror})") from error
    return digest.hexdigest()


def source_name(path: Path) -> str:
    return str(Path(os.path.abspath(path)))


def prepare(
    path: Path,
    *,
    content_hash: str,
    count_tokens,
    max_tokens: int,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> PreparedDocument:
    raw = read_file(path, max_bytes=max_bytes)
    cleaned = clean(raw.text, title=raw.title, published=raw.published)
    if not cleaned.paragraphs:
        raise EmptyDocumentError(path, "nothing is left after removing page boilerplate")
    passages = build_passages(cleaned.paragraphs, count_tokens=count_tokens, max_tokens=max_tokens)
    return PreparedDocument(
        source=source_name(path),
        content_hash=content_hash,
        format=raw.format,
        title=cleaned.title or _title_from_name(path),
        published=cleaned.published,
        paragraphs=cleaned.paragraphs,
        passages=tuple(passages),
    )


def _title_from_name(path: Path) -> str:
    return re.sub(r"[_\s]+", " ", path.stem).strip() or path.name


def document_id_for(path: Path | str, taken: set[str]) -> str:
    """A readable id from the file name, unique in the library: '003-f6b81b0075e755a8'."""
    base = re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-")[:60] or "document"
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    return candidate
