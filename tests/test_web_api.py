"""The JSON API, headers, CORS and Gradio routes, over HTTP against one live server (plus TestClient where handy)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from webserver import Server, free_port, knowledge_copy, live_server

from faqbot import FAQBot, KnowledgeError
from faqbot.cli import main as cli_main
from faqbot.records import Source
from faqbot.web import MAX_BODY_BYTES, check_origins, create_app, render_reply, respond, text
from faqbot.web.render import render_source_page, suggestion_label

pytestmark = pytest.mark.server

ALLOWED = "https://www.clinic.example"
DENIED = "https://evil.example"
ANSWER_KEYS = {"question", "kind", "reason", "message", "passages", "related", "disclaimer"}
XSS = '<svg><a href="javascript:alert(8)"><text x="20" y="20">click</text></a></svg><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return knowledge_copy(tmp_path_factory.mktemp("api") / "knowledge", [ALLOWED], [ALLOWED])


@pytest.fixture(scope="module")
def server(kb: Path) -> Iterator[Server]:
    with live_server(kb) as s:
        yield s


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10.0, trust_env=False) as client:
        yield client


@pytest.fixture(scope="module")
def kb_bot(kb: Path) -> FAQBot:
    return FAQBot.load(kb)


def answered_question(bot: FAQBot) -> str:
    """A question the bot answers with quotes (first example that does, else a curated passage question)."""
    for q in [*bot.config.examples, *(p.questions[0] for p in bot.passages)]:
        a = bot.ask(q)
        if a.kind == "answer" and a.passages:
            return q
    raise AssertionError("the knowledge base answers none of its own questions")


def assert_error(r: httpx.Response, status: int, says: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error", "disclaimer"}
    assert says.lower() in body["error"].lower()
    assert body["disclaimer"]
    assert "Traceback" not in r.text and 'File "' not in r.text
    return body


# ------------------------------------------------------------------ the contract


def test_health_is_small_and_constant(http: httpx.Client, kb_bot: FAQBot) -> None:
    r = http.get("/api/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "passages": len(kb_bot.passages)}


def test_ask_returns_exactly_answer_to_dict(http: httpx.Client, kb_bot: FAQBot) -> None:
    q = answered_question(kb_bot)
    r = http.post("/api/ask", json={"question": q})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == ANSWER_KEYS
    assert body == kb_bot.ask(q).to_dict()
    assert body["kind"] == "answer" and body["passages"]
    for p in body["passages"]:
        assert set(p) == {"id", "text", "source", "link", "score"} and set(p["source"]) == {"id", "title"}
        assert p["link"] == f"source/{p['source']['id']}?passage={p['id']}#passage"  # relative to the root


def test_crisis_over_the_api(http: httpx.Client) -> None:
    body = http.post("/api/ask", json={"question": "I want to kill myself"}).json()
    assert body["kind"] == "crisis" and "988" in body["message"] and body["disclaimer"]


@pytest.mark.parametrize(("content", "status", "says"), [
    (b'{"q": "hello"}', 422, 'missing field "question"'),
    (b'{"question": 42}', 422, "must be a string, not a number"),
    (b'{"question": null}', 422, "must be a string, not null"),
    (b'{"question": ["a"]}', 422, "must be a string, not an array"),
    (b'["question"]', 422, "must be a JSON object"),
    (b'{"question": "unterminated', 400, "invalid JSON"),
    (b"question=hello", 400, "invalid JSON"),
    (b"", 400, "empty body"),
    (b"[" * 100_00, 400, "invalid JSON"),
])
def test_bad_requests_say_what_is_wrong(http: httpx.Client, content: bytes, status: int, says: str) -> None:
    r = http.post("/api/ask", content=content, headers={"content-type": "application/json"})
    assert_error(r, status, says)


def test_body_over_the_limit_is_413(http: httpx.Client) -> None:
    big = json.dumps({"question": "x" * (MAX_BODY_BYTES + 10)}).encode()
    assert_error(http.post("/api/ask", content=big), 413, "too large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while reading
        yield b'{"question": "'
        for _ in range(40):
            yield b"y" * 1024
        yield b'"}'

    assert_error(http.post("/api/ask", content=chunks()), 413, "too large")


def test_invalid_utf8_is_replaced_not_refused(http: httpx.Client) -> None:
    r = http.post("/api/ask", content=b'{"question": "how long does ketamine last \xff\xfe\xc3?"}')
    assert r.status_code == 200
    assert set(r.json()) == ANSWER_KEYS
    assert "\ufffd" in r.json()["question"] or "ketamine" in r.json()["question"]


def test_wrong_method_and_unknown_api_route_are_json(http: httpx.Client) -> None:
    assert_error(http.get("/api/ask"), 405, "method not allowed")
    assert_error(http.post("/api/health"), 405, "use GET")
    assert_error(http.get("/api/nothing"), 404, "no such API route")


def test_openapi_and_docs(http: httpx.Client) -> None:
    spec = http.get("/openapi.json").json()
    assert {"/api/ask", "/api/health"} <= set(spec["paths"])
    schema = spec["paths"]["/api/ask"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["question"]
    docs = http.get("/docs")
    assert docs.status_code == 200
    # Offline: the API docs page loads Swagger UI from this server, never from a CDN.
    assert "http://" not in docs.text and "https://" not in docs.text and "//cdn" not in docs.text
    assert http.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


# ------------------------------------------------------------------ headers, CORS, routes


def assert_chat_headers(r: httpx.Response) -> None:
    """The security headers every response carries: framing only by the allowed sites, no sniffing, no referrer."""
    assert r.headers["content-security-policy"] == f"frame-ancestors 'self' {ALLOWED}"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "server" not in r.headers


@pytest.mark.parametrize("path", ["/", "/api/health", "/gradio.js", "/config", "/docs", "/no/such/page"])
def test_security_headers_on_every_response(http: httpx.Client, path: str) -> None:
    r = http.get(path)
    assert_chat_headers(r)
    assert "x-frame-options" not in r.headers  # frame-ancestors decides


def test_security_headers_on_errors_and_posts(http: httpx.Client) -> None:
    for r in [http.post("/api/ask", content=b"{"), http.post("/api/ask", json={"question": "hi"})]:
        assert r.headers["content-security-policy"].startswith("frame-ancestors 'self'")
        assert "server" not in r.headers


def test_cors_allows_only_the_listed_origin(http: httpx.Client) -> None:
    pre = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    ok = http.options("/api/ask", headers={"origin": ALLOWED, **pre})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-credentials" not in ok.headers
    bad = http.options("/api/ask", headers={"origin": DENIED, **pre})
    assert bad.status_code >= 400 and "access-control-allow-origin" not in bad.headers
    assert_error(bad, 400, "web.cors_origins")  # refused, and said in the JSON error shape
    for path in ["/api/health", "/config", "/gradio.js"]:  # simple requests, Gradio's routes included
        assert http.get(path, headers={"origin": ALLOWED}).headers["access-control-allow-origin"] == ALLOWED
        r = http.get(path, headers={"origin": DENIED})
        assert "access-control-allow-origin" not in r.headers
        assert "access-control-allow-credentials" not in r.headers


def test_gradio_js_loader_is_served_locally(http: httpx.Client) -> None:
    r = http.get("/gradio.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    imported = r.text.split('"')[1]  # import("./assets/index-….js")
    assert imported.startswith("./assets/")
    asset = http.get("/" + imported[2:])
    assert asset.status_code == 200 and "javascript" in asset.headers["content-type"]


def test_queue_bypass_route_is_closed(http: httpx.Client) -> None:
    for name in ["ask", "predict", "pick"]:
        r = http.post(f"/gradio_api/run/{name}", json={"data": ["hello", []]})
        assert r.status_code == 404


def _gradio_call(http: httpx.Client, message: str) -> list[dict]:
    r = http.post("/gradio_api/call/ask", json={"data": [message, []]})
    assert r.status_code == 200, r.text
    event_id = r.json()["event_id"]
    event = None
    with http.stream("GET", f"/gradio_api/call/ask/{event_id}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in {"complete", "error"}:
                assert event == "complete", line
                box, history = json.loads(line[5:])
                assert box == ""
                return history
    raise AssertionError("no complete event")


def test_chat_through_gradio_call_route(http: httpx.Client, kb_bot: FAQBot) -> None:
    q = answered_question(kb_bot)
    history = _gradio_call(http, q)
    assert [m["role"] for m in history] == ["user", "assistant"]
    reply = history[1]["content"][0]["text"]
    answer = kb_bot.ask(q)
    assert reply == render_reply(answer, kb_bot.config)
    assert "faq-quote" in reply and "faq-disclaimer" in reply
    if answer.related:  # shown (and asked) with a capital and a "?"
        assert [o["value"] for o in history[1]["options"]] == [suggestion_label(q) for q in answer.related]


def test_chat_escapes_html_in_question_and_reply(http: httpx.Client) -> None:
    history = _gradio_call(http, XSS)
    for m in history:
        html_ = m["content"][0]["text"]
        for bad in ["<svg", "<img", "javascript:", "onerror="]:
            assert bad not in html_
        # A link only of the server's own making (a crisis reply's resources, a quote's source page).
        assert re.search(r'<a (?!class="faq-(link|source-link)" href=")', html_) is None
    assert "<a " not in history[0]["content"][0]["text"]
    assert "&#60;svg&#62;" in history[0]["content"][0]["text"]


def test_server_logs_no_question_and_connects_only_to_loopback(http: httpx.Client, server: Server) -> None:
    psutil = pytest.importorskip("psutil")
    secret = "zebra-quokka-question-marker"
    http.post("/api/ask", json={"question": secret})
    _gradio_call(http, secret)
    assert secret not in server.output()
    assert "Traceback" not in server.output()
    proc = psutil.Process(server.process.pid)
    for c in proc.net_connections(kind="inet"):
        assert not c.raddr or c.raddr.ip in {"127.0.0.1", "::1", "::ffff:127.0.0.1"}, c


# ------------------------------------------------------------------ in process (TestClient)


def test_busy_api_is_503_json(kb_bot: FAQBot) -> None:
    with TestClient(create_app(kb_bot, max_in_flight=0)) as client:
        r = client.post("/api/ask", json={"question": "hello"})
    assert r.status_code == 503
    assert r.json() == {"error": "busy, please try again", "disclaimer": kb_bot.config.disclaimer}


def test_unexpected_error_is_generic_500_json(kb: Path) -> None:
    broken = FAQBot.load(kb)

    def explode(question: object) -> None:
        raise RuntimeError("secret internals")

    broken.ask = explode  # type: ignore[method-assign]
    with TestClient(create_app(broken), raise_server_exceptions=False) as client:
        r = client.post("/api/ask", json={"question": "hello"})
    assert r.status_code == 500
    assert r.json() == {"error": "internal error, please try again", "disclaimer": broken.config.disclaimer}
    assert "secret internals" not in r.text
    assert r.headers["content-security-policy"].startswith("frame-ancestors")


def test_root_path_behind_a_proxy(kb_bot: FAQBot) -> None:
    with TestClient(create_app(kb_bot, root_path="/faq"), root_path="/faq") as client:
        assert client.get("/api/health").status_code == 200
        assert client.get("/config").json()["root"].endswith("/faq")
        assert client.get("/openapi.json").json()["servers"] == [{"url": "/faq"}]


def test_allow_lists_must_be_exact_origins(kb_bot: FAQBot) -> None:
    check_origins(replace(kb_bot.config, cors_origins=("https://a.example", "http://127.0.0.1:8000", "http://[::1]:80")))
    for bad in ["*", "https://www.clinic.example/", "www.clinic.example", "https://a.example; script-src *"]:
        with pytest.raises(KnowledgeError, match="is not an origin like"):
            check_origins(replace(kb_bot.config, frame_ancestors=(bad,)))


def test_crisis_reply_renders_resources_first_from_config(kb_bot: FAQBot) -> None:
    """Crisis resources are rendered from the configuration's data, before the message, never parsed from text."""
    answer = kb_bot.ask("I want to kill myself")
    html = render_reply(answer.to_dict(), kb_bot.config)
    assert html == render_reply(answer, kb_bot.config)
    assert html.index("faq-resources") < html.index(text("It sounds like"))
    for resource in kb_bot.config.crisis_resources:
        assert text(resource.name) in html


