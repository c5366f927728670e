"""The encoder: unit vectors in input order, progress, token counts, the packaged model."""

import numpy as np
import pytest

from embeddings import DEFAULT_MODEL, Encoder, ModelLoadFailed

TEXTS = ["a short one", "a much longer text " * 20, "medium length text here", "x"]


def test_vectors_are_unit_length_and_in_input_order(tiny_encoder):
    vectors = tiny_encoder.encode(TEXTS)
    assert vectors.shape == (4, tiny_encoder.dimension) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    one_by_one = np.stack([tiny_encoder.encode([t])[0] for t in TEXTS])
    np.testing.assert_allclose(vectors, one_by_one, atol=1e-5)


def test_progress_reports_every_batch(tiny_model_dir):
    encoder = Encoder(tiny_model_dir, batch_size=2)
    calls = []
    encoder.encode(TEXTS * 3, on_progress=lambda done, total: calls.append((done, total)))
    assert calls == [(2, 12), (4, 12), (6, 12), (8, 12), (10, 12), (12, 12)]
    assert encoder.texts_encoded == 12


def test_unknown_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadFailed):
        Encoder(str(tmp_path / "no-such-model")).dimension


def test_packaged_minilm(minilm_encoder):
    assert minilm_encoder.name == DEFAULT_MODEL
    assert minilm_encoder.dimension == 384
    assert minilm_encoder.max_tokens == 256
    assert minilm_encoder.count_tokens(["hello world"]) == [4]  # [CLS] hello world [SEP]
    a, b, c = minilm_encoder.encode(
        ["Two warships took part in joint naval exercises.", "The navies held joint drills.",
         "The recipe needs flour and water."]
    )
    assert a @ b > a @ c + 0.3  # a real model: paraphrase close, unrelated far
    assert Encoder("all-MiniLM-L6-v2").name == DEFAULT_MODEL
