"""Shared fixtures: the shipped bot (built once per session) and paths used across tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from faqbot import FAQBot

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def bot() -> FAQBot:
    return FAQBot.load(KNOWLEDGE)


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge base, for tests that break or re-fit it."""
    dest = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, dest, ignore=shutil.ignore_patterns("*.sqlite3"))
    return dest
