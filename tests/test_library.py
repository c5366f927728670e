"""The library with a tiny real model: ingest, incremental updates, search, filters, failure."""

import fcntl
import math
import shutil

import numpy as np
import pytest

from rag import Library, RagError, SearchFilters, TextRecord, fusion, lexical, rerank, store, vector_blob
from rag.errors import (
    DiskFullError,
    LibraryBusyError,
    LibraryError,
    MissingPathError,
    ModelMismatchError,
    UnknownDocumentError,
)
from rag.passages import in_context, passage_contexts
from rag.search import QueryError
from tests.conftest import SAMPLES

SCRAPE_ID = "003-f6b81b0075e755a8"
CLEAN_ID = "000-806c210b4fa405d6"


def snapshot(library: Library):
    """Everything a user could observe about a library's contents."""
    documents = library.documents()
    return (
        documents,
        {d.id: library.document(d.id).text for d in documents},
        {d.id: library.passages(d.id) for d in documents},
        library.stats().passages,
        len(library._current_vectors() or []),
    )


def test_add_samples(tiny_library):
    report = tiny_library.add([SAMPLES])
    assert sorted(report.added) == [CLEAN_ID, SCRAPE_ID]
    assert report.failed == () and report.skipped == ()
    scrape = tiny_library.document(SCRAPE_ID)
    assert scrape.published == "2025-06-26"
    assert scrape.title.startswith("Iran's defense minister goes to China")
    assert scrape.source == str(SAMPLES / "003_f6b81b0075e755a8.txt")
    for word in ("Related Articles", "Daily8", "OPEC", "Comments", "Orange background"):
        assert word not in scrape.text


def test_every_passage_and_sentence_slices_the_stored_text(tiny_library):
    tiny_library.add([SAMPLES])
    for summary in tiny_library.documents():
        document = tiny_library.document(summary.id)
        passages = tiny_library.passages(summary.id)
        assert len(passages) == summary.passages > 0
        for passage in passages:
            assert document.text[passage.start:passage.end] == passage.text
            for start, end, paragraph in passage.sentences:
                sentence = document.text[start:end]
                assert sentence and sentence == sentence.strip()
                assert sentence in document.text.split("\n\n")[paragraph - 1]


def test_reingest_changes_nothing_and_embeds_nothing(tiny_library, tiny_encoder):
    tiny_library.add([SAMPLES])
    before, encoded = snapshot(tiny_library), tiny_encoder.texts_encoded
    report = tiny_library.add([SAMPLES])
    assert report.added == report.updated == () and len(report.skipped) == 2
    assert report.passages_embedded == 0
    assert tiny_encoder.texts_encoded == encoded
    assert snapshot(tiny_library) == before


def test_editing_one_file_reembeds_only_that_file(tiny_library, samples_copy):
    tiny_library.add([samples_copy])
    untouched = tiny_library.passages(SCRAPE_ID)
    edited = samples_copy / "000_806c210b4fa405d6.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\nA new closing paragraph about the navy and its ships.", encoding="utf-8")
    report = tiny_library.add([samples_copy])
    assert report.updated == (CLEAN_ID,) and report.added == ()
    assert report.passages_embedded == len(tiny_library.passages(CLEAN_ID))
    assert tiny_library.passages(SCRAPE_ID) == untouched  # same ids, offsets, text
    assert "new closing paragraph" in tiny_library.document(CLEAN_ID).text


def test_remove_document(tiny_library):
    tiny_library.add([SAMPLES])
    before = tiny_library.stats().passages
    removed = len(tiny_library.passages(CLEAN_ID))
    tiny_library.remove(CLEAN_ID)
    assert [d.id for d in tiny_library.documents()] == [SCRAPE_ID]
    assert tiny_library.stats().passages == before - removed
    assert len(tiny_library._current_vectors()) == before - removed
    hits = tiny_library.search("Bandar Abbas warships joint naval exercises", k=50)
    assert hits and all(h.passage.document_id == SCRAPE_ID for h in hits)
    with pytest.raises(UnknownDocumentError):
        tiny_library.remove(CLEAN_ID)


