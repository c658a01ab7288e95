"""3, 4 and 6: the web server in a subprocess on loopback.

- start-up: process start to the first /api/health 200, and the server's memory (section 4);
- throughput and p99 of POST /api/ask beside GET /api/health (a constant reply from the same app), with 1 and
  8 concurrent keep-alive clients, each run bounded by a duration and a request count (section 3);
- the median time of one chat reply through Gradio's API (POST /gradio_api/call/<api>, then its event stream);
- 1 versus 2 uvicorn worker processes (`uvicorn --factory faqbot.web:create_app --workers N`);
- a bounded load test (section 6): 32 clients for --load-seconds against /api/ask with unique questions, plus a
  few clients on Gradio's chat API, counting 5xx, lost and mixed-up replies.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from common import (
    BENCH_DIR,
    BIN,
    PY,
    Conn,
    LoadResult,
    Report,
    Server,
    fmt_mb,
    fmt_time,
    free_port,
    rss_tree,
    run_load,
    summarize,
)

START_TARGET_S = 4.0
RSS_TARGET = 250 * 2**20
RATIO_TARGET = 0.70


def web_available() -> bool:
    try:
        return importlib.util.find_spec("faqbot.web") is not None
    except ImportError:
        return False


def serve_cmd(port: int) -> list[str]:
    exe = BIN / "faqbot"
    base = [str(exe)] if exe.exists() else [PY, "-m", "faqbot"]
    return [*base, "serve", "--host", "127.0.0.1", "--port", str(port)]


def nodelay_cmd(port: int, workers: int) -> list[str]:
    return [PY, str(BENCH_DIR / "uvicorn_nodelay.py"), str(port), str(workers)]


def uvicorn_cmd(port: int, workers: int) -> list[str]:
    exe = BIN / "uvicorn"
    base = [str(exe)] if exe.exists() else [PY, "-m", "uvicorn"]
    return [*base, "--factory", "faqbot.web:create_app", "--workers", str(workers), "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "info", "--no-access-log"]


# ---------------------------------------------------------------- request factories


def health_factory() -> Callable[[Conn, int, int], tuple[bytes, None]]:
    cache: dict[int, bytes] = {}

    def make(conn: Conn, cid: int, i: int) -> tuple[bytes, None]:
        raw = cache.get(conn.port)
        if raw is None:
            raw = cache[conn.port] = conn.build("GET", "/api/health")
        return raw, None

    return make


def ask_factory(questions: list[str]) -> Callable[[Conn, int, int], tuple[bytes, None]]:
    bodies = [json.dumps({"question": q}).encode() for q in questions]
    cache: dict[int, list[bytes]] = {}

    def make(conn: Conn, cid: int, i: int) -> tuple[bytes, None]:
        raws = cache.get(conn.port)
        if raws is None:
            raws = cache[conn.port] = [conn.build("POST", "/api/ask", b) for b in bodies]
        return raws[(cid * 31 + i) % len(raws)], None

    return make


def unique_question(questions: list[str], cid: int, i: int) -> str:
    """A question no other request sends: a dev question plus words naming the client and the request."""
    return f"{questions[(cid * 31 + i) % len(questions)]} ref c{cid} n{i}"


Check = Callable[[bytes], str | None]


def checked_ask_factory(questions: list[str]) -> Callable[[Conn, int, int], tuple[bytes, Check]]:
    from faqbot.text import normalize

    def make(conn: Conn, cid: int, i: int) -> tuple[bytes, Check]:
        q = unique_question(questions, cid, i)
        expected = normalize(q)

        def check(body: bytes) -> str | None:
            try:
                got = json.loads(body).get("question")
            except ValueError:
                return f"invalid JSON reply to {q!r}"
            return None if got == expected else f"sent {expected!r}, reply was for {got!r}"

        return conn.build("POST", "/api/ask", json.dumps({"question": q}).encode()), check

    return make


def measure(port: int, clients: int, seconds: float, factory: Any, warmup: float, max_requests: int) -> LoadResult:
    run_load(port, clients, warmup, max_requests, factory)
    return run_load(port, clients, seconds, max_requests, factory)


# ---------------------------------------------------------------- Gradio's API


def gradio_endpoint(port: int) -> tuple[str, str, list[Any], int] | None:
    """(prefix, api name, data template, index of the message in it) of the chat's first text endpoint."""
    import httpx

    for prefix in ("", "/chat", "/ui", "/gradio"):
        try:
            r = httpx.get(f"http://127.0.0.1:{port}{prefix}/gradio_api/info", timeout=10)
        except httpx.HTTPError:
            continue
        if r.status_code != 200:
            continue
        endpoints = r.json().get("named_endpoints", {})
        for name, spec in endpoints.items():
            params = spec.get("parameters", [])
            template: list[Any] = []
            at = -1
            for p in params:
                if at < 0 and p.get("python_type", {}).get("type") == "str":
                    at = len(template)
                    template.append("")
                else:
                    template.append(p.get("parameter_default") if p.get("parameter_has_default") else None)
            if at >= 0:
                return prefix, name.lstrip("/"), template, at
    return None


