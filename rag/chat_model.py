"""A language model behind the OpenAI-compatible chat API, asked for one streamed completion.

Ollama (`http://127.0.0.1:11434/v1`), llama.cpp's `llama-server` (`http://127.0.0.1:8080/v1`),
vLLM (`http://127.0.0.1:8000/v1`), LM Studio (`http://127.0.0.1:1234/v1`) and hosted APIs all
answer `POST {url}/chat/completions`; with `"stream": true` they send server-sent events
(`data: {...}` lines, then `data: [DONE]`), and a server that ignores the flag sends one JSON
body, read the same. Only the standard library's `http.client`: no SDK to install or pin.

Every failure is one `LanguageModelError` that says what went wrong and what to do: no
server at the address, an HTTP error (with the server's own message), a timeout, a refusal,
output that is not the API's shape. Nothing is retried: the caller shows the quoted answer.

The API key goes only into the Authorization header: it is left out of the repr, and any
echo of it in a server's message is cut out before that message is shown.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rag.errors import RagError

# Longer than any short cited answer takes on a CPU-served 7B model, short enough that a
# stalled server does not hold the user long; RAG_LLM_TIMEOUT changes it.
DEFAULT_TIMEOUT_S = 60.0
# A few short sentences, with room for a reasoning model's <think> block before them; a reply
# cut at this limit says so (`Reply.cut_off`).
MAX_TOKENS = 1024
_ERROR_BODY_BYTES = 4_000


class LanguageModelError(RagError):
    """The model gave no usable text; the message says why and what to do."""


@dataclass(frozen=True)
class Reply:
    text: str
    cut_off: bool = False  # stopped at `max_tokens`: its last sentence may be unfinished


@dataclass(frozen=True)
class ChatModel:
    url: str  # the API's base ("http://127.0.0.1:11434/v1") or its /chat/completions address
    model: str  # the server's name for the model ("llama3.1:8b")
    api_key: str = field(default="", repr=False)
    timeout: float = DEFAULT_TIMEOUT_S  # seconds for the whole answer, first byte to last
    max_tokens: int = MAX_TOKENS

    def __post_init__(self):
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RagError(f"The language model address must be an http:// or https:// URL, got {self.shown_url!r}; "
                           "for Ollama it is http://127.0.0.1:11434/v1")
        if not self.model.strip():
            raise RagError("Name the language model to use (RAG_LLM_MODEL), as its server knows it, e.g. llama3.1:8b")
        if not self.timeout > 0:
            raise RagError(f"The language model's timeout must be a positive number of seconds, got {self.timeout!r}")

    @property
    def shown_url(self) -> str:
        """The address without credentials or query (where a key could hide): safe to show."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"

    @property
    def endpoint(self) -> str:
        path = urlsplit(self.url).path.rstrip("/")
        return path if path.endswith("/chat/completions") else f"{path}/chat/completions"

    def complete(self, messages: list[dict[str, str]], *, on_text: Callable[[str], None] | None = None) -> Reply:
        """The model's reply to `messages`, whole; `on_text` gets each piece as it arrives."""
        deadline = time.monotonic() + self.timeout
        body = json.dumps({"model": self.model, "messages": messages, "stream": True, "temperature": 0,
                           "max_tokens": self.max_tokens}).encode()
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        parts = urlsplit(self.url)
        connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = connection_class(parts.hostname, parts.port, timeout=self.timeout)
        try:
            connection.request("POST", self.endpoint, body=body, headers=headers)
            response = connection.getresponse()
            if response.status != 200:
                raise self.failure(_http_failure(response.status, response.read(_ERROR_BODY_BYTES)))
            if response.getheader("Content-Type", "").startswith("application/json"):
                return _whole_reply(response.read(), on_text, self)
            return _streamed_reply(response, connection, deadline, on_text, self)
        except (TimeoutError, socket.timeout):
            raise self.failure(f"gave no complete answer within {self.timeout:g} s; raise RAG_LLM_TIMEOUT "
                              "or use a smaller model") from None
        except ConnectionRefusedError:
            raise self.failure("refused the connection: is the server running, and at this address?") from None
        except (OSError, http.client.HTTPException) as error:
            raise self.failure(f"could not be reached ({type(error).__name__}: {error}); check the address "
                              "and that the server is running") from None
        finally:
            connection.close()

    def failure(self, detail: str) -> LanguageModelError:
        message = f"The language model {self.model!r} at {self.shown_url} {detail}"
        if self.api_key:
            message = message.replace(self.api_key, "[API key]")
        return LanguageModelError(message)


def _http_failure(status: int, body: bytes) -> str:
    said = body.decode("utf-8", "replace").strip()
    try:
        said = _message(json.loads(said).get("error", said))
    except (ValueError, AttributeError):
        pass
    hint = {401: "; check RAG_LLM_API_KEY", 403: "; check RAG_LLM_API_KEY", 404: "; check RAG_LLM_URL (it usually "
            "ends in /v1) and RAG_LLM_MODEL"}.get(status, "")
    return f"answered HTTP {status}: {said[:300] or 'no message'}{hint}"


def _message(error) -> str:
    """An API error's words: {"message": ...} or a plain string."""
    return str(error.get("message", error) if isinstance(error, dict) else error)


def _streamed_reply(response, connection, deadline, on_text, model: ChatModel) -> Reply:
    pieces: list[str] = []
    cut_off = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        if connection.sock is not None:
            connection.sock.settimeout(remaining)
        line = response.readline()
        if not line:
            break  # the server closed without [DONE]: what came is the reply
        line = line.strip()
        if not line.startswith(b"data:"):
            continue  # blank separators, comments (": keep-alive"), event names
        data = line[len(b"data:"):].strip()
        if data == b"[DONE]":
            break
        try:
            chunk = json.loads(data)
            if chunk.get("error"):  # llama.cpp and vLLM report a failure mid-stream this way
                raise model.failure(f"stopped with an error: {_message(chunk['error'])[:300]}")
            choice = chunk["choices"][0] if chunk.get("choices") else {}
            delta = choice.get("delta") or {}
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            raise model.failure(f"sent a reply that is not the chat API's shape ({data[:80]!r}); "
                               "check that RAG_LLM_URL is an OpenAI-compatible server") from None
        _check_refusal(delta.get("refusal"), choice.get("finish_reason"), model)
        cut_off = cut_off or choice.get("finish_reason") == "length"
        text = delta.get("content") or ""
        if text:
            pieces.append(text)
            if on_text:
                on_text(text)
    return Reply(_non_empty("".join(pieces), model), cut_off)


def _whole_reply(body: bytes, on_text, model: ChatModel) -> Reply:
    try:
        choice = json.loads(body)["choices"][0]
        message = choice["message"]
        text = message.get("content") or ""
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        raise model.failure(f"sent a reply that is not the chat API's shape ({body[:80]!r}); "
                           "check that RAG_LLM_URL is an OpenAI-compatible server") from None
    _check_refusal(message.get("refusal"), choice.get("finish_reason"), model)
    if text and on_text:
        on_text(text)
    return Reply(_non_empty(text, model), choice.get("finish_reason") == "length")


def _check_refusal(refusal, finish_reason, model: ChatModel) -> None:
    if refusal:
        raise model.failure(f"declined to answer: {str(refusal)[:200]}")
    if finish_reason == "content_filter":
        raise model.failure("declined to answer (its content filter stopped the reply)")


def _non_empty(text: str, model: ChatModel) -> str:
    if not text.strip():
        raise model.failure("sent an empty reply; try again, or another model")
    return text
