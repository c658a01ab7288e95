"""The optional log of unanswered questions, so curators know what to add next.

Off unless a clinic sets `privacy.log_unanswered: true` in bot.yaml. It keeps only questions that got
no answer (reason "no_match"), never who asked: no IP address, no cookie, no time finer than the day.
E-mail addresses, phone numbers and other long digit runs are redacted before anything is stored.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from .bot import FAQBot
from .knowledge import load_knowledge
from .records import Knowledge

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_DIGITS = re.compile(r"\d{5,}")
_URL = re.compile(r"https?://\S+")


def redact(text: str) -> str:
    """Remove what could identify a person: e-mail addresses, phone numbers, long digit runs, links."""
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub("[link]", text)
    text = _PHONE.sub("[number]", text)
    return _DIGITS.sub("[number]", text)


class UnansweredLog:
    """A small SQLite table of redacted unanswered questions with a count and the last day seen."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS unanswered (question TEXT PRIMARY KEY, count INTEGER NOT NULL, "
                       "last_day TEXT NOT NULL)")

    @classmethod
    def for_knowledge(cls, kb: Knowledge) -> UnansweredLog | None:
        """The log configured in bot.yaml (its path is relative to the knowledge directory), or None if off."""
        if not kb.bot.log_unanswered:
            return None
        path = Path(kb.bot.unanswered_db)
        return cls(path if path.is_absolute() else kb.root / path)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=5)

    def record(self, question: str) -> None:
        """Store one unanswered question, redacted and trimmed; never raises (logging must not break a reply)."""
        text = redact(question)[:500].strip()
        if not text:
            return
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        try:
            with self._lock, self._connect() as db:
                db.execute("INSERT INTO unanswered VALUES (?, 1, ?) ON CONFLICT(question) DO UPDATE SET "
                           "count = count + 1, last_day = excluded.last_day", (text, day))
        except sqlite3.Error:
            pass

    def most_frequent(self, limit: int = 20) -> list[tuple[int, str]]:
        """(count, question) pairs, most frequent first."""
        with self._connect() as db:
            rows = db.execute("SELECT count, question FROM unanswered ORDER BY count DESC, question LIMIT ?",
                              (max(limit, 0),)).fetchall()
        return [(int(c), str(q)) for c, q in rows]


def load_bot(knowledge: str | os.PathLike[str] | None) -> FAQBot:
    """The bot for `knowledge`, with this log attached when bot.yaml turns it on (what the server runs)."""
    kb = load_knowledge(knowledge)
    log = UnansweredLog.for_knowledge(kb)
    return FAQBot(kb, on_unanswered=log.record if log is not None else None)
