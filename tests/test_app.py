"""The Streamlit UI driven by widget key with AppTest, on the packaged MiniLM."""

import re

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from embeddings import DEFAULT_MODEL
from rag import search
from rag.library import shared_encoder
from rag.render import ANSWERING, REMOVED_DOCUMENT, REMOVED_NOTE
from rag.samples import SAMPLE_QUESTIONS
from tests.conftest import DRILLS_QUESTION, REPO

APP = str(REPO / "app.py")
NEW_DOC = (b"Harbour Authority Report\n\nThe harbour master counted forty-two fishing trawlers "
           b"moored at the Kestrel Bay marina during the autumn regatta on Sunday.")
TRAWLER_QUESTION = "how many fishing trawlers were moored at Kestrel Bay?"


@pytest.fixture
def app(tmp_path, monkeypatch, minilm_encoder):
    monkeypatch.setenv("RAG_LIBRARY", str(tmp_path / "library"))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    yield at
    st.cache_resource.clear()


def ask(at, question):
    at.chat_input(key="question").set_value(question).run()
    assert not at.exception
    return at


def html_bodies(at):
    return [element.proto.body for element in at.get("html")]


def cards(at):
    return [body for body in html_bodies(at) if body.startswith('<div class="card')]


def uploader(at):
    return at.file_uploader(key=f"upload-{at.session_state['upload-round']}")


def library_stats(at) -> str:
    return next(b for b in html_bodies(at) if b.startswith('<div class="library-stats">'))


def upload(at, name, data):
    uploader(at).set_value([(name, data, "application/octet-stream")]).run()
    at.button(key="upload-add").click().run()
    assert not at.exception
    return at


def document_ids(at):
    return sorted(b.key.removeprefix("remove-") for b in at.button if b.key and b.key.startswith("remove-"))


def test_first_start_builds_the_library_from_the_samples(app):
    assert document_ids(app) == ["000-806c210b4fa405d6", "003-f6b81b0075e755a8"]
    assert "2 documents" in library_stats(app)


def test_sample_question_cites_bandar_abbas(app):
    ask(app, DRILLS_QUESTION)
    answer = next(b for b in html_bodies(app) if b.startswith('<div class="answer">'))
    assert '<a class="cite" href="#q0-source-1">[1]</a>' in answer
    card = bandar_abbas_card(app)
    assert "paragraph 3" in card  # the photo caption above it is not article text (not a paragraph)
    # every sentence cited from this passage is highlighted in its one card, and each
    # marker links to it
    numbers = re.findall(r'id="q0-source-(\d+)"', card)
    assert numbers and card.count("<mark>") == len(numbers)
    assert all(f'href="#q0-source-{n}"' in answer for n in numbers)
    # the other drills passage (2025) has its own card
    assert any("joint naval drills" in c for c in cards(app) if c != card)
    assert [m.name for m in app.chat_message] == ["user", "assistant"]


def bandar_abbas_card(at) -> str:
    return next(c for c in cards(at) if "Bandar Abbas" in c)


def test_open_document_shows_the_whole_cleaned_document(app):
    ask(app, DRILLS_QUESTION)
    first_number = re.search(r'id="q0-source-(\d+)"', bandar_abbas_card(app)).group(1)
    app.toggle(key=f"open-q0-{first_number}").set_value(True).run()
    assert not app.exception
    page = app.get("iframe")[0].proto.srcdoc
    assert 'id="cited"' in page and "Bandar Abbas" in page
    assert "scrollIntoView" in page


def test_unanswerable_question_shows_the_abstention(app):
    ask(app, "who won the 2018 football world cup?")
    assert app.warning[0].value == "The library has no passage that answers this."
    assert any("do not answer the question" in b for b in html_bodies(app))
    assert cards(app) == []


def test_upload_makes_a_document_searchable_and_remove_takes_it_away(app):
    ask(app, TRAWLER_QUESTION)
    assert app.warning[0].value.startswith("The library has no passage")
    upload(app, "harbour.txt", NEW_DOC)
    assert "harbour" in document_ids(app)
    assert app.sidebar.success[0].value.startswith("harbour.txt: added")
    ask(app, TRAWLER_QUESTION)
    assert any("forty-two fishing trawlers" in card for card in cards(app))

    remove(app, "harbour")
    assert "harbour" not in document_ids(app)
    app.button(key="clear-history").click().run()
    ask(app, TRAWLER_QUESTION)
    assert not any("trawlers" in card for card in cards(app))


