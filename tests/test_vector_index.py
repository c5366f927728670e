"""The FAISS vector index: ids, exact search, filters, atomic versioned files."""

import json

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


# -- the approximate layout, exercised small by lowering the size threshold ---------------

def clustered(rows, dim=16, seed=0):
    """Unit vectors around 20 centres, like real embeddings (random ones have no structure)."""
    rng = np.random.default_rng(seed)
    centres = unit(20, dim, seed + 100)
    vectors = centres[rng.integers(20, size=rows)] + 0.3 * rng.standard_normal((rows, dim)).astype("float32")
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype("float32")


@pytest.fixture
def big():
    """3,000 vectors with the approximate layout switched on above 1,000."""
    vectors, ids = clustered(3000), np.arange(10, 3010)
    index = VectorIndex(16, approximate_above=1000)
    for start in range(0, 3000, 500):  # as ingests add them: in batches
        index.add(ids[start : start + 500], vectors[start : start + 500])
    return index, vectors, ids


def recall(index, vectors, ids, queries, **kw):
    _, found = index.search(queries, 10, **kw)
    truth = [brute_force(vectors, ids, q, 10) for q in queries]
    return np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])


def test_large_index_switches_to_ivf_and_keeps_recall(big):
    index, vectors, ids = big
    assert index.layout == "ivf" and len(index) == 3000
    assert sorted(index.ids()) == list(ids)
    assert recall(index, vectors, ids, clustered(50, seed=9)) >= 0.95
    np.testing.assert_allclose(index.vectors(ids[:5]), vectors[:5], atol=2e-3)  # float16 storage


def test_ivf_removes_without_rebuilding_and_filters_exactly(big):
    index, vectors, ids = big
    gone = ids[::3]
    assert index.remove(gone) == len(gone) and index.layout == "ivf"
    keep = np.setdiff1d(ids, gone)
    queries = clustered(20, seed=5)
    _, found = index.search(queries, 10)
    assert not np.isin(found, gone).any()
    with pytest.raises(RuntimeError):
        index.vectors(gone[:1])
    allowed = keep[::11]
    _, found = index.search(queries, 5, allowed_ids=np.concatenate([allowed, gone[:4]]))
    rows = np.searchsorted(ids, allowed)
    for query, got in zip(queries, found):
        assert list(got) == brute_force(vectors[rows], allowed, query, 5)


def test_ivf_save_load_round_trip_and_version(big, tmp_path):
    index, vectors, ids = big
    index.save(tmp_path / "v.faiss")
    assert b'"version": 3' in (tmp_path / "v.faiss").read_bytes()[:400]
    loaded = VectorIndex.load(tmp_path / "v.faiss", dimension=16, approximate_above=1000)
    queries = clustered(5, seed=3)
    assert loaded.layout == "ivf" and (loaded.search(queries, 10)[1] == index.search(queries, 10)[1]).all()
    loaded.add([99_999], unit(1))  # still growable after a reload (it was mapped from the file)
    assert 99_999 in loaded.ids()
    reloaded = VectorIndex.load(tmp_path / "v.faiss", approximate_above=1000)
    assert reloaded.remove(ids[:10]) == 10 and len(reloaded) == 2990  # and shrinkable


def test_a_mapped_index_made_writable_copies_the_file_it_was_opened_from(big, tmp_path):
    """The copy reads the open file, not the path: a writer may have renamed another
    generation's file over it, or a check may have deleted it, since it was opened."""
    index, vectors, ids = big
    path = tmp_path / "v.faiss"
    index.save(path)
    loaded = VectorIndex.load(path, approximate_above=1000)
    queries = clustered(5, seed=4)
    before = loaded.search(queries, 10)[1]
    other = VectorIndex(16, approximate_above=1000)
    other.add(np.arange(2000), clustered(2000, seed=9))
    other.save(tmp_path / "next.faiss")
    (tmp_path / "next.faiss").replace(path)
    loaded.add([99_999], unit(1, seed=5))  # the first change makes the copy
    assert len(loaded) == 3001 and set(ids) < set(loaded.ids())
    assert (loaded.search(queries, 10)[1] == before).all()
    path.unlink()
    assert loaded.remove(ids[:10]) == 10 and len(loaded) == 2991


