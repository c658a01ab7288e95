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

Speed: a folded message is a row of words, and most patterns begin with `\b` and one of a few letters,
so `PatternSet` tries each such pattern only where a word starts with one of its first letters, instead
of trying every pattern at every character. Patterns whose first letters cannot be worked out are
searched as usual; the verdicts are the same either way (tests/test_triage.py checks this).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

try:  # the regex parser; private, so anything unexpected falls back to plain searching
    from re import _constants as _sre_c
    from re import _parser as _sre_p
except ImportError:  # pragma: no cover - older or other Pythons
    _sre_c = _sre_p = None

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
    """The plain patterns of a list as one alternation (conjunctions are left to PatternSet)."""
    plain = [p.regex for p in patterns if not p.also]
    return re.compile("|".join(f"(?:{r})" for r in plain)) if plain else None


def _first_chars(parsed) -> set[str] | None:
    """Every character a match of this parsed pattern can start with (after a leading \\b), or None if unknown."""
    for op, av in parsed:
        if op is _sre_c.AT and av is _sre_c.AT_BOUNDARY:
            continue
        if op is _sre_c.LITERAL:
            return {chr(av)}
        if op is _sre_c.IN:
            chars: set[str] = set()
            for item_op, item in av:
                if item_op is _sre_c.LITERAL:
                    chars.add(chr(item))
                elif item_op is _sre_c.RANGE:
                    chars.update(chr(c) for c in range(item[0], item[1] + 1))
                elif item_op is _sre_c.CATEGORY and item is _sre_c.CATEGORY_DIGIT:
                    chars.update("0123456789")
                else:
                    return None
            return chars
        if op is _sre_c.SUBPATTERN:
            return _first_chars(av[-1])
        if op is _sre_c.BRANCH:
            chars = set()
            for branch in av[1]:
                first = _first_chars(branch)
                if not first:
                    return None
                chars |= first
            return chars
        if op in (_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT) and av[0] >= 1:
            return _first_chars(av[2])
        return None
    return None


class PatternSet:
    """Regular expressions searched together over folded text, each tried only where it can start."""

    def __init__(self, patterns: tuple[Pattern, ...]) -> None:
        buckets: dict[str, list[str]] = {}
        rest: list[str] = []
        # A conjunction is searched by its first expression; the others are checked only when it matches.
        self._conjunctions = [(PatternSet((Pattern(p.regex, p.file, p.line),)), [re.compile(a) for a in p.also])
                              for p in patterns if p.also]
        for p in patterns:
            if p.also:
                continue
            first = None
            if _sre_p is not None and p.regex.startswith(r"\b"):
                try:
                    first = _first_chars(_sre_p.parse(p.regex))
                except Exception:
                    first = None
            # Only letters and digits: then a match can only begin at the start of a folded word.
            if first and all(c.isascii() and c.isalnum() for c in first):
                for c in first:
                    buckets.setdefault(c, []).append(p.regex)
            else:
                rest.append(p.regex)
        self._buckets = {c: re.compile("|".join(f"(?:{r})" for r in rs)) for c, rs in buckets.items()}
        self._rest = re.compile("|".join(f"(?:{r})" for r in rest)) if rest else None
        self.empty = not patterns

    def search(self, folded: str) -> bool:
        """Whether any pattern matches `folded` (as produced by `fold`: " word word ")."""
        if self._rest is not None and self._rest.search(folded):
            return True
        if self._bucket_search(folded):
            return True
        return any(first.search(folded) and all(a.search(folded) for a in also) for first, also in self._conjunctions)

    def _bucket_search(self, folded: str) -> bool:
        buckets = self._buckets
        if not buckets:
            return False
        at = folded.find(" ")
        end = len(folded) - 1
        while 0 <= at < end:
            rx = buckets.get(folded[at + 1])
            if rx is not None and rx.match(folded, at + 1):
                return True
            at = folded.find(" ", at + 1)
        return False


class Triage:
    """Applies a clinic's SafetyRules to messages."""

    def __init__(self, rules: SafetyRules) -> None:
        self.rules = rules
        self._ignore = _compile(rules.ignore)
        self._ignore_any = PatternSet(rules.ignore)
        self._crisis = PatternSet(rules.crisis)
        self._weak = PatternSet(rules.crisis_unless_informational)
        self._informational = PatternSet(rules.informational)
        self._referrals = [(r, PatternSet(r.patterns), PatternSet(r.unless)) for r in rules.referrals]
        # Every pattern that can start a verdict, in one set: most messages match none of them, and one
        # pass over their words settles it.
        self._triggers = PatternSet((*rules.crisis, *rules.crisis_unless_informational,
                                     *(p for r in rules.referrals for p in r.patterns)))

    def __call__(self, text: str) -> Verdict | None:
        return self.check(text)

    def check(self, text: str) -> Verdict | None:
        """The verdict for `text`, or None when it may be answered from the knowledge base."""
        folded = fold(text)
        if self._ignore is not None and self._ignore_any.search(folded):
            folded = self._ignore.sub(" ", folded)
        if not self._triggers.search(folded):
            return None
        if self._crisis.search(folded):
            return Verdict("crisis", "crisis")
        if self._weak.search(folded) and not self._informational.search(folded):
            return Verdict("crisis", "crisis")
        for rule, patterns, unless in self._referrals:
            if patterns.search(folded) and not unless.search(folded):
                return Verdict("referral", rule.reason, rule.label)
        return None
