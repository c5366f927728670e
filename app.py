"""The Streamlit UI: ask questions, read the cited evidence, manage the library.

A thin shell over `rag`: widgets, layout and caching only. Run with scripts/start.sh.
"""

from __future__ import annotations

import datetime

import streamlit as st

from rag import ChatModel, Library, RagError, SearchFilters
from rag.conversations import ConversationStore, is_conversation_id, new_conversation_id
from rag.export import conversation_markdown
from rag.follow_ups import read_as, read_in_context
from rag.library_page import document_table, documents_per_period, find
from rag.page_style import style, theme_link_colours
from rag.readers import LISTED_SUFFIXES, SUPPORTED_SUFFIXES
from rag.search import MODE_LABELS, SCORE_LABELS, SEARCH_MODES
from rag.render import (ANSWERING, REMOVED_DOCUMENT, answer_html, card_html, confidence_html, document_page,
                        document_row_html, draft_html, group_citations, library_stats_html, passage_html,
                        reader_html, written_html)
from rag.samples import FirstRun, suggested_questions
from rag.settings import Settings

st.set_page_config(page_title="Ask the library", page_icon="📰", layout="wide")


@st.cache_resource(show_spinner="Opening the library…")
def open_library(path: str, read_only: bool, backend: str, language_model: ChatModel | None) -> tuple[Library, FirstRun]:
    fresh = not Library.exists(path)
    library = Library.open(path, read_only=read_only, backend=backend, language_model=language_model)
    return library, FirstRun(library, needed=fresh and not read_only)


def progress_bar(label: str):
    bar = st.progress(0.0, text=label)
    return bar, lambda stage, done, total: bar.progress(done / max(total, 1), text=f"{label}: {stage} {done}/{total}")


try:
    settings = Settings.from_env()
    page_style = style(theme_link_colours(st.get_option))
    library, first_run = open_library(settings.library, settings.read_only, settings.encoder_backend,
                                      settings.language_model)
    if first_run.needed:
        bar, on_progress = progress_bar("Building the library from the sample articles")
        report = first_run.run(on_progress)
        bar.empty()  # a finished bar would stay above the title until the next rerun
        if report is not None:  # None: another session built it meanwhile
            st.toast(f"Sample articles ingested: {report.summary()}")
except RagError as error:
    st.error(str(error))
    st.stop()

st.html(page_style)
# the conversation id lives in the page address, so a reload (a new session) finds it again;
# a different browser, or the address without it, starts an empty conversation
conversations = ConversationStore(settings.conversations, keep_days=settings.conversations_keep_days)


@st.cache_resource(show_spinner=False)
def delete_expired_conversations(folder: str, keep_days: int) -> None:
    """Once per server start (each save deletes them too)."""
    ConversationStore(folder, keep_days=keep_days).delete_expired()


try:
    delete_expired_conversations(settings.conversations, settings.conversations_keep_days)
except RagError as error:
    st.warning(str(error))
conversation_id = st.query_params.get("conversation")
if not is_conversation_id(conversation_id):
    conversation_id = st.query_params["conversation"] = new_conversation_id()
if "history" not in st.session_state:
    try:
        st.session_state["history"] = conversations.load(conversation_id)
    except RagError as error:
        st.warning(str(error))
        st.session_state["history"] = []
history = st.session_state["history"]


def save_conversation() -> None:
    try:
        # statements, not a conditional expression: Streamlit's magic would write its None on the page
        if history:
            conversations.save(conversation_id, history)
        else:
            conversations.clear(conversation_id)
    except RagError as error:
        st.warning(str(error))


def ask_to_remove(document_id: str) -> None:
    st.session_state["pending-removal"] = document_id


def cancel_removal() -> None:
    st.session_state.pop("pending-removal", None)


