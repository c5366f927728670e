"""No text lost at ingest, and nothing around an article cited as its evidence (issue 17).

Through `Library.add_texts` / `Library.add` and `Library.ask` with the tiny static model: a
one-line text is stored and answerable; a document without a title has title "" and nothing
of its source in what is embedded or indexed; each dateline form gives the date and is never
cited; bylines, captions and photo credits are never cited.
"""

import pytest

from rag import TextRecord
from rag.passages import in_context
from rag.results import display_title

RAAB = "Some early reports said Cyprus, but Raab was in fact in a five-star resort in Crete"
BODY = ("The harbour authority reopened the northern quay on Monday after a week of strikes "
        "by the dock workers, and the first ferry left for the islands at noon.")
QUESTION = "When did the harbour authority reopen the northern quay after the dock workers' strikes?"


def test_a_one_line_text_is_stored_and_answerable(tiny_library):
    report = tiny_library.add_texts([TextRecord(source="a", text=RAAB)])
    assert report.failed == () and len(report.added) == 1
    document = tiny_library.document(report.added[0])
    assert (document.title, document.text) == ("", RAAB)
    answer = tiny_library.ask("Where was Raab in fact, in a resort in Crete or in Cyprus?")
    assert not answer.abstained
    assert answer.citations[0].evidence == RAAB
    assert document.text[answer.citations[0].evidence_start:answer.citations[0].evidence_end] == RAAB


def test_a_record_without_title_is_untitled_and_its_source_is_not_indexed(tiny_library, tiny_encoder):
    tiny_library.add_texts([TextRecord(source="zebrafish/4711", text=BODY)])
    document = tiny_library.documents()[0]
    assert document.title == ""
    assert display_title(document.title, document.source) == "(no title) zebrafish/4711"
    assert tiny_library.search("zebrafish", k=3, mode="lexical") == []
    (passage,) = tiny_library.passages(document.id)
    assert passage.title == "" and in_context(passage.title, passage.text) == BODY
    # the vector is the passage's own text's, with no source or title before it
    assert float(tiny_library.search(BODY, k=1, mode="dense")[0].score) == pytest.approx(
        float(tiny_encoder.encode([BODY])[0] @ tiny_encoder.encode_query(BODY)), abs=1e-5)


def test_a_file_without_headline_has_no_title_and_its_name_is_not_indexed(tiny_library, tmp_path):
    path = tmp_path / "quokka_notes.txt"
    path.write_text(BODY + "\n\nThe second ferry left in the evening with two hundred passengers.", encoding="utf-8")
    report = tiny_library.add([path])
    document = tiny_library.document(report.added[0])
    assert document.title == ""
    assert display_title(document.title, document.source) == "(no title) quokka_notes.txt"
    assert tiny_library.search("quokka notes", k=3, mode="lexical") == []


@pytest.mark.parametrize("dateline, iso", [
    ("Orlavia Herald, 4 March 2025", "2025-03-04"),
    ("Orlavia Daily, 12 March 2025", "2025-03-12"),
    ("Reuters, June 26, 2025", "2025-06-26"),
    ("Outlet | June 26, 2025", "2025-06-26"),
    ("By Jane Doe | Reuters | June 26, 2025", "2025-06-26"),
    ("Updated 3:45 PM EDT, Mon July 8, 2024", "2024-07-08"),
    ("Thursday, June 26, 2025", "2025-06-26"),
])
def test_a_dateline_gives_the_date_and_is_never_cited(tiny_library, dateline, iso):
    report = tiny_library.add_texts([TextRecord(source="port", text=f"{dateline}\n\n{BODY}")])
    document = tiny_library.document(report.added[0])
    assert document.published == iso
    assert document.text == BODY
    # a question the library cannot answer, worded like the dateline, still never cites it
    for question in (QUESTION, f"What did {dateline} report about the election?"):
        answer = tiny_library.ask(question)
        assert all(c.evidence in BODY for c in answer.citations)
    assert tiny_library.ask(QUESTION).citations[0].evidence == BODY


def test_a_wire_dateline_is_stored_but_never_cited(tiny_library):
    lead = "WASHINGTON, June 26, 2025 (Reuters) - "
    text = (f"Harbour strike ends\n\n{lead}{BODY}\n\n"
            "Officials said the southern quay would reopen later in the week if the talks held.")
    report = tiny_library.add_texts([TextRecord(source="wire", text=text)])
    document = tiny_library.document(report.added[0])
    assert document.published == "2025-06-26"
    assert document.text.startswith(lead + BODY)  # the stored text is what the article says
    for question in (QUESTION, "What did Reuters report from Washington on June 26?"):
        answer = tiny_library.ask(question)
        for citation in answer.citations:
            assert document.text[citation.evidence_start:citation.evidence_end] == citation.evidence
            assert citation.evidence_start >= len(lead) and "Reuters" not in citation.evidence
    assert tiny_library.ask(QUESTION).citations[0].evidence == BODY
    assert all(p.start >= len(lead) for p in tiny_library.passages(document.id))