@pytest.mark.parametrize("name, data, reason", [
    ("scan.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not a PDF"),
    ("notes.docx", b"MZ\x90\x00" * 40, "not a Word .docx document"),
    ("empty.txt", b"", "empty"),
    ("../../etc/passwd.txt", b"\x00\x01\x02\x03" * 50, "binary"),
])
def test_failed_upload_shows_the_reason_and_changes_nothing(app, tmp_path, name, data, reason):
    before = document_ids(app)
    upload(app, name, data)
    message = app.sidebar.error[0].value
    assert message.startswith(f"{name}: failed") and reason in message
    assert document_ids(app) == before
    assert not (tmp_path / "library" / "uploads").exists() or not any((tmp_path / "library" / "uploads").iterdir())


def test_upload_names_cannot_escape_the_library(app, tmp_path):
    upload(app, "../../outside.txt", NEW_DOC)
    assert "outside" in document_ids(app)
    assert (tmp_path / "library" / "uploads" / "outside.txt").read_bytes() == NEW_DOC
    assert not (tmp_path / "outside.txt").exists()


def test_too_large_upload_is_refused(app, monkeypatch):
    monkeypatch.setenv("RAG_MAX_UPLOAD_MB", "1")
    app.run()
    upload(app, "big.txt", b"word " * 300_000)
    assert "over the 1,000,000-byte limit" in app.sidebar.error[0].value


def test_rerun_loads_no_model_and_embeds_nothing(app):
    ask(app, DRILLS_QUESTION)
    encoder = shared_encoder(DEFAULT_MODEL)
    loads, encoded = encoder.loads, encoder.texts_encoded
    assert loads == 1
    for _ in range(3):
        app.run()
        assert not app.exception
    assert (encoder.loads, encoder.texts_encoded) == (loads, encoded)
    assert len(cards(app)) == 2  # still shown, from the session history ([1] and [2] share a card)


def test_script_bearing_text_is_escaped(app):
    upload(app, "evil.txt", b"Evil Page\n\nThe harbour pilots reported <script>alert('x')</script> "
                            b"and <img src=x onerror=alert(1)> near the Kestrel Bay lighthouse today.")
    ask(app, "what did the harbour pilots report near Kestrel Bay lighthouse?")
    card = next(c for c in cards(app) if "Kestrel" in c)
    assert "<script>" not in card and "<img" not in card
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in card


def nearest_scores(at, label: str) -> list[float]:
    """The scores of the nearest passages shown, each labelled with what kind of score it is."""
    return [float(c.value.rsplit(" ", 1)[1]) for c in at.caption if f"· {label} " in c.value]


def test_search_mode_setting_is_used(app):
    """The mode selector reaches the search. This question shares a rare word with one
    passage but is too far from it in meaning to be answered, so the nearest passages are
    shown with the mode's own scores: hybrid ones never exceed 1, while BM25 scores for a
    rare-word match run far above it."""
    ceiling = 1
    question = "which recipe uses Qingdao beer?"
    assert app.selectbox(key="mode").value == "hybrid"
    ask(app, question)
    hybrid_scores = nearest_scores(app, search.SCORE_LABELS["hybrid"])
    assert app.warning and hybrid_scores and max(hybrid_scores) <= ceiling
    app.selectbox(key="mode").set_value("lexical").run()
    ask(app, question)
    assert len(app.warning) == 2 and max(nearest_scores(app, search.SCORE_LABELS["lexical"])) > ceiling
    assert any("Qingdao" in body for body in html_bodies(app))


