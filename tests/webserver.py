"""Start the real server (`faqbot.web.serve`) in a subprocess on a free loopback port, for HTTP and browser tests.

    with live_server(knowledge=dir) as server:
        httpx.get(server.url + "/api/health")

The process is started on 127.0.0.1 only, polled on /api/health with bounded timeouts, and always killed
(its whole process group) when the block ends, whether the tests passed, failed or were interrupted.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"

START_TIMEOUT = 60.0  # seconds for import gradio + load the knowledge base + bind (about 4 s on 2 cores)
STOP_TIMEOUT = 10.0

_SERVER_CODE = ("import sys; from faqbot.web import serve; "
                "serve(sys.argv[1] or None, '127.0.0.1', int(sys.argv[2]), sys.argv[3])")


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        """What the server printed so far (stdout and stderr)."""
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def live_server(knowledge: str | os.PathLike[str] | None = None, root_path: str = "",
                env: dict[str, str] | None = None) -> Iterator[Server]:
    """A running server; raises RuntimeError with its output if it does not answer /api/health in time."""
    port = free_port()
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with tempfile.TemporaryDirectory(prefix="faqbot-server-") as tmp:
        log = Path(tmp) / "server.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-c", _SERVER_CODE, str(knowledge or ""), str(port), root_path],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=child_env,
                start_new_session=True)
        server = Server(f"http://127.0.0.1:{port}", port, proc, log)
        try:
            _wait_healthy(server)
            yield server
        finally:
            _stop(proc)


def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"the server exited with {server.process.returncode}:\n{server.output()}")
            try:
                if client.get(server.url + "/api/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /api/health within {START_TIMEOUT:.0f} s:\n{server.output()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(STOP_TIMEOUT)


def knowledge_copy(dest: Path, cors_origins: Sequence[str] = (), frame_ancestors: Sequence[str] = ()) -> Path:
    """A copy of the shipped knowledge base in `dest` whose bot.yaml `web:` allow-lists are the ones given."""
    shutil.copytree(KNOWLEDGE, dest, ignore=shutil.ignore_patterns("*.sqlite3"))
    bot_yaml = dest / "bot.yaml"
    data = yaml.safe_load(bot_yaml.read_text(encoding="utf-8"))
    data["web"] = {"cors_origins": list(cors_origins), "frame_ancestors": list(frame_ancestors)}
    bot_yaml.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dest


@dataclass
class PageServer:
    """A static page served by http.server in a thread, standing in for a clinic's own website."""

    url: str
    port: int
    server: http.server.ThreadingHTTPServer

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_page(page: Callable[[], bytes]) -> PageServer:
    """Serve `page()` as text/html at every path on a free loopback port until `close()`."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = page()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="clinic-page", daemon=True).start()
    port = int(server.server_address[1])
    return PageServer(f"http://127.0.0.1:{port}", port, server)
