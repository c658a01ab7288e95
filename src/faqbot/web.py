"""The web chat (Gradio) and the JSON API (FastAPI) in one ASGI app, safe to embed in a clinic's site.

    faqbot serve                      # or `python app.py` / `make run`: http://127.0.0.1:7860
    POST /api/ask {"question": "…"}   # -> Answer.to_dict(), the same reply the chat and the CLI give
    GET  /api/health                  # {"status": "ok", "passages": N}
    GET  /docs                        # OpenAPI
    GET  /gradio.js                   # the <gradio-app> web-component loader, served from the package

Everything the patient sees is escaped here, on the server: questions and quoted passages are shown as
text, never as HTML, because Gradio's own sanitiser lets `<svg><a href="javascript:…">` through.
Only this module imports gradio, so `import faqbot` stays light.
"""

from __future__ import annotations

import json
import os
import re
import string
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import anyio
import gradio as gr
import orjson
import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .bot import CRISIS, Answer, FAQBot
from .errors import KnowledgeError, Problem
from .knowledge import BotConfig, load_knowledge
from .unanswered import UnansweredLog

__all__ = ["MAX_BODY_BYTES", "build_ui", "check_origins", "create_app", "render_reply", "respond", "serve", "text"]

MAX_BODY_BYTES = 16 * 1024  # a question is at most a few thousand characters; anything bigger is refused (413)
MAX_IN_FLIGHT = 32  # /api/ask requests being answered or waiting at once; beyond this: 503 "busy"
ASK_THREADS = 4  # /api/ask answers computed at once, off the event loop
QUEUE_CONCURRENCY = 4  # chat replies computed at once (Gradio queue)
QUEUE_MAX_SIZE = 64  # chat requests waiting in Gradio's queue; beyond this the browser shows "busy"
MAX_MESSAGE_CHARS = 32_000  # hard cap on one chat message (the bot refers anything over max_question_chars)
MAX_HISTORY = 60  # messages kept in the chat window (30 exchanges)
BUSY = "busy, please try again"

_GRADIO_JS = Path(gr.__file__).resolve().parent / "templates" / "frontend" / "gradio.js"
_FONT = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
_FONT_MONO = ["ui-monospace", "SFMono-Regular", "Consolas", "monospace"]

# ------------------------------------------------------------------ rendering (pure functions)

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


def render_reply(reply: Answer | dict[str, Any], config: BotConfig | None = None) -> str:
    """One bot bubble as HTML built only from escaped text: message, quotations with their source, disclaimer.

    A crisis reply puts the help resources first, in a box that stands out; `config` supplies them (without it
    they are read from the reply's message).
    """
    r = reply.to_dict() if isinstance(reply, Answer) else reply
    parts: list[str] = []
    if r["kind"] == CRISIS:
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


def _resources(reply: dict[str, Any], config: BotConfig | None) -> list[tuple[str, str]]:
    if config is not None:
        return [(c.name, c.contact) for c in config.crisis_resources]
    pairs = (line[2:].partition(": ") for line in reply["message"].splitlines() if line.startswith("- "))
    return [(name, contact) for name, _, contact in pairs]


def _bot_message(answer: Answer, config: BotConfig | None) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": render_reply(answer, config)}
    if answer.related:  # shown as buttons under the reply; clicking one asks it (Chatbot.option_select)
        msg["options"] = [{"label": q, "value": q} for q in answer.related]
    return msg


_default: FAQBot | None = None


def _default_bot() -> FAQBot:
    global _default
    if _default is None:
        _default = _load_bot(None)
    return _default


def respond(message: Any, history: Sequence[dict[str, Any]] | None,
            bot: FAQBot | None = None) -> tuple[str, list[dict[str, Any]]]:
    """One chat turn: ("" for the text box, the history with the question and the escaped reply appended).

    Pure apart from `bot.ask` (and its optional unanswered log); `bot` defaults to the shipped knowledge base.
    """
    bot = bot if bot is not None else _default_bot()
    question = message if isinstance(message, str) else "" if message is None else str(message)
    question = question[:MAX_MESSAGE_CHARS]
    answer = bot.ask(question)
    shown = question if question.strip() else "…"
    turn = [{"role": "user", "content": render_question(shown)}, _bot_message(answer, bot.config)]
    return "", [*list(history or [])[-(MAX_HISTORY - 2):], *turn]


# ------------------------------------------------------------------ the chat UI

