"""The repairs `python -m rag check --repair` makes: only from what the library trusts.

Each takes the `Snapshot` its check found a problem in and a `Repairing` (which opens the
library for writing only when a repair needs it) and returns one line saying what it did.
Vectors are re-embedded from stored passage text, the lexical index and sentence offsets
derived again from it, metadata restored from the rows and files; text whose checksum fails
is never used: its documents are left for the user to ingest again, which `check` names.
The few row updates only repairs make are written here, beside them.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import numpy as np

from embeddings import VectorIndex, VectorIndexError
from rag import meta_values, schema, store
from rag.check_rules import damaged_sentences
from rag.check_snapshot import Snapshot
from rag.errors import LibraryError
from rag.generations import foreign_vectors, leftover_files
from rag.library import Library
from rag.passages import PARAGRAPH_SEPARATOR
from rag.sentences import sentence_spans
from rag.writer import verify_model


class Repairing:
    """What the repairs of one `check --repair` share: the library, opened on first need
    (after the metadata repair, which `Library.open` needs to have succeeded)."""

    def __init__(self, folder: Path, encoder):
        self.folder, self.encoder = folder, encoder

    @cached_property
    def library(self) -> Library:
        return Library.open(self.folder, encoder=self.encoder)

    def close(self) -> None:
        if "library" in self.__dict__:
            self.library.close()


def restore_metadata(snapshot: Snapshot, repairing: Repairing) -> str:
    """Values derived from what the folder holds: the generation from the vector files'
    names, the passage counter from the passages, the dimension from the vector file. A
    damaged `vector_file` is dropped: the vector file repair then rebuilds the vectors."""
    meta, changed, dropped = snapshot.meta, {}, []
    bad = meta_values.problems(meta)
    if "generation" in bad:
        names = [path.name for path in snapshot.folder.glob("vectors-*.faiss")]
        changed["generation"] = str(max((meta_values.generation_of_file(n) or 0 for n in names), default=0))
    largest = max((row[0] for row in snapshot.passages), default=0)
    if "next_passage_id" in bad or int(meta["next_passage_id"]) <= largest:
        changed["next_passage_id"] = str(largest + 1)
    if "vector_file" in bad:
        dropped.append("vector_file")
    if "vector_kind" in bad:
        dropped.append("vector_kind")  # then taken as fp32, what every library before the record holds
    if "dimension" in bad:
        dimension = _file_dimension(snapshot.folder, meta) if "vector_file" not in bad else None
        if dimension is None:
            dropped.append("dimension")  # the next ingest records the model's
        else:
            changed["dimension"] = str(dimension)
    with store.transaction(snapshot.db):
        store.set_meta(snapshot.db, changed)
        snapshot.db.executemany("DELETE FROM meta WHERE key = ?", [(key,) for key in dropped])
    done = [f"{key} set to {value}" for key, value in changed.items()] + [f"{key} dropped" for key in dropped]
    return "metadata: " + ", ".join(done)


def _file_dimension(folder: Path, meta: dict[str, str]) -> int | None:
    """The dimension of the vectors in the library's own vector file, None without one."""
    try:
        return VectorIndex.load(folder / meta["vector_file"]).dimension
    except (KeyError, VectorIndexError):
        return None


