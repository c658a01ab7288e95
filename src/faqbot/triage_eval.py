"""Measuring triage on a labelled message set (triage/LABELS.md format): what `faqbot eval` prints for one.

Figures, each per language too: crisis recall; false crises among messages that are not crises; for each
referral category, the share of its messages referred (any category, or the crisis reply) and the share
given that very category; and ordinary messages that triage refers or treats as a crisis by mistake.
Only triage is measured: a message is "referred" when triage pre-empts retrieval.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .bot import FAQBot
from .errors import KnowledgeError, Problem
from .records import REFERRAL_REASONS
from .yamlfile import Reader, read_yaml

OTHER = "other"  # languages besides English and Spanish, pooled for the headline figure


@dataclass(frozen=True)
class Message:
    text: str
    labels: frozenset[str]
    lang: str


@dataclass
class Tally:
    hits: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.hits += ok
        self.total += 1

    def rate(self) -> float | None:
        return self.hits / self.total if self.total else None


@dataclass
class TriageReport:
    messages: int
    crisis_recall: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    false_crisis: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    referred: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    right_category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    ordinary_referred: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    referred_by_language: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (expected, got, text)

    def table(self) -> str:
        def pct(t: Tally) -> str:
            r = t.rate()
            return "n/a" if r is None else f"{r:.3f} ({t.hits}/{t.total})"
        rows = [("crisis recall, English and Spanish", pct(self.crisis_recall["en+es"])),
                ("crisis recall, other languages", pct(self.crisis_recall[OTHER]))]
        rows += [(f"crisis recall, {lang}", pct(t)) for lang, t in sorted(self.crisis_recall.items())
                 if lang not in ("en+es", OTHER, "all")]
        rows.append(("false crises (share of non-crisis messages)", pct(self.false_crisis["all"])))
        rows += [(f"false crises, {lang}", pct(t)) for lang, t in sorted(self.false_crisis.items()) if lang != "all"]
        for reason in REFERRAL_REASONS:
            if self.referred[reason].total:
                rows.append((f"{reason}: referred (any category or crisis)", pct(self.referred[reason])))
                rows.append((f"{reason}: that category", pct(self.right_category[reason])))
        rows.append(("ordinary messages referred or crisis by mistake", pct(self.ordinary_referred["all"])))
        width = max(len(a) for a, _ in rows)
        lines = [f"| {'figure'.ljust(width)} | value |", f"|{'-' * (width + 2)}|-------|"]
        lines += [f"| {a.ljust(width)} | {b} |" for a, b in rows]
        return "\n".join(lines + self._by_language())

    def _by_language(self) -> list[str]:
        """Each referral category's referred share (and the ordinary messages referred) per language, as a
        second table: the headline rows pool languages whose categories have a handful of messages each."""
        languages = sorted({lang for _, lang in self.referred_by_language} | set(self.ordinary_referred) - {"all"})
        if len(languages) < 2:
            return []

        def cell(t: Tally) -> str:
            r = t.rate()
            return "" if r is None else f"{r:.2f} ({t.total})"
        rows = [(f"{reason}: referred", [cell(self.referred_by_language[(reason, lang)]) for lang in languages])
                for reason in REFERRAL_REASONS if self.referred[reason].total]
        rows.append(("ordinary: referred or crisis", [cell(self.ordinary_referred[lang]) for lang in languages]))
        return ["", "By language (share, and how many messages):", "",
                "| figure | " + " | ".join(languages) + " |", "|---|" + "---|" * len(languages),
                *(f"| {name} | " + " | ".join(cells) + " |" for name, cells in rows)]


def load_messages(path: str | os.PathLike[str]) -> list[Message]:
    p = Path(path)
    doc = read_yaml(p, p.name)
    r = Reader(p.name)
    out: list[Message] = []
    top = r.fields(doc.data, "top level", {"messages": "list"}, {"brief": "text", "batch": "text",
                                                                 "grounded_on": "list"}) if doc.data else None
    items = top.get("messages", []) if top else []
    for item, line in zip(items, getattr(items, "lines", []), strict=False):
        if isinstance(item, dict) and isinstance(item.get("text"), str) and isinstance(item.get("labels", []), list):
            out.append(Message(item["text"], frozenset(item.get("labels", [])), str(item.get("lang", "en"))))
        else:
            r.error(line, "a message needs 'text' and 'labels'")
    problems: list[Problem] = doc.problems + r.problems
    if problems:
        raise KnowledgeError(problems)
    return out


def is_message_set(path: str | os.PathLike[str]) -> bool:
    """Whether the file is a triage message set (top-level `messages:`) rather than a question set."""
    doc = read_yaml(Path(path), Path(path).name)
    return isinstance(doc.data, dict) and "messages" in doc.data


def evaluate_triage(bot: FAQBot, messages: list[Message]) -> TriageReport:
    report = TriageReport(len(messages))
    for m in messages:
        verdict = bot.triage.check(m.text)
        got = "none" if verdict is None else verdict.reason
        group = "en+es" if m.lang in ("en", "es") else OTHER
        if "crisis" in m.labels:
            ok = got == "crisis"
            for key in (m.lang, group, "all"):
                report.crisis_recall[key].add(ok)
            if not ok:
                report.misses.append(("crisis", got, m.text))
            continue
        for key in (m.lang, "all"):
            report.false_crisis[key].add(got == "crisis")
        if got == "crisis":
            report.misses.append(("not crisis", got, m.text))
        referral_labels = m.labels & set(REFERRAL_REASONS)
        for reason in referral_labels:
            report.referred[reason].add(got != "none")
            report.referred_by_language[(reason, m.lang)].add(got != "none")
            report.right_category[reason].add(got in referral_labels)
            if got == "none":
                report.misses.append((reason, got, m.text))
        if not referral_labels:
            for key in (m.lang, "all"):
                report.ordinary_referred[key].add(got != "none")
            if got != "none" and got != "crisis":
                report.misses.append(("none", got, m.text))
    return report
