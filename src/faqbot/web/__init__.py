"""The web layer: rendering a reply (render), the Gradio chat (ui), the JSON API and ASGI app (api), serving.

Only this package imports gradio and FastAPI, so `import faqbot` stays light.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from .api import MAX_BODY_BYTES, check_origins, create_app
from .render import render_reply, text
from .serve import serve
from .ui import build_ui, respond

__all__ = ["MAX_BODY_BYTES", "build_ui", "check_origins", "create_app", "render_reply", "respond", "serve", "text"]
