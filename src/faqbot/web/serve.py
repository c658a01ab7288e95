"""Serving: take the port, check the whole knowledge base, then run the app with uvicorn."""

from __future__ import annotations

import errno
import socket
import sys

from ..errors import KnowledgeError
from ..unanswered import load_bot


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port), not yet listening; a clear one-line error and exit 1 if it cannot be.

    Taken before the slow start (importing Gradio, loading the knowledge base), so a busy port is said at
    once, and before the "chat on http://…" line, which is printed only once the address is ours.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as exc:
        _fail(f"cannot listen on {host!r}: {exc}; give --host an address of this machine, e.g. 127.0.0.1")
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a restart reuses the port
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        where = f"{_shown(host)}:{port}"
        if exc.errno == errno.EADDRINUSE:
            _fail(f"port {port} is already in use on {host} (is faqbot or another server already running "
                  f"there?); stop it, or choose another port: faqbot serve --port {port + 1}")
        if exc.errno == errno.EACCES:
            _fail(f"not allowed to listen on {where} (ports below 1024 need privileges); choose a port "
                  "above 1023, e.g. --port 7860, and put a reverse proxy in front")
        if exc.errno == errno.EADDRNOTAVAIL:
            _fail(f"cannot listen on {where}: {host} is not an address of this machine; try --host 127.0.0.1")
        _fail(f"cannot listen on {where}: {exc.strerror or exc}")
    return sock


def _fail(message: str) -> None:
    print(f"Error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def serve(knowledge: str | None = None, host: str = "127.0.0.1", port: int = 7860, root_path: str = "") -> None:
    """Take the port, check the whole knowledge base, then serve the chat and API with uvicorn until interrupted.

    A port that cannot be taken prints one `Error: …` line with what to do and exits with status 1. A
    knowledge base with problems prints every `file:line: message` and exits with status 1; it is never
    served half-loaded.
    """
    sock = bind(host, port)
    try:
        from .api import create_app

        app = create_app(load_bot(knowledge), root_path=root_path)
    except KnowledgeError as exc:
        sock.close()
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"Error: the knowledge base has {len(exc.problems)} problem(s); not serving", file=sys.stderr)
        raise SystemExit(1) from None
    import uvicorn

    behind = f"; public under {root_path}/ behind your reverse proxy" if root_path else ""
    print(f"faqbot: chat on http://{_shown(host)}:{port}/ (JSON API: POST /api/ask, docs: /docs{behind}); "
          "Ctrl+C stops", file=sys.stderr, flush=True)
    # No access log: requests never carry a question in the URL anyway (it travels in the POST body).
    config = uvicorn.Config(app, host=host, port=port, root_path=root_path, log_level="warning", access_log=False,
                            server_header=False)
    uvicorn.Server(config).run(sockets=[sock])