def _idf(documents: list[list[str]], term: str) -> float:
    having = sum(term in d for d in documents)
    return max(math.log((len(documents) - having + 0.5) / (having + 0.5)), 1e-6)


def _brute_force_bm25(documents: list[list[str]], query: list[str]) -> np.ndarray:
    """BM25 as SQLite FTS5 defines it (k1 = 1.2, b = 0.75), written out independently."""
    k1, b = 1.2, 0.75
    average = sum(map(len, documents)) / len(documents)
    scores = np.zeros(len(documents))
    for term in set(query):
        idf = _idf(documents, term)
        for i, d in enumerate(documents):
            f = d.count(term)
            scores[i] += idf * f * (k1 + 1) / (f + k1 * (1 - b + b * len(d) / average)) if f else 0
    return scores


def _brute_force_hybrid(passages, documents, dense, sentence_cosines, bm25, query) -> np.ndarray:
    """The documented rule: the dense part mixes the passage cosine and its best sentence
    cosine (DENSE_SENTENCE_SHARE), each relative to its best; it and BM25 relative to its best
    are mixed by DENSE_WEIGHT. The top RERANK_DEPTH then gain WEIGHTS . FEATURES (rag.rerank:
    coverage of the query's IDF by the best sentence and by the passage, the best sentence by
    cosine relative to the best and coverage, each score relative to its best, 1 / (1 + rank)
    by cosine and by BM25, 0 for a zero score, and the share of the IDF of the query's adjacent
    term pairs that the passage's sentences' terms, in order, hold adjacent), and every score is divided by
    1 + sum(WEIGHTS)."""
    best_sentence = np.array([c.max() for c in sentence_cosines])
    share = fusion.DENSE_SENTENCE_SHARE
    dense_part = (1 - share) * dense / dense.max() + share * best_sentence / best_sentence.max()
    fused = fusion.DENSE_WEIGHT * dense_part + (1 - fusion.DENSE_WEIGHT) * bm25 / bm25.max()
    weights = {t: _idf(documents, t) for t in set(lexical.terms(query))}
    total = sum(weights.values())

    def coverage(text):
        return sum(w for t, w in weights.items() if t in lexical.terms(text)) / total

    query_terms = lexical.terms(query)
    pairs = {(a, b) for a, b in zip(query_terms, query_terms[1:]) if a != b}

    def phrase(p):
        sequence = [t for s, e, _ in p.sentences for t in lexical.terms(p.text[s - p.start : e - p.start])]
        held = set(zip(sequence, sequence[1:]))
        total = sum(weights[a] + weights[b] for a, b in pairs)
        return sum(weights[a] + weights[b] for a, b in pairs if (a, b) in held) / total if total else 0.0

    def rank_prior(scores, i):  # a passage sharing no word with the query has no BM25 rank
        return 1 / (1 + sorted(range(len(scores)), key=lambda j: -scores[j]).index(i)) if scores[i] > 0 else 0

    bonus = np.zeros(len(passages))
    for i in np.argsort(-fused, kind="stable")[: rerank.RERANK_DEPTH]:
        p = passages[i]
        by_sentence = [coverage(p.text[s - p.start : e - p.start]) for s, e, _ in p.sentences]
        one_sentence = max((max(c, 0) / best_sentence.max() + v) / 2 for c, v in zip(sentence_cosines[i], by_sentence))
        features = {
            "sentence_coverage": max(by_sentence), "passage_coverage": coverage(p.text), "one_sentence": one_sentence,
            "phrase": phrase(p), "dense": dense[i] / dense.max(), "sentence_cosine": best_sentence[i] / best_sentence.max(),
            "lexical": bm25[i] / bm25.max(), "dense_rank": rank_prior(dense, i), "lexical_rank": rank_prior(bm25, i),
        }
        bonus[i] = sum(w * max(features[name], 0) for name, w in zip(rerank.FEATURES, rerank.WEIGHTS))
    return (fused + bonus) / (1 + sum(rerank.WEIGHTS))


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_search_equals_brute_force_ranking(tiny_library, tiny_encoder, mode):
    """Every mode ranks exactly as its definition, computed here over all passages (the
    samples are fewer passages than the fusion pool, so the pool is everything)."""
    tiny_library.add([SAMPLES])
    passages, texts = [], []
    for d in tiny_library.documents():
        document, own = tiny_library.document(d.id), tiny_library.passages(d.id)
        contexts = passage_contexts(document.title, document.text, [(p.start, p.end) for p in own])
        passages += own
        texts += [in_context(c, p.text) for c, p in zip(contexts, own)]
    vectors = tiny_encoder.encode(texts)
    blobs = store.sentence_vector_blobs(tiny_library._db, [p.id for p in passages])
    sentence_vectors = [vector_blob.unpack(blobs[p.id], vectors.shape[1]) for p in passages]
    assert set(rerank.FEATURES) == {"sentence_coverage", "passage_coverage", "one_sentence", "phrase", "dense",
                                    "sentence_cosine", "lexical", "dense_rank", "lexical_rank"}
    for query in ["joint naval drills", "oil imports in June", "Shanghai Cooperation Organization"]:
        query_vector = tiny_encoder.encode_query(query)
        dense = vectors @ query_vector
        sentence_cosines = [rows @ query_vector for rows in sentence_vectors]
        documents = [lexical.terms(t) for t in texts]
        bm25 = _brute_force_bm25(documents, lexical.terms(query))
        expected_scores = {
            "dense": dense,
            "lexical": bm25,
            "hybrid": _brute_force_hybrid(passages, documents, dense, sentence_cosines, bm25, query),
        }[mode]
        hits = tiny_library.search(query, k=5, mode=mode)
        order = [i for i in np.argsort(-expected_scores, kind="stable")[:5]
                 if mode != "lexical" or bm25[i] > 0]  # BM25 finds only passages sharing a term
        assert [h.passage.id for h in hits] == [passages[i].id for i in order]
        assert [h.score for h in hits] == pytest.approx([expected_scores[i] for i in order], abs=1e-5)
        assert [h.rank for h in hits] == list(range(1, len(order) + 1))


