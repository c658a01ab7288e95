"""Rendering a reply as the chat shows it: HTML built only from escaped text.

Everything the patient sees is escaped here, on the server: questions and quoted passages are shown as
text, never as HTML, because Gradio's own sanitiser lets `<svg><a href="javascript:…">` through. Crisis
resources come from the configuration as data (names, contacts, links), never parsed back out of text.
"""

from __future__ import annotations

import re
import string
from typing import Any

from ..config import BotConfig
from ..records import Kind
from ..reply import Answer

# Every ASCII punctuation character becomes a numeric character reference. That is html.escape and more:
# Markdown reads a character reference as literal text, so neither HTML (`<svg>`, `onerror=`) nor Markdown
# (`[x](javascript:…)`, `![](…)`, `$$…$$`, autolinks) in a question or a passage can become markup.
_ENTITIES = {ord(c): f"&#{ord(c)};" for c in string.punctuation}
_BLANK_LINES = re.compile(r"\n\s*\n+")


def text(value: Any) -> str:
    """`value` as inert HTML text: markup characters and Markdown syntax alike are escaped."""
    return str(value).translate(_ENTITIES)


def _lines(value: str) -> str:
    """Escaped text with line breaks kept (as <br>), on one line so Markdown sees one HTML block."""
    return "<br>".join(text(line.strip()) for line in _BLANK_LINES.sub("\n", value.strip()).split("\n"))


def render_question(message: str) -> str:
    """A patient's message as it appears in their bubble: exactly what they typed, as text."""
    return f'<div class="faq-user">{_lines(message)}</div>'


def render_reply(reply: Answer | dict[str, Any], config: BotConfig) -> str:
    """One bot bubble as HTML built only from escaped text: message, quotations with their source, disclaimer.

    A crisis reply puts the help resources first, in a box that stands out; `config` supplies them as data.
    """
    r = reply.to_dict() if isinstance(reply, Answer) else reply
    parts: list[str] = []
    if r["kind"] == Kind.CRISIS:
        intro = " ".join(line for line in r["message"].splitlines() if not line.startswith("- ")).strip()
        if intro.endswith(":"):  # "Please reach a person now:" introduced the list, which now comes first
            intro = intro[:-1] + "."
        items = "".join(f"<li><strong>{text(name)}</strong>: {text(contact)}</li>"
                        for name, contact in _resources(r, config))
        parts.append(f'<div class="faq-crisis" role="alert"><p class="faq-crisis-title"><strong>Get help now'
                     f'</strong></p><ul class="faq-resources">{items}</ul><p>{text(intro)}</p></div>')
    elif r["message"]:
        parts.append(f'<p class="faq-message">{_lines(r["message"])}</p>')
    for p in r["passages"]:
        parts.append(f'<blockquote class="faq-quote"><p>{_lines(p["text"])}</p><p class="faq-source">— '
                     f'<cite>{text(p["source"]["title"])}</cite></p></blockquote>')
    parts.append(f'<p class="faq-disclaimer"><small>{text(r["disclaimer"])}</small></p>')
    return f'<div class="faq-reply faq-kind-{text(r["kind"])}">{"".join(parts)}</div>'


def _resources(reply: dict[str, Any], config: BotConfig) -> list[tuple[str, str]]:
    """The crisis resources to show, from the configuration."""
    return [(c.name, c.contact) for c in config.crisis_resources]


def bot_message(answer: Answer, config: BotConfig) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": render_reply(answer, config)}
    if answer.related:  # shown as buttons under the reply; clicking one asks it (Chatbot.option_select)
        msg["options"] = [{"label": q, "value": q} for q in answer.related]
    return msg
