"""The chat page (Gradio): the title, the clinic's contact, the chat and a labelled text box.

`respond` is one pure chat turn; `build_ui` wires it to Gradio's events. Nothing heavy happens at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr

from ..bot import FAQBot
from .render import _lines, bot_message, render_question, text

QUEUE_CONCURRENCY = 4  # chat replies computed at once (Gradio queue)
QUEUE_MAX_SIZE = 64  # chat requests waiting in Gradio's queue; beyond this the browser shows "busy"
MAX_MESSAGE_CHARS = 32_000  # hard cap on one chat message (the bot refers anything over max_question_chars)
MAX_HISTORY = 60  # messages kept in the chat window (30 exchanges)
FONT = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
FONT_MONO = ["ui-monospace", "SFMono-Regular", "Consolas", "monospace"]


def respond(message: Any, history: Sequence[dict[str, Any]] | None,
            bot: FAQBot) -> tuple[str, list[dict[str, Any]]]:
    """One chat turn: ("" for the text box, the history with the question and the escaped reply appended).

    Pure apart from `bot.ask` (and its optional unanswered log).
    """
    question = message if isinstance(message, str) else "" if message is None else str(message)
    question = question[:MAX_MESSAGE_CHARS]
    answer = bot.ask(question)
    shown = question if question.strip() else "…"
    turn = [{"role": "user", "content": render_question(shown)}, bot_message(answer, bot.config)]
    return "", [*list(history or [])[-(MAX_HISTORY - 2):], *turn]



CSS = """
.faq-header h1 { font-size: 1.35rem; margin: 0 0 .25rem 0; }
.faq-header p { margin: 0; }
.faq-reply p { margin: 0 0 .5rem 0; }
.faq-quote { margin: .5rem 0 .75rem 0; padding: .25rem 0 .25rem .75rem; border-left: 4px solid #6b7280; }
.faq-quote p { margin: 0 0 .25rem 0; }
.faq-source { font-size: .9em; }
.faq-source-note { opacity: .85; }
.faq-source a, .faq-contact a { text-decoration: underline; padding: 0; margin: 0; }
.faq-disclaimer { margin: .6rem 0 0 0 !important; padding-top: .35rem; border-top: 1px solid rgba(127,127,127,.35);
  font-size: max(12px, .8125rem); line-height: 1.4; color: #4b5563; }
.dark .faq-disclaimer { color: #d1d5db; }
.faq-suggest-caption { margin: .6rem 0 0 0 !important; font-weight: 600; }
.faq-crisis { border: 2px solid #b91c1c; background: #fef2f2; border-radius: 6px; padding: .6rem .75rem;
  margin-bottom: .5rem; }
.faq-crisis, .faq-crisis * { color: #7f1d1d !important; }
.faq-crisis ul { margin: .25rem 0 .5rem 1.1rem; padding: 0; }
.faq-crisis li { margin: .35rem 0; }
.faq-crisis-title { font-size: 1.1em; }
.faq-links { display: flex; flex-wrap: wrap; gap: .4rem; margin: .35rem 0 .1rem 0; }
.faq-crisis .faq-link { display: inline-block; min-height: 24px; padding: .3rem .7rem; border: 1.5px solid #b91c1c;
  border-radius: 999px; background: #fff; font-weight: 600; text-decoration: none; line-height: 1.3; }
.faq-crisis .faq-link:hover, .faq-crisis .faq-link:focus-visible { background: #fee2e2; text-decoration: underline; }
.faq-contact { font-size: .9em; }
.faq-intro { padding: 0 1rem; text-align: center; }
#faq-chat .message-wrap .prose.chatbot.md { opacity: 1; }  /* Gradio greys every message to 80 %: full contrast */
#faq-chat .options { display: flex; flex-wrap: wrap; justify-content: flex-start; margin: 0; max-width: 100%;
  gap: .5rem; padding: 0 var(--spacing-xxl) var(--spacing-xxl) var(--spacing-xxl); }
#faq-chat .option { width: auto; max-width: 100%; border-style: solid; text-align: left; align-items: flex-start; }
#faq-chat .scroll-down-button-container { left: auto; right: 12px; transform: none; }
@media (max-width: 480px) {
  .faq-header h1 { font-size: 1.15rem; }
  .faq-contact { font-size: .9em; }
  #faq-chat .options { padding: 0 .5rem .75rem .5rem; }
}
"""
# After a reply, scroll the chat (not the page, which may be a clinic's) so the latest question is at the top:
# a reply is read from its start, and a crisis reply starts with where to get help.
_SCROLL = """
  const chat = document.getElementById("faq-chat");
  const users = chat ? chat.querySelectorAll('[data-testid="user"]') : [];
  if (!users.length) return;
  const last = users[users.length - 1];
  let box = last.parentElement;
  while (box && box !== chat && !(box.scrollHeight > box.clientHeight &&
         /(auto|scroll)/.test(getComputedStyle(box).overflowY))) box = box.parentElement;
  if (box && box !== chat) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
"""
_SCROLL_JS = "() => { setTimeout(() => {" + _SCROLL + "}, 80); }"
# A question asked by a button (a related question, an example) replaced that button: the focus moves to the
# new reply, whose accessible name is its text, so a keyboard or screen-reader user carries on from there
# (Tab reaches its links and the next suggestions). A typed question keeps the focus in the text box.
_PICKED_JS = "() => { setTimeout(() => {" + _SCROLL + """
  const active = document.activeElement;
  if (active && active !== document.body && active.isConnected && !chat.contains(active)) return;
  const bots = chat.querySelectorAll('[data-testid="bot"]');
  const reply = bots[bots.length - 1];
  if (reply) { reply.setAttribute("tabindex", "-1"); reply.focus({preventScroll: true}); }
}, 80); }"""

# Accessibility fixes to Gradio's chat markup, kept up to date as it re-renders (run once on page load, in the
# page and in the <gradio-app> web component alike):
# - each message is named by its text ("Reply: …"), not by its raw HTML with character references;
# - the conversation log, which scrolls, can take the keyboard focus even when it holds no link or button;
# - the examples (buttons) are a named group, not a list without list items;
# - the buttons under a reply are a group named by their caption ("Related questions", "Did you mean");
# - in the web component, a quote's source link (relative to faqbot's root) points at faqbot, not at the page
#   that embeds it.
ACCESSIBILITY_JS = r"""() => {
  const rootOf = (el) => {
    const app = el.closest("gradio-app[src]");
    if (!app) return null;
    try { return new URL(app.getAttribute("src").replace(/\/?$/, "/"), document.baseURI); } catch (e) { return null; }
  };
  const set = (el, name, value) => { if (el.getAttribute(name) !== value) el.setAttribute(name, value); };
  const fix = () => {
    document.querySelectorAll("#faq-chat").forEach((chat) => {
      chat.querySelectorAll('[role="log"]').forEach((log) => set(log, "tabindex", "0"));
      chat.querySelectorAll('.examples[role="list"]').forEach((ex) => {
        set(ex, "role", "group"); set(ex, "aria-label", "Example questions");
      });
      chat.querySelectorAll('[data-testid="bot"], [data-testid="user"]').forEach((m) => {
        const body = m.querySelector(".message-content");
        if (!body) return;
        const who = m.getAttribute("data-testid") === "bot" ? "Reply" : "You asked";
        set(m, "aria-label", who + ": " + body.innerText.replace(/\s+/g, " ").trim());
      });
      chat.querySelectorAll(".options").forEach((opts) => {
        const captions = chat.querySelectorAll(".faq-suggest-caption");
        const caption = captions.length ? captions[captions.length - 1].textContent.replace(/:$/, "") : "";
        set(opts, "role", "group");
        if (caption) set(opts, "aria-label", caption);
      });
      const root = rootOf(chat);
      if (root) chat.querySelectorAll("a.faq-source-link").forEach((a) => {
        const href = a.getAttribute("href");
        if (href && !/^[a-z][a-z0-9+.-]*:/i.test(href)) a.setAttribute("href", new URL(href, root).href);
      });
    });
  };
  let queued = false;
  const later = () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; fix(); }); } };
  new MutationObserver(later).observe(document.body, {subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ["aria-label", "role", "tabindex", "href"]});
  fix();
}"""

# Gradio scopes `css` inside its container; the page's own padding is outside it, so that goes in <head>.
HEAD = "<style>@media (max-width: 480px) { .gradio-container .main.app { padding: 6px !important; } }</style>"


def _contact(cfg: Any) -> str:
    """The clinic's name and contact for the header, with tap-to-call and tap-to-mail links when set."""
    links = []
    if cfg.clinic_phone:
        links.append(f'<a href="tel:{text(cfg.clinic_phone)}">Call</a>')
    if cfg.clinic_email:
        links.append(f'<a href="mailto:{text(cfg.clinic_email)}">Email</a>')
    extra = f' ({" · ".join(links)})' if links else ""
    return f'<p class="faq-contact">{text(cfg.clinic_name)}: {text(cfg.clinic_contact)}{extra}</p>'