def gradio_chat(client: Any, base: str, api: str, template: list[Any], at: int,
                question: str) -> tuple[float, str | None]:
    """One chat reply through Gradio's queue API: (seconds, problem or None)."""
    data = [question if i == at else v for i, v in enumerate(template)]
    t0 = time.perf_counter()
    r = client.post(f"{base}/gradio_api/call/{api}", json={"data": data})
    if r.status_code != 200:
        return time.perf_counter() - t0, f"call: HTTP {r.status_code}"
    event_id = r.json()["event_id"]
    event, payload = None, None
    with client.stream("GET", f"{base}/gradio_api/call/{api}/{event_id}") as s:
        if s.status_code != 200:
            return time.perf_counter() - t0, f"stream: HTTP {s.status_code}"
        for line in s.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                payload = line[5:].strip()
                break
    elapsed = time.perf_counter() - t0
    if event != "complete":
        return elapsed, f"event {event}: {payload}"
    if question not in (payload or ""):
        return elapsed, f"reply does not show the question {question!r}"
    return elapsed, None


def gradio_split(port: int, questions: list[str], n: int) -> dict[str, Any]:
    """Gradio chat calls whose POST and event stream go over two different connections, as in a browser.

    Gradio keeps a call's events in the process that received it, so with several worker processes the
    stream may land on a worker that never saw the call."""
    import httpx

    found = gradio_endpoint(port)
    if found is None:
        return {"tried": 0, "ok": 0, "error": "no Gradio endpoint"}
    prefix, api, template, at = found
    base = f"http://127.0.0.1:{port}{prefix}"
    ok = 0
    for i in range(n):
        data = [f"what is ketamine {i}" if k == at else v for k, v in enumerate(template)]
        try:
            with httpx.Client(timeout=5) as post, httpx.Client(timeout=5) as get:
                event_id = post.post(f"{base}/gradio_api/call/{api}", json={"data": data}).json()["event_id"]
                with get.stream("GET", f"{base}/gradio_api/call/{api}/{event_id}") as s:
                    ok += "event: complete" in "".join(s.iter_text())
        except (httpx.HTTPError, ValueError, KeyError):
            pass
    return {"tried": n, "ok": ok}


def gradio_median(port: int, questions: list[str], n: int) -> dict[str, Any]:
    import httpx

    found = gradio_endpoint(port)
    if found is None:
        return {"error": "no Gradio endpoint with a text input found under /gradio_api/info"}
    prefix, api, template, at = found
    base = f"http://127.0.0.1:{port}{prefix}"
    times, problems = [], []
    plain = [q for q in questions if q.replace(" ", "").isalnum()] or questions
    with httpx.Client(timeout=30) as client:
        for i in range(n + 2):
            dt, problem = gradio_chat(client, base, api, template, at, plain[i % len(plain)])
            if i >= 2:  # the first two warm up
                times.append(dt * 1e9)
            if problem:
                problems.append(problem)
    return {"api": f"{prefix}/gradio_api/call/{api}", "seconds": summarize(times, scale=1e9),
            "problems": problems[:5], "errors": len(problems)}


def gradio_load(port: int, questions: list[str], clients: int, seconds: float, stop: threading.Event,
                out: dict[str, Any]) -> None:
    """Gradio chat clients alongside the JSON load test: unique questions, each reply checked."""
    import httpx

    found = gradio_endpoint(port)
    if found is None:
        out["error"] = "no Gradio endpoint"
        return
    prefix, api, template, at = found
    base = f"http://127.0.0.1:{port}{prefix}"
    plain = [q for q in questions if q.replace(" ", "").isalnum()] or questions
    lock = threading.Lock()
    lat: list[float] = []
    problems: list[str] = []
    deadline = time.perf_counter() + seconds

    def one(cid: int) -> None:
        with httpx.Client(timeout=60) as client:
            i = 0
            while time.perf_counter() < deadline and not stop.is_set():
                q = f"{plain[(cid * 17 + i) % len(plain)]} ref g{cid} n{i}"
                try:
                    dt, problem = gradio_chat(client, base, api, template, at, q)
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    dt, problem = float("nan"), f"lost: {type(exc).__name__}"
                with lock:
                    if dt == dt:
                        lat.append(dt * 1e9)
                    if problem:
                        problems.append(problem)
                i += 1

    threads = [threading.Thread(target=one, args=(c,), daemon=True) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 90)
    out.update({"clients": clients, "replies": len(lat), "latency_ms": summarize(lat, scale=1e6),
                "errors": len(problems), "busy": sum("busy" in p.lower() for p in problems),
                "examples": problems[:5]})