_CSS = """
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
_HEAD = "<style>@media (max-width: 480px) { .gradio-container .main.app { padding: 6px !important; } }</style>"


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


# ------------------------------------------------------------------ the JSON API


class AskRequest(BaseModel):
    question: str = Field(description="The patient's question, as typed.", examples=["How long does ketamine last?"])


class SourceOut(BaseModel):
    id: str
    title: str


class PassageOut(BaseModel):
    id: str
    text: str = Field(description="The source's own words, verbatim.")
    source: SourceOut
    score: float


class AnswerOut(BaseModel):
    question: str
    kind: str = Field(description='"answer", "referral" or "crisis"')
    reason: str
    message: str
    passages: list[PassageOut]
    related: list[str]
    disclaimer: str


class ErrorOut(BaseModel):
    error: str
    disclaimer: str


class HealthOut(BaseModel):
    status: str
    passages: int


class _BadRequest(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


class SecurityHeaders:
    """Pure ASGI middleware: the same headers on every response (frame-ancestors allow-list), no `server`."""

    def __init__(self, app: ASGIApp, frame_ancestors: Sequence[str]) -> None:
        self.app = app
        self.headers = security_headers(frame_ancestors)
        self._drop = {k for k, _ in self.headers} | {b"server"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self._drop]
                message = {**message, "headers": kept + self.headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def security_headers(frame_ancestors: Sequence[str]) -> list[tuple[bytes, bytes]]:
    ancestors = " ".join(["'self'", *frame_ancestors])
    return [(b"content-security-policy", f"frame-ancestors {ancestors}".encode("latin-1")),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer")]


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _BadRequest(413, f"request body too large: the limit is {limit} bytes; send one short question")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _BadRequest(413, f"request body too large: the limit is {limit} bytes; send one short question")
    return bytes(body)


def parse_question(body: bytes) -> str:
    """The question in a JSON body; invalid UTF-8 is replaced, not refused. Raises _BadRequest saying what's wrong."""
    raw = body.decode("utf-8", "replace")
    if not raw.strip():
        raise _BadRequest(400, 'empty body: send JSON like {"question": "How long does ketamine last?"}')
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, RecursionError) as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise _BadRequest(400, f'invalid JSON ({msg}{where}): send {{"question": "…"}}') from None
    if not isinstance(data, dict):
        raise _BadRequest(422, f'the body must be a JSON object like {{"question": "…"}}, not {_json_type(data)}')
    if "question" not in data:
        raise _BadRequest(422, 'missing field "question": send {"question": "…"}')
    question = data["question"]
    if not isinstance(question, str):
        raise _BadRequest(422, f'"question" must be a string, not {_json_type(question)}')
    return question


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", bool: "a boolean", int: "a number", float: "a number",
             str: "a string", type(None): "null"}
    return names.get(type(value), type(value).__name__)


_ORIGIN = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")


def check_origins(config: BotConfig) -> None:
    """Refuse allow-list entries that are not exact origins (a typo must not widen or break the policy)."""
    problems = [Problem("bot.yaml", 1, f"web.{key}: {value!r} is not an origin like 'https://www.clinic.example' "
                        "(scheme and host, optional port, no path, no trailing slash, no wildcard)")
                for key in ("cors_origins", "frame_ancestors") for value in getattr(config, key)
                if not _ORIGIN.match(value)]
    if problems:
        raise KnowledgeError(problems)


def _load_bot(knowledge: str | os.PathLike[str] | None) -> FAQBot:
    kb = load_knowledge(knowledge)
    log = UnansweredLog.for_knowledge(kb)
    return FAQBot(kb, on_unanswered=log.record if log is not None else None)


