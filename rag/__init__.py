"""Semantic Q&A over documents with verifiable, sentence-level citations.

    from rag import Library
    lib = Library.open("library")
    lib.add(["data/samples"])
    answer = lib.ask("what joint naval exercises did China and Iran hold?")
"""

from rag.chat_model import ChatModel, LanguageModelError
from rag.errors import QueryError, RagError
from rag.ingest import TextRecord
from rag.library import Library, LibraryStats
from rag.results import (
    Answer,
    Citation,
    Document,
    DocumentSummary,
    FileFailure,
    Hit,
    IngestReport,
    Passage,
    SentenceSpan,
    Writing,
    WrittenSentence,
)
from rag.search import SEARCH_MODES, SearchFilters

__all__ = [
    "Answer", "ChatModel", "Citation", "Document", "DocumentSummary", "FileFailure", "Hit", "IngestReport",
    "LanguageModelError", "Library", "LibraryStats", "Passage", "QueryError", "RagError", "SEARCH_MODES",
    "SearchFilters", "SentenceSpan", "TextRecord", "Writing", "WrittenSentence",
]