# ---------------------------------------------------------------- the sections


def run(report: Report, questions: list[str], *, seconds: float, warmup: float, starts: int, gradio_calls: int,
        load_seconds: float, load_clients: int, gradio_clients: int, workers: bool) -> dict[str, Any]:
    res: dict[str, Any] = {}
    if not web_available():
        msg = "faqbot.web is missing: HTTP, server start-up and load-test sections skipped"
        print(f"\n== 3. HTTP\n  SKIPPED: {msg}", flush=True)
        report.note(msg)
        return {"skipped": msg}

    # ---- 4. server start-up and memory
    section4 = "4. start-up"
    print(f"\n== {section4} (server)", flush=True)
    ready, rss = [], []
    server: Server | None = None
    for k in range(starts):
        port = free_port()
        server = Server(serve_cmd(port), port)
        try:
            ready.append(server.wait_ready())
            time.sleep(1.0)  # let it settle: what it holds while idle
            rss.append(server.rss())
        except RuntimeError as exc:
            server.stop()
            report.add(section4, "server start", f"FAILED: {exc}", met=False)
            return {"error": str(exc)}
        if k < starts - 1:
            server.stop()
    assert server is not None
    start_s = statistics.median(ready)
    rss_start = statistics.median(rss)
    res["start_to_health_s"] = ready
    res["rss_after_start"] = rss
    gradio_import = report.sections.get("startup", {}).get("import_gradio_s")
    gradio_rss = report.sections.get("startup", {}).get("import_gradio_rss")
    report.add(section4, f"server process start -> first /api/health 200 (median of {len(ready)})", fmt_time(start_s),
               f"import gradio alone {fmt_time(gradio_import)}" if gradio_import else "",
               f"<= {START_TARGET_S:.0f} s", start_s <= START_TARGET_S)
    report.add(section4, "server RSS after start (idle)", fmt_mb(rss_start),
               f"a Python process that only imported gradio {fmt_mb(gradio_rss)}" if gradio_rss else "",
               f"<= {fmt_mb(RSS_TARGET)}", rss_start <= RSS_TARGET)

    section3 = "3. HTTP"
    print(f"\n== {section3}", flush=True)
    try:
        runs: dict[str, Any] = {}
        port = server.port
        for clients in (1, 8):
            h = measure(port, clients, seconds, health_factory(), warmup, 200_000)
            a = measure(port, clients, seconds, ask_factory(questions), warmup, 200_000)
            runs[f"health_{clients}"] = h.to_dict()
            runs[f"ask_{clients}"] = a.to_dict()
            ratio = a.rps / h.rps if h.rps else 0.0
            bad = sum(v for k, v in a.status.items() if k != 200) + sum(a.errors.values())
            report.add(section3, f"/api/ask, {clients} client(s): throughput",
                       f"{a.rps:,.0f} req/s ({ratio:.0%} of bare route)",
                       f"/api/health {h.rps:,.0f} req/s", f">= {RATIO_TARGET:.0%} of bare route", ratio >= RATIO_TARGET)
            a_lat, h_lat = a.to_dict()["latency_ms"], h.to_dict()["latency_ms"]
            report.add(section3, f"/api/ask, {clients} client(s): latency median / p99",
                       f"{a_lat['median']:.2f} / {a_lat['p99']:.2f} ms",
                       f"/api/health {h_lat['median']:.2f} / {h_lat['p99']:.2f} ms",
                       "non-200 or lost: 0" if bad else "", False if bad else None)
        res["throughput"] = runs

        g = gradio_median(port, questions, gradio_calls)
        res["gradio_chat"] = g
        if "error" in g:
            report.add(section3, "one chat reply through Gradio's API", f"FAILED: {g['error']}", met=False)
        else:
            a1 = runs["ask_1"]["latency_ms"]["median"]
            report.add(section3, f"one chat reply through Gradio's API (median of {g['seconds']['n']})",
                       f"{fmt_time(g['seconds']['median'])} (p99 {fmt_time(g['seconds']['p99'])})",
                       f"/api/ask 1-client median {a1:.2f} ms", "errors: 0" if g["errors"] else "",
                       False if g["errors"] else None)

        # ---- 6. bounded load test
        section6 = "6. load test"
        print(f"\n== {section6} ({load_clients} clients on /api/ask + {gradio_clients} on Gradio's chat API, "
              f"{load_seconds:.0f} s)", flush=True)
        gout: dict[str, Any] = {}
        stop = threading.Event()
        gthread = threading.Thread(target=gradio_load, args=(port, questions, gradio_clients, load_seconds, stop,
                                                             gout), daemon=True) if gradio_clients else None
        if gthread:
            gthread.start()
        load = run_load(port, load_clients, load_seconds, 10_000_000, checked_ask_factory(questions))
        stop.set()
        if gthread:
            gthread.join(120)
        alive = server.proc.poll() is None
        ld = load.to_dict()
        ld["server_alive_after"] = alive
        ld["server_rss_after"] = server.rss() if alive else None
        ld["gradio"] = gout
        res["load_test"] = ld
        five = sum(v for k, v in load.status.items() if k >= 500)
        other = sum(v for k, v in load.status.items() if k != 200 and k < 500)
        lost = sum(load.errors.values())
        ok = five == 0 and lost == 0 and load.mismatched == 0 and other == 0 and alive
        report.add(section6, f"/api/ask under {load_clients} clients for {load.seconds:.0f} s",
                   f"{load.completed:,} replies, {load.rps:,.0f} req/s, p99 {ld['latency_ms']['p99']:.1f} ms "
                   f"(max {ld['latency_ms']['max']:.0f} ms)",
                   f"5xx {five}, other non-200 {other}, lost {lost}, mixed-up {load.mismatched} of {load.checked} "
                   f"checked; server alive: {alive}", "0 5xx, 0 lost, 0 mixed-up", ok)
        if gradio_clients:
            if "error" in gout:
                report.add(section6, "Gradio chat under load", f"FAILED: {gout['error']}", met=False)
            else:
                report.add(section6, f"Gradio chat API, {gradio_clients} clients alongside",
                           f"{gout['replies']:,} replies, p99 {gout['latency_ms'].get('p99', float('nan')):.0f} ms",
                           f"errors {gout['errors']} (busy {gout['busy']})", "0 errors", gout["errors"] == 0)
        if alive:
            report.add(section4, "server RSS after the load test", fmt_mb(ld["server_rss_after"]),
                       f"after start {fmt_mb(rss_start)}")
    finally:
        server.stop()

    if workers:
        res["workers"] = _workers(report, questions, seconds, warmup)
    return res