def test_mapped_indexes_release_their_files_when_dropped(big, tmp_path):
    import gc
    import os

    index, _, _ = big
    index.save(tmp_path / "v.faiss")
    open_files = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        loaded = VectorIndex.load(tmp_path / "v.faiss", approximate_above=1000)
        loaded.add([99_999], unit(1))
        del loaded
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) <= open_files


def test_flat_files_stay_version_1_and_a_shrunk_index_goes_back_to_flat(big, tmp_path):
    index, vectors, ids = big
    index.remove(ids[:2700])
    assert index.layout == "flat" and sorted(index.ids()) == list(ids[2700:])
    assert recall(index, vectors[2700:], ids[2700:], clustered(10, seed=4)) == 1.0
    index.save(tmp_path / "v.faiss")
    assert b'"version": 1' in (tmp_path / "v.faiss").read_bytes()[:400]


# -- files written by earlier versions ------------------------------------------------------

def write_old_format(path, faiss_index, version, layout_fields):
    """A vector file exactly as versions 1 and 2 wrote it: sha256 over one FAISS index."""
    import hashlib
    import struct

    import faiss

    payload = faiss.serialize_index(faiss_index).tobytes()
    header = json.dumps({"format": "rag-vector-index", "version": version, "dimension": 16,
                         "count": int(faiss_index.ntotal), **layout_fields,
                         "sha256": hashlib.sha256(payload).hexdigest()}).encode()
    path.write_bytes(b"RAGVEC\n" + struct.pack("<I", len(header)) + header + payload)


def test_version_1_and_2_files_still_load_and_grow(big, tmp_path):
    index, vectors, ids = big
    write_old_format(tmp_path / "v2.faiss", index._index, 2,
                     {"index": f"IVF{index._index.nlist},SQfp16", "trained_on": 3000})
    old_ivf = VectorIndex.load(tmp_path / "v2.faiss", dimension=16, approximate_above=1000)
    queries = clustered(5, seed=3)
    assert old_ivf.layout == "ivf" and (old_ivf.search(queries, 10)[1] == index.search(queries, 10)[1]).all()
    old_ivf.add([99_999], unit(1))
    assert old_ivf.remove([99_999, int(ids[0])]) == 2

    flat = VectorIndex(16)
    flat.add(np.arange(50), unit(50))
    write_old_format(tmp_path / "v1.faiss", flat._index, 1, {"index": "IDMap2,FlatIP", "trained_on": 0})
    old_flat = VectorIndex.load(tmp_path / "v1.faiss", dimension=16)
    assert old_flat.layout == "flat" and list(old_flat.ids()) == list(range(50))


def test_version_3_files_with_a_parts_list_still_load(big, tmp_path):
    """Commit 18fbcef wrote the payload size as a one-element "parts" list."""
    index, vectors, ids = big
    path = tmp_path / "v.faiss"
    index.save(path)
    data = path.read_bytes()
    room = int.from_bytes(data[7:11], "little")
    header = json.loads(data[11 : 11 + room])
    header["parts"] = [header.pop("payload_bytes")]
    path.write_bytes(data[:11] + json.dumps(header).encode().ljust(room) + data[11 + room :])
    assert sorted(VectorIndex.load(path, dimension=16).ids()) == list(ids)


