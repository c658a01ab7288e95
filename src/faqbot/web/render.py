"""Rendering a reply as the chat shows it: HTML built only from escaped text.

Everything the patient sees is escaped here, on the server: questions and quoted passages are shown as
text, never as HTML, because Gradio's own sanitiser lets `<svg><a href="javascript:…">` through. Crisis
resources come from the configuration as data (names, contacts, links), never parsed back out of text. The
only links in a reply are built here from data that the loader checked: a quote's link to its source page
(ids are URL-safe) and the crisis resources' tel:, sms:, mailto: and https: links (faqbot.config.link_problem).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from html import escape
from typing import Any

from ..config import BotConfig, Resource
from ..records import Kind, Reason, Source
from ..reply import Answer

# Every ASCII punctuation character becomes a numeric character reference. That is html.escape and more:
# Markdown reads a character reference as literal text, so neither HTML (`<svg>`, `onerror=`) nor Markdown
# (`[x](javascript:…)`, `![](…)`, `$$…$$`, autolinks) in a question or a passage can become markup.
_ENTITIES = {ord(c): f"&#{ord(c)};" for c in string.punctuation}
_BLANK_LINES = re.compile(r"\n\s*\n+")

RELATED_CAPTION = "Related questions:"
DID_YOU_MEAN_CAPTION = "Did you mean:"
EXAMPLES_CAPTION = "You could ask:"


def text(value: Any) -> str:
    """`value` as inert HTML text: markup characters and Markdown syntax alike are escaped."""
    return str(value).translate(_ENTITIES)


def _lines(value: str) -> str:
    """Escaped text with line breaks kept (as <br>), on one line so Markdown sees one HTML block."""
    return "<br>".join(text(line.strip()) for line in _BLANK_LINES.sub("\n", value.strip()).split("\n"))


def _link(href: str, label: str, cls: str, new_tab: bool = False) -> str:
    """An <a> from a checked href (escaped all the same) and a label shown as text."""
    extra = ' target="_blank" rel="noopener noreferrer"' if new_tab else ""
    return f'<a class="{cls}" href="{text(href)}"{extra}>{text(label)}</a>'


def render_question(message: str) -> str:
    """A patient's message as it appears in their bubble: exactly what they typed, as text."""
    return f'<div class="faq-user">{_lines(message)}</div>'


def suggestion_label(question: str) -> str:
    """A suggested question as its button shows it (and asks it): a capital first letter and a final "?"."""
    q = question.strip().rstrip(".!").rstrip()
    q = q[:1].upper() + q[1:]
    return q if q.endswith("?") else q + "?"


def suggestions_caption(reply: Mapping[str, Any]) -> str:
    """What the buttons under a reply are: related questions, suggestions for a question not matched, examples."""
    if reply["kind"] == Kind.ANSWER:
        return RELATED_CAPTION
    return EXAMPLES_CAPTION if reply["reason"] == Reason.EMPTY else DID_YOU_MEAN_CAPTION


def render_reply(reply: Answer | dict[str, Any], config: BotConfig) -> str:
    """One bot bubble as HTML built only from escaped text: message, quotations with their source, disclaimer.

    A crisis reply puts the help resources first, in a box that stands out, each with its tap-to-call, text or
    mail links; `config` supplies them as data. Each quote links to its source page (the reply's `link`,
    relative to the server's root) where the quoted words are highlighted. Suggested questions, shown by the
    chat as buttons under the reply, get their caption at its end.
    """
    r = reply.to_dict() if isinstance(reply, Answer) else reply
    parts: list[str] = []
    if r["kind"] == Kind.CRISIS:
        parts.append(_crisis_box(r, config, reply.language if isinstance(reply, Answer) else ""))
    elif r["message"]:
        parts.append(f'<p class="faq-message">{_lines(r["message"])}</p>')
    for p in r["passages"]:
        source = _link(p["link"], p["source"]["title"], "faq-source-link", new_tab=True)
        parts.append(f'<blockquote class="faq-quote"><p>{_lines(p["text"])}</p><p class="faq-source">— '
                     f'<cite>{source}</cite> <span class="faq-source-note">(the article, with this quote '
                     f'highlighted)</span></p></blockquote>')
    parts.append(f'<p class="faq-disclaimer">{text(r["disclaimer"])}</p>')
    if r["related"]:
        parts.append(f'<p class="faq-suggest-caption">{text(suggestions_caption(r))}</p>')
    return f'<div class="faq-reply faq-kind-{text(r["kind"])}">{"".join(parts)}</div>'


