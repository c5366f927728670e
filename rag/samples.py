"""The sample articles shipped in data/samples, and building a first library from them.

Both the CLI and the UI build a brand-new library from the samples on first use, so the
first thing a newcomer does works. An existing library is never touched, even if empty.
"""

from __future__ import annotations

import threading
from pathlib import Path

from rag.library import Library, Progress
from rag.results import IngestReport

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "data" / "samples"


def open_with_samples(
    path: Path | str, *, on_progress: Progress | None = None, **open_options
) -> tuple[Library, IngestReport | None]:
    """Open the library at `path`; if it did not exist, fill it from the samples first.
    Returns the library and the samples' ingest report (None if nothing was built)."""
    fresh = not Library.exists(path)
    library = Library.open(path, **open_options)
    return library, FirstRun(library, needed=fresh).run(on_progress)


class FirstRun:
    """Fills a brand-new library from the samples exactly once, however many UI sessions
    start at the same moment."""

    def __init__(self, library: Library, needed: bool):
        self.library = library
        self.needed = needed and SAMPLES_DIR.is_dir()
        self._lock = threading.Lock()

    def run(self, on_progress: Progress | None = None) -> IngestReport | None:
        with self._lock:
            if not self.needed:
                return None
            report = self.library.add([SAMPLES_DIR], on_progress=on_progress)
            self.needed = False
            return report


# Questions the sample articles answer, offered on an empty page as a first thing to try.
SAMPLE_QUESTIONS = (
    "what joint naval exercises did China and Iran hold?",
    "where did Iran's defense minister travel after the conflict with Israel?",
    "who is Sun Jianguo?",
)


def suggested_questions(documents) -> tuple[str, ...]:
    """Questions to offer on an empty page: the samples' questions while a sample article is
    in the library (they would be refused in a library without them), else none."""
    samples = {path.name for path in SAMPLES_DIR.glob("*")} if SAMPLES_DIR.is_dir() else set()
    return SAMPLE_QUESTIONS if any(Path(doc.source).name in samples for doc in documents) else ()
