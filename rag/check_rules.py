"""The rules a healthy library obeys, each a function from a `Snapshot` to what breaks it.

A rule yields one message per problem, or a (message, document id) pair where the fix is
to ingest that document again; `rag.check` registers the rules and runs them. A document
whose stored text is damaged is reported once, by `texts`: the rules that read text pass
over it rather than report the same damage in other words.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from rag import meta_values, schema, store
from rag.check_snapshot import Snapshot
from rag.generations import foreign_vectors, leftover_files
from rag.passages import PARAGRAPH_SEPARATOR
from rag.writer import model_problem

SHOWN = 5  # ids listed in one message before "and N more"


def listed(ids: list) -> str:
    shown = ", ".join(str(i) for i in ids[:SHOWN])
    return shown + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else "")


def document(snapshot: Snapshot, document_id: str) -> str:
    return f"document {document_id} ({snapshot.sources.get(document_id, 'source unknown')})"


def schema_version(snapshot: Snapshot) -> Iterator[str]:
    state = schema.schema_state(snapshot.meta)
    if state == schema.NOT_A_LIBRARY:
        yield "the database is not a library database (no library format in its metadata)"
    elif state != schema.CURRENT_SCHEMA:
        yield (f"the library uses schema {snapshot.meta.get('schema_version')}, this version "
               f"reads schema {schema.SCHEMA_VERSION}")


def metadata(snapshot: Snapshot) -> Iterator[str]:
    yield from meta_values.problems(snapshot.meta).values()
    largest = max((row[0] for row in snapshot.passages), default=0)
    counter = snapshot.meta.get("next_passage_id", "")
    if counter.isdigit() and int(counter) <= largest:
        yield (f"the next passage id ({counter}) is not past the largest stored one ({largest}), "
               "so the next ingest would collide")


def model(snapshot: Snapshot) -> Iterator[str]:
    if problem := model_problem(snapshot.meta):
        yield problem


def texts(snapshot: Snapshot) -> Iterator[tuple[str, str]]:
    for document_id, damage in sorted(snapshot.text_damage.items()):
        yield f"the stored text of {document(snapshot, document_id)} {damage}", document_id


def vector_file(snapshot: Snapshot) -> Iterator[str]:
    name = snapshot.meta.get("vector_file")
    if name is None:
        if snapshot.passages:
            yield f"{len(snapshot.passages)} passages are stored but no vector file is recorded"
    elif snapshot.vector_error is not None:
        yield f"the vector file {name} cannot be used: {snapshot.vector_error}"
    elif snapshot.vectors is not None and (problem := foreign_vectors(snapshot.vectors, name)):
        yield f"the vector file {name} is not the library's: {problem}"


def passage_vectors(snapshot: Snapshot) -> Iterator[str]:
    if snapshot.vectors is None:
        return  # no usable vector file: `vector file` reports that
    stored, counts = np.unique(snapshot.vectors.ids(), return_counts=True)
    passages = {row[0] for row in snapshot.passages}
    trusted = {row[0] for row in snapshot.passages if row[1] not in snapshot.text_damage}
    if missing := sorted(trusted - set(stored.tolist())):
        yield f"{len(missing)} passages have no vector (passage ids {listed(missing)})"
    if extra := sorted(set(stored.tolist()) - passages):
        yield f"{len(extra)} vectors belong to no passage (ids {listed(extra)})"
    if repeated := stored[counts > 1].tolist():
        yield f"{len(repeated)} passages have more than one vector (passage ids {listed(repeated)})"


def lexical_rows(snapshot: Snapshot) -> Iterator[str]:
    if damage := snapshot.lexical_index_damage():
        yield f"FTS5's integrity-check of the lexical index fails ({damage}), so searches fail"
    # Passages with broken offsets are the `offsets` check's finding, passages of damaged
    # text the `texts` check's; their terms would only repeat it.
    skipped = {pid for pid, document_id, _, start, end, _ in snapshot.passages
               if snapshot.trusted_text(document_id) is None
               or not 0 <= start < end <= len(snapshot.texts[document_id])}
    expected = {pid: terms for pid, terms in store.expected_terms(snapshot.db, set(snapshot.text_damage))
                if pid not in skipped}
    indexed = {pid: terms for pid, terms in store.indexed_terms(snapshot.db).items() if pid not in skipped}
    if missing := sorted(set(expected) - set(indexed)):
        yield f"{len(missing)} passages are missing from the lexical index (passage ids {listed(missing)})"
    if extra := sorted(set(indexed) - set(expected)):
        yield f"{len(extra)} lexical index rows belong to no passage (ids {listed(extra)})"
    if stale := sorted(i for i in expected.keys() & indexed.keys() if expected[i] != indexed[i]):
        yield f"{len(stale)} lexical index rows do not match their passage's text (ids {listed(stale)})"


def damaged_sentences(snapshot: Snapshot) -> list[int]:
    """Passages whose sentence spans are damaged and whose text is trusted to re-derive them."""
    return [pid for pid, document_id, *_ in snapshot.passages
            if snapshot.spans[pid] is None and snapshot.trusted_text(document_id) is not None]


def sentences(snapshot: Snapshot) -> Iterator[str]:
    damaged, by_document = set(damaged_sentences(snapshot)), {}
    for pid, document_id, *_ in snapshot.passages:
        if pid in damaged:
            by_document.setdefault(document_id, []).append(pid)
    for document_id, ids in by_document.items():
        yield (f"{len(ids)} passages of {document(snapshot, document_id)} store damaged sentence offsets "
               f"(passage ids {listed(ids)}), so searches and answers showing them fail")


def sentence_vectors(snapshot: Snapshot) -> Iterator[str]:
    if bad := snapshot.malformed_sentence_vectors():
        yield (f"{len(bad)} passages store sentence vectors that do not fit their sentences "
               f"(passage ids {listed(bad)})")


def offsets(snapshot: Snapshot) -> Iterator[tuple[str, str]]:
    paragraphs = {document_id: text.count(PARAGRAPH_SEPARATOR) + 1 for document_id, text in snapshot.texts.items()}
    for pid, document_id, paragraph, start, end, _ in snapshot.passages:
        text, spans = snapshot.texts.get(document_id), snapshot.spans[pid]
        where = f"passage {pid} of {document(snapshot, document_id)}"
        if document_id in snapshot.text_damage:
            continue  # `texts` names the document
        if text is None:
            yield f"passage {pid} belongs to no stored document ({document_id})", document_id
            continue
        if not (0 <= start < end <= len(text)) or not text[start:end].strip():
            yield (f"{where} has offsets {start}:{end} that do not slice text out of its "
                   f"{len(text)}-character document"), document_id
            continue
        if not 1 <= paragraph <= paragraphs[document_id]:
            yield f"{where} names paragraph {paragraph}, which its document does not have", document_id
        for s_start, s_end, _ in spans or ():
            sentence = text[s_start:s_end]
            if not (start <= s_start < s_end <= end) or not sentence.strip() or sentence != sentence.strip():
                yield (f"{where} has a sentence at {s_start}:{s_end} that is not a sentence inside the "
                       "passage"), document_id
                break


def documents(snapshot: Snapshot) -> Iterator[tuple[str, str]]:
    with_passages = {row[1] for row in snapshot.passages}
    for document_id in sorted(set(snapshot.sources) - with_passages):
        yield f"{document(snapshot, document_id)} has no passages", document_id


def unused_files(snapshot: Snapshot) -> Iterator[str]:
    for path in leftover_files(snapshot.folder, snapshot.meta.get("vector_file")):
        yield f"{path.name} is not used by the library (an interrupted write left it)"
