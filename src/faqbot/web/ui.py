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
.faq-source { font-size: .9em; opacity: .85; }
.faq-disclaimer { margin-top: .5rem !important; padding-top: .4rem; border-top: 1px solid rgba(127,127,127,.35);
  font-size: .85em; opacity: .9; }
.faq-crisis { border: 2px solid #b91c1c; background: #fef2f2; border-radius: 6px; padding: .6rem .75rem;
  margin-bottom: .5rem; }
.faq-crisis, .faq-crisis * { color: #7f1d1d !important; }
.faq-crisis ul { margin: .25rem 0 .5rem 1.1rem; padding: 0; }
.faq-crisis li { margin: .2rem 0; }
.faq-crisis-title { font-size: 1.1em; }
.faq-contact { font-size: .9em; }
.faq-intro { padding: 0 1rem; text-align: center; }
@media (max-width: 480px) {
  .faq-header h1 { font-size: 1.15rem; }
  .faq-contact { font-size: .8em; }
}
"""
# After a reply, scroll the chat (not the page, which may be a clinic's) so the latest question is at the top:
# a reply is read from its start, and a crisis reply starts with where to get help.
_SCROLL_JS = """() => { setTimeout(() => {
  const chat = document.getElementById("faq-chat");
  const users = chat ? chat.querySelectorAll('[data-testid="user"]') : [];
  if (!users.length) return;
  const last = users[users.length - 1];
  let box = last.parentElement;
  while (box && box !== chat && !(box.scrollHeight > box.clientHeight &&
         /(auto|scroll)/.test(getComputedStyle(box).overflowY))) box = box.parentElement;
  if (box && box !== chat) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
}, 80); }"""

# Gradio scopes `css` inside its container; the page's own padding is outside it, so that goes in <head>.
HEAD = "<style>@media (max-width: 480px) { .gradio-container .main.app { padding: 6px !important; } }</style>"


def build_ui(bot: FAQBot) -> gr.Blocks:
    """The chat page: title, clinic contact, the chat (intro and examples when empty), a labelled text box."""
    cfg = bot.config
    with gr.Blocks(title=cfg.title, analytics_enabled=False, fill_height=True) as demo:
        gr.HTML(f'<div class="faq-header"><h1>{text(cfg.title)}</h1><p class="faq-contact">'
                f'{text(cfg.clinic_name)}: {text(cfg.clinic_contact)}</p></div>', js_on_load=None)
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

        for event in [
            question.submit(ask, [question, chatbot], [question, chatbot], api_name="ask", show_progress="hidden"),
            chatbot.example_select(pick, [chatbot], [question, chatbot], api_visibility="private",
                                   show_progress="hidden"),
            chatbot.option_select(pick, [chatbot], [question, chatbot], api_visibility="private",
                                  show_progress="hidden"),
        ]:
            event.then(None, js=_SCROLL_JS)
    demo.queue(default_concurrency_limit=QUEUE_CONCURRENCY, max_size=QUEUE_MAX_SIZE, api_open=False)
    return demo
