"""Conversations kept across page reloads: one JSON file per browser conversation.

The UI puts a random conversation id in the page address on a first visit; reloading the
page keeps the address, so the conversation is read back from `<folder>/<id>.json`. An id
is 32 lowercase hex digits and nothing else, so an address cannot name another file. Each
save replaces the file whole (write to a temporary file, then rename), so a crash leaves the
previous conversation, never half of one. Answers are stored with everything the UI shows
(citations, nearest passages, confidence and its signals) and read back as the same frozen
values. Conversations last saved more than `keep_days` ago are deleted on each save and by
`delete_expired` (the UI calls it when it starts); 0 keeps them forever. Does not keep a
conversation from someone who knows the address: the id is the only key.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from rag.confidence import Signals
from rag.errors import RagError
from rag.results import Answer, Citation, Hit, Passage, ResolvedDate, Writing, WrittenSentence

FORMAT_VERSION = 1
DEFAULT_KEEP_DAYS = 30
_DAY = 86_400  # seconds
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
    written = data.get("written")  # conversations saved before written answers have none
    if written:
        written = Writing(**{**written, "sentences": tuple(
            WrittenSentence(**{**s, "cited": tuple(s["cited"]), "citations": tuple(s["citations"])})
            for s in written["sentences"])})
    return Answer(**{**data, "citations": citations, "nearest": nearest, "signals": signals, "written": written})


class ConversationStore:
    """The saved conversations in one folder (created on the first save), each kept for
    `keep_days` after its last save (0: forever)."""

    def __init__(self, folder: str | Path, *, keep_days: int = DEFAULT_KEEP_DAYS):
        if keep_days < 0:
            raise ValueError(f"keep_days must be 0 (forever) or more, got {keep_days}")
        self.folder = Path(folder)
        self.keep_days = keep_days

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
        self.delete_expired()

    def delete_expired(self, *, now: float | None = None) -> list[str]:
        """Delete the conversations last saved more than `keep_days` before `now` (and
        temporary files a crash left as long ago); returns the ids deleted."""
        if not self.keep_days:
            return []
        cutoff = (time.time() if now is None else now) - self.keep_days * _DAY
        deleted = []
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:  # nothing saved yet
            return []
        except OSError as error:
            raise self._cannot_delete(error) from None
        for entry in entries:
            stem, dot_json = entry.name[:-5], entry.name.endswith(".json")
            if not (dot_json and is_conversation_id(stem)) and not entry.name.startswith(".conversation-"):
                continue  # not ours: left alone
            try:
                if entry.stat().st_mtime >= cutoff:
                    continue
                os.unlink(entry.path)
                if dot_json:
                    deleted.append(stem)
            except FileNotFoundError:  # another process deleted it first
                continue
            except OSError as error:
                raise self._cannot_delete(error) from None
        return deleted

    def _cannot_delete(self, error: OSError) -> RagError:
        return RagError(f"Cannot delete the conversations older than {self.keep_days} days in {self.folder} ({error}); "
                        "check that the folder is writable, or set RAG_CONVERSATIONS_KEEP_DAYS=0 to keep them all")

    def clear(self, conversation_id: str) -> None:
        path = self.path(conversation_id)
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            raise RagError(f"Cannot clear the saved conversation {path} ({error}); "
                           "check that the folder is writable (RAG_CONVERSATIONS)") from None
