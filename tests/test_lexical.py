"""The lexical (BM25) index: analysis, consistency with the passages, modes, filters, upgrade."""

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag import Library, SearchFilters, TextRecord, bm25_postings, lexical, schema, store
from rag.search import QueryError
from tests.conftest import SAMPLES

SCRAPE_ID = "003-f6b81b0075e755a8"
CLEAN_ID = "000-806c210b4fa405d6"


def test_terms_are_stemmed_lowercased_and_skip_stopwords():
    assert lexical.terms("The Joint DRILLS were held in Bandar-Abbas") == ["joint", "drill", "hold", "bandar", "abba"]
    assert lexical.terms("what is the") == []
    assert lexical.terms("2025 SCO") == ["2025", "sco"]


def test_question_frame_verbs_are_not_terms_answers_are_judged_by():
    # "happened" is in no passage that reports drills; "joint drills" is what is asked
    assert lexical.question_terms("what joint drills happened?") == lexical.terms("joint drills")
    assert lexical.question_terms("When did the attack occur?") == lexical.terms("attack")
    # only the frame verbs: the rest of the question stays
    assert lexical.question_terms("which warships docked?") == lexical.terms("which warships docked?")
    # "what did X say?" asks for the words said: its verb of speaking frames it, and only that
    # verb ("state" is a noun here; "who said" asks for a name, and "said" is evidence of one)
    assert lexical.question_terms("What did Nasirzadeh say?") == lexical.terms("Nasirzadeh")
    assert lexical.question_terms("What did state officials say about Iran?") == lexical.terms("state officials Iran")
    assert lexical.question_terms("What has the minister said about the talks?") == lexical.terms("minister talks")
    assert lexical.question_terms("Who said the talks would resume?") == lexical.terms("said talks resume")
    # "what does X mean?" asks for a definition: "mean" stays
    assert lexical.question_terms("What does the term larrikin mean?") == lexical.terms("term larrikin mean")
    # a follow-up read with the previous question's names
    assert lexical.question_terms("What did he say (Aziz, Nasirzadeh)?") == lexical.terms("Aziz Nasirzadeh")


@pytest.mark.parametrize("query", ['"unbalanced quote', "NEAR(a b)", "drills AND OR NOT", "col:umn", "* ^ -x"])
def test_query_syntax_is_never_interpreted(tiny_library, query):
    """Quotes and FTS5 operators in a question are words, not syntax: no error, ever."""
    tiny_library.add([SAMPLES])
    for mode in ("lexical", "hybrid"):
        tiny_library.search(query, k=3, mode=mode)


def test_query_without_searchable_terms_finds_nothing_lexically(tiny_library):
    tiny_library.add([SAMPLES])
    assert tiny_library.search("what is the", mode="lexical") == []
    assert len(tiny_library.search("what is the", k=3, mode="hybrid")) == 3  # dense still answers


def test_lexical_finds_a_rare_exact_word(tiny_library):
    tiny_library.add([SAMPLES])
    hits = tiny_library.search("Qingdao", k=3, mode="lexical")
    assert hits and "Qingdao" in hits[0].passage.text


def _lexical_ids(library: Library) -> list[int]:
    return [row[0] for row in library._db.execute("SELECT rowid FROM passage_terms ORDER BY rowid")]


def test_lexical_rows_follow_every_add_update_and_remove(tiny_library, samples_copy):
    tiny_library.add([samples_copy])
    assert _lexical_ids(tiny_library) == store.passage_ids(tiny_library._db)
    # The clean article: in the scrape, anything after "Related Articles" is boilerplate.
    article = next(samples_copy.glob("000*"))
    article.write_text(article.read_text() + "\n\nA new closing paragraph about zeppelins and their moorings.\n")
    tiny_library.add([samples_copy])
    assert _lexical_ids(tiny_library) == store.passage_ids(tiny_library._db)
    assert tiny_library.search("zeppelins", mode="lexical")
    tiny_library.remove(CLEAN_ID)
    assert _lexical_ids(tiny_library) == store.passage_ids(tiny_library._db)
    assert tiny_library.search("zeppelins", mode="lexical") == []


@pytest.mark.parametrize("mode", ["lexical", "hybrid"])
def test_filters_apply_to_every_mode(tiny_library, mode):
    tiny_library.add([SAMPLES])
    only_scrape = tiny_library.search("joint naval drills", k=50, mode=mode,
                                      filters=SearchFilters(documents=(SCRAPE_ID,)))
    assert only_scrape and {h.passage.document_id for h in only_scrape} == {SCRAPE_ID}
    dated = tiny_library.search("joint naval drills", k=50, mode=mode,
                                filters=SearchFilters(published_from="2025-01-01"))
    assert dated and all(h.passage.published >= "2025-01-01" for h in dated)


def test_unknown_mode_is_a_clear_error(tiny_library):
    with pytest.raises(QueryError, match="hybrid, dense, lexical"):
        tiny_library.search("drills", mode="semantic")


