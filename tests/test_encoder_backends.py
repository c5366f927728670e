"""The encoder's faster numeric paths behind RAG_ENCODER_BACKEND / `backend=`, with the packaged
MiniLM: each builds and answers from a library, stays close to fp32, and a bad name is refused."""

import json
import os
import subprocess
import sys

import pytest

from rag import Library
from rag.errors import EncoderBackendError, RagError
from rag.settings import Settings
from tests.conftest import DRILLS_QUESTION, REPO, SAMPLES

FASTER = ["onnx-int8", "torch-bf16"]


@pytest.mark.parametrize("backend", FASTER)
def test_a_library_built_and_asked_with_a_faster_backend(tmp_path, minilm_encoder, minilm_samples_library, backend):
    library = Library.open(tmp_path / "library", backend=backend)
    report = library.add([SAMPLES])
    assert library.encoder.backend == backend and len(report.added) == 2
    answer = library.ask(DRILLS_QUESTION)
    assert not answer.abstained
    expected = minilm_samples_library.ask(DRILLS_QUESTION)
    assert [c.evidence for c in answer.citations][:2] == [c.evidence for c in expected.citations][:2]
    # Close to the fp32 vectors of the same texts, but not them: another numeric path ran.
    texts = [h.passage.text for h in minilm_samples_library.search(DRILLS_QUESTION, k=10)] + [DRILLS_QUESTION]
    cosines = (library.encoder.encode(texts) * minilm_encoder.encode(texts)).sum(axis=1)
    assert cosines.min() > 0.98 and cosines.max() < 1 - 1e-6


def test_the_setting_reaches_the_cli(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_ENCODER_BACKEND": "onnx-int8"}
    run = subprocess.run([sys.executable, "-m", "rag", "ask", DRILLS_QUESTION, "--json", "--library",
                          str(tmp_path / "library")], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    assert any("Bandar Abbas" in c["evidence"] for c in json.loads(run.stdout)["citations"])


@pytest.mark.parametrize("value", ["onnx-int4", "ONNX", "fp16"])
def test_an_unknown_backend_is_a_clear_error_and_creates_nothing(tmp_path, value):
    with pytest.raises(EncoderBackendError, match=f"Unknown RAG_ENCODER_BACKEND value '{value}'.*onnx-int8"):
        Settings.from_env({"RAG_ENCODER_BACKEND": value})
    with pytest.raises(RagError, match="choose one of auto, onnx, onnx-int8"):
        Library.open(tmp_path / "library", backend=value)
    assert not (tmp_path / "library").exists()
    env = {**os.environ, "RAG_ENCODER_BACKEND": value}
    run = subprocess.run([sys.executable, "-m", "rag", "docs", "--library", str(tmp_path / "library")],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and f"Unknown RAG_ENCODER_BACKEND value '{value}'" in run.stderr
    assert not (tmp_path / "library").exists()


def test_unset_or_empty_setting_is_the_faithful_default():
    assert Settings.from_env({}).encoder_backend == "auto"
    assert Settings.from_env({"RAG_ENCODER_BACKEND": " "}).encoder_backend == "auto"


def test_one_encoder_per_model_and_backend_however_it_is_asked_for():
    """A second encoder would load the model's weights a second time in the same process."""
    from embeddings import DEFAULT_MODEL
    from rag.library import shared_encoder

    first = shared_encoder(DEFAULT_MODEL)
    assert shared_encoder(DEFAULT_MODEL, "auto") is first
    assert shared_encoder(DEFAULT_MODEL, backend="auto") is first
    assert shared_encoder(DEFAULT_MODEL, "onnx-int8") is not first
