"""Settings read from the environment once, at the edge (the CLI and the UI).

Library code takes explicit arguments; only entry points call `Settings.from_env()`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from rag.chat_model import DEFAULT_TIMEOUT_S, ChatModel
from rag.conversations import DEFAULT_KEEP_DAYS
from rag.errors import EncoderBackendError, RagError


@dataclass(frozen=True)
class Settings:
    library: str = "library"  # RAG_LIBRARY: the library folder
    max_upload_mb: int = 20  # RAG_MAX_UPLOAD_MB: larger uploads are refused before reading
    k: int = 5  # passages retrieved per question unless the user changes it
    read_only: bool = False  # RAG_READ_ONLY=1: serve an existing library as a replica
    # RAG_CONVERSATIONS: where the UI keeps each browser's conversation; "" means
    # <library>/conversations (a replica whose library folder is synced should set it)
    conversations_folder: str = ""
    # RAG_CONVERSATIONS_KEEP_DAYS: a saved conversation is deleted this many days after its
    # last save (anyone with its address can read it until then); 0 keeps them forever
    conversations_keep_days: int = DEFAULT_KEEP_DAYS
    # RAG_ENCODER_BACKEND: the encoder's numeric path; "auto" is the faithful fp32 one, the
    # faster "onnx-int8" and "torch-bf16" move vectors slightly (docs/performance.md)
    encoder_backend: str = "auto"
    # RAG_LLM_URL, RAG_LLM_MODEL, RAG_LLM_API_KEY, RAG_LLM_TIMEOUT: the language model that
    # writes answers when asked to (`rag.chat_model`); None when RAG_LLM_URL is unset
    language_model: ChatModel | None = None

    @classmethod
    def from_env(cls, environ=os.environ) -> "Settings":
        max_upload_mb = _whole_number(environ, "RAG_MAX_UPLOAD_MB", cls.max_upload_mb, least=1,
                                      meaning="a whole number of megabytes")
        flag = environ.get("RAG_READ_ONLY", "").strip().lower()
        if flag not in ("", "0", "1", "true", "false", "yes", "no"):
            raise RagError(f"RAG_READ_ONLY must be 1 or 0, got {flag!r}")
        keep_days = _whole_number(environ, "RAG_CONVERSATIONS_KEEP_DAYS", cls.conversations_keep_days, least=0,
                                  meaning="a whole number of days (0 keeps conversations forever)")
        return cls(library=environ.get("RAG_LIBRARY") or cls.library, max_upload_mb=max_upload_mb,
                   read_only=flag in ("1", "true", "yes"), conversations_folder=environ.get("RAG_CONVERSATIONS", ""),
                   conversations_keep_days=keep_days, encoder_backend=encoder_backend_from_env(environ),
                   language_model=language_model_from_env(environ))

    @property
    def conversations(self) -> str:
        return self.conversations_folder or os.path.join(self.library, "conversations")

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1_000_000


def _whole_number(environ, name: str, default: int, *, least: int, meaning: str) -> int:
    raw = environ.get(name, str(default))
    try:
        value = int(raw)
        if value < least:
            raise ValueError
    except ValueError:
        raise RagError(f"{name} must be {meaning}, got {raw!r}") from None
    return value


def language_model_from_env(environ=os.environ) -> ChatModel | None:
    """The configured language model, checked; None when RAG_LLM_URL is unset or empty."""
    url = environ.get("RAG_LLM_URL", "").strip()
    if not url:
        return None
    raw_timeout = environ.get("RAG_LLM_TIMEOUT", "").strip() or str(DEFAULT_TIMEOUT_S)
    try:
        timeout = float(raw_timeout)
    except ValueError:
        raise RagError(f"RAG_LLM_TIMEOUT must be a number of seconds, got {raw_timeout!r}") from None
    return ChatModel(url, environ.get("RAG_LLM_MODEL", "").strip(), api_key=environ.get("RAG_LLM_API_KEY", ""),
                     timeout=timeout)


def encoder_backend_from_env(environ=os.environ) -> str:
    """RAG_ENCODER_BACKEND, checked (unset or empty: "auto"); the CLI reads only this setting."""
    from embeddings import BACKENDS  # light: the encoder loads nothing until it is used

    backend = environ.get("RAG_ENCODER_BACKEND", "").strip() or "auto"
    if backend not in BACKENDS:
        raise EncoderBackendError(backend, BACKENDS, where="RAG_ENCODER_BACKEND value")
    return backend
