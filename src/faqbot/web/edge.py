"""The edge of the web app: what every response gets, whatever route or library answered it.

`SecurityHeaders` (pure ASGI, outermost) puts the same headers on every response (the frame-ancestors
allow-list, nosniff, no-referrer, no `server`), rewrites every error body to faqbot's one JSON shape
{"error", "disclaimer"} (Gradio's own 404s and a refused CORS preflight included), and has `EmbedLog` say in
the server's log when a site that the allow-lists do not name tries to embed the chat.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import origin_problem

MAX_ERROR_BODY = 64 * 1024  # an error body larger than this is passed on as it is, not rewritten
LOG_EVERY = 600.0  # seconds between two log lines about the same refused origin


class SecurityHeaders:
    """Pure ASGI middleware at the edge of the app: the same headers on every response (frame-ancestors
    allow-list, no `server`), every error body as {"error", "disclaimer"}, and a log line for a site that the
    allow-lists refuse (`embed_log`)."""

    def __init__(self, app: ASGIApp, frame_ancestors: Sequence[str], disclaimer: str = "",
                 embed_log: EmbedLog | None = None) -> None:
        self.app = app
        self.headers = security_headers(frame_ancestors)
        self._drop = {k for k, _ in self.headers} | {b"server"}
        self.disclaimer = disclaimer
        self.embed_log = embed_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.embed_log is not None:
            self.embed_log.check(scope)
        error: dict[str, Any] = {}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self._drop]
                message = {**message, "headers": kept + self.headers}
                if message["status"] >= 400 and self.disclaimer:
                    error["start"], error["body"] = message, b""  # hold it: the body may need rewriting
                    return
            elif error and message["type"] == "http.response.body":
                error["body"] += message.get("body", b"")
                if message.get("more_body", False) and len(error["body"]) <= MAX_ERROR_BODY:
                    return
                start, body = error.pop("start"), error.pop("body")
                start, body = self._as_json_error(scope, start, body, message.get("more_body", False))
                await send(start)
                message = {**message, "body": body}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _as_json_error(self, scope: Scope, start: Message, body: bytes, more: bool) -> tuple[Message, bytes]:
        """An error response's start and body, rewritten to {"error", "disclaimer"} unless already so."""
        if more or scope["method"] == "HEAD":  # too large to be a short message, or no body at all: as it is
            return start, body
        headers = start["headers"]
        ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"").decode("latin-1")
        try:
            data = json.loads(body) if "json" in ctype else None
        except ValueError:
            data = None
        if isinstance(data, dict) and set(data) == {"error", "disclaimer"}:
            return start, body
        status = start["status"]
        detail = data.get("detail") if isinstance(data, dict) else None
        if isinstance(detail, str) and detail and detail.lower() not in _GENERIC:
            message = detail
        elif scope["method"] == "OPTIONS" and body.startswith(b"Disallowed CORS"):
            refused = body.decode("latin-1").removeprefix("Disallowed CORS ")
            message = (f"cross-origin request refused ({refused}): the page's origin must be listed in "
                       "web.cors_origins in bot.yaml")
        else:
            message = _STATUS_TEXT.get(status, f"request failed (HTTP {status})")
        out = orjson.dumps({"error": message[:300], "disclaimer": self.disclaimer})
        kept = [(k, v) for k, v in headers
                if k.lower() not in (b"content-type", b"content-length", b"content-encoding")]
        kept += [(b"content-type", b"application/json"), (b"content-length", str(len(out)).encode())]
        return {**start, "headers": kept}, out


_GENERIC = {"not found", "method not allowed", "bad request", "internal server error"}
_STATUS_TEXT = {400: "bad request", 401: "not authorised", 403: "forbidden", 404: "not found",
                405: "method not allowed", 413: "request too large", 422: "invalid request",
                429: "too many requests, please try again later", 500: "internal error, please try again",
                503: "busy, please try again"}


class EmbedLog:
    """One line on stderr when a page that the allow-lists do not name tries to use the chat.

    A browser says which page is asking: a cross-origin request carries `Origin` (the web component, and
    browser calls to /api/ask), and a page put in an iframe is fetched with `Sec-Fetch-Dest: iframe` and,
    by default, a `Referer` naming the embedding page. Such a request is refused by the browser without a
    word to the server (CORS, frame-ancestors); this says in the server's log which origin it was and which
    bot.yaml setting would allow it. Only origins and paths are logged, never a question, and each origin at
    most once every LOG_EVERY seconds.
    """

    def __init__(self, cors_origins: Sequence[str], frame_ancestors: Sequence[str],
                 write: Callable[[str], None] | None = None) -> None:
        self.cors = frozenset(cors_origins)
        self.frames = frozenset(frame_ancestors)
        self.write = write or _stderr
        self._seen: dict[tuple[str, str], float] = {}

    def check(self, scope: Scope) -> None:
        origin = dest = site = referer = host = b""
        for k, v in scope["headers"]:
            if k == b"origin":
                origin = v
            elif k == b"sec-fetch-dest":
                dest = v
            elif k == b"sec-fetch-site":
                site = v
            elif k == b"referer":
                referer = v
            elif k == b"host":
                host = v
        if site == b"same-origin" or not (origin or dest in (b"iframe", b"frame")):
            return
        own = host.decode("latin-1")
        if dest in (b"iframe", b"frame"):
            page = _origin_of(referer.decode("latin-1")) if referer else ""
            if page not in self.frames and _host_of(page) != own:
                self._log(page, "frame_ancestors", "show the chat in an iframe")
        elif origin:
            page = origin.decode("latin-1")
            if page not in self.cors and _host_of(page) != own:
                self._log(page, "cors_origins", f"use the chat or the API from its page ({scope['path']})")

    def _log(self, origin: str, setting: str, what: str) -> None:
        now = time.monotonic()
        key = (origin, setting)
        if now - self._seen.get(key, -LOG_EVERY) < LOG_EVERY:
            return
        if len(self._seen) > 1000:
            self._seen.clear()
        self._seen[key] = now
        shown = origin if origin and origin_problem(origin) is None else (
            repr(origin[:80]) if origin else "a page that sent no Referer")
        self.write(f"faqbot: refused: {shown} tried to {what}, but it is not in web.{setting} in bot.yaml; "
                   f"if that site is yours, add its origin there and restart faqbot")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _origin_of(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _host_of(origin: str) -> str:
    try:
        return urlsplit(origin).netloc
    except ValueError:
        return ""


def security_headers(frame_ancestors: Sequence[str]) -> list[tuple[bytes, bytes]]:
    ancestors = " ".join(["'self'", *frame_ancestors])
    return [(b"content-security-policy", f"frame-ancestors {ancestors}".encode("latin-1")),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer")]
