"""Sentence vectors made at ingest: pooled from the passage's own model run, stored with the
passage, and used by `ask` so that answering embeds only the question."""

import re
import sqlite3

import numpy as np
import pytest

from embeddings import Encoder
from embeddings.span_pooling import pool_spans
from rag import Library, schema, store, vector_blob
from tests.conftest import DRILLS_QUESTION, SAMPLES

PASSAGE = ("Joint drills\nTwo warships took part in joint naval exercises near Bandar Abbas. "
           "The joint training lasted four days. Officials said it ended on Friday.")
LONG = " ".join(f"The convoy passed checkpoint {i} near the harbour before dawn." for i in range(60))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"[^.\n]+\.", text)]


def test_a_span_is_the_mean_of_the_token_vectors_inside_it():
    hidden = np.array([[9, 9], [1, 0], [3, 0], [0, 2], [9, 9]], dtype=np.float32)
    offsets = [(0, 0), (0, 3), (4, 7), (8, 11), (0, 0)]  # [CLS] tok tok tok [SEP]
    special = [1, 0, 0, 0, 1]
    pooled = pool_spans(hidden, offsets, special, [(0, 7), (8, 11), (50, 60)])
    np.testing.assert_allclose(pooled[0], [1, 0])  # mean (2, 0), normalised
    np.testing.assert_allclose(pooled[1], [0, 1])
    # a span past the model's window falls back to the whole text, special tokens excluded
    np.testing.assert_allclose(pooled[2], np.array([4, 2]) / np.linalg.norm([4, 2]), rtol=1e-6)


def test_onnx_span_vectors_equal_the_sentence_transformers_reference(minilm_encoder):
    assert minilm_encoder.backend == "onnx"
    reference = Encoder(backend="sentence-transformers", batch_size=2)
    texts = [PASSAGE, LONG, "x", PASSAGE.upper()]
    spans = [sentence_spans(t) or [(0, len(t))] for t in texts]
    vectors, pooled = minilm_encoder.encode_with_spans(texts, spans)
    ref_vectors, ref_pooled = reference.encode_with_spans(texts, spans)
    np.testing.assert_allclose(vectors, ref_vectors, atol=1e-5)
    np.testing.assert_allclose(vectors, minilm_encoder.encode(texts), atol=1e-5)
    for ours, theirs, text_spans in zip(pooled, ref_pooled, spans):
        assert ours.shape == (len(text_spans), 384)
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)


@pytest.mark.parametrize("question, sentence", [
    ("where did warships hold naval exercises?", 0),
    ("how long did the training last?", 1),
])
def test_a_question_is_nearest_the_sentence_that_answers_it(minilm_encoder, question, sentence):
    """Pooled vectors are contextual (a sentence's tokens have read its neighbours), yet
    still tell the sentences of one passage apart by what each says."""
    spans = sentence_spans(PASSAGE)
    _, (pooled,) = minilm_encoder.encode_with_spans([PASSAGE], [spans])
    assert int(np.argmax(pooled @ minilm_encoder.encode_query(question))) == sentence


def test_packed_vectors_keep_their_cosines():
    rows = np.random.default_rng(0).normal(size=(50, 384)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    query = rows[0] + rows[1]
    restored = vector_blob.unpack(vector_blob.pack(rows), 384)
    assert np.abs(restored @ query - rows @ query).max() < 0.005
    assert len(vector_blob.pack(rows)) == 50 * (384 + 4)
    assert vector_blob.unpack(vector_blob.pack(rows[:0]), 384).shape == (0, 384)
    with pytest.raises(ValueError, match="does not hold"):
        vector_blob.unpack(b"\x00" * 100, 384)


def test_one_product_for_many_blobs_gives_each_blobs_own_cosines():
    rng = np.random.default_rng(1)
    groups = [rng.normal(size=(n, 384)).astype(np.float32) for n in (3, 1, 7, 2)]
    blobs = [vector_blob.pack(rows / np.linalg.norm(rows, axis=1, keepdims=True)) for rows in groups]
    query = rng.normal(size=384).astype(np.float32)
    together = vector_blob.dot_many(blobs, 384, query)
    assert [len(c) for c in together] == [3, 1, 7, 2]
    for blob, cosines in zip(blobs, together):
        np.testing.assert_allclose(cosines, vector_blob.unpack(blob, 384) @ query, rtol=1e-5, atol=1e-5)
    assert vector_blob.dot_many([], 384, query) == []
    with pytest.raises(ValueError, match="does not hold"):
        vector_blob.dot_many([blobs[0], b"\x00" * 100], 384, query)


@pytest.fixture(scope="module")
def sample_library(tmp_path_factory, minilm_encoder):
    library = Library.open(tmp_path_factory.mktemp("sentences") / "library", encoder=minilm_encoder)
    library.add([SAMPLES])
    return library


def test_every_passage_stores_one_vector_per_sentence(sample_library):
    stored = store.sentence_vector_blobs(sample_library._db, store.passage_ids(sample_library._db))
    passages = store.get_passages(sample_library._db, stored)
    for pid, blob in stored.items():
        vectors = vector_blob.unpack(blob, 384)
        assert vectors.shape == (len(passages[pid].sentences), 384)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=0.01)


def test_asking_embeds_only_the_question(sample_library, minilm_encoder):
    before = minilm_encoder.texts_encoded
    answer = sample_library.ask(DRILLS_QUESTION)
    assert not answer.abstained and "Bandar Abbas" in answer.text
    assert minilm_encoder.texts_encoded - before == 1


def test_a_library_from_before_sentence_vectors_still_answers(tmp_path, tiny_encoder):
    """Schema 2 stored no sentence vectors: the library upgrades without re-embedding, and
    `ask` embeds the sentences it needs; re-ingesting a changed document stores them."""
    folder = tmp_path / "old"
    with Library.open(folder, encoder=tiny_encoder) as library:
        library.add([SAMPLES])
        expected = library.ask("joint naval drills").text
    connection = sqlite3.connect(folder / store.DATABASE_NAME)
    connection.execute("ALTER TABLE passages DROP COLUMN sentence_vectors")  # the schema-2 layout
    connection.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    connection.commit()
    connection.close()

    with Library.open(folder, encoder=tiny_encoder) as library:
        assert library._meta()["schema_version"] == str(schema.SCHEMA_VERSION)
        ids = store.passage_ids(library._db)
        assert set(store.sentence_vector_blobs(library._db, ids).values()) == {None}
        # the tiny static model has no token vectors: its stored sentence vectors are the
        # sentences embedded alone, exactly what question time computes, so answers match
        assert library.ask("joint naval drills").text == expected
        assert library.passages_embedded == 0
