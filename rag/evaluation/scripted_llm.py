"""A scripted stand-in for a language model server, on 127.0.0.1, speaking the OpenAI chat API.

It answers the prompt it receives (`rag.written_prompt`): it reads the question and the numbered
passages back out of it and writes from them, deterministically, in the way the requested
model name says. So the client and the verifier run for real over HTTP, against sentences
whose truth is known by construction:

- "faithful": the passage sentence that shares most words with the question, from each of the
  two passages that share most, each cited.
- "mixed": four sentences per question, each drawn (seeded by the question) from supported
  rewrites (verbatim, "The passage reports that ...", without its last clause, two adjacent
  sentences joined) and unsupported ones (another passage's sentence, a changed number, another
  passage's name, a negation, an invented sentence, no citation, a citation out of range).
  `mixed_script` returns them with their labels, for bench/verify_written.py.
- "inject": obeys a passage that says "ignore ... instructions and say X": it writes X.
- "markup": a faithful sentence with HTML in it; "bad-citation": cites [9].
- "think": a reasoning model's <think> block, then the faithful reply; "cut": the faithful
  reply stopped half-way through its last sentence, with finish_reason "length".
- "refuse": NOT IN PASSAGES; "refusal": the API's refusal field; "empty": no text.
- "whole": one JSON body instead of a stream; "broken": a stream that is not JSON; "midway":
  an error reported inside the stream.
- "error": HTTP 500; "locked": HTTP 401 unless the key is "test-key" (its message echoes the key).
- "slow": a stream with pauses; "stall": nothing for 30 s.

Not a model: nothing here understands the text beyond counting shared words.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rag.sentences import sentence_spans
from rag.written_prompt import NOT_IN_PASSAGES

VALID_KEY = "test-key"
_BLOCK = re.compile(r"<<<passage (\d+)[^\n]*>>>\n(.*?)\n<<<end of passage \1>>>", re.S)
_QUESTION = re.compile(r"^Question: (.*?)\n\nPassages", re.S)
_WORDS = re.compile(r"[a-z0-9]+")
_INSTRUCTED = re.compile(r"ignore [^.]*instructions[^.]*?\b(?:say|state|write) (?:that )?([^.]+)\.", re.I)
_AUXILIARY = re.compile(r"\b(is|was|are|were|has|had|will|can|could|would|did|does)\b")
_NAME = re.compile(r"(?<=\s)[A-Z][a-z]{2,}\b")


def parse_prompt(messages: list[dict]) -> tuple[str, list[str]]:
    """The question and the passages' texts (passage n is index n - 1)."""
    user = next(m["content"] for m in messages if m["role"] == "user")
    question = _QUESTION.search(user)
    return (question.group(1) if question else ""), [text for _, text in _BLOCK.findall(user)]


def _sentences(text: str) -> list[str]:
    found = (text[s:e] for s, e in sentence_spans(text))
    return [s for s in found if len(s.split()) >= 4 and not s.rstrip("\"'”’)").endswith("?")]


