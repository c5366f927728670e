"""LlamaIndex as a peer: VectorStoreIndex (HuggingFaceEmbedding on the model folder) and
BM25Retriever, fused by QueryFusionRetriever in reciprocal-rerank mode (no LLM: one query).

Runs in its own virtualenv (llamaindex-requirements.txt). Library defaults everywhere else
(SentenceSplitter chunks of 1,024 tokens, so each paragraph is one node; embedding batches of
10; the simple in-memory vector store, persisted as JSON).
"""

from __future__ import annotations

from pathlib import Path

import peer_common as common

common.pin_threads()
common.pin_torch_threads()

from llama_index.core import Document, Settings, StorageContext, VectorStoreIndex, load_index_from_storage  # noqa: E402
from llama_index.core.retrievers import QueryFusionRetriever  # noqa: E402
from llama_index.embeddings.huggingface import HuggingFaceEmbedding  # noqa: E402
from llama_index.retrievers.bm25 import BM25Retriever  # noqa: E402

Settings.llm = None  # a mock: the fusion retriever generates no extra queries with num_queries=1


def _embedding(work: dict) -> HuggingFaceEmbedding:
    return HuggingFaceEmbedding(model_name=work["model_folder"], device="cpu")


def build(folder: Path, work: dict) -> None:
    documents = [Document(text=common.document_text(d), id_=d["id"]) for d in work["documents"]]
    index = VectorStoreIndex.from_documents(documents, embed_model=_embedding(work))
    index.storage_context.persist(persist_dir=str(folder / "vectors"))
    BM25Retriever.from_defaults(docstore=index.docstore, similarity_top_k=common.TOP_K).persist(str(folder / "bm25"))


def open_index(folder: Path, work: dict):
    storage = StorageContext.from_defaults(persist_dir=str(folder / "vectors"))
    index = load_index_from_storage(storage, embed_model=_embedding(work))
    fusion = QueryFusionRetriever(
        [index.as_retriever(similarity_top_k=common.TOP_K), BM25Retriever.from_persist_dir(str(folder / "bm25"))],
        similarity_top_k=common.TOP_K, num_queries=1, mode="reciprocal_rerank", use_async=False,
    )
    return lambda question: [hit.node.ref_doc_id for hit in fusion.retrieve(question)]


if __name__ == "__main__":
    common.main(build, open_index)
