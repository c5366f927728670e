"""Conversations saved and read back whole, under ids that cannot name another file."""

import json

import pytest

from rag import RagError
from rag.conversations import ConversationStore, is_conversation_id, new_conversation_id
from tests.conftest import DRILLS_QUESTION

UNANSWERABLE = "what colour is the moon over Reykjavik?"


@pytest.fixture(scope="module")
def turns(minilm_samples_library):
    answered = minilm_samples_library.ask(DRILLS_QUESTION)
    refused = minilm_samples_library.ask(UNANSWERABLE)
    assert answered.citations and refused.abstained and refused.nearest  # both kinds are stored
    return [(DRILLS_QUESTION, answered), (UNANSWERABLE, refused)]


def test_a_saved_conversation_reads_back_equal(tmp_path, turns):
    store = ConversationStore(tmp_path / "conversations")
    conversation = new_conversation_id()
    store.save(conversation, turns)
    assert ConversationStore(tmp_path / "conversations").load(conversation) == turns


def test_an_unknown_id_is_an_empty_conversation(tmp_path):
    assert ConversationStore(tmp_path).load(new_conversation_id()) == []


def test_clearing_forgets_only_that_conversation(tmp_path, turns):
    store = ConversationStore(tmp_path)
    kept, cleared = new_conversation_id(), new_conversation_id()
    store.save(kept, turns)
    store.save(cleared, turns[:1])
    store.clear(cleared)
    assert store.load(cleared) == [] and store.load(kept) == turns


def test_saving_replaces_the_file_and_leaves_no_temporary_files(tmp_path, turns):
    store = ConversationStore(tmp_path)
    conversation = new_conversation_id()
    store.save(conversation, turns)
    store.save(conversation, turns[:1])
    assert store.load(conversation) == turns[:1]
    assert [p.name for p in tmp_path.iterdir()] == [f"{conversation}.json"]


@pytest.mark.parametrize("crafted", ["../library", "../../etc/passwd", "/tmp/x", "A" * 32, "0" * 31, "",
                                     "0" * 32 + "/..", "0" * 32 + "\n"])
def test_an_id_that_is_not_32_hex_digits_names_no_file(tmp_path, crafted):
    store = ConversationStore(tmp_path / "conversations")
    assert not is_conversation_id(crafted)
    with pytest.raises(RagError, match="not a conversation id"):
        store.load(crafted)
    with pytest.raises(RagError, match="not a conversation id"):
        store.save(crafted, [])
    assert not (tmp_path / "conversations").exists()


def test_new_ids_are_valid_and_distinct():
    ids = {new_conversation_id() for _ in range(100)}
    assert len(ids) == 100 and all(map(is_conversation_id, ids))


def test_a_damaged_file_is_a_rag_error_that_says_what_to_do(tmp_path, turns):
    store = ConversationStore(tmp_path)
    conversation = new_conversation_id()
    store.save(conversation, turns)
    path = tmp_path / f"{conversation}.json"
    path.write_text(path.read_text()[:200])
    with pytest.raises(RagError, match="cannot be read.*clear the conversation"):
        store.load(conversation)
    path.write_text(json.dumps({"version": 1, "turns": [{"question": "q"}]}))
    with pytest.raises(RagError, match="cannot be read"):
        store.load(conversation)


def test_conversations_are_kept_in_the_library_unless_told_elsewhere():
    from rag.settings import Settings

    assert Settings.from_env({"RAG_LIBRARY": "/srv/lib"}).conversations == "/srv/lib/conversations"
    assert Settings.from_env({"RAG_LIBRARY": "/srv/lib", "RAG_CONVERSATIONS": "/var/chats"}).conversations == "/var/chats"
