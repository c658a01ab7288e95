"""Reading curation.yaml and enforcing the curation policy that can be checked (knowledge/CURATION.md).

- `topics`: the topic list (covered, or a recorded gap); `excluded_phrases`: text no quote may contain.
- `warning_topics`: topics whose passages warn (risks, dependence, contraindications …).
- `lure_patterns`: recreational or effect-seeking wording. A curated question with such wording teaches
  retrieval to lead similar questions to its passage, so it may stand only on a passage that warns (a
  warning topic) or that names a warning passage to quote beside it (`warn_with`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem
from .records import ExcludedPhrase, Passage, Topic
from .text import fold
from .yamlfile import Reader, line_of, read_yaml


@dataclass(frozen=True)
class Curation:
    topics: tuple[Topic, ...] = ()
    excluded_phrases: tuple[ExcludedPhrase, ...] = ()
    warning_topics: frozenset[str] = frozenset()
    lure_patterns: tuple[re.Pattern[str], ...] = ()


def load_curation(base: Path, problems: list[Problem]) -> Curation:
    rel = "curation.yaml"
    if not (base / rel).exists():
        return Curation()
    doc = read_yaml(base / rel, rel)
    problems += doc.problems
    r = Reader(rel)
    top = r.fields(doc.data, "top level", {"topics": "list"},
                   {"excluded_phrases": "list", "warning_topics": "texts", "lure_patterns": "texts"}) \
        if doc.data else None
    topics: list[Topic] = []
    excluded: list[ExcludedPhrase] = []
    lures: list[re.Pattern[str]] = []
    if top:
        for item, line in zip(top.get("topics", []), getattr(top.get("topics"), "lines", []), strict=False):
            f = r.fields(item, "topic", {"id": "text", "title": "text"}, {"gap": "text"}, line=line)
            if f and "id" in f:
                topics.append(Topic(f["id"], f.get("title", ""), f.get("gap", "")))
        for item, line in zip(top.get("excluded_phrases", []), getattr(top.get("excluded_phrases"), "lines", []),
                              strict=False):
            f = r.fields(item, "excluded phrase", {"phrase": "text", "why": "text"}, line=line)
            if f and "phrase" in f:
                excluded.append(ExcludedPhrase(f["phrase"], f.get("why", "")))
        known = {t.id for t in topics}
        for t in top.get("warning_topics", []):
            if t not in known:
                r.error(line_of(doc.data, "warning_topics"), f"warning_topics: unknown topic '{t}'")
        items = top.get("lure_patterns", [])
        for pattern, line in zip(items, getattr(items, "lines", []), strict=False):
            try:
                lures.append(re.compile(pattern))
            except re.error as exc:
                r.error(line, f"lure_patterns: invalid pattern {pattern!r}: {exc}")
    problems += r.problems
    return Curation(tuple(topics), tuple(excluded), frozenset(top.get("warning_topics", ()) if top else ()),
                    tuple(lures))


def check_passages(curation: Curation, passages: list[Passage]) -> list[Problem]:
    """`warn_with` names real passages that warn; lure wording stands only on a passage that warns."""
    problems: list[Problem] = []
    by_id = {p.id: p for p in passages}

    def warns(p: Passage) -> bool:
        return bool(curation.warning_topics.intersection(p.topics))

    for p in passages:
        for wid in p.warn_with:
            w = by_id.get(wid)
            if w is None:
                problems.append(Problem(p.file, p.line, f"passage '{p.id}': warn_with names unknown passage '{wid}'"))
            elif curation.warning_topics and not warns(w):
                problems.append(Problem(p.file, p.line, f"passage '{p.id}': warn_with passage '{wid}' has no "
                                        "warning topic (see warning_topics in curation.yaml)"))
        if warns(p) or p.warn_with:
            continue
        for q in p.questions:
            folded = fold(q)
            hit = next((m for rx in curation.lure_patterns if (m := rx.search(folded))), None)
            if hit is not None:
                problems.append(Problem(p.file, p.line, f"passage '{p.id}': question {q!r} has recreational or "
                                        f"effect-seeking wording ('{hit.group(0).strip()}') but the passage does not "
                                        "warn: move the question to a warning passage or a not-covered entry, or "
                                        "add warn_with (CURATION.md)"))
    return problems
