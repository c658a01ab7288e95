"""The JSON API (FastAPI) and the one ASGI app that also mounts the chat, safe to embed in a clinic's site.

    POST /api/ask {"question": "…"}   # -> Answer.to_dict(), the same reply the chat and the CLI give
    GET  /api/health                  # {"status": "ok", "passages": N}
    GET  /source/{id}?passage={pid}   # a source's text with the quoted passage highlighted (a reply's `link`)
    GET  /docs                        # OpenAPI, in Swagger UI 5 served from the package (static/swagger-ui)
    GET  /gradio.js                   # the <gradio-app> web-component loader, served from the package

The reply's JSON contract is faqbot.reply.AnswerJSON: the OpenAPI schema is generated from it, and the tests
validate replies against the same type. Every error, from these routes or from Gradio's, is JSON of one shape,
{"error": "…", "disclaimer": "…"}; a request from a site that the allow-lists in bot.yaml do not name is logged
(one line on stderr, with that site's origin and the setting to change, never a question).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import anyio
import gradio as gr
import orjson
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from ..bot import FAQBot
from ..config import BotConfig, origin_problem
from ..errors import KnowledgeError, Problem
from ..records import Kind
from ..reply import AnswerJSON
from ..unanswered import load_bot
from ..verbatim import locate
from .edge import EmbedLog, SecurityHeaders, security_headers
from .render import render_source_page
from .ui import ACCESSIBILITY_JS, CSS, FONT, FONT_MONO, HEAD, build_ui

MAX_BODY_BYTES = 16 * 1024  # a question is at most a few thousand characters; anything bigger is refused (413)
MAX_IN_FLIGHT = 32  # /api/ask requests being answered or waiting at once; beyond this: 503 "busy"
ASK_THREADS = 4  # /api/ask answers computed at once, off the event loop
BUSY = "busy, please try again"
_GRADIO_JS = Path(gr.__file__).resolve().parent / "templates" / "frontend" / "gradio.js"
SWAGGER_UI = Path(__file__).resolve().parent / "static" / "swagger-ui"  # swagger-ui-dist 5.x, see its README.md


class AskRequest(BaseModel):
    question: str = Field(description="The patient's question, as typed.", examples=["How long does ketamine last?"])


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


def check_origins(config: BotConfig) -> None:
    """Refuse allow-list entries that are not exact origins (the loader reports them at their line first)."""
    problems = [Problem("bot.yaml", 1, f"web.{key}: {why}")
                for key in ("cors_origins", "frame_ancestors") for value in getattr(config, key)
                if (why := origin_problem(value)) is not None]
    if problems:
        raise KnowledgeError(problems)


def create_app(bot: FAQBot | None = None, knowledge: str | None = None, root_path: str = "", *,
               max_in_flight: int = MAX_IN_FLIGHT) -> FastAPI:
    """The whole server as one ASGI app: JSON routes first, then the Gradio chat mounted at "/".

    `bot` defaults to one loaded from `knowledge` (default: $FAQBOT_KNOWLEDGE or the shipped base); loading
    raises KnowledgeError before anything is served. CORS and frame-ancestors come from bot.yaml `web:`.
    `root_path` is the public URL prefix behind a reverse proxy that strips it (e.g. "/faq"); the ASGI server
    must be given the same root path (`serve` does; with TestClient pass `root_path=` too).
    """
    if bot is None:
        bot = load_bot(knowledge)
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

    ok_response: dict[str, Any] = {"description": "The reply: a quote with its source, a referral or the crisis "
                                   "reply (`kind`), and why (`reason`)",
                                   "content": {"application/json": {"examples": reply_examples(bot)}}}

    @app.post("/api/ask", response_model=AnswerJSON, responses={200: ok_response, **error_responses},
              summary="Ask one question",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": AskRequest.model_json_schema(),
                                       "example": {"question": cfg.examples[0] if cfg.examples else "…"}}}}})
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

    sources = {sid: src for sid, src in bot.knowledge.sources.items() if not src.excluded}
    passages = {p.id: p for p in bot.passages}

    @functools.lru_cache(maxsize=256)
    def source_page(source_id: str, passage_id: str | None) -> bytes:
        source = sources[source_id]
        span = locate(source.text, passages[passage_id].text) if passage_id is not None else None
        return render_source_page(source, span, cfg).encode()

    @app.get("/source/{source_id}", include_in_schema=False, response_class=HTMLResponse)
    async def source(source_id: str, passage: str | None = None) -> Response:
        # Only sources named in sources.yaml (and quoted: an excluded one is not shown), looked up by id in
        # memory: nothing from the request reaches a file path.
        if source_id not in sources:
            return error(404, "no such source: see the `link` of a passage in a reply")
        if passage is not None and (passage not in passages or passages[passage].source != source_id):
            return error(404, "no such passage in this source: see the `link` of a passage in a reply")
        return HTMLResponse(source_page(source_id, passage))

    @app.get("/docs", include_in_schema=False)
    async def api_docs(request: Request) -> Response:
        # FastAPI's default page loads Swagger UI from a CDN; this one serves Swagger UI 5 (which reads the
        # OpenAPI 3.1 that FastAPI writes) from the package.
        prefix = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(openapi_url=f"{prefix}/openapi.json", title=app.title,
                                   swagger_js_url=f"{prefix}/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url=f"{prefix}/docs-assets/swagger-ui.css",
                                   swagger_favicon_url=f"{prefix}/docs-assets/favicon-32x32.png",
                                   swagger_ui_parameters={"validatorUrl": None, "defaultModelsExpandDepth": 3,
                                                          "tryItOutEnabled": True})

    app.mount("/docs-assets", StaticFiles(directory=SWAGGER_UI), name="docs-assets")

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
    app.add_middleware(SecurityHeaders, frame_ancestors=cfg.frame_ancestors, disclaimer=disclaimer,
                       embed_log=EmbedLog(cfg.cors_origins, cfg.frame_ancestors))

    demo = build_ui(bot)
    theme = gr.themes.Default(font=FONT, font_mono=FONT_MONO)
    return gr.mount_gradio_app(app, demo, path="/", root_path=root_path or None, footer_links=[], theme=theme,
                               css=CSS, head=HEAD, js=ACCESSIBILITY_JS, run_history=False, pwa=False,
                               mcp_server=False, ssr_mode=False, enable_monitoring=False, show_error=False)


def reply_examples(bot: FAQBot) -> dict[str, dict[str, Any]]:
    """Real replies of this bot, one per kind, as OpenAPI examples for the /docs page."""
    cfg = bot.config
    tries = [(Kind.ANSWER, [*cfg.examples, *(p.questions[0] for p in bot.passages[:20])]),
             (Kind.REFERRAL, ["How many mg should I take?", "Can I get ketamine without a prescription?"]),
             (Kind.CRISIS, ["I want to end my life"])]
    out: dict[str, dict[str, Any]] = {}
    log, bot.on_unanswered = bot.on_unanswered, None  # these are not patients' questions: never logged
    try:
        for kind, questions in tries:
            reply = next((r for r in map(bot.ask, questions) if r.kind == kind), None)
            if reply is not None:
                out[kind.value] = {"summary": f"kind: {kind.value} ({reply.reason.value})",
                                   "value": reply.to_dict()}
    except Exception:  # documentation only: a bot that cannot answer here fails where it matters, on /api/ask
        return {}
    finally:
        bot.on_unanswered = log
    return out


def _version() -> str:
    from .. import __version__

    return __version__
