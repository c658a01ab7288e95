"""`faqbot init DIR`: a clinic's own knowledge base, copied from the shipped one, and what to do next.

The copy holds everything `faqbot check`, `faqbot serve` and `faqbot calibrate` read (sources, passages, bot.yaml,
safety rules, fitted models, the dev, test and calibration question sets). Left out: the sealed question sets
(eval/sealed/, measured only by faqbot's own authors), the unanswered-question log and caches. Nothing is
rewritten: bot.yaml keeps the shipped example values, and `init_report` lists the ones a clinic must replace,
the commands to run next and the snippet that puts the chat on the clinic's site.
"""

from __future__ import annotations

import os
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .knowledge import default_knowledge_dir

PUBLIC_URL = "https://faq.your-clinic.example/"  # stands for where the clinic's faqbot will be reachable
_LEFT_OUT = ("*.sqlite3", "*.sqlite3-journal", "__pycache__", "*.pyc", ".DS_Store")


class InitError(Exception):
    """Why a knowledge base could not be created (one line)."""


@dataclass(frozen=True)
class Created:
    """A new knowledge base: where it is and where it was copied from."""

    path: Path
    template: Path


def init_knowledge(dest: str | os.PathLike[str], template: str | os.PathLike[str] | None = None) -> Created:
    """Copy the knowledge base `template` (default: the shipped one) to `dest`, a new or empty directory."""
    src = Path(template) if template is not None else default_knowledge_dir()
    out = Path(dest)
    if not (src / "bot.yaml").is_file():
        raise InitError(f"no knowledge base to copy at {src} (it has no bot.yaml)")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InitError(f"{out} already exists and is not an empty directory; give the name of a new one")
    if out.resolve().is_relative_to(src.resolve()):
        raise InitError(f"{out} is inside the knowledge base it would copy ({src}); choose a directory outside it")

    def left_out(folder: str, names: list[str]) -> set[str]:
        skip = set(shutil.ignore_patterns(*_LEFT_OUT)(folder, names))
        if Path(folder).resolve() == (src / "eval").resolve():
            skip.add("sealed")  # held-out sets: faqbot's own blind measurements, not a clinic's
        return skip

    try:
        shutil.copytree(src, out, ignore=left_out, dirs_exist_ok=True)
    except OSError as exc:
        raise InitError(f"could not copy {src} to {out}: {exc}") from None
    return Created(out, src)


def init_report(created: Created) -> str:
    """What to do with a new knowledge base: the bot.yaml fields to fill, the next commands, the embed snippet."""
    d = _display(created.path)
    q = shlex.quote(d)
    bot = _read(created.path / "bot.yaml")
    clinic = bot.get("clinic") or {}
    crisis = (bot.get("crisis") or {}).get("resources") or []
    web = bot.get("web") or {}
    fields = [
        ("clinic.name", clinic.get("name", ""), "your clinic's name, as patients know it"),
        ("clinic.contact", clinic.get("contact", ""), "how patients reach your team, and when"),
        ("clinic.phone", clinic.get("phone", ""), "for tap-to-call, in international format, e.g. +15550100199"),
        ("clinic.email", clinic.get("email", ""), "for tap-to-mail"),
        ("crisis.resources", "; ".join(str(r.get("name", "")) for r in crisis if isinstance(r, dict)),
         "the help lines for your patients' country, each with `links:` (tel:, sms:, mailto: or https:)"),
        ("web.cors_origins", ", ".join(web.get("cors_origins") or []) or "(none)",
         "your website's origin, e.g. https://www.your-clinic.example (for the web component)"),
        ("web.frame_ancestors", ", ".join(web.get("frame_ancestors") or []) or "(none)",
         "the same origin (for the iframe)"),
    ]
    width = max(len(name) for name, _, _ in fields)
    rows = "\n".join(f"     {name:<{width}}  now: {value}\n     {'':<{width}}  set: {why}"
                     for name, value, why in fields)
    return f"""Created {d}: your clinic's own knowledge base, copied from {_display(created.template)}.
It is plain YAML, edited by hand; `faqbot check` reports every mistake with its file and line.

1. In {d}/bot.yaml, replace the shipped example values:
{rows}
   Read the rest of bot.yaml too (title, intro, examples, disclaimers, messages, translations), and
   {d}/CURATION.md before adding a source of your own (sources.yaml, sources/, passages/).
   After editing passages or not-covered entries, run `faqbot calibrate {q}`: it refits the passage
   classifier and the answer threshold on your questions (`faqbot check` reminds you when it is due).

2. Check it, then serve it:
     faqbot check {q}
     faqbot serve --knowledge {q}          # the chat on http://127.0.0.1:7860/

3. Put the chat on your site. Replace {PUBLIC_URL} with where your faqbot is reachable,
   and list your site's origin in web.frame_ancestors (iframe) or web.cors_origins (web component):

{embed_snippet(str(bot.get("title") or "Questions"))}"""


def embed_snippet(title: str, url: str = PUBLIC_URL) -> str:
    """The two ways to put the chat on a page (use one): an iframe, or the web component served by faqbot."""
    t = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return f"""     <!-- an iframe (simplest) -->
     <iframe src="{url}" title="{t}"
             style="width: 100%; height: 760px; border: 1px solid #d1d5db; border-radius: 8px;"></iframe>

     <!-- or the web component, which follows your page's width -->
     <script type="module" src="{url}gradio.js"></script>
     <gradio-app src="{url}" eager="true" container="false" info="false" initial_height="600px"></gradio-app>"""


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _display(path: Path) -> str:
    """`path` as typed relative to the current directory when it is under it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path.resolve())