def test_respond_is_pure_and_escapes(kb_bot: FAQBot) -> None:
    box, history = respond("<b>hi</b> [x](javascript:alert(1))", [], kb_bot)
    assert box == "" and len(history) == 2
    assert "<b>" not in history[0]["content"] and "](" not in history[0]["content"]
    _, longer = respond("", history, kb_bot)
    assert longer[:2] == history and len(longer) == 4


def test_broken_knowledge_base_exits_1_without_traceback(tmp_path: Path) -> None:
    kb = knowledge_copy(tmp_path / "knowledge")
    data = yaml.safe_load((kb / "bot.yaml").read_text(encoding="utf-8"))
    del data["disclaimers"]
    (kb / "bot.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    (kb / "sources.yaml").write_text("sources: [", encoding="utf-8")
    code = f"from faqbot.web import serve; serve({str(kb)!r}, '127.0.0.1', 9, '')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "bot.yaml:" in proc.stderr and "sources.yaml:" in proc.stderr
    assert "not serving" in proc.stderr


def test_import_faqbot_does_not_import_gradio() -> None:
    code = "import sys, faqbot, faqbot.cli; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


# ------------------------------------------------------------------ quotes in context: /source/{id}


def test_a_reply_link_opens_its_source_with_the_quote_marked(http: httpx.Client, kb_bot: FAQBot) -> None:
    body = http.post("/api/ask", json={"question": answered_question(kb_bot)}).json()
    for p in body["passages"]:
        r = http.get("/" + p["link"].split("#")[0])
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        marked = re.search(r'<mark id="passage">(.*?)</mark>', r.text, re.S)
        assert marked is not None
        source = kb_bot.knowledge.sources[p["source"]["id"]]
        assert " ".join(marked.group(1).split()) == " ".join(html_escape(p["text"]).split())
        assert f"<h1>{html_escape(source.title)}</h1>" in r.text
        assert "<script" not in r.text and "http://" not in r.text.replace(http.base_url.host, "")
        assert 'href="../"' in r.text  # back to the chat, relative: works under any root path
    plain = http.get(f"/source/{body['passages'][0]['source']['id']}")  # no passage: the source, nothing marked
    assert plain.status_code == 200 and "<mark" not in plain.text


def test_source_page_serves_only_known_ids(http: httpx.Client, kb_bot: FAQBot) -> None:
    passage = kb_bot.passages[0]
    other = next(p for p in kb_bot.passages if p.source != passage.source)
    excluded = [s.id for s in kb_bot.knowledge.sources.values() if s.excluded]
    for path in ["/source/no-such-source", "/source/sources.yaml", "/source/..%2Fbot.yaml", "/source/%2e%2e",
                 f"/source/{passage.source}/../../bot.yaml", *(f"/source/{sid}" for sid in excluded)]:
        r = http.get(path)
        assert r.status_code == 404, path
        assert set(r.json()) == {"error", "disclaimer"}, path
    assert_error(http.get(f"/source/{passage.source}?passage=nope"), 404, "no such passage")
    assert_error(http.get(f"/source/{passage.source}?passage={other.id}"), 404, "no such passage")
    assert_error(http.get(f"/source/{passage.source}?passage=../../bot.yaml"), 404, "no such passage")


def test_source_page_has_the_chat_headers(http: httpx.Client, kb_bot: FAQBot) -> None:
    p = kb_bot.passages[0]
    for path in [f"/source/{p.source}?passage={p.id}", "/source/nope", "/docs-assets/swagger-ui-bundle.js"]:
        assert_chat_headers(http.get(path))


def test_source_page_escapes_the_source_and_marks_the_span(kb_bot: FAQBot) -> None:
    evil = '<script>alert(1)</script> Ketamine & <b>more</b> "quoted" <img src=x onerror=alert(2)>'
    src = Source(id="x", title="<i>Title</i>", file="x.txt", sha256="", notes="", text=evil,
                 url="javascript:alert(3)", publisher="<b>Pub</b>")
    start = evil.index("Ketamine")
    page = render_source_page(src, (start, start + len("Ketamine & <b>more</b>")), kb_bot.config)
    for bad in ["<script", "<img", "<b>", "<i>", 'href="javascript']:
        assert bad not in page
    assert '<mark id="passage">Ketamine &amp; &lt;b&gt;more&lt;/b&gt;</mark>' in page
    https = replace(src, url="https://example.org/article", publisher="Example Press")
    page = render_source_page(https, None, kb_bot.config)
    assert 'href="https://example.org/article"' in page and "Published by Example Press" in page


def test_source_page_behind_a_root_path(kb_bot: FAQBot) -> None:
    p = kb_bot.passages[0]
    with TestClient(create_app(kb_bot, root_path="/faq"), root_path="/faq") as client:
        r = client.get(f"/source/{p.source}?passage={p.id}")
        assert r.status_code == 200 and '<mark id="passage">' in r.text
        docs = client.get("/docs").text
        assert 'src="/faq/docs-assets/swagger-ui-bundle.js"' in docs and "url: '/faq/openapi.json'" in docs


# ------------------------------------------------------------------ OpenAPI


def test_openapi_has_enums_the_link_and_reply_examples(http: httpx.Client) -> None:
    spec = http.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    answer = schemas["AnswerJSON"]["properties"]
    assert answer["kind"]["enum"] == ["answer", "referral", "crisis"]
    assert {"matched", "no_match", "crisis", "dose"} <= set(answer["reason"]["enum"])
    assert "link" in schemas["PassageJSON"]["required"]
    ok = spec["paths"]["/api/ask"]["post"]["responses"]["200"]["content"]["application/json"]
    examples = ok["examples"]
    assert {"answer", "referral", "crisis"} <= set(examples)
    for kind, example in examples.items():
        assert set(example["value"]) == ANSWER_KEYS and example["value"]["kind"] == kind
    assert examples["answer"]["value"]["passages"][0]["link"].startswith("source/")
    assert http.get("/docs-assets/swagger-ui-bundle.js").text.count("swagger-ui") > 0


# ------------------------------------------------------------------ errors and refused origins


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/no/such/page", 404), ("GET", "/gradio_api/nothing", 404), ("POST", "/gradio_api/queue/join", 422),
    ("GET", "/docs-assets/nothing.js", 404), ("DELETE", "/api/ask", 405)])
