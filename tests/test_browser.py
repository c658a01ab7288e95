"""The chat in a real headless Chromium (Debian's, via Playwright) against one live server on loopback.

Every page records its requests (all must go to 127.0.0.1) and its dialogs (none may open). Screenshots go
to a temporary directory, or to docs/ when FAQBOT_SCREENSHOTS=docs (how docs/screenshot-*.png were made).
Accessibility is checked with axe-core (tests/fixtures/axe-core, injected into the page, never fetched) in
every state of the chat, at a desktop (1280x800) and a phone (390x844) size.
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
from faqbot.web.render import DID_YOU_MEAN_CAPTION, RELATED_CAPTION, suggestion_label

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
CLINIC_PAGE = ROOT / "examples" / "clinic-site.html"
PLACEHOLDER_URL = b"http://127.0.0.1:7860"
TIMEOUT_MS = 15_000
AXE = Path(__file__).resolve().parent / "fixtures" / "axe-core" / "axe.min.js"
SIZES = [pytest.param((1280, 800), id="desktop"), pytest.param((390, 844), id="phone")]
CRISIS = "I want to kill myself"

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
    expect(page.locator('[data-testid="bot"] .faq-disclaimer').first).to_contain_text(
        kb_bot.ask(cfg.examples[1]).disclaimer[:40])  # the reply's own: each kind of reply has its wording
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
    related = [suggestion_label(q) for q in kb_bot.ask(question).related]  # shown with a capital and a "?"
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


def test_html_in_messages_runs_nothing_and_shows_as_text(open_page, server: Server, watch: Watch,
                                                         kb_bot: FAQBot) -> None:
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
    # The only links in a message are the server's own, from the configuration (a crisis reply's tel:, sms:,
    # mailto: and https: links) or a quote's source page: none from what was typed.
    cfg = kb_bot.config
    own = {k.href for r in cfg.crisis_resources for k in r.links} | {f"tel:{cfg.clinic_phone}",
                                                                     f"mailto:{cfg.clinic_email}"}
    for t in cfg.translations.values():
        own |= {k.href for r in t.crisis_resources for k in r.links}
    theirs = "a:not(.faq-link):not(.faq-source-link)"
    for tag in ["script", "img", "svg", "iframe", "details", theirs, "[onerror]", "[href^='javascript']"]:
        assert content.locator(tag).count() == 0, f"a {tag} was rendered from a message"
    assert page.locator('[data-testid="user"] a').count() == 0
    for link in content.locator("a.faq-link").all():
        assert link.get_attribute("href") in own, link.get_attribute("href")
    for link in content.locator("a.faq-source-link").all():
        assert link.get_attribute("href").startswith("source/"), link.get_attribute("href")
    for link in page.locator(f".message-content {theirs}, .message-content svg a").all():  # none; click if any
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
    expect(reply.locator("a.faq-source-link").first).to_have_attribute("href", re.compile(r"^source/"))
    component = page.locator("gradio-app#faqbot-app")
    reply = ask(component, question)
    expect(reply.locator("cite").first).to_have_text(title)
    expect(reply.locator(".faq-disclaimer")).to_be_visible()
    # Inside the clinic's own page, a quote's link (relative to faqbot's root) still points at faqbot.
    link = kb_bot.ask(question).to_dict()["passages"][0]
    expect(reply.locator("a.faq-source-link").first).to_have_attribute("href", f"{server.url}/{link['link']}")


def test_page_not_on_the_allow_list_cannot_embed(open_page, server: Server, sites: Sites) -> None:
    page = open_page(sites.denied.url + "/")
    page.wait_for_load_state("load")
    page.wait_for_timeout(1500)  # give a (wrongly) allowed frame or component time to render
    frame = next(f for f in page.frames if f.parent_frame is page.main_frame)
    assert not frame.url.startswith(server.url), f"the chat loaded in a frame of {sites.denied.url}"
    assert page.frame_locator("#faqbot-frame").locator("textarea").count() == 0
    assert page.locator("gradio-app#faqbot-app textarea").count() == 0  # CORS refuses the module script
    # The server says why, one line each, with the origin and the bot.yaml setting to change.
    log = server.output().splitlines()
    for setting in ["web.frame_ancestors", "web.cors_origins"]:
        lines = [line for line in log if setting in line]
        assert lines, f"nothing logged about {setting}:\n{server.output()}"
        assert sites.denied.url in lines[0] and lines[0].startswith("faqbot: refused")
    assert not any(sites.allowed.url in line for line in log), "an allowed page was logged as refused"


# ------------------------------------------------------------------ crisis links, quotes in context, /docs


def referral_question(bot: FAQBot) -> str:
    """A question referred to the clinic by a triage category (not for want of a match)."""
    for q in ["How many mg should I take?", "Can I take ketamine while pregnant?", "Can I drink alcohol with it?",
              "Where can I buy ketamine without a prescription?"]:
        a = bot.ask(q)
        if a.kind == "referral" and a.reason not in {"no_match", "empty", "too_long", "language"}:
            return q
    raise AssertionError("none of the referral questions is referred")


def unmatched_question(bot: FAQBot) -> str:
    """A question no passage answers, which gets "did you mean" suggestions."""
    for q in ["What is the weather like in Paris?", "Who won the football match?", "purple elephant dancing"]:
        a = bot.ask(q)
        if a.reason == "no_match" and a.related:
            return q
    raise AssertionError("no off-topic question gets suggestions")


def font_px(locator: object) -> float:
    return float(locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))


@pytest.mark.parametrize("size", SIZES)
def test_crisis_resources_are_links_from_bot_yaml(open_page, server: Server, kb_bot: FAQBot, tmp_path: Path,
                                                  size: tuple[int, int]) -> None:
    cfg = kb_bot.config
    answer = kb_bot.ask(CRISIS)
    page = open_page(server.url + "/", *size, scale=2 if size[0] < 500 else 1)
    reply = ask(page, CRISIS)
    box = reply.locator(".faq-crisis")
    hrefs = [k.href for r in cfg.crisis_resources for k in r.links]
    assert {"tel:988", "sms:988", "tel:911"} <= set(hrefs), "the shipped resources carry their links"
    hrefs += [f"tel:{cfg.clinic_phone}", f"mailto:{cfg.clinic_email}"]
    for href in hrefs:
        link = box.locator(f'a[href="{href}"]')
        expect(link).to_have_count(1)
        expect(link).to_be_visible()
        height = link.bounding_box()["height"]
        assert height >= 24, f"{href} is a {height:.0f} px tap target"
    for resource in cfg.crisis_resources:
        for k in resource.links:
            expect(box.locator(f'a[href="{k.href}"]')).to_have_text(k.label)
    # The reply's own disclaimer (the crisis one, which quotes nothing), readable.
    disclaimer = reply.locator(".faq-disclaimer")
    expect(disclaimer).to_have_text(answer.disclaimer)
    assert answer.disclaimer == cfg.disclaimers["crisis"] != cfg.disclaimers["answer"]
    assert font_px(disclaimer) >= 12
    if size[0] < 500:
        page.screenshot(path=str(screenshot_dir(tmp_path) / "screenshot-crisis.png"))


@pytest.mark.parametrize("size", SIZES)
def test_each_reply_kind_carries_its_own_readable_disclaimer(open_page, server: Server, kb_bot: FAQBot,
                                                             size: tuple[int, int]) -> None:
    page = open_page(server.url + "/", *size)
    shown = []
    for q in [answered_question(kb_bot), referral_question(kb_bot)]:
        reply = ask(page, q)
        disclaimer = reply.locator(".faq-disclaimer")
        expect(disclaimer).to_have_text(kb_bot.ask(q).disclaimer)
        assert font_px(disclaimer) >= 12
        shown.append(disclaimer.inner_text())
    assert shown[0] != shown[1], "a referral quotes nothing, so it does not say it quotes articles"


@pytest.mark.parametrize("size", SIZES)
def test_quote_opens_its_source_with_the_words_highlighted(open_page, server: Server, kb_bot: FAQBot,
                                                          tmp_path: Path, watch: Watch,
                                                          size: tuple[int, int]) -> None:
    question = answered_question(kb_bot)
    answer = kb_bot.ask(question).to_dict()
    page = open_page(server.url + "/", *size)
    reply = ask(page, question)
    links = reply.locator("a.faq-source-link")
    expect(links).to_have_count(len(answer["passages"]))
    last = answer["passages"][-1]  # the last quote: the one furthest down its source, most likely
    link = links.nth(len(answer["passages"]) - 1)
    link.scroll_into_view_if_needed()
    # A new tab can take long to open on a loaded 2-core machine (once over 15 s in a CI run).
    with page.context.expect_page(timeout=60_000) as opened:
        link.click()
    source = opened.value
    source.on("request", lambda r: watch.requests.append(r.url))
    source.wait_for_load_state()
    assert source.url == f"{server.url}/{last['link']}"
    expect(source.get_by_role("heading", level=1)).to_have_text(last["source"]["title"])
    mark = source.locator("mark#passage")
    expect(mark).to_have_count(1)
    assert squash(mark.inner_text()) == squash(last["text"])
    expect(mark).to_be_in_viewport()
    assert source.evaluate("document.documentElement.scrollWidth") <= size[0], "the page scrolls sideways"
    assert axe_violations(source) == []
    if size[0] > 500:
        source.screenshot(path=str(screenshot_dir(tmp_path) / "screenshot-source.png"))


def test_api_docs_render_the_operations(open_page, server: Server) -> None:
    page = open_page(server.url + "/docs")
    ask_op = page.locator(".opblock-post .opblock-summary-path", has_text="/api/ask")
    expect(ask_op).to_be_visible()
    expect(page.locator(".opblock-get .opblock-summary-path", has_text="/api/health")).to_be_visible()
    assert page.get_by_text("Unable to render this definition").count() == 0
    ask_op.click()
    responses = page.locator(".responses-wrapper")
    expect(responses).to_contain_text('"kind": "answer"')  # the response example
    expect(responses).to_contain_text('"link": "source/')


# ------------------------------------------------------------------ accessibility


def axe_violations(page: object) -> list[str]:
    """Critical and serious axe-core violations on the page once it has settled, one line each.

    A state is judged when the page is still: a violation seen during a transition (a reply arriving, a
    button's hover animation) is checked again half a second later, and only one that stays counts.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    run = """async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.filter(v => v.impact === "critical" || v.impact === "serious")
            .map(v => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(" ") + " ("
                       + (n.failureSummary || "").replace(/\\s+/g, " ").slice(0, 160) + ")").join("; ")}`);
    }"""
    page.wait_for_timeout(200)
    found = page.evaluate(run)
    if found:
        page.wait_for_timeout(500)
        found = page.evaluate(run)
    return list(found)


@pytest.mark.parametrize("size", SIZES)
def test_no_serious_accessibility_violation_in_any_state(open_page, server: Server, kb_bot: FAQBot,
                                                         size: tuple[int, int]) -> None:
    page = open_page(server.url + "/", *size)
    expect(page.get_by_role("button", name=kb_bot.config.examples[0])).to_be_visible()
    problems = {"empty": axe_violations(page)}
    question = answered_question(kb_bot)
    ask(page, question)
    problems["answer"] = axe_violations(page)
    label = suggestion_label(kb_bot.ask(question).related[0])
    page.get_by_role("button", name=label, exact=True).click()
    expect(page.locator('[data-testid="bot"]')).to_have_count(2)
    problems["related question"] = axe_violations(page)
    ask(page, referral_question(kb_bot))
    problems["referral"] = axe_violations(page)
    ask(page, unmatched_question(kb_bot))
    problems["did you mean"] = axe_violations(page)
    ask(page, CRISIS)
    problems["crisis"] = axe_violations(page)
    assert {state: found for state, found in problems.items() if found} == {}


@pytest.mark.parametrize("size", SIZES)
def test_messages_are_named_by_their_text(open_page, server: Server, kb_bot: FAQBot, size: tuple[int, int]) -> None:
    question = answered_question(kb_bot)
    answer = kb_bot.ask(question)
    page = open_page(server.url + "/", *size)
    reply = ask(page, question)
    expect(reply).to_have_attribute("aria-label", re.compile(r"^Reply: "))
    name = reply.get_attribute("aria-label")
    assert "<" not in name and "&#" not in name and "class=" not in name, name
    assert squash(answer.passages[0].text)[:60] in name
    expect(page.locator('[data-testid="user"]').first).to_have_attribute("aria-label", f"You asked: {question}")


@pytest.mark.parametrize("size", SIZES)
def test_suggestions_have_captions_and_tidy_labels(open_page, server: Server, kb_bot: FAQBot,
                                                   size: tuple[int, int]) -> None:
    page = open_page(server.url + "/", *size)
    question = answered_question(kb_bot)
    reply = ask(page, question)
    expect(reply.locator(".faq-suggest-caption")).to_have_text(RELATED_CAPTION)
    group = page.get_by_role("group", name=RELATED_CAPTION.rstrip(":"))
    buttons = group.get_by_role("button")
    expect(buttons).to_have_count(len(kb_bot.ask(question).related))
    for label in buttons.all_inner_texts():
        assert label[:1].isupper() and label.endswith("?"), label
    first = buttons.first.bounding_box()
    arrow = page.locator("#faq-chat .scroll-down-button-container button")
    if arrow.count() and arrow.is_visible():  # Gradio's "scroll down" arrow must not cover a suggestion
        a = arrow.bounding_box()
        overlap = not (a["x"] + a["width"] <= first["x"] or first["x"] + first["width"] <= a["x"]
                       or a["y"] + a["height"] <= first["y"] or first["y"] + first["height"] <= a["y"])
        assert not overlap, "the scroll-down arrow covers the first suggestion"
    reply = ask(page, unmatched_question(kb_bot))
    expect(reply.locator(".faq-suggest-caption")).to_have_text(DID_YOU_MEAN_CAPTION)


@pytest.mark.parametrize("size", SIZES)
def test_focus_moves_to_the_reply_after_a_related_question(open_page, server: Server, kb_bot: FAQBot,
                                                          size: tuple[int, int]) -> None:
    question = answered_question(kb_bot)
    label = suggestion_label(kb_bot.ask(question).related[0])
    page = open_page(server.url + "/", *size)
    ask(page, question)
    button = page.get_by_role("button", name=label, exact=True)
    button.focus()
    page.keyboard.press("Enter")
    bots = page.locator('[data-testid="bot"]')
    expect(bots).to_have_count(2)
    expect(bots.nth(1)).to_be_focused()
    page.keyboard.press("Tab")  # and the keyboard carries on inside the new reply, not from the page's top
    assert page.evaluate("document.getElementById('faq-chat').contains(document.activeElement)")
