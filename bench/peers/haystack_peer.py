"""Haystack 2 as a peer: InMemoryDocumentStore, SentenceTransformers embedders on the model
folder, InMemoryEmbeddingRetriever + InMemoryBM25Retriever joined by DocumentJoiner with
reciprocal rank fusion, in one Pipeline.

Runs in its own virtualenv (haystack-requirements.txt). Library defaults otherwise (the
store's BM25L, embedding batches of 32, progress bars off); the store is saved with `save_to_disk`.
"""

from __future__ import annotations

from pathlib import Path

import peer_common as common

common.pin_threads()
common.pin_torch_threads()

from haystack import Document, Pipeline  # noqa: E402
from haystack.components.embedders import SentenceTransformersDocumentEmbedder, SentenceTransformersTextEmbedder  # noqa: E402
from haystack.components.joiners import DocumentJoiner  # noqa: E402
from haystack.components.retrievers.in_memory import InMemoryBM25Retriever, InMemoryEmbeddingRetriever  # noqa: E402
from haystack.document_stores.in_memory import InMemoryDocumentStore  # noqa: E402
from haystack.utils import ComponentDevice  # noqa: E402

CPU = ComponentDevice.from_str("cpu")


def build(folder: Path, work: dict) -> None:
    embedder = SentenceTransformersDocumentEmbedder(model=work["model_folder"], device=CPU, progress_bar=False)
    embedder.warm_up()
    documents = [Document(id=d["id"], content=common.document_text(d)) for d in work["documents"]]
    store = InMemoryDocumentStore()
    store.write_documents(embedder.run(documents=documents)["documents"])
    folder.mkdir(parents=True, exist_ok=True)
    store.save_to_disk(str(folder / "store.json"))


def open_index(folder: Path, work: dict):
    store = InMemoryDocumentStore.load_from_disk(str(folder / "store.json"))
    pipeline = Pipeline()
    pipeline.add_component("text_embedder", SentenceTransformersTextEmbedder(model=work["model_folder"], device=CPU, progress_bar=False))
    pipeline.add_component("embedding_retriever", InMemoryEmbeddingRetriever(store, top_k=common.TOP_K))
    pipeline.add_component("bm25_retriever", InMemoryBM25Retriever(store, top_k=common.TOP_K))
    pipeline.add_component("joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion", top_k=common.TOP_K))
    pipeline.connect("text_embedder.embedding", "embedding_retriever.query_embedding")
    pipeline.connect("embedding_retriever", "joiner")
    pipeline.connect("bm25_retriever", "joiner")
    pipeline.warm_up()

    def search(question: str) -> list[str]:
        result = pipeline.run({"text_embedder": {"text": question}, "bm25_retriever": {"query": question}})
        return [document.id for document in result["joiner"]["documents"]]

    return search


if __name__ == "__main__":
    common.main(build, open_index)