def test_every_error_is_the_json_shape(http: httpx.Client, method: str, path: str, status: int) -> None:
    r = http.request(method, path, content=b"{}" if method == "POST" else None,
                     headers={"content-type": "application/json"})
    body = assert_error(r, status, "")
    assert len(body["error"]) < 300


def _log_lines(server: Server, needle: str) -> list[str]:
    return [line for line in server.output().splitlines() if needle in line]


def test_refused_origin_is_logged_once_without_the_question(http: httpx.Client, server: Server) -> None:
    site = f"https://blocked-{uuid.uuid4().hex[:8]}.example"
    secret = "zebra-refused-origin-question"
    for _ in range(3):
        http.post("/api/ask", json={"question": secret}, headers={"origin": site, "sec-fetch-site": "cross-site"})
        http.get("/gradio.js", headers={"origin": site})
    lines = _log_lines(server, site)
    assert len(lines) == 1, server.output()
    assert "web.cors_origins" in lines[0] and "bot.yaml" in lines[0]
    assert secret not in server.output()
    framer = f"https://framer-{uuid.uuid4().hex[:8]}.example"
    iframe = {"sec-fetch-dest": "iframe", "sec-fetch-site": "cross-site", "referer": f"{framer}/page?patient=1"}
    http.get("/", headers=iframe)
    lines = _log_lines(server, framer)
    assert len(lines) == 1 and "web.frame_ancestors" in lines[0] and "patient" not in lines[0]