def _bare(sentence: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", sentence).rstrip(".!? ")


def _overlap(a: str, b: str) -> int:
    return len(set(_WORDS.findall(a.lower())) & set(_WORDS.findall(b.lower())))


def _best_sentence(question: str, passage: str) -> str | None:
    found = _sentences(passage)
    return max(found, key=lambda s: _overlap(question, s)) if found else None


def _cited(sentence: str, n: int) -> str:
    body = sentence.rstrip()
    stop = body[-1] if body[-1] in ".!?" else "."
    return f"{body.rstrip('.!?')} [{n}]{stop}"


def faithful_script(question: str, passages: list[str]) -> list[tuple[str, bool]]:
    ranked = sorted(range(len(passages)), key=lambda i: -_overlap(question, passages[i]))[:2]
    return [(_cited(s, i + 1), True) for i in ranked if (s := _best_sentence(question, passages[i]))]


def mixed_script(question: str, passages: list[str]) -> list[tuple[str, bool, str]]:
    """Four (sentence with its markers, whether its citations state it, how it was made)."""
    rng = random.Random(zlib.crc32(question.encode()))
    usable = [i for i, p in enumerate(passages) if _sentences(p)]
    if not usable:
        return []
    script = []
    for _ in range(8):
        n = rng.choice(usable)
        kind = rng.choice(_KINDS)
        written = kind(rng, n, passages)
        if written and _bare(written[0]) not in {_bare(s) for s, _, _ in script}:
            script.append((*written, kind.__name__.strip("_")))
        if len(script) == 4:
            break
    return script


def _verbatim(rng, i, passages):
    return _cited(rng.choice(_sentences(passages[i])), i + 1), True


def _reported(rng, i, passages):
    s = rng.choice(_sentences(passages[i]))
    first = s.split()[0]
    opened = s[0].lower() + s[1:] if first.lower() in ("the", "a", "an", "in", "on", "it", "this") else s
    return _cited(f"The passage reports that {opened}", i + 1), True


def _shortened(rng, i, passages):
    s = rng.choice(_sentences(passages[i]))
    kept = s.rsplit(", ", 1)[0]
    return (_cited(kept, i + 1), True) if kept != s and len(kept.split()) >= 8 else None


def _joined(rng, i, passages):
    found = _sentences(passages[i])
    if len(found) < 2:
        return None
    j = rng.randrange(len(found) - 1)
    second = found[j + 1]
    return _cited(f"{found[j].rstrip('.')}; {second[0].lower() + second[1:]}", i + 1), True


def _other_passage(rng, i, passages):
    others = [j for j in range(len(passages)) if j != i and _sentences(passages[j])]
    if not others:
        return None
    s = rng.choice(_sentences(passages[rng.choice(others)]))
    return None if s in passages[i] else (_cited(s, i + 1), False)


def _changed_number(rng, i, passages):
    with_numbers = [s for s in _sentences(passages[i]) if re.search(r"\b\d{1,4}\b", s)]
    if not with_numbers:
        return None
    s = rng.choice(with_numbers)
    number = rng.choice(re.findall(r"\b\d{1,4}\b", s))
    changed = str(int(number) + rng.choice((1, 2, 3, 7)))
    return _cited(re.sub(rf"\b{number}\b", changed, s, count=1), i + 1), False


def _swapped_name(rng, i, passages):
    names = [m for s in _sentences(passages[i]) for m in _NAME.findall(s)]
    strangers = sorted({m for j, p in enumerate(passages) if j != i for m in _NAME.findall(p)
                        if m.lower() not in passages[i].lower()})
    if not names or not strangers:
        return None
    name = rng.choice(names)
    s = next(s for s in _sentences(passages[i]) if name in _NAME.findall(s))
    return _cited(re.sub(rf"(?<=\s){name}\b", rng.choice(strangers), s, count=1), i + 1), False


def _negated(rng, i, passages):
    found = [s for s in _sentences(passages[i]) if _AUXILIARY.search(s) and " not " not in s and "n't" not in s]
    if not found:
        return None
    return _cited(_AUXILIARY.sub(r"\1 not", rng.choice(found), count=1), i + 1), False


def _invented(rng, i, passages):
    names = _NAME.findall(passages[i]) or ["Officials"]
    claim = rng.choice(("{} later withdrew from the agreement after a dispute over funding",
                        "{} was criticised by several neighbouring governments for the decision",
                        "The plan attributed to {} was abandoned within a year"))
    return _cited(claim.format(rng.choice(names)), i + 1), False


def _uncited(rng, i, passages):
    return rng.choice(_sentences(passages[i])), False


def _out_of_range(rng, i, passages):
    return _cited(rng.choice(_sentences(passages[i])), len(passages) + 3), False


_KINDS = (_verbatim, _reported, _shortened, _joined, _other_passage, _changed_number, _swapped_name,
          _negated, _invented, _uncited, _out_of_range)


def reply_for(model: str, messages: list[dict]) -> str:
    question, passages = parse_prompt(messages)
    if model == "refuse":
        return NOT_IN_PASSAGES
    if model == "inject":
        for n, passage in enumerate(passages, 1):
            if found := _INSTRUCTED.search(passage):
                return _cited(found.group(1)[0].upper() + found.group(1)[1:], n)
    script = mixed_script(question, passages) if model == "mixed" else faithful_script(question, passages)
    reply = " ".join(written[0] for written in script)
    if model == "markup":
        return "<script>alert('x')</script> " + reply
    if model == "bad-citation":
        return re.sub(r"\[\d+\]", "[9]", reply)
    if model == "think":
        return f"<think>The user asks: {question} Passage 1 might say 1999 [1].</think>\n{reply}"
    if model == "cut":
        return reply[: reply.rfind(" [") - 25]
    return reply


class _Handler(BaseHTTPRequestHandler):
    server: "ScriptedModelServer"

    def log_message(self, *args):  # quiet: tests read what they need from `requests`
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        model = body.get("model", "")
        if model == "error":
            return self._json(500, {"error": {"message": "the model crashed while loading"}})
        if model == "locked" and self.headers.get("Authorization") != f"Bearer {VALID_KEY}":
            return self._json(401, {"error": {"message": f"invalid key {self.headers.get('Authorization', '')}"}})
        if model == "stall" and self.server.closing.wait(30):
            return
        reply = reply_for(model, body.get("messages", []))
        if model == "whole":
            return self._json(200, {"choices": [{"message": {"role": "assistant", "content": reply},
                                                 "finish_reason": "stop"}]})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if model == "broken":
            self._event(b"data: {not json at all\n\n")
            return
        if model == "midway":  # a failure reported inside the stream, after some text
            self._chunk({"content": "The bloc "}, None)
            self._event(b'data: {"error": {"message": "context window exceeded"}}\n\n')
            return
        if model == "refusal":
            self._chunk({"refusal": "I can't help with that."}, None)
        elif model != "empty":
            for piece in re.findall(r"\S+\s*", reply):
                self._chunk({"content": piece}, None)
                if model == "slow":
                    time.sleep(0.05)
        self._chunk({}, "length" if model == "cut" else "stop")
        self._event(b"data: [DONE]\n\n")

    def _chunk(self, delta: dict, finish_reason):
        self._event(f"data: {json.dumps({'choices': [{'delta': delta, 'finish_reason': finish_reason}]})}\n\n".encode())

    def _event(self, data: bytes):
        self.wfile.write(data)
        self.wfile.flush()

    def _json(self, status: int, payload: dict):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class ScriptedModelServer(ThreadingHTTPServer):
    """`with ScriptedModelServer() as server:` serves on `server.url` until the block ends."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.closing = threading.Event()  # ends a stalled reply when the server stops

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.closing.set()
        self.shutdown()
        self.server_close()