def build_ui(bot: FAQBot) -> gr.Blocks:
    """The chat page: title, clinic contact, the chat (intro and examples when empty), a labelled text box."""
    cfg = bot.config
    with gr.Blocks(title=cfg.title, analytics_enabled=False, fill_height=True) as demo:
        gr.HTML(f'<div class="faq-header"><h1>{text(cfg.title)}</h1>{_contact(cfg)}</div>', js_on_load=None)
        chatbot = gr.Chatbot(
            label="Conversation", show_label=False, elem_id="faq-chat", height="calc(100vh - 240px)", min_height=320,
            placeholder=f'<div class="faq-intro">{_lines(cfg.intro)}</div>',
            examples=[{"text": q} for q in cfg.examples],
            buttons=[], feedback_options=None, latex_delimiters=[], sanitize_html=True,
            render_markdown=True, allow_tags=False, allow_file_downloads=False, autoscroll=False,
            layout="panel",
        )
        question = gr.Textbox(label="Your question", placeholder="Type a question and press Enter",
                              lines=1, max_lines=5, submit_btn="Send", elem_id="faq-question", autofocus=False)

        def ask(message: str, history: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
            return respond(message, history, bot)

        def pick(history: list[dict[str, Any]], evt: gr.SelectData) -> tuple[str, list[dict[str, Any]]]:
            value = evt.value
            if isinstance(value, dict):  # example_select gives {"text": …}, option_select the option's value
                value = value.get("text") or value.get("value") or ""
            return respond(value, history, bot)

        question.submit(ask, [question, chatbot], [question, chatbot], api_name="ask",
                        show_progress="hidden").then(None, js=_SCROLL_JS)
        for event in [
            chatbot.example_select(pick, [chatbot], [question, chatbot], api_visibility="private",
                                   show_progress="hidden"),
            chatbot.option_select(pick, [chatbot], [question, chatbot], api_visibility="private",
                                  show_progress="hidden"),
        ]:
            event.then(None, js=_PICKED_JS)
    demo.queue(default_concurrency_limit=QUEUE_CONCURRENCY, max_size=QUEUE_MAX_SIZE, api_open=False)
    return demo