def test_filters(tiny_library):
    tiny_library.add([SAMPLES])
    only = tiny_library.search("navy", k=50, filters=SearchFilters(documents=(CLEAN_ID,)))
    assert only and {h.passage.document_id for h in only} == {CLEAN_ID}
    dated = tiny_library.search("navy", k=50, filters=SearchFilters(published_from="2025-01-01"))
    assert dated and {h.passage.document_id for h in dated} == {SCRAPE_ID}
    # the 2015 article states no date, so no date range can match it
    assert tiny_library.search("navy", k=50, filters=SearchFilters(published_to="2020-01-01")) == []
    with pytest.raises(QueryError):
        SearchFilters(published_from="26/06/2025")


@pytest.mark.parametrize("query", ["", "   ", "\x00\x07", "?!"])
def test_empty_queries_are_refused(tiny_library, query):
    tiny_library.add([SAMPLES])
    with pytest.raises(QueryError, match="empty"):
        tiny_library.search(query)


@pytest.mark.parametrize("k", [0, -3])
def test_bad_k_is_refused(tiny_library, k):
    with pytest.raises(QueryError, match="k must be"):
        tiny_library.search("navy", k=k)


def test_huge_k_returns_everything(tiny_library):
    tiny_library.add([SAMPLES])
    assert len(tiny_library.search("navy", k=10**9)) == tiny_library.stats().passages


def write(path, data):
    path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("notes.xyz", "some text", "unsupported"),
        ("empty.txt", "", "empty"),
        ("blank.md", "  \n\n \t ", "empty"),
        ("binary.txt", bytes(range(256)) * 8, "binary"),
        ("fake.pdf", "just text, not a pdf", "PDF"),
        ("only-boilerplate.txt", "logo\n\nOrange background\n\nComments", "boilerplate"),
    ],
)
def test_bad_files_fail_clearly_and_change_nothing(tiny_library, tmp_path, name, content, reason):
    tiny_library.add([SAMPLES])
    before = snapshot(tiny_library)
    bad = write(tmp_path / name, content)
    report = tiny_library.add([bad])
    assert len(report.failed) == 1 and report.failed[0].path == str(bad)
    assert reason.lower() in report.failed[0].reason.lower()
    assert report.added == report.updated == ()
    assert snapshot(tiny_library) == before


