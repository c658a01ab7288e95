"""Privacy: by default nothing a patient types is written anywhere; the opt-in log keeps only redacted misses."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from webserver import knowledge_copy, live_server

from faqbot import FAQBot
from faqbot.cli import main
from faqbot.unanswered import UnansweredLog, redact

MARKER = "okapi-marmalade-7f3q"


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    found = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            try:
                if needle in path.read_bytes():
                    found.append(path)
            except OSError:
                continue
    return found


def test_server_writes_no_question_anywhere(tmp_path: Path) -> None:
    """Run the server with its home, temp and working folders inside tmp_path, then search every byte."""
    kb = knowledge_copy(tmp_path / "knowledge")
    home = tmp_path / "home"
    for sub in ("home", "tmp", "gradio-tmp", "cwd"):
        (tmp_path / sub).mkdir()
    env = {"HOME": str(home), "TMPDIR": str(tmp_path / "tmp"), "GRADIO_TEMP_DIR": str(tmp_path / "gradio-tmp"),
           "XDG_CACHE_HOME": str(home / ".cache")}
    questions = [f"what is {MARKER} used for", f"{MARKER} and the weather", f"i gave my {MARKER} away"]
    with live_server(kb, env=env) as server, httpx.Client(base_url=server.url, timeout=10, trust_env=False) as http:
        for q in questions:
            assert http.post("/api/ask", json={"question": q}).status_code == 200
        r = http.post("/gradio_api/call/ask", json={"data": [questions[1], []]})
        if r.status_code == 200:  # the chat path too, when the api name is as the web tests use it
            http.get(f"/gradio_api/call/ask/{r.json()['event_id']}")
        output = server.output()
    assert MARKER not in output
    assert _files_containing(tmp_path, MARKER.encode()) == []
    assert not list(kb.glob("*.sqlite3"))


def test_redaction_removes_contact_details() -> None:
    text = redact("email me at jane.doe+k@mail.example.com or call +1 (555) 010-2233, card 4111111111111111")
    assert "jane" not in text and "555" not in text and "4111" not in text
    assert text.count("[email]") == 1 and "[number]" in text


def test_opt_in_log_keeps_only_redacted_unanswered_questions(kb_copy: Path, capsys) -> None:
    bot_yaml = kb_copy / "bot.yaml"
    bot_yaml.write_text(bot_yaml.read_text().replace("log_unanswered: false", "log_unanswered: true"))
    kb = FAQBot.load(kb_copy).knowledge
    log = UnansweredLog.for_knowledge(kb)
    assert log is not None
    bot = FAQBot(kb, on_unanswered=log.record)
    bot.ask("What is ketamine used for?")                       # answered: not kept
    bot.ask("i want to end my life")                             # crisis: not kept
    bot.ask("how many mg should i take")                         # referral category: not kept
    for _ in range(3):
        bot.ask("does the parking garage validate, call me on 555-010-4477")
    bot.ask("what is the wifi password, mail bob@example.org")
    rows = log.most_frequent(10)
    assert rows == [(3, "does the parking garage validate, call me on [number]"),
                    (1, "what is the wifi password, mail [email]")]
    assert main(["unanswered", "--knowledge", str(kb_copy), "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "parking garage" in out and "wifi" not in out and "555" not in out


def test_log_is_off_by_default(bot, capsys) -> None:
    assert UnansweredLog.for_knowledge(bot.knowledge) is None
    assert main(["unanswered"]) == 0
    assert "off" in capsys.readouterr().out
