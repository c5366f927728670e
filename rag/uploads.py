"""Uploaded files: validated before they touch the library, stored only inside it.

Owns safe file names (no directories, no traversal, no hidden files), the size limit, and
the content check (the bytes must really be the format the name claims, via `rag.readers`).
A valid upload is written atomically to `<library>/uploads/` and ingested (`add_upload`); if
the ingest fails, the previous file (or no file) is put back, so a failed upload changes nothing.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

from rag import ingest_run
from rag.errors import DocumentError, FileTooLargeError, UnsupportedFileError
from rag.ingest import FileInput
from rag.readers import SUPPORTED_SUFFIXES, read_bytes
from rag.results import FileFailure, IngestReport
from rag.writer import Writer

UPLOADS = "uploads"
MAX_NAME_CHARS = 120


def safe_filename(name: str) -> str:
    """The base name only, with anything but letters, digits, '.', '-', '_' replaced."""
    base = PureWindowsPath(PurePosixPath(unicodedata.normalize("NFC", name or "")).name).name
    stem, suffix = os.path.splitext(base)
    stem = re.sub(r"[^\w.-]+", "_", stem, flags=re.ASCII).strip("._") or "upload"
    suffix = suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileError(name)
    return stem[: MAX_NAME_CHARS - len(suffix)] + suffix


def validate(name: str, data: bytes, max_bytes: int) -> str:
    """The safe name to store the upload under; raises DocumentError if it is unusable."""
    safe = safe_filename(name)
    if len(data) > max_bytes:
        raise FileTooLargeError(name, len(data), max_bytes)
    read_bytes(data, safe, max_bytes=max_bytes)  # parses it: wrong content fails here
    return safe


class StagedUpload:
    """Writes the upload into place, remembering what it replaced so it can be undone."""

    def __init__(self, folder: Path, name: str, data: bytes):
        self.path = folder / UPLOADS / name
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.previous = self.path.read_bytes() if self.path.exists() else None
        self._write(data)

    def _write(self, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, self.path)
        except BaseException:  # a full disk: leave no half-written copy behind
            os.unlink(tmp)
            raise

    def undo(self) -> None:
        if self.previous is None:
            self.path.unlink(missing_ok=True)
        else:
            self._write(self.previous)


def add_upload(writer: Writer, name: str, data: bytes, *, on_progress: ingest_run.Progress | None,
               max_bytes: int) -> IngestReport:
    """`Library.add_upload`: checked before anything is written, staged, ingested, and
    taken back out if the ingest fails (`IngestReport.failed` names the upload as given)."""
    try:
        safe_name = validate(name, data, max_bytes)
    except DocumentError as error:
        return IngestReport(failed=(FileFailure(name, error.reason),))
    with writer.writing():
        staged = StagedUpload(writer.folder, safe_name, data)
        try:
            report = ingest_run.ingest(writer, [FileInput(staged.path)], on_progress, max_bytes)
        except BaseException:
            staged.undo()
            raise
        if report.failed:
            staged.undo()
            return IngestReport(failed=tuple(FileFailure(name, f.reason) for f in report.failed))
        return report
