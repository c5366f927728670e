"""txtai as a peer: `Embeddings(path=model folder, hybrid=True)` (dense vectors in FAISS plus
txtai's own BM25 scoring, fused), saved with `save` and opened with `load`.

Runs in its own virtualenv (txtai-requirements.txt).
"""

from __future__ import annotations

from pathlib import Path

import peer_common as common

common.pin_threads()
common.pin_torch_threads()

from txtai import Embeddings  # noqa: E402


def build(folder: Path, work: dict) -> None:
    embeddings = Embeddings(path=work["model_folder"], hybrid=True)
    embeddings.index((d["id"], common.document_text(d), None) for d in work["documents"])
    embeddings.save(str(folder))


def open_index(folder: Path, work: dict):
    embeddings = Embeddings()
    embeddings.load(str(folder))
    return lambda question: [document_id for document_id, _ in embeddings.search(question, common.TOP_K)]


if __name__ == "__main__":
    common.main(build, open_index)