def create_app(bot: FAQBot | None = None, knowledge: str | None = None, root_path: str = "", *,
               max_in_flight: int = MAX_IN_FLIGHT) -> FastAPI:
    """The whole server as one ASGI app: JSON routes first, then the Gradio chat mounted at "/".

    `bot` defaults to one loaded from `knowledge` (default: $FAQBOT_KNOWLEDGE or the shipped base); loading
    raises KnowledgeError before anything is served. CORS and frame-ancestors come from bot.yaml `web:`.
    `root_path` is the public URL prefix behind a reverse proxy that strips it (e.g. "/faq"); the ASGI server
    must be given the same root path (`serve` does; with TestClient pass `root_path=` too).
    """
    if bot is None:
        bot = _load_bot(knowledge)
    cfg = bot.config
    check_origins(cfg)
    disclaimer = cfg.disclaimer
    headers = security_headers(cfg.frame_ancestors)

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message, "disclaimer": disclaimer}, status_code=status)

    app = FastAPI(title=f"faqbot: {cfg.title}", version=_version(), redoc_url=None, docs_url=None,
                  description="Answers questions only by quoting curated passages verbatim, with their source; "
                  "otherwise refers to the clinic or, in a crisis, lists where to get help now. Every reply, "
                  "errors included, carries the disclaimer.")
    health = json.dumps({"status": "ok", "passages": len(bot.passages)}).encode()
    limiter = anyio.CapacityLimiter(ASK_THREADS)
    inline_chars = cfg.max_question_chars
    in_flight = 0
    error_responses: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorOut, "description": why} for code, why in
        [(400, "invalid JSON"), (413, f"body over {MAX_BODY_BYTES} bytes"),
         (422, 'missing or non-string "question"'), (503, BUSY)]}

    @app.post("/api/ask", response_model=AnswerOut, responses=error_responses, summary="Ask one question",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": AskRequest.model_json_schema()}}}})
    async def ask(request: Request) -> Response:
        """Reply to `{"question": "…"}` with the same JSON as `faqbot ask --json`."""
        nonlocal in_flight
        try:
            question = parse_question(await _read_body(request, MAX_BODY_BYTES))
        except _BadRequest as exc:
            return error(exc.status, exc.error)
        if in_flight >= max_in_flight:
            return error(503, BUSY)
        in_flight += 1
        try:
            if len(question) <= inline_chars:
                # A short question takes well under a millisecond: a thread hop would cost more than it.
                answer = bot.ask(question)
            else:
                answer = await anyio.to_thread.run_sync(bot.ask, question, limiter=limiter)
        finally:
            in_flight -= 1
        # orjson: the same JSON as json.dumps (UTF-8, no NaN), in a tenth of the time of the reply's largest cost
        return Response(orjson.dumps(answer.to_dict()), media_type="application/json")

    @app.get("/api/health", response_model=HealthOut, summary="Liveness")
    async def api_health() -> Response:
        return Response(health, media_type="application/json")

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                   include_in_schema=False)
    async def api_fallback(rest: str) -> Response:
        # Without this, Gradio (mounted at "/") would answer with its own non-JSON 404.
        method = {"ask": "POST", "health": "GET"}.get(rest)
        if method is not None:
            resp = error(405, f"method not allowed: use {method} /api/{rest}")
            resp.headers["allow"] = method
            return resp
        return error(404, f"no such API route /api/{rest}: see /docs")

    @app.api_route("/gradio_api/run/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
    async def queue_bypass_closed(rest: str) -> Response:
        # Closed by api_open=False anyway; answering here also spares the log Gradio's 500 for unknown names.
        return error(404, "not found: the chat API goes through the queue (/gradio_api/call/ask)")

    @app.get("/docs", include_in_schema=False)
    async def api_docs(request: Request) -> Response:
        # FastAPI's default page loads Swagger UI from a CDN; serve the files bundled in swagger-ui-bundle.
        prefix = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(openapi_url=f"{prefix}/openapi.json", title=app.title,
                                   swagger_js_url=f"{prefix}/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url=f"{prefix}/docs-assets/swagger-ui.css",
                                   swagger_favicon_url=f"{prefix}/docs-assets/favicon-32x32.png")

    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")

    @app.get("/gradio.js", include_in_schema=False)
    async def gradio_js() -> Response:
        return FileResponse(_GRADIO_JS, media_type="text/javascript")

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        return error(status, str(getattr(exc, "detail", "internal error")))

    async def server_error(request: Request, exc: Exception) -> Response:
        # Runs outside the middleware stack, so the security headers are added here too. Never a traceback.
        resp = error(500, "internal error, please try again")
        for k, v in headers:
            resp.headers[k.decode()] = v.decode()
        return resp

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, server_error)
    # CORS before mounting: Gradio then leaves CORS to this allow-list (no credentials, no echoing any origin).
    app.add_middleware(CORSMiddleware, allow_origins=list(cfg.cors_origins), allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type", "X-Gradio-User"], allow_credentials=False, max_age=600)
    app.add_middleware(SecurityHeaders, frame_ancestors=cfg.frame_ancestors)

    demo = build_ui(bot)
    theme = gr.themes.Default(font=_FONT, font_mono=_FONT_MONO)
    return gr.mount_gradio_app(app, demo, path="/", root_path=root_path or None, footer_links=[], theme=theme,
                               css=_CSS, head=_HEAD, run_history=False, pwa=False, mcp_server=False, ssr_mode=False,
                               enable_monitoring=False, show_error=False)


def _version() -> str:
    from . import __version__

    return __version__


# ------------------------------------------------------------------ serving


def serve(knowledge: str | None = None, host: str = "127.0.0.1", port: int = 7860, root_path: str = "") -> None:
    """Check the whole knowledge base, then serve the chat and API with uvicorn until interrupted.

    A knowledge base with problems prints every `file:line: message` and exits with status 1; it is never
    served half-loaded.
    """
    try:
        app = create_app(_load_bot(knowledge), root_path=root_path)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"Error: the knowledge base has {len(exc.problems)} problem(s); not serving", file=sys.stderr)
        raise SystemExit(1) from None
    import uvicorn

    shown = f"[{host}]" if ":" in host else host
    behind = f"; public under {root_path}/ behind your reverse proxy" if root_path else ""
    print(f"faqbot: chat on http://{shown}:{port}/ (JSON API: POST /api/ask, docs: /docs{behind}); Ctrl+C stops",
          file=sys.stderr, flush=True)
    # No access log: requests never carry a question in the URL anyway (it travels in the POST body).
    uvicorn.run(app, host=host, port=port, root_path=root_path, log_level="warning", access_log=False,
                server_header=False)

