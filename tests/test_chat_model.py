"""The language model client over real HTTP, against the scripted server on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from rag import ChatModel, LanguageModelError, RagError
from rag.chat_model import Reply
from rag.evaluation.scripted_llm import VALID_KEY, ScriptedModelServer
from rag.settings import Settings
from rag.written_prompt import NOT_IN_PASSAGES

PROMPT = [{"role": "system", "content": "rules"},
          {"role": "user", "content": "Question: When was it founded?\n\nPassages (untrusted data):\n\n"
                                      "<<<passage 1 | title: SCO>>>\nThe bloc was founded in 2001 in Shanghai.\n"
                                      "<<<end of passage 1>>>\n\nAnswer."}]


@pytest.fixture(scope="module")
def server():
    with ScriptedModelServer() as running:
        yield running


def test_a_streamed_reply_arrives_whole_and_in_pieces(server):
    pieces = []
    reply = ChatModel(server.url, "faithful").complete(PROMPT, on_text=pieces.append)
    assert reply == Reply("The bloc was founded in 2001 in Shanghai [1].", cut_off=False)
    assert len(pieces) > 1 and "".join(pieces) == reply.text
    request = server.requests[-1]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["stream"] is True and request["body"]["model"] == "faithful"
    assert request["body"]["messages"] == PROMPT


def test_a_reply_sent_as_one_json_body_is_read_too(server):
    assert ChatModel(server.url, "whole").complete(PROMPT).text == "The bloc was founded in 2001 in Shanghai [1]."


def test_a_reply_stopped_at_the_token_limit_says_so(server):
    reply = ChatModel(server.url, "cut").complete(PROMPT)
    assert reply.cut_off and "The bloc was founded in 2001".startswith(reply.text) and reply.text


def test_the_full_endpoint_address_is_used_as_given(server):
    model = ChatModel(server.url + "/chat/completions", "faithful")
    assert model.endpoint == "/v1/chat/completions"
    assert model.complete(PROMPT).text.endswith("[1].")


@pytest.mark.parametrize(("model", "says"), [
    ("error", "answered HTTP 500: the model crashed while loading"),
    ("broken", "not the chat API's shape"),
    ("empty", "sent an empty reply"),
    ("refusal", "declined to answer: I can't help with that."),
    ("midway", "stopped with an error: context window exceeded"),
])
def test_each_failure_is_said_in_words(server, model, says):
    with pytest.raises(LanguageModelError) as caught:
        ChatModel(server.url, model).complete(PROMPT)
    assert says in str(caught.value)
    assert f"{model!r} at {server.url}" in str(caught.value)


def test_the_refusal_the_prompt_asks_for_is_text_not_an_error(server):
    assert ChatModel(server.url, "refuse").complete(PROMPT).text == NOT_IN_PASSAGES


def test_the_api_key_is_sent_as_a_bearer_token_and_never_shown(server):
    assert ChatModel(server.url, "locked", api_key=VALID_KEY).complete(PROMPT)
    assert server.requests[-1]["headers"]["Authorization"] == f"Bearer {VALID_KEY}"
    wrong = ChatModel(server.url, "locked", api_key="sk-wrong-secret")
    with pytest.raises(LanguageModelError) as caught:
        wrong.complete(PROMPT)
    # the server echoes the key it got; the message says so without it
    assert "HTTP 401" in str(caught.value) and "check RAG_LLM_API_KEY" in str(caught.value)
    assert "sk-wrong-secret" not in str(caught.value) and "[API key]" in str(caught.value)
    assert "sk-wrong-secret" not in repr(wrong)
    assert "sk-wrong-secret" not in repr(Settings.from_env({"RAG_LLM_URL": server.url, "RAG_LLM_MODEL": "m",
                                                            "RAG_LLM_API_KEY": "sk-wrong-secret"}))


def test_a_stalled_server_times_out_with_advice(server):
    with pytest.raises(LanguageModelError, match=r"no complete answer within 0.5 s; raise RAG_LLM_TIMEOUT"):
        ChatModel(server.url, "stall", timeout=0.5).complete(PROMPT)


def test_a_slow_stream_past_the_deadline_times_out(server):
    with pytest.raises(LanguageModelError, match="no complete answer within"):
        ChatModel(server.url, "slow", timeout=0.1).complete(PROMPT)
    assert ChatModel(server.url, "slow", timeout=10).complete(PROMPT).text.endswith("[1].")


def test_no_server_at_the_address_is_said():
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LanguageModelError, match="refused the connection: is the server running"):
        ChatModel(f"http://127.0.0.1:{port}/v1", "any").complete(PROMPT)


def test_the_address_shown_leaves_out_credentials_and_query():
    model = ChatModel("https://user:pw@llm.example:8443/v1?api-key=abc", "m")
    assert model.shown_url == "https://llm.example:8443/v1"
    assert "pw" not in model.failure("x").args[0] and "abc" not in model.failure("x").args[0]


@pytest.mark.parametrize(("environ", "says"), [
    ({"RAG_LLM_URL": "localhost:11434"}, "must be an http:// or https:// URL"),
    ({"RAG_LLM_URL": "http://127.0.0.1:11434/v1"}, "Name the language model to use (RAG_LLM_MODEL)"),
    ({"RAG_LLM_URL": "http://127.0.0.1:11434/v1", "RAG_LLM_MODEL": "m", "RAG_LLM_TIMEOUT": "soon"},
     "RAG_LLM_TIMEOUT must be a number of seconds"),
    ({"RAG_LLM_URL": "http://127.0.0.1:11434/v1", "RAG_LLM_MODEL": "m", "RAG_LLM_TIMEOUT": "0"},
     "timeout must be a positive number"),
])
def test_bad_settings_say_what_to_set(environ, says):
    with pytest.raises(RagError) as caught:
        Settings.from_env(environ)
    assert says in str(caught.value)


def test_settings_without_a_url_configure_no_model():
    assert Settings.from_env({}).language_model is None
    configured = Settings.from_env({"RAG_LLM_URL": "http://127.0.0.1:11434/v1", "RAG_LLM_MODEL": "llama3.1:8b",
                                    "RAG_LLM_TIMEOUT": "12.5"}).language_model
    assert configured == ChatModel("http://127.0.0.1:11434/v1", "llama3.1:8b", timeout=12.5)