def test_title_is_searchable_context(tiny_library):
    """A passage that never names its subject is still found by its document's title."""
    tiny_library.add_texts([
        TextRecord("notes/zeppelin", "It first flew in 1900 over the lake, carrying five people "
                   "for eighteen minutes before landing on the water.", title="Zeppelin LZ 1"),
    ])
    hits = tiny_library.search("zeppelin", mode="lexical")
    assert [h.passage.title for h in hits] == ["Zeppelin LZ 1"]
    assert "zeppelin" not in hits[0].passage.text.lower()  # the title is context, not cited text


def test_schema_1_library_is_upgraded_with_its_lexical_index(tmp_path, tiny_encoder):
    """A library made before the lexical index existed opens, gains the index from its
    stored text (nothing re-embedded), and searches in every mode."""
    folder = tmp_path / "old"
    with Library.open(folder, encoder=tiny_encoder) as library:
        library.add([SAMPLES])
        expected_dense = [h.passage.id for h in library.search("joint naval drills", mode="dense")]
    connection = sqlite3.connect(folder / store.DATABASE_NAME)
    connection.execute("DROP TABLE passage_terms")  # exactly the schema-1 layout
    connection.execute("ALTER TABLE passages DROP COLUMN sentence_vectors")
    connection.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    connection.commit()
    connection.close()

    with Library.open(folder, encoder=tiny_encoder) as library:
        assert library._meta()["schema_version"] == str(schema.SCHEMA_VERSION)
        assert _lexical_ids(library) == store.passage_ids(library._db)
        assert library.search("Qingdao", mode="lexical")
        assert [h.passage.id for h in library.search("joint naval drills", mode="dense")] == expected_dense
        assert library.passages_embedded == 0


@pytest.mark.parametrize("query", ["joint naval drills", "oil imports in June", "Qingdao defense ministers"])
def test_hybrid_top_does_not_depend_on_k(tiny_library, query):
    """Asking for more passages never reorders the ones a smaller k returned."""
    tiny_library.add([SAMPLES])
    short = tiny_library.search(query, k=3, mode="hybrid")
    long = tiny_library.search(query, k=50, mode="hybrid")
    assert [h.passage.id for h in short] == [h.passage.id for h in long[:3]]
    assert [h.score for h in short] == pytest.approx([h.score for h in long[:3]])



@pytest.mark.parametrize("query", ["joint naval drills", "oil imports in June", "Qingdao defense ministers",
                                   "Iran China navy navy"])
def test_computed_bm25_equals_fts5_for_every_passage(tiny_library, samples_copy, query):
    """Hybrid search scores the dense retriever's candidates that FTS5 did not return with
    `bm25_postings.bm25_scores`; it must give exactly FTS5's bm25() for any passage, matching or not."""
    (samples_copy / "extra.md").write_text("# Drills\n\nNaval drills. " * 3 + "\n\nNothing here.", encoding="utf-8")
    tiny_library.add([samples_copy])
    db = tiny_library._db
    expected = dict(bm25_postings.lexical_matches(db, lexical.match_expression(query)))
    ids = store.passage_ids(db)
    computed = bm25_postings.bm25_scores(db, lexical.terms(query), ids)
    assert set(expected) < set(ids)  # some passages do not match: they must score 0
    assert computed == pytest.approx({i: expected.get(i, 0.0) for i in ids}, rel=1e-9, abs=1e-12)
    top = bm25_postings.lexical_matches(db, lexical.match_expression(query), 3)
    assert top == bm25_postings.lexical_matches(db, lexical.match_expression(query))[:3]


def test_lexical_totals_are_fts5_own_counts(tiny_library, samples_copy):
    tiny_library.add([samples_copy])
    db = tiny_library._db
    tokens = sum(len(t.split()) for (t,) in db.execute("SELECT terms FROM passage_terms"))
    assert bm25_postings.lexical_totals(db) == (bm25_postings.lexical_rows(db), tokens)
    tiny_library.remove(tiny_library.documents()[0].id)
    tokens = sum(len(t.split()) for (t,) in db.execute("SELECT terms FROM passage_terms"))
    assert bm25_postings.lexical_totals(db) == (bm25_postings.lexical_rows(db), tokens)


def test_span_term_sets_equal_each_span_analysed_alone():
    text = "The Navy's drills began. Ships left Bandar-Abbas at 6am!  Émigré sailors, naïvely, said NO."
    spans = [(0, 24), (25, 56), (58, len(text)), (0, len(text)), (3, 3)]
    assert lexical.span_term_sets(text, spans) == [lexical.term_set(text[a:b]) for a, b in spans]


@pytest.mark.parametrize("british, american", [
    ("criticise", "criticize"), ("organisation", "organization"), ("analysed", "analyzed"),
    ("defence", "defense"), ("colour", "color"), ("neighbourhood", "neighborhood"), ("centre", "center"),
    ("programme", "program"), ("catalogue", "catalog"),
])
def test_british_and_american_spellings_are_one_term(british, american):
    assert lexical.terms(british) == lexical.terms(american)


