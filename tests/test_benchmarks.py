"""The benchmarks' generated knowledge bases stay loadable: `make bench` is not in the suite, so a change that
breaks its tooling (an import, the base's format) would otherwise go unnoticed until someone runs it."""

from __future__ import annotations

import sys
from pathlib import Path

from faqbot import FAQBot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from gen_kb import generate


def test_a_generated_base_loads_and_answers_with_verbatim_quotes(tmp_path):
    stats = generate(150, tmp_path / "kb")
    assert stats["passages"] == 150
    bot = FAQBot.load(tmp_path / "kb")  # every quote is checked against its generated source on load
    assert len(bot.passages) == 150
    # A passage's own first question finds it (the scale benchmark times such questions): 147 of 150 measured.
    found = [bot.ask(p.questions[0]) for p in bot.passages]
    own = sum(r.kind == "answer" and r.passages[0].id == p.id for r, p in zip(found, bot.passages, strict=True))
    assert own >= 140
    assert all(r.disclaimer for r in found)
