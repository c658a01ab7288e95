"""Diagnostic launcher: `uvicorn --factory faqbot.web:create_app --workers N`, with TCP_NODELAY on its connections.

    .venv/bin/python benchmarks/uvicorn_nodelay.py PORT WORKERS

With --workers > 1 uvicorn binds the listening socket itself as `socket.socket(AF_INET)` (protocol number 0),
and asyncio's event loop only sets TCP_NODELAY on connections whose socket says IPPROTO_TCP. So each reply's
second write waits for the client's delayed ACK (about 40 ms on Linux) and throughput collapses. This launcher
makes uvicorn create that socket with IPPROTO_TCP, so the benchmark can show what two workers give once that is
fixed (uvloop, `--loop uvloop`, sets TCP_NODELAY itself; it is not installed here).
"""

from __future__ import annotations

import socket
import sys

import uvicorn
import uvicorn.config


class _TcpSockets:
    """The `socket` module as uvicorn.config sees it, except that TCP sockets say IPPROTO_TCP."""

    def __getattr__(self, name: str) -> object:
        return getattr(socket, name)

    @staticmethod
    def socket(family: int = socket.AF_INET, type: int = socket.SOCK_STREAM, proto: int = 0,
               fileno: int | None = None) -> socket.socket:
        if fileno is None and family in (socket.AF_INET, socket.AF_INET6) and type == socket.SOCK_STREAM:
            proto = proto or socket.IPPROTO_TCP
        return socket.socket(family, type, proto, fileno)


uvicorn.config.socket = _TcpSockets()  # type: ignore[assignment]

if __name__ == "__main__":
    uvicorn.run("faqbot.web:create_app", factory=True, host="127.0.0.1", port=int(sys.argv[1]),
                workers=int(sys.argv[2]), log_level="info", access_log=False)
