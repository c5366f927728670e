"""Every error this package raises on purpose.

The CLI and the UI catch only `RagError`; each subclass's message names the bad value and
says what to do about it. Wrong argument types stay `TypeError`/`ValueError`.
"""

from __future__ import annotations

from pathlib import Path

class RagError(Exception):
    """Base class: anything the library refuses, with a message meant for the user."""


class DocumentError(RagError):
    """A file that cannot become a document; the library is left unchanged."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"Cannot read {path}: {reason}")
        self.path = Path(path)
        self.reason = reason


class UnsupportedFileError(DocumentError):
    def __init__(self, path: Path | str):
        from rag.readers import SUPPORTED_SUFFIXES  # the registry; rag.readers imports this module

        super().__init__(
            path,
            "unsupported file type; supported formats are " + " ".join(SUPPORTED_SUFFIXES),
        )


class EmptyDocumentError(DocumentError):
    def __init__(self, path: Path | str, detail: str = "it contains no readable text"):
        super().__init__(path, f"{detail}; add text to the file or leave it out")


class FileTooLargeError(DocumentError):
    def __init__(self, path: Path | str, size: int, limit: int):
        super().__init__(
            path,
            f"the file is {size:,} bytes, over the {limit:,}-byte limit; "
            "split it or raise the limit (max_file_bytes)",
        )


class MissingPathError(RagError):
    def __init__(self, path: Path | str):
        super().__init__(f"No such file or folder: {path}; check the path and try again")
        self.path = Path(path)


class EmptyPathError(MissingPathError):
    def __init__(self):
        RagError.__init__(self, "An empty path names no file or folder; give a file or folder "
                          "(`.` for the current folder)")
        self.path = Path("")


class UnreadableFolderError(RagError):
    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"Cannot list the folder {path} ({reason}); make it readable, or leave it "
                         "out. Nothing was added")
        self.path = Path(path)


class RecordBatchError(RagError):
    """A batch of TextRecords that cannot be added as given; nothing of it is added."""


class CommitEveryError(RagError, ValueError):
    """`commit_every` is not a whole number of passages of at least 1; nothing was added."""

    def __init__(self, value):
        super().__init__(f"commit_every must be a whole number of passages, at least 1, got {value!r}; "
                         f"pass e.g. commit_every=5_000. Nothing was added")


class LibraryError(RagError):
    """The library folder itself is unusable (not a library, damaged, wrong version)."""


class ModelMismatchError(LibraryError):
    def __init__(self, library: Path | str, recorded: str, requested: str):
        super().__init__(
            f"The library at {library} was built with the model {recorded!r}, not {requested!r}; "
            "open it without choosing a model, or use a new library folder for the other model"
        )
        self.recorded = recorded
        self.requested = requested


class VectorKindMismatchError(LibraryError):
    def __init__(self, library: Path | str, recorded: str, requested: str, backend: str):
        super().__init__(
            f"The library at {library} holds {recorded} vectors; adding with the {requested} backend would "
            f"mix two kinds of vectors in one index. Open it with backend={backend!r} (or "
            f"RAG_ENCODER_BACKEND={backend}), or build a new library folder with {requested}"
        )
        self.recorded = recorded
        self.requested = requested


class LibraryBusyError(LibraryError):
    def __init__(self, library: Path | str):
        super().__init__(
            f"Another ingest is writing to the library at {library}; "
            "wait for it to finish and try again"
        )


class QueryError(RagError):
    """A query or search option that cannot be used; the message says how to fix it."""


class UnknownDocumentError(RagError):
    def __init__(self, document_id: str):
        super().__init__(
            f"No document with id {document_id!r} in this library; list ids with `python -m rag docs`"
        )
        self.document_id = document_id


class ModelLoadError(RagError):
    def __init__(self, model: str, reason: str):
        super().__init__(
            f"Cannot load the embedding model {model!r}: {reason}. Give a sentence-transformers "
            "model name available offline or a local model folder"
        )
        self.model = model


class EncoderBackendError(RagError):
    def __init__(self, backend: object, choices, where: str = "the encoder backend"):
        super().__init__(f"Unknown {where} {backend!r}: choose one of {', '.join(choices)} "
                         "(docs/performance.md compares their speed and fidelity)")
        self.backend = backend


class DistributedIngestError(RagError):
    """A distributed (Ray) ingest that could not start or did not finish. Nothing is written
    before its single commit, so the library is always left as it was."""


class RayNotInstalledError(DistributedIngestError):
    def __init__(self):
        super().__init__(
            "Distributed ingest needs Ray, which is not installed in this environment; run "
            "`pip install -r requirements-ray.txt` here (and on every node of the cluster), then try again"
        )


class RayConnectionError(DistributedIngestError):
    def __init__(self, address: str, reason: str):
        super().__init__(
            f"Cannot connect to the Ray cluster at {address!r} ({reason}); start one with `ray start "
            "--head` and pass the address it prints (host:6379), or give --ray without an address "
            "to run on a local Ray instance"
        )
        self.address = address


class StorageError(LibraryError):
    """The disk or the folder refuses (full, read-only, no permission): nothing is wrong with
    the library's contents, and nothing was changed."""


class DiskFullError(StorageError):
    def __init__(self, folder: Path | str, free_bytes: int):
        super().__init__(
            f"The disk holding the library at {folder} is full ({free_bytes:,} bytes free); "
            "nothing was changed. Free some space on that disk and try again"
        )
        self.folder = Path(folder)


class LibraryNotWritableError(StorageError):
    def __init__(self, folder: Path | str, reason: str):
        super().__init__(
            f"The library at {folder} is read-only ({reason}): search and ask work, but ingest, "
            "remove, edit and check --repair need write access; make the folder writable, or "
            "copy the library to a folder you can write"
        )
        self.folder = Path(folder)


class FolderAccessError(StorageError):
    """A library path that cannot be opened at all: under a file, or behind a permission."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"Cannot use {path} as a library folder: {reason}")
        self.path = Path(path)


class NoLanguageModelError(RagError):
    def __init__(self):
        super().__init__("No language model is configured to write answers: set RAG_LLM_URL and RAG_LLM_MODEL "
                         "(for the CLI and the UI), or open the library with language_model=ChatModel(url, model)")
