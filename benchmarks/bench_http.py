"""The web server, started by the tests' own harness (tests/webserver.py): start-up, /api/ask, Gradio's chat API.

Clients are threads with keep-alive `http.client` connections; the route under test and its anchor
(`/api/health`, a constant reply from the same app) are measured the same way, one after the other.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
import time
from typing import Any

from common import PY, ROOT, Report, fmt_mb, fmt_time, summarize

START_TARGET_S = 4.0


def load(port: int, clients: int, seconds: float, request: Any) -> dict[str, Any]:
    """`clients` threads send `request(client, i)` -> (method, path, body, expected question or None) back to back
    for `seconds`; every reply to /api/ask must echo the question it was sent (none lost, none mixed up)."""
    lat: list[int] = []
    counts = {"non200": 0, "lost": 0, "mixed": 0}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(cid: int) -> None:
        conn, i, mine = None, 0, []
        while time.perf_counter() < deadline:
            method, path, body, expected = request(cid, i)
            i += 1
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                t0 = time.perf_counter_ns()
                conn.request(method, path, body, {"Content-Type": "application/json"} if body else {})
                resp = conn.getresponse()
                data = resp.read()
                mine.append(time.perf_counter_ns() - t0)
                bad = resp.status != 200
                mixed = not bad and expected is not None and json.loads(data)["question"] != expected
                with lock:
                    counts["non200"] += bad
                    counts["mixed"] += mixed
            except (OSError, http.client.HTTPException, ValueError):
                with lock:
                    counts["lost"] += 1
                conn = None
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    elapsed = time.perf_counter() - started
    return {"clients": clients, "requests": len(lat), "rps": len(lat) / elapsed, **counts,
            "latency_ms": summarize(lat, scale=1e6)}


def gradio_chat(base: str, question: str) -> float:
    """Seconds for one chat reply through Gradio's queue API (the call, then its event stream)."""
    import httpx

    t0 = time.perf_counter()
    with httpx.Client(base_url=base, timeout=30, trust_env=False) as h:
        event = h.post("/gradio_api/call/ask", json={"data": [question, []]}).raise_for_status().json()["event_id"]
        with h.stream("GET", f"/gradio_api/call/ask/{event}") as stream:
            if not any(line.startswith("event: complete") for line in stream.iter_lines()):
                raise RuntimeError("no complete event from Gradio")
    return time.perf_counter() - t0


def run(report: Report, questions: list[str], seconds: float, soak_seconds: float) -> dict[str, Any]:
    import sys

    import psutil

    sys.path.insert(0, str(ROOT / "tests"))
    from webserver import live_server

    from faqbot.text import normalize

    section = "web server"
    print(f"\n== {section}", flush=True)
    t0 = time.perf_counter()
    subprocess.run([PY, "-c", "import gradio"], check=True, timeout=120)  # the anchor: any Gradio app pays this
    gradio_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with live_server() as server:
        ready = time.perf_counter() - t0  # to the first /api/health 200 (the harness polls every 0.1 s)
        time.sleep(1.0)
        rss = psutil.Process(server.process.pid).memory_info().rss
        report.add(section, "server start to first /api/health", fmt_time(ready),
                   f'`python -c "import gradio"` {fmt_time(gradio_s)}', f"<= {START_TARGET_S:.0f} s",
                   ready <= START_TARGET_S)
        report.add(section, "server RSS when idle", fmt_mb(rss))
        bodies = [json.dumps({"question": q}) for q in questions]
        res: dict[str, Any] = {"start_s": ready, "rss": rss}
        load(server.port, 2, 1.0, lambda c, i: ("POST", "/api/ask", bodies[i % len(bodies)], None))  # warm-up
        for clients in (1, 4):
            health = load(server.port, clients, seconds, lambda c, i: ("GET", "/api/health", None, None))
            ask = load(server.port, clients, seconds,
                       lambda c, i: ("POST", "/api/ask", bodies[(c * 31 + i) % len(bodies)], None))
            res[f"clients_{clients}"] = {"health": health, "ask": ask}
            failed = ask["non200"] + ask["lost"] + health["non200"] + health["lost"]
            report.add(section, f"/api/ask, {clients} client(s)",
                       f"{ask['rps']:,.0f} req/s, median {ask['latency_ms']['median']:.2f} ms",
                       f"/api/health {health['rps']:,.0f} req/s, median {health['latency_ms']['median']:.2f} ms",
                       "no failed request" if failed else "", False if failed else None)
        plain = [q for q in questions if q.replace(" ", "").isalnum()][:12]
        gradio_chat(server.url, plain[0])
        chat = summarize([gradio_chat(server.url, q) for q in plain], scale=1e-3)  # s -> ms
        res["gradio_chat_ms"] = chat
        report.add(section, f"chat reply through Gradio's API (median of {chat['n']})", f"{chat['median']:.1f} ms",
                   f"/api/ask 1 client {res['clients_1']['ask']['latency_ms']['median']:.2f} ms")
        unique = [f"{q} ref {n}" for n, q in enumerate(questions)]
        soak = load(server.port, 16, soak_seconds, lambda c, i: (
            "POST", "/api/ask", json.dumps({"question": (q := f"{unique[(c * 31 + i) % len(unique)]} c{c} n{i}")}),
            normalize(q)))
        res["soak"] = soak
        ok = soak["non200"] == soak["lost"] == soak["mixed"] == 0 and server.process.poll() is None
        report.add(section, f"16 clients for {soak_seconds:.0f} s on /api/ask, unique questions",
                   f"{soak['requests']:,} replies, p99 {soak['latency_ms']['p99']:.1f} ms",
                   f"non-200 {soak['non200']}, lost {soak['lost']}, mixed up {soak['mixed']}", "all 0", ok)
    return res
