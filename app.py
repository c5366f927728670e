"""The Streamlit UI: ask questions, read the cited evidence, manage the library.

A thin shell over `rag`: widgets, layout and caching only. Run with scripts/start.sh.
"""

from __future__ import annotations

import datetime

import streamlit as st
import streamlit.components.v1 as components

from rag import Library, RagError, SearchFilters
from rag.readers import LISTED_SUFFIXES, SUPPORTED_SUFFIXES
from rag.search import MODE_LABELS, SCORE_LABELS, SEARCH_MODES
from rag.render import STYLE, answer_html, card_html, confidence_html, document_page, document_row_html, group_citations, passage_html
from rag.samples import FirstRun
from rag.settings import Settings

st.set_page_config(page_title="Ask the library", page_icon="📰", layout="wide")


@st.cache_resource(show_spinner="Opening the library…")
def open_library(path: str, read_only: bool) -> tuple[Library, FirstRun]:
    fresh = not Library.exists(path)
    library = Library.open(path, read_only=read_only)
    return library, FirstRun(library, needed=fresh and not read_only)


def progress_bar(label: str):
    bar = st.progress(0.0, text=label)
    return lambda stage, done, total: bar.progress(done / max(total, 1), text=f"{label}: {stage} {done}/{total}")


try:
    settings = Settings.from_env()
    library, first_run = open_library(settings.library, settings.read_only)
    if first_run.needed:
        report = first_run.run(progress_bar("Building the library from the sample articles"))
        if report is not None:  # None: another session built it meanwhile
            st.toast(f"Sample articles ingested: {report.summary()}")
except RagError as error:
    st.error(str(error))
    st.stop()

st.html(STYLE)
history = st.session_state.setdefault("history", [])

# -- sidebar: library, uploads, settings ---------------------------------------------------
with st.sidebar:
    st.header("Library")
    stats = library.stats()
    st.caption(f"{stats.documents} documents · {stats.passages} passages · model `{stats.model}`"
               + (" · read-only replica" if library.read_only else ""))
    documents = library.documents()
    for doc in documents:
        st.html(document_row_html(doc))
        if not library.read_only and st.button("Remove", key=f"remove-{doc.id}", type="tertiary", help=f"Remove {doc.id} from the library"):
            try:
                library.remove(doc.id)
                st.toast(f"Removed {doc.display_title}")
            except RagError as error:
                st.error(str(error))
            st.rerun()
        if not library.read_only:
            with st.expander("Edit title and date"):
                title = st.text_input("Title", value=doc.title, key=f"edit-title-{doc.id}")
                published = st.text_input("Published (YYYY-MM-DD, empty if unknown)", value=doc.published or "",
                                          key=f"edit-published-{doc.id}")
                if st.button("Save", key=f"edit-save-{doc.id}"):
                    try:
                        library.edit_document(doc.id, title=title, published=published)
                    except RagError as error:
                        st.error(str(error))
                    else:
                        st.toast(f"Saved {title or doc.id}")
                        st.rerun()

    if not library.read_only:  # a replica serves; its writer adds and removes
        st.subheader("Add documents")
        uploaded = st.file_uploader(
            f"Upload {' '.join(LISTED_SUFFIXES)} (up to {settings.max_upload_mb} MB each)",
            type=[suffix.lstrip(".") for suffix in SUPPORTED_SUFFIXES], accept_multiple_files=True, key="upload",
        )
        if st.button("Add to library", key="upload-add", disabled=not uploaded):
            results = st.session_state["upload_results"] = []
            bar = st.progress(0.0, text="Adding files")
            for i, file in enumerate(uploaded, 1):
                try:
                    report = library.add_upload(file.name, file.getvalue(), max_bytes=settings.max_upload_bytes)
                    results.append((*report.outcome(), file.name))
                except RagError as error:
                    results.append(("failed", str(error), file.name))
                bar.progress(i / len(uploaded), text=f"Added {i}/{len(uploaded)} files")
            st.rerun()
        for outcome, detail, name in st.session_state.get("upload_results", []):
            show = {"added": st.success, "updated": st.success, "unchanged": st.info, "failed": st.error}[outcome]
            show(f"{name}: {outcome} — {detail}")

    st.header("Settings")
    k = st.slider("Passages to retrieve", 1, 20, settings.k, key="k")
    mode = st.selectbox("Search by", SEARCH_MODES, format_func=MODE_LABELS.get, key="mode")
    titles = {doc.id: doc.display_title for doc in documents}
    chosen = st.multiselect("Only these documents", list(titles), format_func=titles.get, key="filter-documents")
    earliest = datetime.date(1900, 1, 1)  # Streamlit's default allows only the last ten years
    date_from = st.date_input("Published from", value=None, min_value=earliest, key="filter-from")
    date_to = st.date_input("Published until", value=None, min_value=earliest, key="filter-to")
    if st.button("Clear conversation", key="clear-history", disabled=not history):
        history.clear()
        st.rerun()

# -- main: the conversation -----------------------------------------------------------------
st.title("Ask the library")
st.caption("Every sentence of an answer is quoted from a document; click [n] to see where.")


def show_answer(turn: int, answer) -> None:
    prefix = f"q{turn}"
    if answer.abstained:
        st.warning(answer.text)
        st.html(confidence_html(answer))
        if answer.nearest:
            st.html('<div class="nearest-note">Nearest passages — these do not answer the question:</div>')
            for hit in answer.nearest[:3]:
                p = hit.passage
                st.caption(f"{p.display_title} · {p.published or 'date unknown'} · paragraph {p.paragraph}"
                           f" · {SCORE_LABELS[mode]} {hit.score:.2f}")
                st.html(passage_html(p.text))
        return
    st.html(answer_html(answer, prefix))
    st.html(confidence_html(answer))
    for group in group_citations(answer):
        first = group[0]
        st.html(card_html(group, prefix))
        if st.toggle("Open document", key=f"open-{prefix}-{first.n}"):
            try:
                document = library.document(first.document_id)
                components.html(document_page(document, first.start, first.end), height=420, scrolling=True)
            except RagError as error:
                st.error(str(error))


for turn, (question, answer) in enumerate(history):
    with st.chat_message("user"):
        st.text(question)
    with st.chat_message("assistant"):
        show_answer(turn, answer)

question = st.chat_input("Ask a question about your documents", key="question")
if question:
    try:
        filters = SearchFilters(
            documents=tuple(chosen) or None,
            published_from=date_from.isoformat() if isinstance(date_from, datetime.date) else None,
            published_to=date_to.isoformat() if isinstance(date_to, datetime.date) else None,
        )
        answer = library.ask(question, k=k, filters=filters, mode=mode)
    except RagError as error:
        st.error(str(error))
    else:
        history.append((question, answer))
        with st.chat_message("user"):
            st.text(question)
        with st.chat_message("assistant"):
            show_answer(len(history) - 1, answer)