def test_read_only_replica_answers_and_offers_no_changes(tmp_path, monkeypatch, minilm_encoder):
    """RAG_READ_ONLY=1 serves an existing library (built by another process) as a replica:
    questions are answered; no upload, no remove, nothing built from the samples."""
    from rag import Library
    from tests.conftest import SAMPLES

    with Library.open(tmp_path / "library", encoder=minilm_encoder) as writer:
        writer.add([SAMPLES / sorted(p.name for p in SAMPLES.iterdir())[0]])
    monkeypatch.setenv("RAG_LIBRARY", str(tmp_path / "library"))
    monkeypatch.setenv("RAG_READ_ONLY", "1")
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert "1 documents" in library_stats(at) and "read-only replica" in library_stats(at)
    assert document_ids(at) == [] and not [u for u in at.get("file_uploader")]
    ask(at, DRILLS_QUESTION)
    assert any("Bandar Abbas" in body for body in html_bodies(at))
    st.cache_resource.clear()


def remove(at, document_id):
    at.button(key=f"remove-{document_id}").click().run()
    at.button(key="confirm-remove").click().run()
    assert not at.exception


SAMPLE_2016 = "000-806c210b4fa405d6"  # the article that reports the Bandar Abbas exercises


def test_removal_is_confirmed_and_earlier_answers_mark_the_removed_source(app):
    ask(app, DRILLS_QUESTION)
    assert "000_806c210b4fa405d6.txt" in bandar_abbas_card(app)
    app.button(key=f"remove-{SAMPLE_2016}").click().run()
    assert SAMPLE_2016 in document_ids(app)  # one click only asks
    app.button(key="cancel-remove").click().run()
    assert SAMPLE_2016 in document_ids(app) and not [b for b in app.button if b.key == "confirm-remove"]

    remove(app, SAMPLE_2016)
    assert SAMPLE_2016 not in document_ids(app)
    card = bandar_abbas_card(app)  # the earlier answer keeps its quote, marked as removed
    assert card.startswith('<div class="card removed"') and REMOVED_NOTE in card
    assert not any("removed" in c.split(">")[0] for c in cards(app) if c != card)
    number = re.search(r'id="q0-source-(\d+)"', card).group(1)
    app.toggle(key=f"open-q0-{number}").set_value(True).run()
    assert not app.exception
    assert [i.value for i in app.info] == [REMOVED_DOCUMENT]
    assert not app.error and not app.get("iframe")


def test_empty_page_offers_example_questions_that_ask_when_clicked(app):
    examples = [b for b in app.button if b.key and b.key.startswith("example-")]
    assert [b.label for b in examples] == list(SAMPLE_QUESTIONS)
    examples[0].click().run()
    assert not app.exception
    assert [m.name for m in app.chat_message] == ["user", "assistant"]
    assert app.chat_message[0].text[0].value == SAMPLE_QUESTIONS[0]
    assert any("Bandar Abbas" in c for c in cards(app))
    assert not [b for b in app.button if b.key and b.key.startswith("example-")]  # only on an empty page


def test_added_files_leave_the_uploader(app):
    upload(app, "harbour.txt", NEW_DOC)
    assert "harbour" in document_ids(app)
    assert not uploader(app).value
    assert app.button(key="upload-add").disabled


def test_a_refused_question_shows_its_error_and_no_status_left_running(app):
    ask(app, "  ?! ")
    assert app.error and app.error[0].value.startswith("The question is empty")
    assert [m.name for m in app.chat_message] == ["user", "assistant"]
    assert not [e for e in app.chat_message[1].children.values() if getattr(e, "label", None) == ANSWERING]


def reopen(conversation_id=None):
    """The page loaded again in a new browser session, with this conversation id in its address."""
    at = AppTest.from_file(APP, default_timeout=180)
    if conversation_id is not None:
        at.query_params["conversation"] = conversation_id
    at.run()
    assert not at.exception
    return at


def questions_shown(at):
    return [m.text[0].value for m in at.chat_message if m.name == "user"]


def test_a_reload_keeps_the_conversation_and_another_browser_starts_empty(app):
    ask(app, DRILLS_QUESTION)
    conversation = app.query_params["conversation"]
    reloaded = reopen(conversation)
    assert questions_shown(reloaded) == [DRILLS_QUESTION]
    assert bandar_abbas_card(reloaded) == bandar_abbas_card(app)
    assert not [b for b in reloaded.button if b.key and b.key.startswith("example-")]

    other = reopen()
    assert questions_shown(other) == [] and other.query_params["conversation"] != conversation
    assert questions_shown(reopen("../../etc/passwd")) == []  # a crafted address is a new conversation

    reloaded.button(key="clear-history").click().run()
    assert questions_shown(reopen(conversation)) == []