def test_missing_path_raises_before_anything_is_read(tiny_library, tmp_path):
    good = write(tmp_path / "good.txt", "A perfectly fine document with enough words to be a passage.")
    with pytest.raises(MissingPathError, match="No such file"):
        tiny_library.add([good, tmp_path / "typo.txt"])
    assert tiny_library.documents() == []


def test_good_files_still_added_beside_a_bad_one(tiny_library, tmp_path):
    (tmp_path / "in").mkdir()
    write(tmp_path / "in" / "good.txt", "A perfectly fine document with enough words to be a passage.")
    write(tmp_path / "in" / "bad.txt", b"\x00\x01\x02" * 100)
    report = tiny_library.add([tmp_path / "in"])
    assert report.added == ("good",)
    assert [f.path for f in report.failed] == [str(tmp_path / "in" / "bad.txt")]


def test_legacy_encodings_are_read_not_mangled(tiny_library, tmp_path):
    text = "The caf\u00e9 on the Z\u00fcrich quay served cr\u00e8me br\u00fbl\u00e9e \u2013 \u201cdelicious\u201d, said the na\u00efve critic."
    write(tmp_path / "cp1252.txt", text.encode("cp1252"))
    latin = "Le na\u00eff gar\u00e7on du caf\u00e9 a r\u00e9pondu tr\u00e8s poliment \u00e0 la cliente fran\u00e7aise."
    write(tmp_path / "latin1.txt", latin.encode("latin-1"))
    report = tiny_library.add([tmp_path / "cp1252.txt", tmp_path / "latin1.txt"])
    assert report.failed == ()
    assert tiny_library.document("cp1252").text == text
    assert tiny_library.document("latin1").text == latin


def test_duplicate_content_under_another_name_is_skipped(tiny_library, tmp_path):
    shutil.copy(SAMPLES / "000_806c210b4fa405d6.txt", tmp_path / "copy.txt")
    tiny_library.add([SAMPLES])
    report = tiny_library.add([tmp_path / "copy.txt"])
    assert report.added == () and report.skipped == (str(tmp_path / "copy.txt"),)


def test_interrupted_ingest_leaves_library_as_it_was(tiny_library, samples_copy, tmp_path):
    tiny_library.add([SAMPLES])
    before = snapshot(tiny_library)
    extra = write(tmp_path / "extra.txt", "Another article about naval drills in the Gulf of Oman, with ships.")

    def interrupt(stage, done, total):
        if stage == "embedding":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tiny_library.add([extra], on_progress=interrupt)
    assert snapshot(tiny_library) == before
    reopened = Library.open(tiny_library.folder, encoder=tiny_library.encoder)
    assert snapshot(reopened) == before


def test_failure_while_writing_vectors_leaves_library_as_it_was(tiny_library, tmp_path, monkeypatch):
    tiny_library.add([SAMPLES])
    before = snapshot(tiny_library)
    files_before = sorted(p.name for p in tiny_library.folder.iterdir())
    extra = write(tmp_path / "extra.txt", "Another article about naval drills in the Gulf of Oman, with ships.")
    from embeddings import VectorIndex

    def disk_full(self, path, **options):
        path.write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(VectorIndex, "save", disk_full)
    with pytest.raises(DiskFullError, match="is full .* nothing was changed. Free some space"):
        tiny_library.add([extra])
    monkeypatch.undo()
    assert snapshot(tiny_library) == before
    assert sorted(p.name for p in tiny_library.folder.iterdir()) == files_before
    assert tiny_library.add([extra]).added == ("extra",)  # and it still works afterwards


def test_reopen_gives_the_same_results(tiny_library):
    tiny_library.add([SAMPLES])
    hits = tiny_library.search("joint naval drills", k=5)
    tiny_library.close()
    reopened = Library.open(tiny_library.folder, encoder=tiny_library.encoder)
    assert reopened.search("joint naval drills", k=5) == hits


