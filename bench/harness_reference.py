"""Check the evaluation harness against published BEIR figures, and compare BM25 backends.

The product's own modes (`python -m rag eval`) differ from the published set-ups: documents
longer than the model's window are split into passages and ranked by their best one, and
every passage is read with its title. So this script also runs the published protocols
through the same dataset reader and metric code:

- dense: each document as "title text", truncated to the model's 256-token window,
  all-MiniLM-L6-v2 unit vectors, exact inner product (MTEB's protocol; published 0.6451);
- lexical: whole documents "title text", BM25 with our analyser (Snowball stemmer,
  stopwords) in two backends: SQLite FTS5 (what the library uses) and bm25s (published
  Pyserini BM25: 0.6789).

    .venv/bin/python bench/harness_reference.py --beir ../shared/datasets/beir-scifact
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings import DEFAULT_MODEL, Encoder  # noqa: E402
from rag import lexical  # noqa: E402
from rag.evaluation.datasets import load_beir  # noqa: E402
from rag.evaluation.embedding_cache import CachingEncoder  # noqa: E402
from rag.evaluation.metrics import ndcg_at, recall_at  # noqa: E402

PUBLISHED = {"dense": 0.6451, "lexical": 0.6789}


def scores(name, dataset, rankings, seconds) -> None:
    ndcg = np.mean([ndcg_at(10, r, q.relevant) for q, r in zip(dataset.questions, rankings)])
    recall = np.mean([recall_at(100, r, q.relevant) for q, r in zip(dataset.questions, rankings)])
    kind = "dense" if name.startswith("dense") else "lexical"
    print(f"{name:<44} nDCG@10 {ndcg:.4f} (published {PUBLISHED[kind]:.4f}, "
          f"diff {ndcg - PUBLISHED[kind]:+.4f})  R@100 {recall:.4f}  {seconds:6.1f}s")


def dense(dataset, encoder) -> list[list[str]]:
    ids = [r.source for r in dataset.records]
    vectors = encoder.encode([f"{r.title or ''} {r.text}".strip() for r in dataset.records])
    queries = encoder.encode([q.text for q in dataset.questions])
    top = np.argsort(-(queries @ vectors.T), axis=1)[:, :100]
    return [[ids[i] for i in row] for row in top]


def fts5(dataset) -> list[list[str]]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(terms, tokenize = 'ascii')")
    db.executemany("INSERT INTO docs(rowid, terms) VALUES (?, ?)",
                   [(i, lexical.indexed_text(f"{r.title or ''} {r.text}")) for i, r in enumerate(dataset.records)])
    rankings = []
    for question in dataset.questions:
        match = lexical.match_expression(question.text)
        rows = db.execute("SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 100",
                          (match,)) if match else []
        rankings.append([dataset.records[row[0]].source for row in rows])
    return rankings


def bm25s_backend(dataset) -> list[list[str]]:
    import bm25s

    retriever = bm25s.BM25()  # Lucene's BM25 variant, k1 = 1.5, b = 0.75
    retriever.index([lexical.terms(f"{r.title or ''} {r.text}") for r in dataset.records], show_progress=False)
    rankings = []
    for question in dataset.questions:
        terms = [t for t in lexical.terms(question.text) if t in retriever.vocab_dict]
        if not terms:
            rankings.append([])
            continue
        documents, _ = retriever.retrieve([terms], k=100, show_progress=False)
        rankings.append([dataset.records[i].source for i in documents[0]])
    return rankings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beir", type=Path, required=True)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    dataset = load_beir(args.beir, "test")
    print(f"{dataset.name} test: {len(dataset.records)} documents, {len(dataset.questions)} queries")
    for name, run in (("lexical, whole documents, SQLite FTS5", fts5),
                      ("lexical, whole documents, bm25s", bm25s_backend),
                      ("dense, whole documents truncated at 256", lambda d: dense(d, CachingEncoder(Encoder(args.model))))):
        started = time.perf_counter()
        rankings = run(dataset)
        scores(name, dataset, rankings, time.perf_counter() - started)


if __name__ == "__main__":
    main()
