"""Start the faqbot web chat and JSON API: `python app.py` (or `make run`), then open http://127.0.0.1:7860.

FAQBOT_KNOWLEDGE=DIR chooses the knowledge directory (default: the shipped one); FAQBOT_HOST, FAQBOT_PORT and
FAQBOT_ROOT_PATH change where it listens. `faqbot serve --host --port --root-path --knowledge` does the same.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

try:
    from faqbot.web import serve
except ModuleNotFoundError as exc:  # a source checkout that was not pip-installed
    if exc.name != "faqbot":
        sys.exit(f"Error: the web chat needs the 'web' extra: pip install -e '.[web]' ({exc})")
    sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
    from faqbot.web import serve

if __name__ == "__main__":
    serve(knowledge=os.environ.get("FAQBOT_KNOWLEDGE") or None,
          host=os.environ.get("FAQBOT_HOST", "127.0.0.1"),
          port=int(os.environ.get("FAQBOT_PORT", "7860")),
          root_path=os.environ.get("FAQBOT_ROOT_PATH", ""))