def test_other_library_objects_see_changes(tiny_library, tiny_encoder):
    other = Library.open(tiny_library.folder, encoder=tiny_encoder)
    assert other.search("navy", k=3) == []
    tiny_library.add([SAMPLES])
    assert len(other.search("navy", k=3)) == 3


def test_second_writer_is_told_to_wait(tiny_library, tmp_path):
    with open(tiny_library.folder / "write.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(LibraryBusyError, match="Another ingest"):
            tiny_library.add([SAMPLES])
    assert tiny_library.add([SAMPLES]).added


def test_model_mismatch_is_a_clear_error(tiny_library, tiny_model_dir):
    with pytest.raises(ModelMismatchError, match="built with the model"):
        Library.open(tiny_library.folder, model="sentence-transformers/all-MiniLM-L6-v2")
    assert Library.open(tiny_library.folder, model=tiny_model_dir).encoder.name == tiny_model_dir


def test_a_folder_that_is_not_a_library(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(LibraryError, match="not a library"):
        Library.open(tmp_path / "photos")
    (tmp_path / "file").write_text("x")
    with pytest.raises(LibraryError, match="not a library folder|is a file"):
        Library.open(tmp_path / "file")


def test_errors_share_one_base_class():
    for error in (LibraryError, MissingPathError, QueryError, UnknownDocumentError):
        assert issubclass(error, RagError)


def test_add_texts_is_incremental_and_citations_slice_exactly(tiny_library):
    """Text records go through the same pipeline as files: unchanged ones are skipped
    without embedding, changed ones replace their document, offsets slice exactly."""
    records = [
        TextRecord("crm/1", "The harbour master counted forty-two trawlers at Kestrel Bay on Sunday morning.",
                   title="Harbour report", published="2025-03-02"),
        TextRecord("crm/2", "Snow closed the mountain pass for three days, and the ferry ran twice daily instead."),
    ]
    report = tiny_library.add_texts(records)
    assert len(report.added) == 2 and report.passages_embedded == 2
    again = tiny_library.add_texts(records)
    assert again.added == again.updated == () and again.passages_embedded == 0 and len(again.skipped) == 2
    changed = TextRecord("crm/2", "Snow closed the mountain pass for four days; the ferry ran hourly.")
    assert len(tiny_library.add_texts([changed]).updated) == 1
    assert len(tiny_library.documents()) == 2
    hit = tiny_library.search("trawlers Kestrel Bay", k=1, mode="lexical")[0]
    document = tiny_library.document(hit.passage.document_id)
    assert (document.title, document.published) == ("Harbour report", "2025-03-02")
    assert document.text[hit.passage.start:hit.passage.end] == hit.passage.text
    assert tiny_library.search("ferry hourly", k=1, mode="lexical")[0].passage.text == changed.text


def test_bad_text_records_are_reported_and_change_nothing(tiny_library):
    tiny_library.add([SAMPLES])
    before = tiny_library.stats()
    report = tiny_library.add_texts([
        TextRecord("notes/empty", "   \n  "),
        TextRecord("notes/dated", "A perfectly good sentence about the harbour and its many boats.", published="next week"),
    ])
    reasons = {f.path: f.reason for f in report.failed}
    assert set(reasons) == {"notes/empty", "notes/dated"}
    assert "YYYY-MM-DD" in reasons["notes/dated"]
    assert tiny_library.stats() == before
    with pytest.raises(ValueError, match="non-empty source"):
        TextRecord("", "text")


def test_a_repeated_question_embeds_only_the_question(tiny_library, tiny_encoder):
    """Sentence vectors are remembered between questions: asking again embeds the question
    and nothing else, and gives the same answer."""
    tiny_library.add([SAMPLES])
    first = tiny_library.ask("joint naval drills Bandar Abbas")
    before = tiny_encoder.texts_encoded
    again = tiny_library.ask("joint naval drills Bandar Abbas")
    assert tiny_encoder.texts_encoded - before == 1
    assert again == first
