"""The encoder's faster numeric paths behind RAG_ENCODER_BACKEND / `backend=`, with the packaged
MiniLM: each builds and answers from a library, stays close to fp32, and a bad name is refused."""

import json
import os
import subprocess
import sys

import pytest

from rag import Library, TextRecord
from rag.check import check_library
from rag.errors import EncoderBackendError, RagError, VectorKindMismatchError
from rag.settings import Settings
from tests.conftest import DRILLS_QUESTION, REPO, SAMPLES

FASTER = ["onnx-int8", "torch-bf16"]
FIRST_SAMPLE = "000_806c210b4fa405d6.txt"


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


def vectors_by_passage(library) -> dict:
    """(passage text, its vector) of every stored passage, keyed by text so two libraries of
    the same documents compare whatever ids they gave them."""
    vectors = library._current_vectors()
    return {p.text: vectors.vectors([p.id])[0] for d in library.documents() for p in library.passages(d.id)}


def test_a_library_keeps_the_kind_of_vectors_it_was_built_with(tmp_path, minilm_samples_library):
    """Opened later without a backend, an int8 library goes on embedding with int8, so its
    index never mixes two numeric paths; the kind shows in stats()."""
    built = Library.open(tmp_path / "library", backend="onnx-int8")
    built.add([SAMPLES / FIRST_SAMPLE])
    assert built.stats().vector_kind == "onnx-int8"
    reopened = Library.open(tmp_path / "library")
    assert reopened.encoder.requested_backend == "onnx-int8"
    reopened.add([SAMPLES])
    assert reopened.stats().documents == 2 and reopened.stats().vector_kind == "onnx-int8"
    # No stored vector is the fp32 one of its passage: the second ingest ran on int8 too.
    # (int8 vectors cannot be compared with another int8 ingest's: ONNX Runtime quantises
    # activations per batch, so a text's int8 vector depends on its batch, cosine ~0.99.)
    stored, fp32 = vectors_by_passage(reopened), vectors_by_passage(minilm_samples_library)
    assert stored.keys() == fp32.keys()
    assert max(float(stored[t] @ fp32[t]) for t in stored) < 1 - 1e-4


def test_adding_with_another_kind_of_vectors_is_refused_and_changes_nothing(tmp_path, minilm_encoder):
    library = Library.open(tmp_path / "library", encoder=minilm_encoder)
    library.add([SAMPLES / FIRST_SAMPLE])
    before = (library.stats(), sorted(p.name for p in library.folder.iterdir()))
    faster = Library.open(tmp_path / "library", backend="onnx-int8")
    with pytest.raises(VectorKindMismatchError, match="holds fp32 vectors.*onnx-int8.*backend='auto'"):
        faster.add([SAMPLES])
    with pytest.raises(VectorKindMismatchError):
        faster.add_texts([TextRecord(source="note-1", text="The exercise ran for three days in the Gulf of Oman.")])
    assert (library.stats(), sorted(p.name for p in library.folder.iterdir())) == before
    assert faster.search("naval exercise", k=3)  # reading with another kind is allowed
    # Emptied, the library holds no kind of vectors: the next ingest may pick any.
    for document in library.documents():
        library.remove(document.id)
    faster.add([SAMPLES])
    assert faster.stats().vector_kind == "onnx-int8" and faster.stats().documents == 2


def test_a_damaged_vector_kind_is_found_and_repaired(tmp_path, minilm_encoder):
    library = Library.open(tmp_path / "library", encoder=minilm_encoder)
    library.add([SAMPLES / FIRST_SAMPLE])
    with library._db:
        library._db.execute("UPDATE meta SET value = 'int4' WHERE key = 'vector_kind'")
    with pytest.raises(RagError, match="meta.vector_kind is 'int4'.*check --repair"):
        library.stats()
    report = check_library(tmp_path / "library", repair=True, encoder=minilm_encoder)
    assert any("vector_kind dropped" in line for line in report.repaired) and not report.problems
    assert Library.open(tmp_path / "library", encoder=minilm_encoder).stats().vector_kind == "fp32"


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
