"""The FAISS vector index: ids, exact search, filters, atomic versioned files."""

import numpy as np
import pytest

from embeddings import VectorIndex, VectorIndexError


def unit(rows, dim=16, seed=0):
    vectors = np.random.default_rng(seed).standard_normal((rows, dim)).astype("float32")
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def brute_force(vectors, ids, query, k):
    order = np.argsort(-(vectors @ query), kind="stable")[:k]
    return [int(ids[i]) for i in order]


def test_search_matches_brute_force():
    vectors, ids = unit(200), np.arange(1000, 1200)
    index = VectorIndex(16)
    index.add(ids, vectors)
    for query in unit(10, seed=1):
        _, found = index.search(query, 10)
        assert list(found[0]) == brute_force(vectors, ids, query, 10)


def test_allowed_ids_give_the_true_top_k_of_the_subset():
    vectors, ids = unit(200), np.arange(200)
    index = VectorIndex(16)
    index.add(ids, vectors)
    allowed = ids[::7]
    query = unit(1, seed=2)[0]
    _, found = index.search(query, 5, allowed_ids=allowed)
    assert list(found[0]) == brute_force(vectors[::7], allowed, query, 5)


def test_remove_and_ids_are_stable():
    index = VectorIndex(16)
    index.add([5, 6, 7], unit(3))
    assert index.remove([6, 99]) == 1
    assert sorted(index.ids()) == [5, 7]
    np.testing.assert_allclose(index.vectors([7]), unit(3)[2:3], atol=1e-6)
    with pytest.raises(ValueError):
        index.add([5], unit(1))  # ids are unique


def test_save_and_load_round_trip(tmp_path):
    index = VectorIndex(16)
    index.add(np.arange(50), unit(50))
    index.save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss", dimension=16)
    assert list(loaded.ids()) == list(range(50))
    query = unit(1, seed=3)
    assert (loaded.search(query, 5)[1] == index.search(query, 5)[1]).all()
    assert not list(tmp_path.glob("*.tmp"))  # the temporary file was renamed, not left behind


@pytest.mark.parametrize("damage", ["truncate", "garbage", "dimension", "version"])
def test_damaged_files_are_refused(tmp_path, damage):
    path = tmp_path / "v.faiss"
    index = VectorIndex(16)
    index.add(np.arange(20), unit(20))
    index.save(path)
    data = path.read_bytes()
    expected_dimension = 16
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"SQLite format 3\x00" + data)
    elif damage == "dimension":
        expected_dimension = 32
    else:
        path.write_bytes(data.replace(b'"version": 1', b'"version": 9'))
    with pytest.raises(VectorIndexError):
        VectorIndex.load(path, dimension=expected_dimension)


def test_k_larger_than_the_index():
    index = VectorIndex(16)
    index.add([1, 2], unit(2))
    scores, ids = index.search(unit(1, seed=4), 50)
    assert sorted(ids[0]) == [1, 2]
