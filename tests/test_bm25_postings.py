"""The in-memory lexical index (`Bm25Postings`) ranks and scores exactly like FTS5, and a
library uses it only for the generation it was built from."""

import math
import random
import threading

import pytest

from rag import Library, SearchFilters, TextRecord, bm25_postings, lexical, store
from rag.bm25_postings import Bm25Postings, evidence_idf, idf

WORDS = ("navy ship drill port oil trade minister china iran gulf harbour exercise rescue treaty "
         "summit border crude barrel admiral fleet coast visit talks").split()
QUERIES = ["navy drill", "oil oil trade barrel", "admiral fleet coast visit talks treaty", "zeppelin",
           "china iran gulf harbour exercise", "the navy"]


def random_records(count: int, seed: int = 1) -> list[TextRecord]:
    rng = random.Random(seed)
    records = []
    for n in range(count):
        sentences = [" ".join(rng.choices(WORDS, k=rng.randint(2, 30))).capitalize() + "."
                     for _ in range(rng.randint(1, 6))]
        records.append(TextRecord(f"doc-{n}", " ".join(sentences), title=f"Report {n}",
                                  published=f"20{10 + n % 15}-01-01"))
    return records


@pytest.fixture(scope="module")
def library(tmp_path_factory, tiny_encoder):
    library = Library.open(tmp_path_factory.mktemp("postings") / "library", encoder=tiny_encoder)
    library.add_texts(random_records(300))
    return library


def built(library) -> Bm25Postings:
    library._db.execute("BEGIN")
    try:
        return Bm25Postings.build(library._db, library.stats().generation)
    finally:
        library._db.execute("COMMIT")


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("limit", [1, 7, 100, None])
def test_top_passages_equal_fts5(library, query, limit):
    postings = built(library)
    expected = bm25_postings.lexical_matches(library._db, lexical.match_expression(query), limit)
    found = postings.top(lexical.terms(query), limit)
    assert [i for i, _ in found] == [i for i, _ in expected]
    assert [s for _, s in found] == pytest.approx([s for _, s in expected], rel=1e-9)


@pytest.mark.parametrize("query", QUERIES)
def test_scores_of_any_passage_equal_fts5(library, query):
    ids = store.passage_ids(library._db) + [10**9]  # and an id that is not in the library
    computed = built(library).scores(lexical.terms(query), ids)
    assert computed == pytest.approx(bm25_postings.bm25_scores(library._db, lexical.terms(query), ids), rel=1e-9)
    assert computed[10**9] == 0.0


def test_searches_are_the_same_with_and_without_the_copy(library):
    filters = SearchFilters(published_from="2015-01-01", published_to="2019-12-31")
    calls = [(q, mode, f) for q in QUERIES for mode in ("lexical", "hybrid") for f in (None, filters)]
    library._lexical_copy.build_above = 10**9
    without = [library.search(q, k=20, mode=mode, filters=f) for q, mode, f in calls]
    answers_without = [library.ask(q) for q in QUERIES]
    assert library._lexical_copy.postings is None
    library._lexical_copy.build_above = 0
    library.build_lexical_postings()
    with_copy = [library.search(q, k=20, mode=mode, filters=f) for q, mode, f in calls]
    assert library._lexical_copy.postings is not None and library._lexical_copy.postings.generation == library.stats().generation
    for a, b in zip(without, with_copy):
        assert [h.passage.id for h in a] == [h.passage.id for h in b]
        assert [h.score for h in a] == pytest.approx([h.score for h in b], rel=1e-9)
    # the answers' term weights and confidence signals read the terms' passage counts from the copy
    for a, b in zip(answers_without, [library.ask(q) for q in QUERIES]):
        assert (a.text, a.abstained) == (b.text, b.abstained)
        assert a.confidence == pytest.approx(b.confidence, rel=1e-9)


def test_the_copy_counts_each_terms_passages_as_fts5_does(library):
    terms = lexical.terms(" ".join(WORDS)) + ["zeppelin"]  # and a term no passage holds
    counts = built(library).passage_counts(terms)
    assert counts == bm25_postings.term_passage_counts(library._db, terms)
    assert counts["zeppelin"] == 0 and min(counts[t] for t in terms[:-1]) > 0