@st.dialog("Remove this document?", on_dismiss=cancel_removal)
def confirm_removal(doc) -> None:
    st.html(document_row_html(doc))
    st.write("It leaves the library and is no longer searched. Earlier answers keep their quotes "
             "and mark it as removed. To bring it back, upload the file again.")
    with st.container(horizontal=True):  # one row at every width (st.columns stack on a phone)
        remove = st.button("Remove", key="confirm-remove", type="primary")
        cancel = st.button("Cancel", key="cancel-remove")
    if remove:
        try:
            library.remove(doc.id)
        except RagError as error:
            st.error(str(error))
            return
        cancel_removal()
        st.toast(f"Removed {doc.display_title}")
        st.rerun()
    if cancel:
        cancel_removal()
        st.rerun()


# -- sidebar: library, uploads, settings ---------------------------------------------------
with st.sidebar:
    st.header("Library")
    st.html(library_stats_html(library.stats(), read_only=library.read_only))
    if not library.read_only:  # a replica serves; its writer adds and removes
        st.subheader("Add documents")
        # a new key after each add gives an empty uploader: the added files leave it
        upload_round = st.session_state.setdefault("upload-round", 0)
        uploaded = st.file_uploader(
            f"Upload {' '.join(LISTED_SUFFIXES)} (up to {settings.max_upload_mb} MB each)",
            type=[suffix.lstrip(".") for suffix in SUPPORTED_SUFFIXES], accept_multiple_files=True,
            key=f"upload-{upload_round}",
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
            st.session_state["upload-round"] = upload_round + 1
            st.rerun()
        for outcome, detail, name in st.session_state.get("upload_results", []):
            show = {"added": st.success, "updated": st.success, "unchanged": st.info, "failed": st.error}[outcome]
            show(f"{name}: {outcome} — {detail}")

    st.subheader("Documents")
    documents = library.documents()
    for doc in documents:
        st.html(document_row_html(doc))
        if not library.read_only:
            st.button("Remove", key=f"remove-{doc.id}", type="tertiary", help=f"Remove {doc.id} from the library",
                      on_click=ask_to_remove, args=(doc.id,))
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


    st.header("Settings")
    k = st.slider("Passages to retrieve", 1, 20, settings.k, key="k")
    mode = st.selectbox("Search by", SEARCH_MODES, format_func=MODE_LABELS.get, key="mode")
    write = False
    if settings.language_model:  # offered only when a model is configured (RAG_LLM_URL, RAG_LLM_MODEL)
        write = st.toggle(f"Write answers with {settings.language_model.model}", key="write",
                          help="Your language model writes the answer from the retrieved passages; a sentence "
                               "is shown only when the passage it cites states it")
    titles = {doc.id: doc.display_title for doc in documents}
    chosen = st.multiselect("Only these documents", list(titles), format_func=titles.get, key="filter-documents")
    earliest = datetime.date(1900, 1, 1)  # Streamlit's default allows only the last ten years
    date_from = st.date_input("Published from", value=None, min_value=earliest, key="filter-from")
    date_to = st.date_input("Published until", value=None, min_value=earliest, key="filter-to")
    present = {doc.id for doc in documents}
    removed = frozenset(c.document_id for _, answer in history for c in answer.citations) - present
    st.download_button("Export conversation (Markdown)", conversation_markdown(history, removed=removed),
                       file_name="conversation.md", mime="text/markdown", key="export", on_click="ignore",
                       disabled=not history, help="The questions and answers, with numbered references")
    if st.button("Clear conversation", key="clear-history", disabled=not history):
        history.clear()
        st.session_state.pop("opened-documents", None)  # a new conversation's q0 opens nothing
        save_conversation()
        st.rerun()

pending = next((doc for doc in documents if doc.id == st.session_state.get("pending-removal")), None)
if pending is not None:
    confirm_removal(pending)

# -- main: the Library page, or the conversation ---------------------------------------------
view = st.radio("View", ["Ask", "Library"], horizontal=True, key="view", label_visibility="collapsed")


def library_page() -> None:
    st.title("Library")
    if not documents:
        st.info("The library holds no documents yet; add some in the sidebar.")
        return
    unit, counts = documents_per_period(documents)
    undated = sum(doc.published is None for doc in documents)
    st.caption(f"Documents per {unit}" + (f" (not counted: {undated} without a date)" if undated else ""))
    if counts:
        st.bar_chart({"documents": counts}, x_label=unit, y_label="documents", height=220)
    st.dataframe(document_table(documents), hide_index=True, key="document-table")
    st.subheader("Read a document")
    chosen_id = st.selectbox("Document", [doc.id for doc in documents], format_func=titles.get, key="reader-document")
    word = st.text_input("Find in this document", key="reader-find", placeholder="a word or phrase")
    try:
        document = library.document(chosen_id)
    except RagError as error:
        st.error(str(error))
        return
    found = find(document.text, word)
    if word.strip():
        st.caption(f"{len(found)} match{'es' if len(found) != 1 else ''} for “{word.strip()}”")
    st.caption(f"{document.published or 'date unknown'} · {document.source}")
    with st.container(height=520, key="reader"):
        st.html(reader_html(document.text, found))


if view == "Library":
    library_page()
    st.stop()

st.title("Ask the library")
st.caption("Every sentence of a written answer is checked against the passage it cites; click [n] to see where."
           if write else "Every sentence of an answer is quoted from a document; click [n] to see where.")


opened = st.session_state.setdefault("opened-documents", {})  # "Open document" toggle key -> on


def show_answer(turn: int, answer) -> None:
    prefix = f"q{turn}"
    if answer.written and not answer.written.shown:  # before the quoted answer it replaces
        st.html(written_html(answer.written))
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
    if answer.written and answer.written.shown:
        st.html(written_html(answer.written))
    st.html(confidence_html(answer))
    for group in group_citations(answer):
        first = group[0]
        gone = first.document_id not in present
        st.html(card_html(group, prefix, removed=gone))
        # Each toggle's last value is its default: the browser forgets the state of widgets a
        # run does not show (the Library page shows none) and brings them back at their default.
        key = f"open-{prefix}-{first.n}"
        opened[key] = st.toggle("Open document", key=key, value=opened.get(key, False))
        if opened[key]:
            if gone:
                st.info(REMOVED_DOCUMENT)
                continue
            try:
                document = library.document(first.document_id)
                st.iframe(document_page(document, first.start, first.end), height=420)
            except RagError as error:
                st.error(str(error))


def show_question(question: str, searched: str) -> None:
    st.text(question)
    if shown := read_as(question, searched):  # a follow-up, read with the question before
        st.caption(f"read as: {shown}")


for turn, (question, answer) in enumerate(history):
    with st.chat_message("user"):
        show_question(question, answer.question)
    with st.chat_message("assistant"):
        show_answer(turn, answer)

question = st.chat_input("Ask a question about your documents", key="question") or st.session_state.pop("example", None)
# an empty slot replaces the suggestions the moment a question is asked, not when its answer
# is ready (an empty container would leave its old buttons on screen until then)
suggestions = st.empty()
examples = () if history or question else suggested_questions(documents)
if examples:
    with suggestions.container():
        st.caption("Try one of these:")
        for i, example in enumerate(examples):
            st.button(example, key=f"example-{i}", icon=":material/search:",
                      on_click=st.session_state.__setitem__, args=("example", example))
if question:
    # the question and a status are shown at once; the answer replaces the status when ready
    searched = read_in_context(question, history[-1][1].question if history else None)
    with st.chat_message("user"):
        show_question(question, searched)
    with st.chat_message("assistant"):
        waiting = st.empty()  # st.spinner would show only after half a second
        waiting.status(ANSWERING, state="running")
        try:
            filters = SearchFilters(
                documents=tuple(chosen) or None,
                published_from=date_from.isoformat() if isinstance(date_from, datetime.date) else None,
                published_to=date_to.isoformat() if isinstance(date_to, datetime.date) else None,
            )
            draft: list[str] = []

            def show_draft(text: str) -> None:
                draft.append(text)
                waiting.html(draft_html("".join(draft)))

            answer = library.ask(searched, k=k, filters=filters, mode=mode, write=write, on_text=show_draft)
        except RagError as error:
            waiting.empty()
            st.error(str(error))
        else:
            waiting.empty()
            history.append((question, answer))
            save_conversation()
            show_answer(len(history) - 1, answer)
