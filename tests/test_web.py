"""The web page in a real browser: Playwright driving Debian's Chromium against a live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import pdf_sample
from test_server import LiveServer, serve_copy

from assistant.config import Settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
KEYS = "reader1=read,writer1=read+write"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is missing: .ci/run installs it (apt-get install chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def web(seed_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from serve_copy(seed_index, tmp_path_factory.mktemp("web"), KEYS)


@pytest.fixture
def page(web: LiveServer) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        yield tab
        browser.close()


def enter_key(page: Page, url: str, key: str) -> None:
    page.goto(url)
    expect(page.locator("#key-dialog")).to_be_visible()
    page.get_by_role("textbox", name="API key").fill(key)
    page.get_by_role("button", name="Use this key").click()
    expect(page.locator("#filter-committee option")).not_to_have_count(1)


def ask(page: Page, question: str) -> None:
    turns = page.locator("#thread > li").count()
    page.get_by_label("Your question").fill(question)
    page.keyboard.press("Enter")  # by keyboard alone
    expect(page.locator("#thread > li")).to_have_count(turns + 1)
    expect(page.locator("#thread > li").last.locator(".answered, .not-found")).to_be_visible()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: a temporary folder, or docs/screenshots under
    `make screenshots` (ASSISTANT_SCREENSHOTS), which refreshes the README's pictures."""
    chosen = os.environ.get("ASSISTANT_SCREENSHOTS")
    return Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")


def test_ask_cite_follow_up_and_not_found(web: LiveServer, page: Page, shots: Path) -> None:
    enter_key(page, web.url, "reader1")
    expect(page.locator("#upload-form")).to_be_hidden()  # a read key gets no upload controls
    ask(page, "What case management system does the London CRC use?")
    last = page.locator("#thread > li").last
    expect(last.locator(".answer")).to_contain_text("Omnia")
    page.screenshot(path=str(shots / "answer.png"))
    last.locator("button.cite").first.click()
    mark = page.locator("#viewer mark")
    expect(mark).to_contain_text("The new case management system, Omnia")
    expect(page.locator("#viewer-meta")).to_contain_text("Barnet Safer Communities Partnership Board")
    expect(mark).to_be_in_viewport()
    expect(page.locator("#viewer-title")).to_be_in_viewport()
    page.screenshot(path=str(shots / "citation.png"))
    page.get_by_role("button", name="Close the document").click()

    # the link a Slack or Teams answer carries opens the same highlighted passage
    cited = web.client("reader1").post("/v1/chat", json={"message": "What case management "
                                       "system does the London CRC use?"}).json()["citations"][0]
    page.goto(f"{web.url}/#doc={cited['doc_id']}&start={cited['start']}&end={cited['end']}")
    expect(mark).to_have_text(cited["quote"])
    expect(mark).to_be_in_viewport()
    page.get_by_role("button", name="Close the document").click()

    ask(page, "Tell me about the probation inspection in Northamptonshire")
    ask(page, "Which company owns that CRC?")
    expect(page.locator("#thread > li").last.locator(".answer")).to_contain_text("Sodexo")

    ask(page, "What did the council decide about increasing car parking charges?")
    missing = page.locator("#thread > li").last.locator(".not-found")
    expect(missing).to_contain_text("The documents do not answer this question.")
    expect(missing).to_contain_text("Possibly related")
    expect(missing).to_contain_text("The documents found never mention “car” or “charges”.")
    missing.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "not-found.png"))
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator("#thread > li")).to_have_count(0)

    # a mistyped question is answered, and the page says how it was read
    ask(page, "What case management sytem does the London CRC use?")
    last = page.locator("#thread > li").last
    expect(last).to_contain_text("Read as: “What case management system does the London CRC use?”")
    expect(last.locator(".answer")).to_contain_text("Omnia")


def test_upload_pdf_then_answer_and_markup_shows_as_text(web: LiveServer, page: Page, shots: Path,
                                                         tmp_path: Path) -> None:
    enter_key(page, web.url, "writer1")
    page.get_by_role("button", name="Documents").click()
    expect(page.locator("#upload-form")).to_be_visible()
    markup = tmp_path / "markup.html.txt"
    markup.write_text("Minutes of the Lighthouse Panel.\n<script>window.pwned = 1</script>"
                      "<b>Bold claim</b> about the Lighthouse Panel budget.")
    page.set_input_files("#upload-files", [str(pdf_sample("pdflatex-4-pages.pdf")), str(markup)])
    page.get_by_role("button", name="Upload").click()
    status = page.locator("#upload-status")
    expect(status).to_contain_text("pdflatex-4-pages.pdf: added", timeout=120_000)
    expect(status).to_contain_text("markup.html.txt: added")
    expect(page.locator("#docs-list")).to_contain_text("pdflatex-4-pages")
    page.screenshot(path=str(shots / "documents.png"))
    page.get_by_role("button", name="markup.html").click()
    expect(page.locator("#viewer-text")).to_contain_text("<script>window.pwned = 1</script>")
    assert page.evaluate("window.pwned") is None
    page.get_by_role("button", name="Close the document").click()

    page.get_by_role("button", name="Ask").first.click()
    ask(page, "Where is some text without a meaning?")
    last = page.locator("#thread > li").last
    expect(last.locator(".sources")).to_contain_text("pdflatex-4-pages")
    expect(last.locator(".source-meta").last).to_contain_text("page")


def test_phone_width_layout(web: LiveServer, page: Page, shots: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 800})
    enter_key(page, web.url, "reader1")
    ask(page, "What does BOOST stand for?")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path=str(shots / "phone.png"))
