"""The sentence-vector cache: same vectors as the encoder, each text embedded once while
it stays among the most recently used."""

import numpy as np

from rag.sentence_cache import SentenceVectorCache


def test_cached_vectors_equal_fresh_ones_and_the_oldest_are_evicted(tiny_encoder):
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return tiny_encoder.encode(texts)

    cache = SentenceVectorCache(encode, max_entries=2)
    texts = ["Warships docked at Bandar Abbas.", "The training lasted four days."]
    assert np.allclose(cache(texts + texts[:1]), tiny_encoder.encode(texts + texts[:1]))
    assert calls == [texts]  # a repeated text in one call is embedded once
    cache(texts)
    assert len(calls) == 1  # both remembered
    cache(["Oil imports rose in June."])  # evicts the least recently used text
    cache([texts[1]])
    assert len(calls) == 2
    cache([texts[0]])
    assert calls[-1] == [texts[0]]