def _crisis_box(r: Mapping[str, Any], config: BotConfig, language: str) -> str:
    intro = " ".join(line for line in r["message"].splitlines() if not line.startswith("- ")).strip()
    if intro.endswith(":"):  # "Please reach a person now:" introduced the list, which now comes first
        intro = intro[:-1] + "."
    items = "".join(f"<li><strong>{text(c.name)}</strong>: {text(c.contact)}{_links(c)}</li>"
                    for c in _resources(r, config, language))
    clinic = [_link(f"tel:{config.clinic_phone}", config.clinic_phone, "faq-link")] if config.clinic_phone else []
    if config.clinic_email:
        clinic.append(_link(f"mailto:{config.clinic_email}", config.clinic_email, "faq-link"))
    clinic_line = (f'<p class="faq-clinic"><strong>{text(config.clinic_name)}</strong>: '
                   f'<span class="faq-links">{" ".join(clinic)}</span></p>') if clinic else ""
    return (f'<div class="faq-crisis" role="alert"><p class="faq-crisis-title"><strong>Get help now</strong></p>'
            f'<ul class="faq-resources">{items}</ul><p>{text(intro)}</p>{clinic_line}</div>')


def _links(resource: Resource) -> str:
    if not resource.links:
        return ""
    links = " ".join(_link(k.href, k.label, "faq-link", new_tab=k.href.startswith("https:"))
                     for k in resource.links)
    return f' <span class="faq-links">{links}</span>'


def _resources(reply: Mapping[str, Any], config: BotConfig, language: str = "") -> tuple[Resource, ...]:
    """The crisis resources to show, from the configuration, in the language the reply was written in."""
    translations = config.translations
    if language in translations and translations[language].crisis_resources:
        return translations[language].crisis_resources
    if not language:  # a reply given as JSON: its message says which language's crisis text it is
        for t in translations.values():
            if t.crisis_message and t.crisis_resources and reply["message"].startswith(t.crisis_message):
                return t.crisis_resources
    return config.crisis_resources


def bot_message(answer: Answer, config: BotConfig) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": render_reply(answer, config)}
    if answer.related:  # shown as buttons under the reply; clicking one asks it (Chatbot.option_select)
        msg["options"] = [{"label": label, "value": label} for label in map(suggestion_label, answer.related)]
    return msg


SOURCE_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 0;
  color: #1f2937; background: #fff; line-height: 1.55; }
header { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #d1d5db; }
header > div, main, footer { max-width: 46rem; margin: 0 auto; padding: 0 1rem; }
header > div { padding: .6rem 1rem .5rem 1rem; }
h1 { font-size: 1.2rem; line-height: 1.3; margin: .15rem 0 0 0; }
.faq-back { margin: 0; font-size: .95rem; }
.faq-meta, .faq-note { margin: .75rem 0 .25rem 0; font-size: .95rem; color: #374151; }
a { color: #1d4ed8; }
.faq-source-text { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 1rem; margin: 1rem 0;
  padding: 1rem 0; border-top: 1px solid #d1d5db; border-bottom: 1px solid #d1d5db; }
mark { background: #fde68a; color: #111827; padding: .1em 0; scroll-margin-top: max(30vh, 10rem);
  box-shadow: 0 0 0 2px #fde68a; border-radius: 2px; }
footer p { font-size: .875rem; color: #4b5563; margin: 0 0 1.5rem 0; }
"""


def render_source_page(source: Source, span: tuple[int, int] | None, config: BotConfig) -> str:
    """A whole HTML page showing a source's text, escaped, with the quoted span in <mark id="passage">.

    Links are relative ("../" is the chat), so the page works under any root path. It loads nothing else.
    """
    body = source.text
    if span is not None:
        start, end = span
        shown = (f'{escape(body[:start])}<mark id="passage">{escape(body[start:end])}</mark>'
                 f'{escape(body[end:])}')
        note = "The words quoted in the chat are highlighted."
    else:
        shown, note = escape(body), "The full text that the chat quotes from."
    meta = []
    if source.publisher:
        meta.append(f"Published by {escape(source.publisher)}")
    if source.url.startswith(("https://", "http://")):
        meta.append(f'<a href="{escape(source.url)}" rel="noopener noreferrer">The original article</a>')
    elif source.url:
        meta.append(f"Originally at {escape(source.url)}")
    meta_line = f'<p class="faq-meta">{" · ".join(meta)}</p>' if meta else ""
    title = escape(source.title)
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="referrer" content="no-referrer"><title>{title} · source</title>'
            f'<style>{SOURCE_CSS}</style></head><body><header><div><p class="faq-back"><a href="../">← Back to '
            f'{escape(config.title)}</a></p><h1>{title}</h1></div></header>'
            f'<main>{meta_line}<p class="faq-note">{note}</p><div class="faq-source-text">{shown}</div></main>'
            f'<footer><p>{escape(config.disclaimers["answer"])}</p></footer></body></html>\n')
