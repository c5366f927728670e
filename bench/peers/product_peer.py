"""The product as a peer: `rag.Library` with the packaged MiniLM, hybrid search (the default).

Runs in the product's own virtualenv (the python that runs run.py). Each paragraph is one
`TextRecord` titled by its article, as `python -m rag eval squad` builds its library; a hit's
`source` is the paragraph's id.
"""

from __future__ import annotations

import sys
from pathlib import Path

import peer_common as common

common.pin_threads()
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from embeddings import Encoder  # noqa: E402
from rag import Library, TextRecord  # noqa: E402


def _encoder(work: dict) -> Encoder:
    # The packaged name, not work["model_folder"] (the same files): a folder path would make
    # the encoder take the sentence-transformers path instead of the product's ONNX one.
    return Encoder(threads=common.THREADS)


def build(folder: Path, work: dict) -> None:
    library = Library.open(folder, encoder=_encoder(work))
    library.add_texts(TextRecord(source=d["id"], text=d["text"], title=d["title"]) for d in work["documents"])
    library.close()


def open_index(folder: Path, work: dict):
    library = Library.open(folder, encoder=_encoder(work), read_only=True)
    return lambda question: [hit.passage.source for hit in library.search(question, k=common.TOP_K)]


if __name__ == "__main__":
    common.main(build, open_index)
