"""The real thing: `streamlit run` on 127.0.0.1, driven by Playwright in Debian's Chromium.

Screenshots land in tests/artifacts/ (git-ignored) for a human to look at.
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest
from playwright.sync_api import expect, sync_playwright

from rag.evaluation.scripted_llm import ScriptedModelServer
from rag.render import ANSWERING, REMOVED_DOCUMENT, REMOVED_NOTE
from rag.samples import SAMPLE_QUESTIONS
from tests.conftest import DRILLS_QUESTION, REPO

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "tests" / "artifacts"
EVIL_HTML = b"""<html><head><title>Harbour pilots</title><script>window.pwned = 1; alert('head')</script></head>
<body><article><h1>Harbour pilots</h1>
<p>The harbour pilots of Kestrel Bay wrote &lt;script&gt;window.pwned=2&lt;/script&gt; and
&lt;img src=x onerror="window.pwned=3"&gt; on the lighthouse logbook during the storm last night,
the lighthouse keeper told reporters on Monday morning.</p>
<img src=x onerror="window.pwned=4">
<p>The keeper said the storm damaged two buoys and the pilots' launch near the lighthouse.</p>
</article></body></html>"""

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (scripts/setup.sh --browser)")


DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 400, "height": 800}
VIEWPORTS = pytest.mark.parametrize("size", ["desktop", "phone"])
HARBOUR_TXT = (b"Harbour Authority Report\n\nThe harbour master counted forty-two fishing trawlers "
               b"moored at the Kestrel Bay marina during the autumn regatta on Sunday.")


class Server(NamedTuple):
    url: str
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_app(folder: Path, **env_extra):
    """scripts/start.sh's Streamlit run, on a free port, over a library in `folder`."""
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_LIBRARY": str(folder / "library"), **env_extra}
    # Output goes to a file, not a pipe nobody reads: a full pipe would block the server.
    log = open(folder / "streamlit.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(f"streamlit did not start: {(folder / 'streamlit.log').read_text()[-2000:]}")
            time.sleep(0.5)
    yield Server(url, folder / "streamlit.log")
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:  # still busy with a session's work: stop it
        process.kill()
        process.wait()
    log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with streamlit_app(tmp_path_factory.mktemp("ui")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


def open_app(browser, server, size="desktop", *, before_loading=None, scheme="light"):
    """The app in a new page; `scheme` is the colour scheme the browser prefers, which
    Streamlit's default theme follows ("dark": its dark theme)."""
    page = browser.new_page(viewport=DESKTOP if size == "desktop" else PHONE, accept_downloads=True,
                            color_scheme=scheme)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    if before_loading:
        before_loading(page)
    page.goto(server.url)
    # the first visit builds the library from the samples; allow for it
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=180_000)
    expect(page.get_by_text(re.compile(r"^[1-9]\d* documents"))).to_be_attached(timeout=180_000)
    # the finished "embedding n/n" bar does not stay above the title
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    return page, dialogs


def open_sidebar(page):
    """On a phone the sidebar starts collapsed."""
    if page.get_by_test_id("stExpandSidebarButton").is_visible():
        page.get_by_test_id("stExpandSidebarButton").click()
    expect(page.get_by_test_id("stSidebarContent")).to_be_in_viewport()


def ask(page, question):
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")


def test_ask_and_see_highlighted_evidence(server, browser):
    page, dialogs = open_app(browser, server)
    ask(page, DRILLS_QUESTION)
    marker = page.locator("a.cite").first
    expect(marker).to_have_text("[1]", timeout=120_000)
    answer = page.locator(".answer").first
    expect(answer).to_contain_text("Bandar Abbas")
    card = page.locator(".card").filter(has_text="Bandar Abbas")
    expect(card).to_contain_text("paragraph 3")  # the photo caption above is not a paragraph
    expect(card.locator("mark").first).to_contain_text("Bandar Abbas")
    # the 2025 article's drills sentence has its own card, highlighted too
    other = page.locator(".card").filter(has_text="joint naval drills")
    expect(other.locator("mark").first).to_contain_text("joint naval drills")
    page.screenshot(path=str(ARTIFACTS / "answer.png"), full_page=True)

    card_id = card.get_attribute("id")
    page.locator(f'a.cite[href="#{card_id}"]').click()  # the [n] link takes the reader to its card
    expect(card).to_be_in_viewport()

    position = page.locator(".card").evaluate_all("cards => cards.map(c => c.id)").index(card_id)
    page.get_by_text("Open document").nth(position).click()
    frame = page.frame_locator("iframe[title='st.iframe']").first
    cited = frame.locator("mark#cited")
    expect(cited).to_contain_text("Bandar Abbas", timeout=30_000)
    expect(cited).to_be_in_viewport()
    # the viewer is set in the app's font, and its [n] links in the app's link colour
    app_font = page.evaluate("getComputedStyle(document.body).fontFamily")
    expect(frame.locator("body")).to_have_css("font-family", app_font)
    expect(marker).to_have_css("color", markdown_link_colour(page))
    page.screenshot(path=str(ARTIFACTS / "document.png"), full_page=True)
    assert "components.v1" not in server.log.read_text()  # no deprecated API behind it
    assert dialogs == []


def markdown_link_colour(page) -> str:
    """The colour Streamlit gives a link in Markdown (a link put into a caption's container)."""
    return page.evaluate("""() => {
        const link = document.createElement('a'); link.href = '#probe'; link.textContent = 'probe';
        document.querySelector('[data-testid=stCaptionContainer]').appendChild(link);
        const colour = getComputedStyle(link).color; link.remove(); return colour; }""")


def close_sidebar(page):
    """On a phone the open sidebar covers the conversation."""
    if page.viewport_size["width"] < 640 and not page.get_by_test_id("stExpandSidebarButton").is_visible():
        page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
        expect(page.get_by_test_id("stExpandSidebarButton")).to_be_visible()


WATCH_ORDER = """([question, status, example]) => {
    window.seen = {}; let batch = 0;
    new MutationObserver(() => {
        batch += 1;
        const messages = [...document.querySelectorAll('[data-testid=stChatMessage]')];
        if (!('question' in seen) && messages.some(m => m.innerText.includes(question))) seen.question = batch;
        if (!('status' in seen) && document.body.innerText.includes(status)) seen.status = batch;
        if (!('answer' in seen) && document.querySelector('.answer')) seen.answer = batch;
        if (!('suggestions gone' in seen) && !document.body.innerText.includes(example)) seen['suggestions gone'] = batch;
    }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


class HoldAfter:
    """Passes the app's websocket through, but holds every server message after the first
    that contains `marker` until `release()`: the page stays exactly as it was at that moment,
    however fast the server goes on."""

    def __init__(self, marker: str):
        self.marker, self.held, self.holding, self.client = marker.encode(), [], False, None

    def __call__(self, page):
        page.route_web_socket(re.compile(r".*/_stcore/stream"), self.route)

    def route(self, client):
        self.client, server = client, client.connect_to_server()
        client.on_message(server.send)
        server.on_message(self.from_server)

    def from_server(self, message):
        if self.holding:
            self.held.append(message)
            return
        self.client.send(message)
        data = message if isinstance(message, bytes) else message.encode()
        self.holding = self.marker in data

    def release(self):
        self.holding = False
        for message in self.held:
            self.client.send(message)
        self.held.clear()


@VIEWPORTS
def test_question_is_shown_at_once_with_a_status(server, browser, size):
    hold = HoldAfter(ANSWERING)
    page, dialogs = open_app(browser, server, size, before_loading=hold)
    for example in SAMPLE_QUESTIONS:  # an empty page suggests what to ask
        expect(page.get_by_role("button", name=example)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"empty-{size}.png"))
    page.evaluate(WATCH_ORDER, [DRILLS_QUESTION, ANSWERING, SAMPLE_QUESTIONS[0]])
    ask(page, DRILLS_QUESTION)
    # what the user sees while the answer is computed (the rest of the run is held back)
    expect(page.get_by_test_id("stChatMessage").first).to_contain_text(DRILLS_QUESTION)
    expect(page.get_by_text(ANSWERING)).to_be_visible()
    expect(page.get_by_role("button", name=SAMPLE_QUESTIONS[0])).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / f"waiting-{size}.png"))
    hold.release()
    expect(page.locator(".answer")).to_be_visible(timeout=120_000)
    seen = page.evaluate("window.seen")
    # the question and a status were on screen, and the suggestions gone, before the answer came
    assert max(seen["question"], seen["status"], seen["suggestions gone"]) < seen["answer"], seen
    expect(page.get_by_text(ANSWERING)).to_have_count(0)  # the status gives way to the answer
    expect(page.get_by_role("button", name=SAMPLE_QUESTIONS[0])).to_have_count(0)
    assert dialogs == []


# The page's content height and its frames' heights, unchanged for two seconds: on a loaded
# machine the readers' frames fill in after the run ends, and a click scrolled before that is
# pushed back down by the layout that follows (a user clicks what has finished drawing).
LAID_OUT = """() => {
    const content = document.querySelector('[data-testid=stMainBlockContainer]');
    const layout = [content.getBoundingClientRect().height,
        ...[...document.querySelectorAll('iframe')].map(f => f.getBoundingClientRect().height)].join();
    if (window.lastLayout !== layout) { window.lastLayout = layout; window.layoutSince = Date.now(); }
    return Date.now() - window.layoutSince > 2000; }"""


def wait_until_laid_out(page):
    page.wait_for_function(LAID_OUT, polling=200, timeout=120_000)


@VIEWPORTS
def test_clicked_citation_is_marked_and_not_under_the_header(server, browser, size):
    page, _ = open_app(browser, server, size)
    ask(page, DRILLS_QUESTION)
    expect(page.locator("a.cite").first).to_be_visible(timeout=120_000)
    ask(page, SAMPLE_QUESTIONS[1])  # a second answer below, so the first one's cards can reach the top
    expect(page.locator("a.cite[href^='#q1-']").first).to_be_visible(timeout=120_000)
    # The run may still be drawing what follows the second answer: a click scrolled before
    # the page stops growing can be pushed back under the header by the layout that follows.
    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=120_000)
    wait_until_laid_out(page)
    links = page.locator("a.cite[href^='#q0-']")
    targets = links.evaluate_all("links => links.map(a => a.getAttribute('href').slice(1))")
    for link, target in reversed(list(zip(links.all(), targets))):
        wait_until_laid_out(page)  # a loaded machine can still be filling frames in between clicks
        link.click()
        card = page.locator(f".card:has([id='{target}']), .card[id='{target}']").first
        # the card is scrolled to just below Streamlit's fixed header (or as far as the page
        # goes), not underneath it
        page.wait_for_function("""([id]) => {
            const card = document.getElementById(id).closest('.card').getBoundingClientRect();
            const header = document.querySelector('[data-testid=stHeader]').getBoundingClientRect();
            return card.top >= header.bottom && card.top < window.innerHeight - 100; }""", arg=[target],
            timeout=60_000)
        assert card.evaluate("c => getComputedStyle(c).boxShadow") != "none"  # and marked
        others = page.locator(".card").evaluate_all(
            "cards => cards.filter(c => getComputedStyle(c).boxShadow !== 'none').length")
        assert others == 1
    page.screenshot(path=str(ARTIFACTS / f"citation-{size}.png"))


@VIEWPORTS
def test_ids_and_model_name_never_break_inside(server, browser, size):
    page, _ = open_app(browser, server, size)
    open_sidebar(page)
    names = page.locator("[data-testid=stSidebarContent] code")  # the model name and the ids
    expect(names.first).to_be_visible()
    broken = names.evaluate_all("""codes => codes.flatMap(code => {
        const text = code.textContent, node = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
        const tops = [];
        for (let t = node.nextNode(); t; t = node.nextNode()) {
            for (let i = 0; i < t.length; i++) {
                const r = document.createRange(); r.setStart(t, i); r.setEnd(t, i + 1);
                tops.push(r.getBoundingClientRect().top);
            }
        }
        const bad = [];
        for (let i = 1; i < tops.length; i++) if (tops[i] > tops[i - 1] + 2 && text[i - 1] !== '/') bad.push(text);
        const sidebar = code.closest('[data-testid=stSidebarContent]').getBoundingClientRect();
        if (code.getBoundingClientRect().right > sidebar.right) bad.push(text + ' (overflows)');
        return bad; })""")
    page.screenshot(path=str(ARTIFACTS / f"sidebar-{size}.png"))
    assert broken == []


@VIEWPORTS
def test_upload_ask_remove_with_confirmation_and_export(server, browser, tmp_path, size):
    page, dialogs = open_app(browser, server, size)
    open_sidebar(page)
    harbour = tmp_path / "harbour.txt"
    harbour.write_bytes(HARBOUR_TXT)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(harbour))
    expect(page.get_by_test_id("stFileChip")).to_have_count(1)
    page.get_by_role("button", name="Add to library").click()
    result = page.get_by_text("harbour.txt: added")
    expect(result).to_be_in_viewport(timeout=120_000)  # where the user clicked, above the list
    assert result.bounding_box()["y"] < page.locator(".doc-row").first.bounding_box()["y"]
    expect(page.get_by_test_id("stFileChip")).to_have_count(0)  # the uploader is empty again
    page.screenshot(path=str(ARTIFACTS / f"upload-{size}.png"))

    close_sidebar(page)
    ask(page, "how many fishing trawlers were moored at Kestrel Bay?")
    card = page.locator(".card", has_text="forty-two fishing trawlers")
    expect(card).to_be_visible(timeout=120_000)

    open_sidebar(page)
    row = page.locator(".st-key-remove-harbour")
    remove = row.get_by_role("button", name="Remove").first
    remove.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Remove this document?")
    expect(dialog).to_contain_text("Harbour Authority Report")
    page.screenshot(path=str(ARTIFACTS / f"remove-confirm-{size}.png"))
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(row).to_have_count(1)  # cancelled: still there
    remove.click()
    page.get_by_role("dialog").get_by_role("button", name="Remove").click()
    expect(row).to_have_count(0, timeout=60_000)

    with page.expect_download() as download:
        page.get_by_role("button", name="Export conversation (Markdown)").click()
    markdown = Path(download.value.path()).read_text()
    assert "## 1. how many fishing trawlers were moored at Kestrel Bay?" in markdown
    assert re.search(r"\[1\] Harbour Authority Report \(since removed from the library\), date unknown, "
                     r"paragraph \d+ \([^)]*harbour\.txt\): “The harbour master counted forty-two", markdown), markdown

    close_sidebar(page)
    expect(card).to_contain_text(REMOVED_NOTE)
    position = page.locator(".card").evaluate_all("cards => cards.map(c => c.classList.contains('removed'))").index(True)
    page.get_by_text("Open document").nth(position).click()
    expect(page.get_by_text(REMOVED_DOCUMENT)).to_be_visible()
    expect(page.get_by_text("python -m rag docs")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / f"removed-{size}.png"), full_page=True)
    assert dialogs == []


def test_script_bearing_html_renders_inert(server, browser, tmp_path):
    page, dialogs = open_app(browser, server)
    evil = tmp_path / "pilots.html"
    evil.write_bytes(EVIL_HTML)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(evil))
    page.get_by_role("button", name="Add to library").click()
    expect(page.get_by_text("pilots.html: added")).to_be_visible(timeout=120_000)

    ask(page, "what did the harbour pilots of Kestrel Bay write on the lighthouse logbook?")
    card = page.locator(".card", has_text="Kestrel Bay").first
    expect(card).to_be_visible(timeout=120_000)
    # the markup inside the document's text is shown as text ...
    expect(card).to_contain_text("<script>window.pwned=2</script>")
    expect(card).to_contain_text('<img src=x onerror="window.pwned=3">')
    page.screenshot(path=str(ARTIFACTS / "xss.png"), full_page=True)
    # ... and none of it ran or became an element
    assert page.evaluate("window.pwned === undefined")
    assert page.locator(".card img, .answer img, .card script").count() == 0
    assert dialogs == []


@VIEWPORTS
def test_reloading_the_page_keeps_the_conversation(server, browser, size):
    page, dialogs = open_app(browser, server, size)
    ask(page, DRILLS_QUESTION)
    expect(page.locator(".answer")).to_contain_text("Bandar Abbas", timeout=120_000)
    expect(page).to_have_url(re.compile(r"[?&]conversation=[0-9a-f]{32}"))
    address = page.url
    page.reload()  # F5: a new Streamlit session on the same address
    expect(page.get_by_test_id("stChatMessage").first).to_contain_text(DRILLS_QUESTION, timeout=60_000)
    expect(page.locator(".answer")).to_contain_text("Bandar Abbas")
    expect(page.locator(".card").filter(has_text="Bandar Abbas").locator("mark").first).to_be_visible()
    expect(page.get_by_role("button", name=SAMPLE_QUESTIONS[0])).to_have_count(0)
    assert page.url == address
    expect(page.get_by_text("Open document").last).to_be_visible()  # the rerun has finished
    page.get_by_test_id("stChatMessage").first.scroll_into_view_if_needed()  # show the question
    page.screenshot(path=str(ARTIFACTS / f"reloaded-{size}.png"))

    elsewhere, _ = open_app(browser, server, size)  # another browser: its own, empty conversation
    expect(elsewhere.get_by_role("button", name=SAMPLE_QUESTIONS[0])).to_be_visible()
    expect(elsewhere.get_by_test_id("stChatMessage")).to_have_count(0)
    assert elsewhere.url != address
    assert dialogs == []


@VIEWPORTS
def test_a_follow_up_shows_how_it_was_read(server, browser, size):
    page, dialogs = open_app(browser, server, size)
    ask(page, "which countries are members of the SCO?")
    expect(page.locator(".answer")).to_have_count(1, timeout=120_000)
    ask(page, "and when was it founded?")
    expect(page.locator(".answer")).to_have_count(2, timeout=120_000)
    follow_up = page.get_by_test_id("stChatMessage").nth(2)
    expect(follow_up).to_contain_text("and when was it founded?")
    expect(follow_up.get_by_test_id("stCaptionContainer")).to_have_text("read as: and when was it founded (SCO)?")
    expect(page.locator(".answer").nth(1)).to_contain_text("Founded in 2001")
    expect(page.get_by_text("None", exact=True)).to_have_count(0)  # nothing stray above the answer
    expect(page.get_by_text("Open document").last).to_be_visible()
    follow_up.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"follow-up-{size}.png"))
    assert dialogs == []


@VIEWPORTS
def test_library_page_charts_documents_and_finds_a_word(server, browser, size):
    page, dialogs = open_app(browser, server, size)
    page.get_by_test_id("stRadio").get_by_text("Library", exact=True).click()
    expect(page.get_by_role("heading", name="Library", exact=True).first).to_be_visible()
    # the chart's code loads on first use: allow for that on a busy machine
    expect(page.get_by_test_id("stVegaLiteChart").or_(page.get_by_test_id("stArrowVegaLiteChart"))).to_be_visible(
        timeout=30_000)
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    chooser = page.get_by_test_id("stMainBlockContainer").get_by_test_id("stSelectbox")
    chooser.click()
    page.keyboard.type("Iran's defense minister")  # the list filters as one types
    page.get_by_role("option", name=re.compile("Iran's defense minister")).click()
    expect(chooser.get_by_role("combobox")).to_have_value(re.compile("^Iran's defense minister"))
    find_box = page.get_by_label("Find in this document")
    find_box.fill("sco")
    find_box.press("Enter")
    marks = page.locator(".reader mark")
    expect(marks.first).to_have_text("SCO")
    expect(page.get_by_text(re.compile(r"^\d+ matches for “sco”"))).to_be_visible()
    assert set(marks.all_inner_texts()) == {"SCO"}
    page.screenshot(path=str(ARTIFACTS / f"library-{size}.png"))
    marks.first.scroll_into_view_if_needed()  # the reader scrolls inside its own box
    expect(marks.first).to_be_in_viewport()
    page.screenshot(path=str(ARTIFACTS / f"library-reader-{size}.png"))
    assert dialogs == []


def open_document_switches(page):
    return page.get_by_role("switch", name="Open document")


@VIEWPORTS
def test_the_library_page_and_back_keeps_the_conversation_and_open_documents(server, browser, size):
    page, dialogs = open_app(browser, server, size)
    ask(page, DRILLS_QUESTION)
    expect(page.locator(".answer")).to_have_count(1, timeout=120_000)
    ask(page, SAMPLE_QUESTIONS[1])
    expect(page.locator(".answer")).to_have_count(2, timeout=120_000)
    switches = open_document_switches(page)
    expect(page.get_by_text("Open document").last).to_be_visible()  # the rerun has finished
    page.wait_for_function("""() => document.querySelector('.card[id^="q1-"]') &&
        document.querySelectorAll('.card').length === document.querySelectorAll('[role=switch]').length""")
    # the first answer's first document, and the second answer's last
    first_answer_cards = page.locator(".card[id^='q0-']").count()
    opened = [0, switches.count() - 1]
    assert opened[1] >= first_answer_cards  # the last switch is the second answer's
    frames = page.locator("iframe[title='st.iframe']")
    for shown, index in enumerate(opened, 1):
        page.get_by_text("Open document").nth(index).click()  # its label: the input itself is hidden
        expect(frames).to_have_count(shown, timeout=30_000)  # that rerun is done
        expect(switches.nth(index)).to_be_checked()
    messages = page.get_by_test_id("stChatMessage").all_inner_texts()

    page.get_by_test_id("stRadio").get_by_text("Library", exact=True).click()
    expect(page.get_by_role("heading", name="Library", exact=True).first).to_be_visible()
    expect(page.get_by_test_id("stChatMessage")).to_have_count(0)
    page.get_by_test_id("stRadio").get_by_text("Ask", exact=True).click()
    expect(page.get_by_role("heading", name="Ask the library")).to_be_visible()

    expect(page.get_by_test_id("stChatMessage")).to_have_count(4)
    expect(frames).to_have_count(2, timeout=30_000)
    for index in range(switches.count()):
        if index in opened:
            expect(switches.nth(index)).to_be_checked()
        else:
            expect(switches.nth(index)).not_to_be_checked()
    for frame in range(2):
        expect(page.frame_locator("iframe[title='st.iframe']").nth(frame).locator("mark#cited")).to_be_visible()
    assert page.get_by_test_id("stChatMessage").all_inner_texts() == messages
    frames.first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"back-from-library-{size}.png"))
    assert dialogs == []


@VIEWPORTS
def test_the_remove_dialog_has_its_buttons_side_by_side(server, browser, size):
    page, dialogs = open_app(browser, server, size)
    open_sidebar(page)
    page.locator("[class*='st-key-remove-']").first.get_by_role("button", name="Remove").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Remove this document?")
    remove = dialog.get_by_role("button", name="Remove", exact=True).bounding_box()
    cancel = dialog.get_by_role("button", name="Cancel", exact=True).bounding_box()
    page.screenshot(path=str(ARTIFACTS / f"remove-dialog-{size}.png"))
    assert abs(remove["y"] - cancel["y"]) < 2, (remove, cancel)  # one row, not stacked
    assert remove["x"] + remove["width"] <= cancel["x"]  # Remove first, then Cancel
    dialog_box = dialog.bounding_box()
    assert cancel["x"] + cancel["width"] <= dialog_box["x"] + dialog_box["width"]  # both inside the dialog
    dialog.get_by_role("button", name="Cancel", exact=True).click()
    expect(dialog).to_have_count(0)
    assert dialogs == []


def contrast(foreground: str, background: str) -> float:
    """WCAG's contrast ratio of two CSS rgb() colours (4.5 is the minimum for body text)."""
    def luminance(colour):
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    lighter, darker = sorted([luminance(foreground), luminance(background)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@VIEWPORTS
def test_links_and_highlights_follow_the_theme_and_stay_readable(server, browser, size, scheme):
    page, dialogs = open_app(browser, server, size, scheme=scheme)
    background = page.evaluate("getComputedStyle(document.querySelector('.stApp')).backgroundColor")
    ask(page, DRILLS_QUESTION)
    marker = page.locator("a.cite").first
    expect(marker).to_have_text("[1]", timeout=120_000)
    expect(marker).to_have_css("color", markdown_link_colour(page))  # the theme's own link colour
    link = marker.evaluate("a => getComputedStyle(a).color")
    assert contrast(link, background) >= 4.5, (link, background)
    mark = page.locator(".card mark").first
    text, behind = mark.evaluate("m => [getComputedStyle(m).color, getComputedStyle(m).backgroundColor]")
    assert contrast(text, behind) >= 4.5, (text, behind)
    expect(page.get_by_text("Open document").last).to_be_visible()  # the rerun has finished
    page.locator(".answer").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"theme-{scheme}-{size}.png"))

    page.get_by_text("Open document").first.click()  # the document viewer, in the same theme
    cited = page.frame_locator("iframe[title='st.iframe']").first.locator("mark#cited")
    expect(cited).to_be_visible(timeout=30_000)
    text, behind = cited.evaluate("m => [getComputedStyle(m).color, getComputedStyle(m).backgroundColor]")
    assert contrast(text, behind) >= 4.5, (text, behind)
    page.locator("iframe[title='st.iframe']").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"theme-{scheme}-document-{size}.png"))
    assert dialogs == []


def test_a_written_answer_streams_then_shows_only_its_checked_sentences(browser, tmp_path):
    """With a language model configured (the scripted server, streaming slowly), the reply
    appears as an unchecked draft while it arrives; then the checked answer replaces it."""
    with ScriptedModelServer() as model, streamlit_app(tmp_path, RAG_LLM_URL=model.url, RAG_LLM_MODEL="slow") as app:
        page, dialogs = open_app(browser, app)
        open_sidebar(page)
        page.get_by_text("Write answers with slow").click()
        ask(page, DRILLS_QUESTION)
        draft = page.locator(".draft")
        expect(draft).to_contain_text("Writing — each sentence is checked", timeout=120_000)
        expect(draft).to_contain_text("Bandar Abbas", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "written-draft.png"), full_page=True)
        expect(page.locator(".written-note")).to_contain_text("Written by slow", timeout=60_000)
        expect(draft).to_have_count(0)
        expect(page.locator(".answer a.cite").first).to_have_text("[1]")
        card = page.locator(".card").first
        expect(card.locator("mark").first).to_be_visible()
        assert any(request["body"]["model"] == "slow" for request in model.requests)
        page.screenshot(path=str(ARTIFACTS / "written-answer.png"), full_page=True)
        assert dialogs == []
