"""Safety triage: decide before any retrieval whether a message is a crisis or must go to a clinician.

Two parts, combined so that either can raise the alarm:
- the fitted classifier (faqbot.triage_model): a probability per label (crisis and each referral
  category) learned from thousands of varied messages in many languages, with thresholds chosen for recall;
- the rules in knowledge/safety.yaml, as overrides both ways: `ignore` idioms ("dying to know") are
  blanked before anything reads the message, and crisis and referral patterns that always count.

Order: idioms blanked; crisis if a crisis `always` rule matches or the classifier's crisis probability
reaches its threshold (the bare-word `unless_informational` rules stand in for the classifier only when a
knowledge base has none); else a referral if a category's rule matches (file order, skipped when an `unless` pattern
marks it informational) or the classifier reaches a category's threshold (the most certain one wins).
The whole text is scanned, however long, and a long one sentence by sentence too (faqbot.triage_model).
A knowledge base without a fitted model runs on the rules alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .prefilter import PatternSet
from .records import Pattern, SafetyRules
from .text import fold
from .triage_model import TriageModel


@dataclass(frozen=True)
class Verdict:
    """A triage outcome that pre-empts retrieval: kind "crisis" or "referral", and the category."""

    kind: str
    reason: str
    label: str = ""
    language: str = "en"


def _compile(patterns: tuple[Pattern, ...]) -> re.Pattern[str] | None:
    """The plain patterns of a list as one alternation (conjunctions are left to PatternSet)."""
    plain = [p.regex for p in patterns if not p.also]
    return re.compile("|".join(f"(?:{r})" for r in plain)) if plain else None


LANGUAGE_SURE = 0.8  # below this the language head's guess is not trusted: the message is read as the default


class Triage:
    """Applies a clinic's SafetyRules and fitted classifier to messages."""

    def __init__(self, rules: SafetyRules, model: TriageModel | None = None, default_language: str = "en") -> None:
        self.rules = rules
        self.model = model
        self.default_language = default_language
        self._ignore = _compile(rules.ignore)
        self._ignore_any = PatternSet(rules.ignore)
        self._crisis = PatternSet(rules.crisis)
        self._weak = PatternSet(rules.crisis_unless_informational)
        self._informational = PatternSet(rules.informational)
        self._referrals = [(r, PatternSet(r.patterns), PatternSet(r.unless)) for r in rules.referrals]
        self._labels = {r.reason: r.label for r in rules.referrals}
        # Every pattern that can start a verdict, in one set: most messages match none of them, and one
        # pass over their words settles it.
        referring = (p for r in rules.referrals for p in r.patterns)
        triggers = (*rules.crisis, *rules.crisis_unless_informational, *referring)
        self._triggers = PatternSet(triggers)
        self._first_pass = PatternSet((*rules.ignore, *triggers))  # nothing here: nothing else can match

    def __call__(self, text: str) -> Verdict | None:
        return self.check(text)

    def check(self, text: str) -> Verdict | None:
        """The verdict for `text`, or None when it may be answered from the knowledge base."""
        verdict = self.assess(text)
        return verdict if verdict.kind != "none" else None

    def assess(self, text: str) -> Verdict:
        """The verdict for `text`: kind "crisis", "referral" or "none", and the language it is written in."""
        folded = fold(text)
        blanked = False
        rule: Verdict | None = None
        if self._first_pass.search(folded):
            if self._ignore is not None and self._ignore_any.search(folded):
                folded, blanked = self._ignore.sub(" ", folded), True
            rule = self._by_rules(folded, bare_words=self.model is None)
        if self.model is None:
            return rule or Verdict("none", "", language=self.default_language)
        # An idiom the rules know never counts: the classifier then reads the message without it.
        scores = self.model.score(folded if blanked else text)
        sure = scores.language_p >= LANGUAGE_SURE
        language = scores.language if sure else self.default_language
        if rule is not None and rule.kind == "crisis":
            return Verdict("crisis", "crisis", language=language)
        # The thresholds of the message's language when the language head is sure of it, else the overall ones
        # (not the default language's): each is set for the same out-of-fold recall (faqbot.triage_fit); a long
        # message's are raised, as its score is the highest of its parts'.
        t = self.model.thresholds_in(language if sure else None, scores.long)
        if scores.probs.get("crisis", 0.0) >= t["crisis"]:
            return Verdict("crisis", "crisis", language=language)
        if rule is not None:
            return Verdict(rule.kind, rule.reason, rule.label, language)
        best = max(((p / t[label], label) for label, p in scores.probs.items()
                    if label != "crisis" and label in self._labels and p >= t[label]), default=None)
        if best is not None:
            return Verdict("referral", best[1], self._labels[best[1]], language)
        return Verdict("none", "", language=language)

    def _by_rules(self, folded: str, bare_words: bool) -> Verdict | None:
        """The rules' verdict. The bare-word crisis patterns (`unless_informational`) count only without a
        classifier: beside it they added 5 points of false crises on the corpus and no recall."""
        if not self._triggers.search(folded):
            return None
        if self._crisis.search(folded):
            return Verdict("crisis", "crisis")
        if bare_words and self._weak.search(folded) and not self._informational.search(folded):
            return Verdict("crisis", "crisis")
        for rule, patterns, unless in self._referrals:
            if patterns.search(folded) and not unless.search(folded):
                return Verdict("referral", rule.reason, rule.label)
        return None