def rebuild_vectors(snapshot: Snapshot, repairing: Repairing) -> str:
    """Keep every vector of a file that is the library's own, drop those without a passage
    (or repeated), embed the missing ones from the stored text, and publish the result as a
    new generation. Passages of damaged text keep the vector they have, and are never
    embedded from it: their document is to be ingested again."""
    library = repairing.library
    verify_model(snapshot.meta, snapshot.folder)
    dimension = snapshot.dimension or library.encoder.dimension
    if library.encoder.dimension != dimension:
        raise LibraryError(f"cannot re-embed: the model {library.encoder.name!r} makes "
                           f"{library.encoder.dimension}-dimensional vectors, the library holds {dimension}")
    index = snapshot.vectors
    if index is None or foreign_vectors(index, snapshot.meta["vector_file"]):
        index = VectorIndex(dimension)  # nothing in a file of another generation is vouched for
    stored, counts = np.unique(index.ids(), return_counts=True)
    passages = {row[0] for row in snapshot.passages}
    drop = sorted(set(stored.tolist()) - passages | set(stored[counts > 1].tolist()))
    index.remove(drop)
    trusted = {row[0] for row in snapshot.passages if snapshot.trusted_text(row[1]) is not None}
    missing = sorted(trusted - set(index.ids().tolist()))
    texts = store.contextual_texts(snapshot.db, missing)
    index.add(missing, library.encoder.encode([texts[i] for i in missing]))
    generation = library.writer.replace_vectors(index)
    return (f"vectors: re-embedded {len(missing)} passages, dropped {len(drop)} vectors, "
            f"wrote generation {generation}")


def rebuild_lexical_index(snapshot: Snapshot, repairing: Repairing) -> str:
    """The lexical rows are a pure function of the stored text: rebuild them all from the
    text that is trusted."""
    with store.transaction(snapshot.db):
        rows = schema.rebuild_lexical_index(snapshot.db, skip_documents=set(snapshot.text_damage))
    return f"lexical index: rebuilt {rows} rows from the stored text"


def rederive_sentences(snapshot: Snapshot, repairing: Repairing) -> str:
    """Sentence offsets are pysbd's reading of the passage's trusted text: read it again.
    The passage's stored sentence vectors go with them (`ask` embeds its sentences)."""
    ids = damaged_sentences(snapshot)
    rows = {row[0]: row for row in snapshot.passages}
    with store.transaction(snapshot.db):
        for pid in ids:
            _, document_id, _, start, end, _ = rows[pid]
            spans = sentences_in(snapshot.texts[document_id], start, end)
            # The passage's stored sentence vectors no longer fit the new spans: dropped.
            snapshot.db.execute("UPDATE passages SET sentences = ?, sentence_vectors = NULL WHERE id = ?",
                                (json.dumps([list(span) for span in spans]), pid))
    return f"sentence offsets: derived again from the stored text for {len(ids)} passages"


def sentences_in(text: str, start: int, end: int) -> list[tuple[int, int, int]]:
    """(start, end, paragraph) of the sentences of `text[start:end]`: each paragraph it
    overlaps read as ingest reads it, cut to the passage, whitespace trimmed."""
    spans, paragraph_start = [], 0
    for number, paragraph in enumerate(text.split(PARAGRAPH_SEPARATOR), 1):
        paragraph_end = paragraph_start + len(paragraph)
        if paragraph_start < end and start < paragraph_end:
            for s_start, s_end in sentence_spans(paragraph, paragraph_start):
                s_start, s_end = max(s_start, start), min(s_end, end)
                while s_start < s_end and text[s_start].isspace():
                    s_start += 1
                while s_end > s_start and text[s_end - 1].isspace():
                    s_end -= 1
                if s_end > s_start:
                    spans.append((s_start, s_end, number))
        paragraph_start = paragraph_end + len(PARAGRAPH_SEPARATOR)
    return spans


def forget_sentence_vectors(snapshot: Snapshot, repairing: Repairing) -> str:
    """Sentence vectors are an optimisation: without them `ask` embeds the sentences."""
    bad = snapshot.malformed_sentence_vectors()
    with store.transaction(snapshot.db):
        snapshot.db.executemany("UPDATE passages SET sentence_vectors = NULL WHERE id = ?", [(i,) for i in bad])
    return f"sentence vectors: cleared {len(bad)} malformed rows (their sentences are embedded when asked)"


def delete_unused_files(snapshot: Snapshot, repairing: Repairing) -> str:
    paths = leftover_files(snapshot.folder, snapshot.meta.get("vector_file"))
    for path in paths:
        path.unlink(missing_ok=True)
    return f"leftover files: deleted {', '.join(path.name for path in paths)}"
