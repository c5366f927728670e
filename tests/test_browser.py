"""The real thing: `streamlit run` on 127.0.0.1, driven by Playwright in Debian's Chromium.

Screenshots land in tests/artifacts/ (git-ignored) for a human to look at.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    folder = tmp_path_factory.mktemp("ui")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_LIBRARY": str(folder / "library")}
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
    yield url
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:  # still busy with a session's work: stop it
        process.kill()
        process.wait()
    log.close()


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


def open_app(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    # the first visit builds the library from the samples; allow for it
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=180_000)
    expect(page.get_by_text("2 documents")).to_be_visible(timeout=180_000)
    return page, dialogs


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
    page.screenshot(path=str(ARTIFACTS / "document.png"), full_page=True)
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