def test_allowed_and_same_origin_requests_are_not_logged(http: httpx.Client, server: Server) -> None:
    before = server.output()
    http.get("/gradio.js", headers={"origin": ALLOWED})
    http.get("/", headers={"sec-fetch-dest": "iframe", "sec-fetch-site": "cross-site", "referer": f"{ALLOWED}/faq"})
    http.post("/api/ask", json={"question": "hi"}, headers={"origin": server.url, "sec-fetch-site": "same-origin"})
    http.post("/api/ask", json={"question": "hi"}, headers={"origin": server.url})  # same host, no Sec-Fetch-Site
    assert server.output() == before


# ------------------------------------------------------------------ serving: a busy port


def test_busy_port_is_one_clear_error_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        port = free_port()
        taken.bind(("127.0.0.1", port))
        taken.listen()
        code = f"from faqbot.web import serve; serve(None, '127.0.0.1', {port}, '')"
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("Error: ") and f"port {port} is already in use" in lines[0]
    assert f"--port {port + 1}" in lines[0]
    assert "chat on http" not in proc.stderr + proc.stdout and "Traceback" not in proc.stderr


# ------------------------------------------------------------------ clinic set-up: faqbot init


def test_init_makes_a_clinic_knowledge_base_that_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from faqbot.check import check

    dest = tmp_path / "clinic-kb"
    assert cli_main(["init", str(dest)]) == 0
    out = capsys.readouterr().out
    for path in ["bot.yaml", "sources.yaml", "safety.yaml", "fitted/abstention.json", "fitted/passages.npz",
                 "eval/dev.yaml"]:
        assert (dest / path).is_file(), path
    assert not (dest / "eval" / "sealed").exists(), "the sealed sets are faqbot's own, not copied"
    assert not list(dest.rglob("*.sqlite3"))
    for field in ["clinic.name", "clinic.contact", "clinic.phone", "clinic.email", "crisis.resources",
                  "web.cors_origins", "web.frame_ancestors"]:
        assert field in out, field
    assert f"faqbot check {dest}" in out and f"faqbot serve --knowledge {dest}" in out
    assert f"faqbot calibrate {dest}" in out  # after editing passages
    assert "<iframe" in out and "gradio.js" in out and "<gradio-app" in out
    report = check(dest)  # what `faqbot check DIR` runs: the copy is complete
    assert report.knowledge.passages
    assert cli_main(["init", str(dest)]) == 1  # never over an existing knowledge base
    assert "already exists" in capsys.readouterr().err


def html_escape(value: str) -> str:
    import html

    return html.escape(value)


def test_crisis_reply_in_another_language_shows_that_languages_resources(kb_bot: FAQBot) -> None:
    cfg = kb_bot.config
    langs = [t for t in cfg.translations.values() if t.crisis_message and t.crisis_resources]
    if not langs:
        pytest.skip("no translated crisis resources in this knowledge base")
    t = langs[0]
    reply = {"question": "x", "kind": "crisis", "reason": "crisis", "passages": [], "related": [],
             "message": t.crisis_message + "\n- …", "disclaimer": t.disclaimers["crisis"]}
    html = render_reply(reply, cfg)
    for resource in t.crisis_resources:
        assert text(resource.name) in html
        for link in resource.links:
            assert f'href="{text(link.href)}"' in html
    assert text(cfg.crisis_resources[0].name) not in html
