"""Serving: check the whole knowledge base, then run the app with uvicorn."""

from __future__ import annotations

import os
import sys

from ..bot import FAQBot
from ..errors import KnowledgeError
from ..knowledge import load_knowledge
from ..unanswered import UnansweredLog


def load_bot(knowledge: str | os.PathLike[str] | None) -> FAQBot:
    """The bot for `knowledge`, with the unanswered-question log when bot.yaml turns it on."""
    kb = load_knowledge(knowledge)
    log = UnansweredLog.for_knowledge(kb)
    return FAQBot(kb, on_unanswered=log.record if log is not None else None)


def serve(knowledge: str | None = None, host: str = "127.0.0.1", port: int = 7860, root_path: str = "") -> None:
    """Check the whole knowledge base, then serve the chat and API with uvicorn until interrupted.

    A knowledge base with problems prints every `file:line: message` and exits with status 1; it is never
    served half-loaded.
    """
    try:
        from .api import create_app

        app = create_app(load_bot(knowledge), root_path=root_path)
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

