"""The chat in a real headless Chromium (Debian's, via Playwright) against one live server on loopback.

Every page records its requests (all must go to 127.0.0.1) and its dialogs (none may open). Screenshots go
to a temporary directory, or to docs/ when FAQBOT_SCREENSHOTS=docs (how docs/screenshot-*.png were made).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from webserver import ROOT, PageServer, Server, knowledge_copy, live_server, serve_page

from faqbot import FAQBot

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
CLINIC_PAGE = ROOT / "examples" / "clinic-site.html"
PLACEHOLDER_URL = b"http://127.0.0.1:7860"
TIMEOUT_MS = 15_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} not found: install Debian's chromium (`make chromium`)"),
]
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

XSS_PAYLOADS = [
    "<script>alert('xss-script')</script>",
    "<img src=x onerror=\"alert('xss-img')\">",
    "<a href=\"javascript:alert('xss-a')\">click me</a>",
    "<svg><a href=\"javascript:alert('xss-svg')\"><text x=\"10\" y=\"20\">click svg</text></a></svg>",
    "[click md](javascript:alert('xss-md'))",
    "<iframe src=\"javascript:alert('xss-iframe')\"></iframe>",
    "<details open ontoggle=\"alert('xss-toggle')\">x</details>",
]


# ------------------------------------------------------------------ fixtures


@dataclass
class Sites:
    allowed: PageServer
    denied: PageServer
    chat_url: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    """Two copies of examples/clinic-site.html on other loopback ports: one on the allow-lists, one not."""
    holder: list[str] = []

    def page() -> bytes:
        return CLINIC_PAGE.read_bytes().replace(PLACEHOLDER_URL, holder[0].encode())

    allowed, denied = serve_page(page), serve_page(page)
    try:
        yield Sites(allowed, denied, holder)
    finally:
        allowed.close()
        denied.close()


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory, sites: Sites) -> Path:
    origin = sites.allowed.url
    return knowledge_copy(tmp_path_factory.mktemp("browser") / "knowledge", [origin], [origin])


@pytest.fixture(scope="module")
def server(kb: Path, sites: Sites) -> Iterator[Server]:
    with live_server(kb) as s:
        sites.chat_url.append(s.url)
        yield s


@pytest.fixture(scope="module")
def kb_bot(kb: Path) -> FAQBot:
    return FAQBot.load(kb)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watch:
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def open_page(chromium: object, server: Server, watch: Watch) -> Iterator[object]:
    """`open_page(url, width=1280)`: a fresh context and page, watched; all checked when the test ends."""
    contexts = []

    def opener(url: str, width: int = 1280, height: int = 900, scale: float = 1) -> object:
        context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale,
                                       service_workers="block")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("request", lambda r: watch.requests.append(r.url))
        page.on("dialog", lambda d: (watch.dialogs.append(d.message), d.dismiss()))
        page.goto(url)
        return page

    yield opener
    for context in contexts:
        context.close()
    assert watch.dialogs == [], f"script ran: dialogs {watch.dialogs}"
    leaving = [u for u in watch.requests if urlsplit(u).scheme not in {"data", "blob", "about"}
               and urlsplit(u).hostname != "127.0.0.1"]
    assert leaving == [], f"requests left 127.0.0.1: {leaving}"
    assert watch.requests, "no request was recorded"


# ------------------------------------------------------------------ helpers


def answered_question(bot: FAQBot) -> str:
    """A question answered with quotes and related questions (an example first, else a curated question)."""
    candidates = [*bot.config.examples, *(q for p in bot.passages for q in p.questions[:2])]
    for q in candidates:
        a = bot.ask(q)
        if a.kind == "answer" and a.passages and a.related:
            return q
    raise AssertionError("no question is answered with quotes and related questions")


def ask(scope: object, question: str) -> object:
    """Type `question` in the labelled box of `scope` (page, frame or element), press Enter, return the reply."""
    replies = scope.locator('[data-testid="bot"]')
    before = replies.count()
    box = scope.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    expect(replies).to_have_count(before + 1)
    return replies.nth(before)


def squash(s: str) -> str:
    return " ".join(s.split())


def words(s: str) -> re.Pattern[str]:
    """The words of `s` in order, whatever the spacing: a quote's line breaks render as <br>, with no space."""
    return re.compile(r"\s*".join(re.escape(w) for w in s.split()))


def screenshot_dir(tmp_path: Path) -> Path:
    return ROOT / "docs" if os.environ.get("FAQBOT_SCREENSHOTS") == "docs" else tmp_path


# ------------------------------------------------------------------ the chat


def test_empty_chat_shows_intro_and_examples_and_an_example_asks(open_page, server: Server, kb_bot: FAQBot) -> None:
    page = open_page(server.url + "/")
    cfg = kb_bot.config
    expect(page.get_by_role("heading", name=cfg.title)).to_be_visible()
    expect(page.get_by_text(squash(cfg.intro)[:60])).to_be_visible()
    expect(page.get_by_text(cfg.clinic_contact)).to_be_visible()
    for example in cfg.examples:
        expect(page.get_by_role("button", name=example)).to_be_visible()
    page.get_by_role("button", name=cfg.examples[1]).click()
    expect(page.locator('[data-testid="user"]').first).to_contain_text(cfg.examples[1])
    expect(page.locator('[data-testid="bot"] .faq-disclaimer').first).to_contain_text(cfg.disclaimer[:40])
    assert page.title() == cfg.title