def _workers(report: Report, questions: list[str], seconds: float, warmup: float) -> dict[str, Any]:
    section = "3. HTTP: uvicorn workers"
    print(f"\n== {section}", flush=True)
    out: dict[str, Any] = {}
    runs = [("1", uvicorn_cmd, 1), ("2", uvicorn_cmd, 2), ("2-nodelay", nodelay_cmd, 2)]
    for key, cmd, n in runs:
        port = free_port()
        with Server(cmd(port, n), port) as server:
            try:
                server.wait_ready(timeout=90)
            except RuntimeError as exc:
                report.add(section, f"{key} worker(s)", f"FAILED: {exc}", met=False)
                out[key] = {"error": str(exc)}
                continue
            # With several workers the first one ready answers /api/health: wait until every worker has logged
            # "Application startup complete".
            deadline = time.perf_counter() + 90
            while server.tail(100_000).count("Application startup complete") < n and time.perf_counter() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)
            r = measure(port, 8, seconds, ask_factory(questions), max(warmup, 1.0), 200_000)
            out[key] = {**r.to_dict(), "rss": rss_tree(server.proc.pid)}
            if key in ("1", "2"):
                out[key]["gradio_split_connections"] = gradio_split(port, questions, 10)
    if "1" in out and "2" in out and "rps" in out["1"] and "rps" in out["2"]:
        one, two = out["1"]["rps"], out["2"]["rps"]
        report.add(section, "/api/ask, 8 clients: 2 workers vs 1", f"{two:,.0f} vs {one:,.0f} req/s ({two / one:.2f}x)",
                   f"p99 {out['2']['latency_ms']['p99']:.1f} vs {out['1']['latency_ms']['p99']:.1f} ms; RSS "
                   f"{fmt_mb(out['2']['rss'])} vs {fmt_mb(out['1']['rss'])}", "measured (2 cores shared with the "
                   "load generator)")
        if "rps" in out.get("2-nodelay", {}):
            nd = out["2-nodelay"]
            report.add(section, "/api/ask, 8 clients: 2 workers with TCP_NODELAY (benchmarks/uvicorn_nodelay.py)",
                       f"{nd['rps']:,.0f} req/s ({nd['rps'] / one:.2f}x of 1 worker)",
                       f"p99 {nd['latency_ms']['p99']:.1f} ms; plain --workers 2: {two:,.0f} req/s, median "
                       f"{out['2']['latency_ms']['median']:.1f} ms (Nagle + delayed ACK)", "diagnostic")
        g1, g2 = out["1"]["gradio_split_connections"], out["2"]["gradio_split_connections"]
        report.add(section, "Gradio chat replies whose event stream used a second connection (as browsers do)",
                   f"2 workers: {g2['ok']}/{g2['tried']} complete", f"1 worker: {g1['ok']}/{g1['tried']} complete",
                   "all complete (else: one worker per replica, sticky sessions)", g2["ok"] == g2["tried"])
    return out