@pytest.mark.parametrize("word, other", [("promise", "promize"), ("exercise", "exercize"), ("advise", "advize"),
                                         ("otherwise", "otherwize"), ("four", "for"), ("hour", "hor")])
def test_words_that_are_no_spelling_variants_stay_apart(word, other):
    assert lexical.terms(word) != lexical.terms(other)


@pytest.mark.parametrize("question_word, text_word", [
    ("say", "said"), ("meet", "met"), ("win", "won"), ("tell", "told"), ("hold", "held"), ("go", "went"),
    ("begin", "began"), ("take", "taken"), ("buy", "bought"), ("sell", "sold"), ("lead", "led"),
])
def test_an_irregular_verb_form_is_its_verb(question_word, text_word):
    assert lexical.terms(question_word) == lexical.terms(text_word)


@pytest.mark.parametrize("word, verb", [("left", "leave"), ("found", "find"), ("fed", "feed"), ("shot", "shoot"),
                                        ("saw", "see"), ("rose", "rise")])
def test_forms_that_are_as_often_another_word_stay_apart(word, verb):
    assert lexical.terms(word) != lexical.terms(verb)  # the political left, the Fed, a vaccine shot


def test_what_did_someone_say_finds_what_they_said(tiny_library):
    tiny_library.add_texts([
        TextRecord(source="quote", text='"This is a landmark agreement," Teodoro told reporters. He said the deal '
                                        "would make joint exercises easier to organise."),
        TextRecord(source="other", text="Teodoro visited the base at Subic Bay last week with two ministers."),
    ])
    hits = tiny_library.search("What did Teodoro say?", mode="lexical")
    assert hits[0].passage.source == "quote"


def test_a_british_question_finds_the_american_text(tiny_library):
    """'What did Dong Jun criticise?' over a text that says 'criticize' (and the reverse)."""
    tiny_library.add_texts([
        TextRecord(source="us", text="Dong said the remarks were used by Beijing to criticize the United States."),
        TextRecord(source="uk", text="The ministry's defence budget rose again this year, officials said in London."),
    ])
    assert [h.passage.source for h in tiny_library.search("criticise", mode="lexical")] == ["us"]
    assert [h.passage.source for h in tiny_library.search("defense budget", mode="lexical")] == ["uk"]


def _as_older_schema(folder, version: str, terms: str) -> None:
    """Make a one-passage library look as an older schema left it: its version, and the
    lexical terms that schema's analyser stored."""
    connection = sqlite3.connect(folder / store.DATABASE_NAME)
    connection.execute("UPDATE passage_terms SET terms = ?", (terms,))
    connection.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    connection.commit()
    connection.close()


@pytest.mark.parametrize("version, text, old_terms, question", [
    # schema 4 indexed "criticize" and "criticise" as two terms
    ("4", "Beijing used the language to criticize the United States.", "beij use languag criticis unit state",
     "criticise"),
    # schema 7 indexed "said" apart from "say"
    ("7", "The minister said the deal was a landmark.", "minist said deal landmark", "what did the minister say?"),
])
def test_an_older_library_is_indexed_again_by_the_current_analyser(tmp_path, tiny_encoder, version, text,
                                                                    old_terms, question):
    """Opening it for writing analyses the stored text again (nothing re-embedded), and the
    question its old terms missed finds it."""
    folder = tmp_path / "old"
    with Library.open(folder, encoder=tiny_encoder) as library:
        library.add_texts([TextRecord(source="doc", text=text)])
    _as_older_schema(folder, version, old_terms)

    with Library.open(folder, encoder=tiny_encoder) as library:
        assert library._meta()["schema_version"] == str(schema.SCHEMA_VERSION)
        assert [h.passage.source for h in library.search(question, mode="lexical")] == ["doc"]
        assert library.passages_embedded == 0


_VOCABULARY = ["The", "the", "Navy's", "drills", "said", "SAID", "criticised", "Criticize", "defence", "ran",
               "Running", "NO", "not", "Émigré", "naïvely", "İstanbul", "2015", "6am", "co-operation", "of"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_VOCABULARY), min_size=1, max_size=25), st.data(), st.integers(2, 50))
def test_span_term_sets_are_each_span_analysed_alone_whatever_the_word_cache_holds(words, data, limit):
    """The per-word cache (emptied when full; here a small limit) never changes a term set."""
    text = " ".join(words)
    boundaries = sorted({0, len(text), *data.draw(st.lists(st.sampled_from(
        [i for i, c in enumerate(text) if c == " "] or [0]), max_size=4))})
    spans = list(zip(boundaries, boundaries[1:]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lexical, "_TERM_OF_WORD_LIMIT", limit)
        assert lexical.span_term_sets(text, spans) == [frozenset(lexical.terms(text[a:b])) for a, b in spans]
