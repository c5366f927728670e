"""Measuring retrieval and answer quality on public datasets, through the product's own path.

`python -m rag eval beir DIR` and `python -m rag eval squad FILE` build a library from the
dataset with the normal ingest (cached between runs), search it with the normal search, and
score the results. Nothing here is imported by the library itself.
"""
