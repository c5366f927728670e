"""Settings read from the environment once, at the edge (the CLI and the UI).

Library code takes explicit arguments; only entry points call `Settings.from_env()`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from rag.errors import RagError


@dataclass(frozen=True)
class Settings:
    library: str = "library"  # RAG_LIBRARY: the library folder
    max_upload_mb: int = 20  # RAG_MAX_UPLOAD_MB: larger uploads are refused before reading
    k: int = 5  # passages retrieved per question unless the user changes it
    read_only: bool = False  # RAG_READ_ONLY=1: serve an existing library as a replica
    # RAG_CONVERSATIONS: where the UI keeps each browser's conversation; "" means
    # <library>/conversations (a replica whose library folder is synced should set it)
    conversations_folder: str = ""

    @classmethod
    def from_env(cls, environ=os.environ) -> "Settings":
        raw = environ.get("RAG_MAX_UPLOAD_MB", str(cls.max_upload_mb))
        try:
            max_upload_mb = int(raw)
            if max_upload_mb < 1:
                raise ValueError
        except ValueError:
            raise RagError(f"RAG_MAX_UPLOAD_MB must be a whole number of megabytes, got {raw!r}") from None
        flag = environ.get("RAG_READ_ONLY", "").strip().lower()
        if flag not in ("", "0", "1", "true", "false", "yes", "no"):
            raise RagError(f"RAG_READ_ONLY must be 1 or 0, got {flag!r}")
        return cls(library=environ.get("RAG_LIBRARY") or cls.library, max_upload_mb=max_upload_mb,
                   read_only=flag in ("1", "true", "yes"), conversations_folder=environ.get("RAG_CONVERSATIONS", ""))

    @property
    def conversations(self) -> str:
        return self.conversations_folder or os.path.join(self.library, "conversations")

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1_000_000
