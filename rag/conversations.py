"""Conversations kept across page reloads: one JSON file per browser conversation.

The UI puts a random conversation id in the page address on a first visit; reloading the
page keeps the address, so the conversation is read back from `<folder>/<id>.json`. An id
is 32 lowercase hex digits and nothing else, so an address cannot name another file. Each
save replaces the file whole (write to a temporary file, then rename), so a crash leaves the
previous conversation, never half of one. Answers are stored with everything the UI shows
(citations, nearest passages, confidence and its signals) and read back as the same frozen
values. Does not expire old conversations, and does not keep them from someone who knows
the address: the id is the only key.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from dataclasses import asdict
from pathlib import Path

from rag.confidence import Signals
from rag.errors import RagError
from rag.results import Answer, Citation, Hit, Passage, ResolvedDate

FORMAT_VERSION = 1
_ID = re.compile(r"[0-9a-f]{32}")

Turn = tuple[str, Answer]  # the question as typed, and its answer


def new_conversation_id() -> str:
    return secrets.token_hex(16)


def is_conversation_id(value: object) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def answer_to_json(answer: Answer) -> dict:
    """Every field, unrounded (unlike `Answer.to_json`, which is for reading, not restoring)."""
    return asdict(answer)


def answer_from_json(data: dict) -> Answer:
    citations = tuple(Citation(**{**c, "dates": tuple(ResolvedDate(**d) for d in c["dates"])})
                      for c in data["citations"])
    nearest = tuple(Hit(rank=h["rank"], score=h["score"], passage=Passage(**h["passage"])) for h in data["nearest"])
    signals = Signals(**data["signals"]) if data["signals"] else None
    return Answer(**{**data, "citations": citations, "nearest": nearest, "signals": signals})


class ConversationStore:
    """The saved conversations in one folder (created on the first save)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def path(self, conversation_id: str) -> Path:
        if not is_conversation_id(conversation_id):
            raise RagError(f"{conversation_id!r} is not a conversation id (32 hex digits); "
                           "open the page without one to start a new conversation")
        return self.folder / f"{conversation_id}.json"

    def load(self, conversation_id: str) -> list[Turn]:
        """The saved turns, oldest first; none when nothing was saved under this id."""
        path = self.path(conversation_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return [(turn["question"], answer_from_json(turn["answer"])) for turn in data["turns"]]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise RagError(f"The saved conversation {path} cannot be read ({error}); "
                           "delete the file or clear the conversation to start afresh") from None

    def save(self, conversation_id: str, turns: list[Turn]) -> None:
        path = self.path(conversation_id)
        data = {"version": FORMAT_VERSION,
                "turns": [{"question": q, "answer": answer_to_json(a)} for q, a in turns]}
        text = json.dumps(data, ensure_ascii=False, default=float)  # default: numpy scores
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".conversation-")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(text)
                os.replace(tmp, path)
            except BaseException:  # a full disk: leave the previous file, not half of this one
                os.unlink(tmp)
                raise
        except OSError as error:
            raise RagError(f"Cannot save the conversation in {self.folder} ({error}); "
                           "check that the folder is writable (RAG_CONVERSATIONS)") from None

    def clear(self, conversation_id: str) -> None:
        path = self.path(conversation_id)
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            raise RagError(f"Cannot clear the saved conversation {path} ({error}); "
                           "check that the folder is writable (RAG_CONVERSATIONS)") from None