def test_answer_shows_quotes_sources_disclaimer(open_page, server: Server, kb_bot: FAQBot, tmp_path: Path) -> None:
    question = answered_question(kb_bot)
    answer = kb_bot.ask(question)
    page = open_page(server.url + "/", height=1000)
    reply = ask(page, question)  # Enter sends
    quotes = reply.locator("blockquote.faq-quote")
    expect(quotes).to_have_count(len(answer.passages))
    for i, p in enumerate(answer.passages):
        expect(quotes.nth(i)).to_contain_text(words(squash(p.text)[:80].rsplit(" ", 1)[0]))
        expect(quotes.nth(i).locator("cite")).to_have_text(p.source.title)
    expect(reply.locator(".faq-disclaimer")).to_have_text(answer.disclaimer)
    expect(reply.locator(".faq-disclaimer")).to_be_visible()
    page.screenshot(path=str(screenshot_dir(tmp_path) / "screenshot-desktop.png"))


def test_usable_at_375px(open_page, server: Server, kb_bot: FAQBot, tmp_path: Path) -> None:
    question = answered_question(kb_bot)
    page = open_page(server.url + "/", width=375, height=740, scale=2)
    reply = ask(page, question)
    expect(reply.locator(".faq-disclaimer")).to_be_visible()
    expect(page.get_by_label("Your question")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways at 375 px ({width} px wide)"
    expect(reply.locator("blockquote").first).to_be_in_viewport()  # the chat shows a reply from its start
    page.screenshot(path=str(screenshot_dir(tmp_path) / "screenshot-phone.png"))


def test_crisis_stands_out_with_resources_first(open_page, server: Server, kb_bot: FAQBot) -> None:
    page = open_page(server.url + "/", width=375, height=740)
    ask(page, "What are the side effects of ketamine?")  # an earlier reply, so the chat has to scroll
    reply = ask(page, "I want to kill myself")
    box = reply.locator(".faq-crisis[role=alert]")
    expect(box.locator(".faq-crisis-title")).to_be_in_viewport()  # on a phone, help is the first thing seen
    expect(box).to_contain_text("988")
    resources = box.locator("li")
    expect(resources).to_have_count(len(kb_bot.config.crisis_resources))
    message = box.locator("ul.faq-resources + p")  # the message follows the list of resources
    expect(message).to_contain_text("danger")
    assert resources.first.bounding_box()["y"] < message.bounding_box()["y"], "the resources come first"
    expect(reply.locator(".faq-disclaimer")).to_be_visible()
    colour = box.evaluate("e => getComputedStyle(e).borderTopColor")
    assert colour == "rgb(185, 28, 28)"


def test_related_question_button_asks_it(open_page, server: Server, kb_bot: FAQBot) -> None:
    question = answered_question(kb_bot)
    related = kb_bot.ask(question).related
    page = open_page(server.url + "/")
    ask(page, question)
    button = page.get_by_role("button", name=related[0], exact=True)
    expect(button).to_be_visible()
    button.click()
    expect(page.locator('[data-testid="bot"]')).to_have_count(2)
    expect(page.locator('[data-testid="user"]').nth(1)).to_have_text(related[0])
    expected = kb_bot.ask(related[0])
    if expected.passages:
        expect(page.locator('[data-testid="bot"]').nth(1).locator("cite").first).to_have_text(
            expected.passages[0].source.title)


def test_html_in_messages_runs_nothing_and_shows_as_text(open_page, server: Server, watch: Watch) -> None:
    page = open_page(server.url + "/")
    page.evaluate("window.__faqbot_pwned = 0")
    for payload in XSS_PAYLOADS:
        ask(page, payload.replace("alert(", "window.__faqbot_pwned++;alert("))
    users = page.locator('[data-testid="user"]')
    expect(users).to_have_count(len(XSS_PAYLOADS))
    for i, payload in enumerate(XSS_PAYLOADS):
        shown = squash(users.nth(i).inner_text())
        assert shown == squash(payload.replace("alert(", "window.__faqbot_pwned++;alert(")), shown
    content = page.locator(".message-content")
    for tag in ["script", "img", "svg", "iframe", "details", "a", "[onerror]", "[href^='javascript']"]:
        assert content.locator(tag).count() == 0, f"a {tag} was rendered from a message"
    for link in page.locator(".message-content a, .message-content svg a").all():  # none expected; click if any
        link.click(force=True)
    for i in range(users.count()):  # clicking the text itself does nothing either
        users.nth(i).click()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__faqbot_pwned") == 0
    assert watch.dialogs == []


# ------------------------------------------------------------------ embedding


def test_clinic_page_embeds_chat_by_iframe_and_web_component(open_page, server: Server, sites: Sites,
                                                             kb_bot: FAQBot) -> None:
    question = answered_question(kb_bot)
    title = kb_bot.ask(question).passages[0].source.title
    page = open_page(sites.allowed.url + "/")
    frame = page.frame_locator("#faqbot-frame")
    reply = ask(frame, question)
    expect(reply.locator("cite").first).to_have_text(title)
    expect(reply.locator(".faq-disclaimer")).to_be_visible()
    component = page.locator("gradio-app#faqbot-app")
    reply = ask(component, question)
    expect(reply.locator("cite").first).to_have_text(title)
    expect(reply.locator(".faq-disclaimer")).to_be_visible()


def test_page_not_on_the_allow_list_cannot_embed(open_page, server: Server, sites: Sites) -> None:
    page = open_page(sites.denied.url + "/")
    page.wait_for_load_state("load")
    page.wait_for_timeout(1500)  # give a (wrongly) allowed frame or component time to render
    frame = next(f for f in page.frames if f.parent_frame is page.main_frame)
    assert not frame.url.startswith(server.url), f"the chat loaded in a frame of {sites.denied.url}"
    assert page.frame_locator("#faqbot-frame").locator("textarea").count() == 0
    assert page.locator("gradio-app#faqbot-app textarea").count() == 0  # CORS refuses the module script