def test_a_new_generation_is_never_answered_from_the_old_copy(tmp_path, tiny_encoder):
    library = Library.open(tmp_path / "library", encoder=tiny_encoder)
    library.add_texts(random_records(40))
    library._lexical_copy.build_above = 0
    library.build_lexical_postings()
    old = library._lexical_copy.postings
    library.add_texts([TextRecord("zeppelins", "The zeppelin left its hangar. Zeppelin crews cheered.")])
    hits = library.search("zeppelin hangar", mode="lexical")  # stale copy: FTS5 answers
    assert hits and hits[0].passage.source == "zeppelins"
    assert library.search("zeppelin hangar", mode="lexical") == hits  # the second search starts a build
    for thread in threading.enumerate():
        if thread.name == "bm25-postings":
            thread.join(timeout=60)
    assert library._lexical_copy.postings is not old and library._lexical_copy.postings.generation == library.stats().generation
    from_copy = library.search("zeppelin hangar", mode="lexical")
    # the same ranking and scores as FTS5 (summed in another order: equal to the last bits)
    assert [h.passage for h in from_copy] == [h.passage for h in hits]
    assert [h.score for h in from_copy] == pytest.approx([h.score for h in hits], rel=1e-12)
    assert len(library._lexical_copy.postings) == library.stats().passages


def test_an_empty_library_builds_an_empty_copy(tiny_library):
    tiny_library.build_lexical_postings()
    assert len(tiny_library._lexical_copy.postings) == 0
    assert tiny_library._lexical_copy.postings.top(["navy"], 5) == []
    assert tiny_library._lexical_copy.postings.scores(["navy"], [1]) == {1: 0.0}


def test_a_single_search_builds_no_copy(tmp_path, tiny_encoder):
    """A one-shot command searches once: it must not pay for building the copy."""
    library = Library.open(tmp_path / "library", encoder=tiny_encoder)
    library.add_texts(random_records(20))
    library._lexical_copy.build_above = 0
    library.ask("navy drill")
    assert library._lexical_copy.postings is None and library._lexical_copy.building is None


def test_a_copy_follows_new_generations_by_reading_only_what_they_added(tmp_path, tiny_encoder):
    growing = Library.open(tmp_path / "growing", encoder=tiny_encoder)
    records = random_records(120, seed=5)
    growing.add_texts(records[:50])
    postings = built(growing)
    for part in (records[50:90], records[90:91], records[91:]):  # titles bring new terms (their numbers)
        growing.add_texts(part)
        growing._db.execute("BEGIN")
        try:
            postings = postings.extended(growing._db, growing.stats().generation)
        finally:
            growing._db.execute("COMMIT")
        fresh = built(growing)
        assert postings.generation == fresh.generation and len(postings) == len(fresh)
        assert postings.nbytes == fresh.nbytes
        ids = store.passage_ids(growing._db)
        for query in QUERIES + [" ".join(WORDS)]:
            terms = lexical.terms(query)
            assert postings.top(terms, None) == fresh.top(terms, None)
            assert postings.scores(terms, ids) == fresh.scores(terms, ids)
        for query in QUERIES[:3]:  # and FTS5 itself agrees
            expected = bm25_postings.lexical_matches(growing._db, lexical.match_expression(query), 10)
            assert [i for i, _ in postings.top(lexical.terms(query), 10)] == [i for i, _ in expected]

    growing.remove(growing.documents()[0].id)  # passages removed: only a rebuild is right
    growing._db.execute("BEGIN")
    try:
        assert postings.extended(growing._db, growing.stats().generation) is None
    finally:
        growing._db.execute("COMMIT")


def test_evidence_weights_never_reach_zero_and_keep_bm25s_order():
    """BM25's IDF is zero for every term half the passages hold; the evidence weight is not,
    and it still ranks terms as BM25 does, crossing log 2 where BM25 crosses zero."""
    weights = [evidence_idf(20, having) for having in range(0, 21)]
    assert all(w > 0 for w in weights)
    assert weights == sorted(weights, reverse=True)
    assert evidence_idf(20, 10) == pytest.approx(math.log(2))
    assert idf(20, 10) == pytest.approx(1e-6) and idf(20, 9) > 0