def test_bylines_captions_and_credits_are_never_cited(tiny_library):
    text = "\n\n".join([
        "Harbour strike ends",
        "By Jane Doe | Reuters",
        "Dock workers wave flags on the northern quay on Monday. Peter Parks/AFP/Getty Images",
        "Photo: A ferry leaves the harbour for the islands.",
        BODY,
        "The agreement was first reported by Reuters, which published a photo of the signing.",
        "Jane Doe, Reuters",
    ])
    tiny_library.add_texts([TextRecord(source="strike", text=text)])
    document = tiny_library.documents()[0]
    stored = tiny_library.document(document.id).text
    assert stored == BODY + "\n\nThe agreement was first reported by Reuters, which published a photo of the signing."
    for question in ("Who took the photo of dock workers waving flags, Peter Parks for AFP Getty Images?",
                     "Who wrote the article, Jane Doe of Reuters?", "Where did the ferry leave for?"):
        answer = tiny_library.ask(question)
        for citation in answer.citations:
            assert citation.evidence in stored
            assert not any(word in citation.evidence for word in ("Getty", "Jane Doe", "Photo:"))
    assert tiny_library.ask("Who reported the agreement first?").citations[0].evidence.startswith(
        "The agreement was first reported by Reuters")


def test_a_wire_story_as_pasted_keeps_only_the_story(tiny_library):
    """A Reuters page copied whole: byline, an "Updated" line with the day of the week, the
    wire dateline, a photo caption, a newsletter pitch, the credits and the agency's
    standards line. Only the story is stored, the "Updated" line gives the date, and no
    citation quotes the dateline."""
    lead = "MANILA, July 8 (Reuters) - "
    story = ("Japan and the Philippines signed a reciprocal access agreement on Monday that will allow "
             "the deployment of troops on each other's soil.")
    quote = '"This is a landmark agreement," Teodoro told reporters. He said the deal would ease joint exercises.'
    text = "\n\n".join([
        "Japan and Philippines sign defence pact",
        "By Kiyoshi Takenaka and Karen Lema",
        "Updated 3:45 PM EDT, Mon July 8, 2024",
        lead + story,
        "Photo: Japanese Foreign Minister Yoko Kamikawa shakes hands with President Marcos. REUTERS/Eloisa Lopez",
        quote,
        "Sign up here for our daily newsletter.",
        "Reporting by Kiyoshi Takenaka in Tokyo and Karen Lema in Manila; Editing by Lincoln Feast",
        "Our Standards: The Thomson Reuters Trust Principles.",
    ])
    report = tiny_library.add_texts([TextRecord(source="pact", text=text)])
    document = tiny_library.document(report.added[0])
    assert document.published == "2024-07-08"
    assert document.text == f"{lead}{story}\n\n{quote}"
    for question in ("Who signed the agreement on Monday?", "When was the reciprocal access agreement signed?",
                     "What did Teodoro say?", "How do I sign up for the newsletter?"):
        for citation in tiny_library.ask(question, min_confidence=0).citations:
            assert citation.evidence_start >= len(lead) and "Reuters" not in citation.evidence
            assert document.text[citation.evidence_start:citation.evidence_end] == citation.evidence


def test_the_footers_of_wire_and_cable_pages_are_not_stored(tiny_library):
    """An AP story's "___" rule, contributor line and copyright notice, and a CNN page's
    "Most Read" and "See Full Coverage" links, are page furniture, not the story."""
    story = ("A fast-moving wildfire tore through dry hills in northern California on Friday, forcing "
             "more than 4,000 people to evacuate, fire officials said.")
    text = "\n\n".join([
        "Wildfire forces thousands to flee", "August 3, 2024", f"PARADISE, Calif. (AP) — {story}",
        "___", "Associated Press writer Tom Brown in Sacramento contributed to this report.",
        "Copyright 2024 The Associated Press. All rights reserved. This material may not be published.",
        "Most Read", "See Full Coverage",
    ])
    report = tiny_library.add_texts([TextRecord(source="fire", text=text)])
    document = tiny_library.document(report.added[0])
    assert (document.published, document.text) == ("2024-08-03", f"PARADISE, Calif. (AP) — {story}")