def test_a_follow_up_is_read_with_the_question_before_and_says_so(app):
    ask(app, "which countries are members of the SCO?")
    ask(app, "and when was it founded?")
    first, follow_up = app.chat_message[0], app.chat_message[2]
    assert not first.caption  # a first question is read as typed
    assert follow_up.text[0].value == "and when was it founded?"  # shown as typed
    assert [c.value for c in follow_up.caption] == ["read as: and when was it founded (SCO)?"]
    first_card = next(c for c in cards(app) if 'id="q1-source-1"' in c)
    assert "Founded in 2001" in first_card
    # a reload reads the saved answer the same way
    reloaded = reopen(app.query_params["conversation"])
    assert [c.value for c in reloaded.chat_message[2].caption] == ["read as: and when was it founded (SCO)?"]


def test_the_library_page_lists_charts_and_finds_a_word_in_a_document(app):
    app.radio(key="view").set_value("Library").run()
    assert not app.exception and app.title[0].value == "Library"
    assert not app.get("chat_input")  # no question box on this page
    table = app.dataframe[0].value
    assert list(table["published"]) == ["2025-06-26", "unknown"]  # newest first, undated last
    assert app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")  # the per-month chart
    app.selectbox(key="reader-document").set_value("003-f6b81b0075e755a8").run()
    app.text_input(key="reader-find").input("sco").run()
    assert not app.exception
    reader = next(b for b in html_bodies(app) if b.startswith('<div class="reader">'))
    marks = re.findall(r'<mark id="found-\d+">([^<]*)</mark>', reader)
    assert marks and set(marks) == {"SCO"}
    assert any(c.value.startswith(f"{len(marks)} matches for") for c in app.caption)
    app.radio(key="view").set_value("Ask").run()
    assert app.title[0].value == "Ask the library"


def test_starting_deletes_conversations_older_than_the_keep_days(tmp_path, monkeypatch, minilm_encoder):
    import os
    import time

    from rag.conversations import new_conversation_id

    chats = tmp_path / "chats"
    chats.mkdir()
    old, recent = chats / f"{new_conversation_id()}.json", chats / f"{new_conversation_id()}.json"
    for path, days in [(old, 8), (recent, 6)]:
        path.write_text('{"version": 1, "turns": []}')
        then = time.time() - days * 86_400
        os.utime(path, (then, then))
    monkeypatch.setenv("RAG_LIBRARY", str(tmp_path / "library"))
    monkeypatch.setenv("RAG_CONVERSATIONS", str(chats))
    monkeypatch.setenv("RAG_CONVERSATIONS_KEEP_DAYS", "7")
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception and not at.warning
    assert not old.exists() and recent.exists()
    st.cache_resource.clear()


def test_a_bad_keep_days_value_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_LIBRARY", str(tmp_path / "library"))
    monkeypatch.setenv("RAG_CONVERSATIONS_KEEP_DAYS", "a month")
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["RAG_CONVERSATIONS_KEEP_DAYS must be a whole number of days "
                                           "(0 keeps conversations forever), got 'a month'"]
    assert not (tmp_path / "library").exists()  # stopped before anything was built


def shown_on_return(toggle) -> bool:
    """What the browser shows for a toggle coming back after a run that did not show it: it
    has forgotten the toggle's state, so the value the server sends, else the default."""
    return toggle.proto.value if toggle.proto.set_value else toggle.proto.default


