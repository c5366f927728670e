"""What an answerer needs beyond the hits, read from the library once per question.

Given a search run, reads each hit's sentence vectors (stored at ingest, or embedded now for
passages stored before libraries kept them, and remembered), the question's term weights and
how many passages hold each term, and each cited document's short forms with their long
forms and the one names of its people with their full names (read at ingest; for documents
stored without them, read now and remembered per document text, for the documents asked
about most recently). Does not choose or score evidence (`rag.answers`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from rag import bm25_postings, document_definitions, lexical, store, vector_blob
from rag.answerer import Retrieved
from rag.results import Hit
from rag.search import SearchRun
from rag.sentence_cache import SentenceVectorCache

# Documents stored without definitions read at ingest (before schema 9, or by another version
# of `rag.document_definitions`) whose short forms and full names are remembered once read
# here. Reading them costs ~3 ms per document of 10 paragraphs (most of it finding full
# names); keyed by the text's checksum, so a changed document is read again and a new
# generation that leaves a document as it was keeps what was read of it. Bounded: a server
# answering over an archive asks about more documents than it should hold.
DEFINITIONS_KEPT = 4096


class EvidenceReader:
    """One library's reader of evidence. The dimension is asked for at each read (a
    callable), as the library's encoder loads lazily."""

    def __init__(self, connection: sqlite3.Connection, encode: Callable[[Sequence[str]], np.ndarray],
                 dimension: Callable[[], int], definitions_kept: int = DEFINITIONS_KEPT):
        self._db = connection
        self._dimension = dimension
        self._embedded_sentences = SentenceVectorCache(encode)
        # (document id, text checksum) -> its definitions, least recently asked first
        self._definitions: OrderedDict[tuple[str, str], dict[str, str]] = OrderedDict()
        self._definitions_kept = definitions_kept
        self._definitions_lock = threading.Lock()  # searches run in several threads

    def read(self, question: str, run: SearchRun) -> Retrieved:
        hits = run.hits
        passage_counts = bm25_postings.term_passage_counts(self._db, lexical.question_terms(question), run.postings)
        adjacent, context = self.adjacent(hits)
        return Retrieved(
            hits=hits, cosines=run.cosines(hits), sentence_vectors=self.sentence_vectors(hits),
            term_weights=bm25_postings.evidence_weights(self._db, passage_counts), passage_counts=passage_counts,
            definitions=self.definitions({h.passage.document_id for h in hits}),  # context: the same documents
            adjacent=adjacent, context_hits=context,
            context_cosines=run.cosines(context) if context and run.query.vector is not None else [0.0] * len(context),
            context_sentence_vectors=self.sentence_vectors(context))

    def adjacent(self, hits: list[Hit]) -> tuple[dict[int, tuple[int | None, int | None]], list[Hit]]:
        """Each hit's neighbours in its document, and those that are no hit as hits of the rank
        of the (first) hit they adjoin, so a sentence read from them is ranked as its context."""
        ids = [h.passage.id for h in hits]
        adjacent = store.adjacent_passage_ids(self._db, ids)
        rank_of: dict[int, int] = {}
        for hit in hits:
            for neighbour in adjacent.get(hit.passage.id, ()):
                if neighbour is not None and neighbour not in adjacent:
                    rank_of.setdefault(neighbour, hit.rank)
        passages = store.get_passages(self._db, rank_of)
        return adjacent, [Hit(rank, 0.0, passages[i]) for i, rank in rank_of.items() if i in passages]

    def definitions(self, document_ids: set[str]) -> dict[str, dict[str, str]]:
        """Each document's short forms' long forms ("SCO" -> "Shanghai Cooperation Organization"),
        a person's one name as their full name among them ("Dong" -> "Dong Jun"); a short form
        the document defines wins over a name."""
        stored = store.stored_definitions(self._db, document_ids)
        found = {}
        for document_id in document_ids:
            digest, kept = stored.get(document_id, ("", ""))
            known = document_definitions.decoded(kept)
            if known is not None:  # read at ingest: the usual case
                found[document_id] = known
                continue
            key = (document_id, digest)
            with self._definitions_lock:
                known = self._definitions.get(key)
                if known is not None:
                    self._definitions.move_to_end(key)
            if known is None:
                text = store.get_document(self._db, document_id).text  # an unknown id raises here
                known = document_definitions.read(text)
                with self._definitions_lock:
                    self._definitions[key] = known
                    while len(self._definitions) > self._definitions_kept:
                        self._definitions.popitem(last=False)
            found[document_id] = known
        return found

    def sentence_vectors(self, hits: list[Hit]) -> list[np.ndarray]:
        """Each hit's sentence vectors: stored at ingest, or (for passages stored before
        libraries kept them) embedded now and remembered for the next question."""
        if not hits:
            return []
        blobs = store.sentence_vector_blobs(self._db, [h.passage.id for h in hits])
        dimension = self._dimension()
        return [
            vector_blob.unpack(blobs[h.passage.id], dimension) if blobs.get(h.passage.id) is not None
            else self._embedded_sentences([h.passage.sentence_text(span) for span in h.passage.sentences])
            for h in hits
        ]