@pytest.mark.parametrize("damage", ["truncate", "flip a byte", "no payload size"])
def test_damaged_approximate_files_are_refused_with_the_reason(big, tmp_path, damage):
    index, vectors, ids = big
    path = tmp_path / "v.faiss"
    index.save(path)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[:-100]
        reason = "truncated or damaged: its payload is"
    elif damage == "flip a byte":
        data[len(data) // 2] ^= 0x01
        reason = "checksum mismatch"
    else:
        data = data.replace(b'"payload_bytes"', b'"payload_bytez"')
        reason = "no payload size"
    path.write_bytes(bytes(data))
    with pytest.raises(VectorIndexError, match=reason):
        VectorIndex.load(path, dimension=16)


# -- the compressed layout (IVF over 8-bit codes), exercised small ----------------------------

@pytest.fixture(scope="module")
def compressed_file(tmp_path_factory):
    """6,000 32-dimensional vectors: flat, then IVF above 1,000, then compressed above 4,000;
    built once (three trainings on the way) and saved."""
    vectors, ids = clustered(6000, dim=32, seed=11), np.arange(100, 6100)
    index = VectorIndex(32, approximate_above=1000, compress_above=4000)
    layouts = []
    for start in range(0, 6000, 750):
        index.add(ids[start : start + 750], vectors[start : start + 750])
        layouts.append(index.layout)
    assert layouts == ["flat"] + ["ivf"] * 4 + ["compressed"] * 3  # switched by itself, twice
    path = tmp_path_factory.mktemp("compressed") / "v.faiss"
    index.save(path)
    return path, vectors, ids


@pytest.fixture
def compressed(compressed_file):
    """A fresh copy of that index for each test (they change it)."""
    path, vectors, ids = compressed_file
    return VectorIndex.load(path, approximate_above=1000, compress_above=4000), vectors, ids


def test_compressed_layout_finds_the_nearest_ids(compressed):
    index, vectors, ids = compressed
    assert sorted(index.ids()) == list(ids)
    assert recall(index, vectors, ids, clustered(50, dim=32, seed=12)) >= 0.9
    np.testing.assert_allclose(index.vectors(ids[:5]), vectors[:5], atol=2e-2)  # 8-bit storage


def test_compressed_layout_removes_and_filters(compressed):
    index, vectors, ids = compressed
    gone = ids[::4]
    assert index.remove(gone) == len(gone) and index.layout == "compressed"
    queries = clustered(20, dim=32, seed=13)
    _, found = index.search(queries, 10)
    assert not np.isin(found, gone).any() and (found >= 0).all()
    keep = np.setdiff1d(ids, gone)
    allowed = keep[::13]
    _, found = index.search(queries, 5, allowed_ids=np.concatenate([allowed, gone[:4]]))
    for query, got in zip(queries, found):
        assert set(got) <= set(allowed)
        assert list(got) == brute_force(index.vectors(allowed), allowed, query, 5)  # exact over those


def test_compressed_layout_round_trips_and_shrinks_back(compressed, tmp_path):
    index, vectors, ids = compressed
    index.save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss", dimension=32, approximate_above=1000, compress_above=4000)
    queries = clustered(10, dim=32, seed=14)
    assert loaded.layout == "compressed"
    assert (loaded.search(queries, 10)[1] == index.search(queries, 10)[1]).all()
    loaded.add([1], clustered(1, dim=32, seed=15))  # growable and shrinkable after a reload
    assert loaded.remove(ids[:4001]) == 4001
    assert loaded.layout == "ivf" and len(loaded) == 2000  # half the threshold: rebuilt
    assert sorted(loaded.ids()) == [1] + list(ids[4001:])


@pytest.mark.parametrize("layout", ["ivf", "compressed"])
def test_wide_filters_search_inside_the_approximate_layouts(compressed, monkeypatch, layout):
    """A filter too wide to brute-force probes more lists; it still returns only allowed ids."""
    import embeddings.vector_index

    index, vectors, ids = compressed
    if layout == "ivf":
        index.remove(ids[:4100])  # under half the compression threshold: back to IVF
    assert index.layout == layout
    monkeypatch.setattr(embeddings.vector_index, "EXACT_FILTER_MAX", 100)  # so 500 ids count as wide
    kept = np.sort(index.ids())
    allowed = kept[::3][:500]
    rows = np.searchsorted(ids, allowed)
    queries = clustered(10, dim=32, seed=16)
    _, found = index.search(queries, 10, allowed_ids=allowed)
    assert np.isin(found, allowed).all()
    assert recall(index, vectors[rows], allowed, queries, allowed_ids=allowed) >= 0.8
