"""Conversations saved and read back whole, under ids that cannot name another file."""

import json
import os
import re
import time

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


DAY = 86_400


def saved_days_ago(store, days: float, turns) -> str:
    """A conversation last saved `days` ago (its file's modification time set back)."""
    conversation = new_conversation_id()
    store.save(conversation, turns)
    then = time.time() - days * DAY
    os.utime(store.path(conversation), (then, then))
    return conversation


def test_saving_deletes_conversations_older_than_the_keep_days(tmp_path, turns):
    store = ConversationStore(tmp_path, keep_days=30)
    old, recent = saved_days_ago(store, 31, turns), saved_days_ago(store, 29, turns)
    (tmp_path / "notes.txt").write_text("not a conversation")  # not ours: left alone
    store.save(new_conversation_id(), turns[:1])
    assert store.load(old) == [] and store.load(recent) == turns
    assert (tmp_path / "notes.txt").exists()


def test_delete_expired_reports_what_it_deleted_and_zero_days_keeps_everything(tmp_path, turns):
    forever = ConversationStore(tmp_path, keep_days=0)
    old = saved_days_ago(forever, 400, turns)
    forever.save(new_conversation_id(), turns[:1])
    assert forever.delete_expired() == [] and forever.load(old) == turns
    assert ConversationStore(tmp_path, keep_days=7).delete_expired() == [old]
    assert ConversationStore(tmp_path / "never-saved").delete_expired() == []


def test_keep_days_come_from_the_environment_and_a_bad_value_says_what_to_set():
    from rag.settings import Settings

    assert Settings.from_env({}).conversations_keep_days == 30
    assert Settings.from_env({"RAG_CONVERSATIONS_KEEP_DAYS": "0"}).conversations_keep_days == 0
    assert Settings.from_env({"RAG_CONVERSATIONS_KEEP_DAYS": "90"}).conversations_keep_days == 90
    for bad in ["-1", "30d", "1.5", "forever"]:
        with pytest.raises(RagError, match=r"RAG_CONVERSATIONS_KEEP_DAYS must be a whole number of days "
                                           r"\(0 keeps conversations forever\), got '" + re.escape(bad) + "'"):
            Settings.from_env({"RAG_CONVERSATIONS_KEEP_DAYS": bad})
