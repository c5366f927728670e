"""pysbd's patterns compiled once: the same sentences as with plain `re`, without recompiling."""

import re

from rag import pysbd_patterns, sentences

# Abbreviations of several kinds (prepositive, numeric, multi-period, sentence-final), so
# pysbd builds many of its per-abbreviation patterns.
TEXT = (
    "Dr. Smith met Gen. Mattis at 5 p.m. on Jan. 3 in Washington, D.C. and they spoke for "
    "an hour. The U.S. Navy sent No. 7 ship, i.e. the U.S.S. Hope, to St. Louis. Mr. and "
    "Mrs. Jones, Jr. arrived at approx. 9 a.m. Prof. Lee (Ph.D.) said: \"It works.\" Fig. 2 "
    "shows vol. 3, pp. 4-5 etc. Then Sen. Ray left. Is it done? Yes! Co. Ltd. Inc. reported."
)
OTHER = TEXT.replace("Smith", "Brown").replace("Washington", "Boston").replace("hour", "day")


def spans_with(enabled: bool, text: str):
    sentences.sentence_spans("Warm up. The segmenter.")  # imports pysbd
    pysbd_patterns.install(enabled)
    sentences.clear_cache()
    try:
        return sentences.sentence_spans(text)
    finally:
        pysbd_patterns.install(True)


def test_same_sentences_as_with_plain_re():
    for text in (TEXT, OTHER, "x", "No abbreviation here. None at all."):
        assert spans_with(True, text) == spans_with(False, text)


def test_segmenting_again_compiles_no_pattern_again():
    spans_with(True, TEXT)  # the segmenter is set up with the cache, as in every ingest
    sentences.clear_cache()
    before = pysbd_patterns.compiled.cache_info()
    sentences.sentence_spans(OTHER)  # same abbreviations, other sentences
    after = pysbd_patterns.compiled.cache_info()
    hits, misses = after.hits - before.hits, after.misses - before.misses
    # Only the one-off patterns pysbd makes to find each sentence are new.
    assert hits > 20 * misses and misses <= len(sentences.sentence_spans(OTHER))


def test_other_users_of_re_are_untouched():
    spans_with(True, TEXT)
    import pysbd.abbreviation_replacer as replacer

    assert replacer.re is pysbd_patterns.CACHED_RE and re.sub is not pysbd_patterns.CACHED_RE.sub
