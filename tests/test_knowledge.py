"""The verbatim guarantee: every passage served is the source's own text; a tampered quote is refused."""

from __future__ import annotations

import re

import pytest

from faqbot import KnowledgeError, load_knowledge


def test_every_passage_is_an_exact_span_of_its_source(bot):
    for p in bot.passages:
        assert p.text in bot.knowledge.sources[p.source].text, p.id


def test_quote_whitespace_may_differ_but_nothing_else(kb_copy):
    path = kb_copy / "passages" / "risks.yaml"
    text = path.read_text(encoding="utf-8")
    # Re-flow one quote over more lines: still loads, still serves the source's own characters.
    kb = load_knowledge(kb_copy)
    first = next(p for p in kb.passages if p.file == "passages/risks.yaml")
    words = first.text.split()
    reflowed = "\n      ".join([" ".join(words[:3]), "   ".join(words[3:])])
    assert kb.passages and first.text in kb.sources[first.source].text
    start = text.index("quote:", text.index(f"id: {first.id}"))
    end = text.index("questions:", start)
    path.write_text(text[:start] + "quote: >-\n      " + reflowed + "\n    " + text[end:], encoding="utf-8")
    again = {p.id: p for p in load_knowledge(kb_copy).passages}
    assert again[first.id].text == first.text


def test_a_tampered_quote_is_refused_with_file_and_line(kb_copy):
    path = kb_copy / "passages" / "risks.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("quote:"))
    body = at + 1 if lines[at].strip() in ("quote: >-", "quote: |-", "quote: >", "quote: |") else at
    # Change one word: the kind of silent edit (or paraphrase) the check exists to catch.
    lines[body] = re.sub(r"\b(\w{5,})\b", "definitely", lines[body], count=1)
    path.write_text("\n".join(lines), encoding="utf-8")
    pattern = r"passages/risks\.yaml:\d+: passage '[^']+': quote not found in source"
    with pytest.raises(KnowledgeError, match=pattern) as e:
        load_knowledge(kb_copy)
    problem = e.value.problems[0]
    assert problem.line == at + 1
    assert str(problem).startswith(f"passages/risks.yaml:{at + 1}: ")


def test_all_problems_are_reported_at_once(kb_copy):
    (kb_copy / "bot.yaml").write_text((kb_copy / "bot.yaml").read_text().replace("title:", "titel:"))
    src = kb_copy / "sources.yaml"
    src.write_text(src.read_text().replace("sha256: ", "sha256: 0", 1))
    with pytest.raises(KnowledgeError) as e:
        load_knowledge(kb_copy)
    text = str(e.value)
    assert "bot.yaml:" in text and "unknown key 'titel' (did you mean 'title'?)" in text
    assert "sources.yaml:" in text and "changed since it was curated" in text


def test_missing_directory_is_a_knowledge_error(tmp_path):
    with pytest.raises(KnowledgeError, match="knowledge directory not found"):
        load_knowledge(tmp_path / "nope")