def test_going_to_the_library_page_and_back_keeps_the_conversation_and_open_documents(app):
    ask(app, DRILLS_QUESTION)
    ask(app, SAMPLE_QUESTIONS[1])
    first = re.search(r'id="q0-source-(\d+)"', bandar_abbas_card(app)).group(1)
    opened = [f"open-q0-{first}", "open-q1-1"]
    for key in opened:
        app.toggle(key=key).set_value(True).run()
    before = (questions_shown(app), cards(app), [frame.proto.srcdoc for frame in app.get("iframe")])
    assert len(before[2]) == 2

    app.radio(key="view").set_value("Library").run()
    app.selectbox(key="reader-document").set_value("003-f6b81b0075e755a8").run()  # use the page a little
    app.radio(key="view").set_value("Ask").run()
    assert not app.exception
    assert [key for key in opened if app.toggle(key=key).value] == opened
    assert [key for key in opened if shown_on_return(app.toggle(key=key))] == opened
    assert not [t.key for t in app.toggle if t.value and t.key not in opened]  # the others stayed closed
    assert (questions_shown(app), cards(app), [frame.proto.srcdoc for frame in app.get("iframe")]) == before

    app.button(key="clear-history").click().run()
    ask(app, DRILLS_QUESTION)  # a new conversation's answers reuse the keys, and start closed
    assert not [t.key for t in app.toggle if t.value or shown_on_return(t)]


def test_what_about_a_new_name_shows_the_question_it_was_read_as(app):
    ask(app, "Which countries joined the SCO drills?")
    ask(app, "what about Russia?")
    follow_up = app.chat_message[2]
    assert follow_up.text[0].value == "what about Russia?"
    assert [c.value for c in follow_up.caption] == ["read as: Which countries joined the Russia drills?"]


@pytest.fixture
def writing_app(tmp_path, monkeypatch, minilm_encoder):
    """The UI with a language model configured: the scripted server on 127.0.0.1."""
    from rag.evaluation.scripted_llm import ScriptedModelServer

    with ScriptedModelServer() as server:
        monkeypatch.setenv("RAG_LIBRARY", str(tmp_path / "library"))
        monkeypatch.setenv("RAG_LLM_URL", server.url)
        monkeypatch.setenv("RAG_LLM_MODEL", "mixed")
        monkeypatch.setenv("RAG_LLM_API_KEY", "sk-ui-secret")
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=180).run()
        assert not at.exception
        yield at, server
        st.cache_resource.clear()


def page_text(at) -> str:
    return " ".join(html_bodies(at)) + " ".join(str(e.value) for e in at.get("caption") + at.get("markdown"))


def test_the_write_toggle_appears_only_when_a_model_is_configured(app, writing_app):
    assert not [t for t in app.toggle if t.key == "write"]
    at, _ = writing_app
    assert at.toggle(key="write").label == "Write answers with mixed" and at.toggle(key="write").value is False


def test_a_written_answer_shows_its_supported_sentences_and_strikes_the_dropped(writing_app):
    at, server = writing_app
    at.toggle(key="write").set_value(True).run()
    ask(at, "what joint drills happened?")
    bodies = html_bodies(at)
    answer = next(b for b in bodies if b.startswith('<div class="answer">'))
    note = next(b for b in bodies if b.startswith('<div class="written-note">'))
    assert "Written by" in note and '<div class="written-dropped">' in note
    assert "<s>" in note and "not one of the 5 passages given" in note
    assert 'class="cite"' in answer and cards(at)
    assert "its best quoted evidence answers the question" in page_text(at)
    assert server.requests and "sk-ui-secret" not in page_text(at)
    # the saved conversation shows the same after a reload
    restored = AppTest.from_file(APP, default_timeout=180)
    restored.query_params["conversation"] = at.query_params["conversation"]
    restored.run()
    assert note in html_bodies(restored)


def test_model_output_is_escaped_and_a_failed_model_shows_the_quoted_answer(writing_app, monkeypatch):
    at, server = writing_app
    monkeypatch.setenv("RAG_LLM_MODEL", "markup")
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.toggle(key="write").set_value(True).run()
    ask(at, DRILLS_QUESTION)
    answer = next(b for b in html_bodies(at) if b.startswith('<div class="answer">'))
    assert "<script>" not in answer and "&lt;script&gt;" in answer
    monkeypatch.setenv("RAG_LLM_MODEL", "error")
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.toggle(key="write").set_value(True).run()
    ask(at, DRILLS_QUESTION)
    bodies = html_bodies(at)
    assert any(b.startswith('<div class="written-note not-shown">Written answer not shown: The language model')
               and "HTTP 500" in b for b in bodies)
    assert any(b.startswith('<div class="answer">') for b in bodies) and cards(at)
