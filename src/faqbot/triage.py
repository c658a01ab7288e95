"""Safety triage: decide before any retrieval whether a message is a crisis or must go to a clinician.

The rules are data (knowledge/safety.yaml) so a clinic can adapt them; this module only folds the
text and applies them in a fixed order:

1. `ignore` patterns (idioms such as "dying to know") are blanked out, so they cannot trigger anything,
   while a real crisis elsewhere in the same message still can.
2. crisis `always` patterns: any match is a crisis.
3. crisis `unless_informational` patterns (bare words like "suicidal" or "overdose"): a crisis unless
   the message is framed as a question about the treatment (`informational` patterns).
4. referral categories in file order: a category's `patterns` refer the message unless one of its
   `unless` patterns marks it as informational.

The whole text is scanned, however long: a crisis at the end of an essay still counts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .knowledge import Pattern, SafetyRules

_APOSTROPHES = re.compile(r"['’`´]")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lowercase ASCII words separated by single spaces: what triage patterns are written against.

    Accents and apostrophes are removed ("Don’t", "dont" and "don't" all become "dont"; "aquí" becomes
    "aqui") and every other character becomes a word break.
    """
    text = text.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("", text)
    return " " + _NON_WORD.sub(" ", text).strip() + " "


@dataclass(frozen=True)
class Verdict:
    """A triage outcome that pre-empts retrieval: kind "crisis" or "referral", and the category."""

    kind: str
    reason: str
    label: str = ""


def _compile(patterns: tuple[Pattern, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p.regex})" for p in patterns))


class Triage:
    """Applies a clinic's SafetyRules to messages."""

    def __init__(self, rules: SafetyRules) -> None:
        self.rules = rules
        self._ignore = _compile(rules.ignore)
        self._crisis = _compile(rules.crisis)
        self._weak = _compile(rules.crisis_unless_informational)
        self._informational = _compile(rules.informational)
        self._referrals = [(r, _compile(r.patterns), _compile(r.unless)) for r in rules.referrals]

    def __call__(self, text: str) -> Verdict | None:
        return self.check(text)

    def check(self, text: str) -> Verdict | None:
        """The verdict for `text`, or None when it may be answered from the knowledge base."""
        folded = fold(text)
        if self._ignore is not None:
            folded = self._ignore.sub(" ", folded)
        if self._crisis is not None and self._crisis.search(folded):
            return Verdict("crisis", "crisis")
        if self._weak is not None and self._weak.search(folded) and not (
                self._informational is not None and self._informational.search(folded)):
            return Verdict("crisis", "crisis")
        for rule, patterns, unless in self._referrals:
            if patterns is not None and patterns.search(folded) and not (unless is not None and unless.search(folded)):
                return Verdict("referral", rule.reason, rule.label)
        return None

    def explain(self, text: str) -> list[str]:
        """Which patterns match `text` (file:line and regex): for curators tuning the rules."""
        folded = fold(text)
        if self._ignore is not None:
            folded = self._ignore.sub(" ", folded)
        groups = [("crisis", self.rules.crisis),
                  ("crisis unless informational", self.rules.crisis_unless_informational),
                  ("informational", self.rules.informational)]
        groups += [(f"referral {r.reason}", r.patterns) for r in self.rules.referrals]
        groups += [(f"unless {r.reason}", r.unless) for r in self.rules.referrals]
        return [f"{p.file}:{p.line}: {name}: {p.regex}" for name, pats in groups for p in pats
                if re.search(p.regex, folded)]
