"""The whole answer-or-refer decision in one place: `decide()` says what a reply is and which rule fired.

Gates, in order (the first that fires decides):
  empty        nothing to read                           -> referral "empty"
  crisis       triage found crisis language (any length) -> crisis
  too_long     over limits.max_question_chars, and no question within the limit to answer (a long
               message's last sentence that asks something is answered instead) -> referral "too_long"
  triage       a referral category                       -> referral, its category (in the patient's language)
  language     written in a language the bot cannot answer in -> referral "language"
  nothing      no document shares a word with it         -> referral "no_match"
  not_covered  a not-covered entry is the best match     -> referral "no_match"
  coverage     the top passage holds too little of it    -> referral "no_match"
  full_match   all its words are in one curated question of the top passage -> answer
  model        the abstention model's probability against its threshold     -> answer or "no_match"

`ask`, `faqbot calibrate` and `faqbot eval` all go through it, so they can never disagree on the order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from .abstain import FULL_MATCH
from .config import BotConfig
from .records import Kind, NotCovered, Reason
from .retrieval import Retrieved
from .text import find_question
from .triage import Verdict


class Rule(StrEnum):
    """Which gate decided (not in the JSON; `faqbot eval` and calibration read it)."""

    EMPTY = "empty"
    CRISIS = "crisis"
    TOO_LONG = "too_long"
    LANGUAGE = "language"
    TRIAGE = "triage"
    NOTHING = "nothing_matched"
    NOT_COVERED = "not_covered"
    COVERAGE = "low_coverage"
    FULL_MATCH = "full_match"
    MODEL_ANSWER = "model_answer"
    MODEL_REFER = "model_refer"


MODEL_RULES = (Rule.MODEL_ANSWER, Rule.MODEL_REFER)


@dataclass(frozen=True)
class Decision:
    kind: Kind
    reason: Reason
    rule: Rule
    found: Retrieved | None = None
    not_covered: NotCovered | None = None

    @property
    def confidence(self) -> float:
        return self.found.confidence if self.found is not None else 0.0


def decide(text: str, verdict: Verdict | None, config: BotConfig, retrieve: Callable[[str], Retrieved],
           language_ok: bool = True) -> Decision:
    """Decide the reply to normalised `text` given its triage `verdict`; `retrieve` runs only when needed."""
    if not text:
        return Decision(Kind.REFERRAL, Reason.EMPTY, Rule.EMPTY)
    if verdict is not None and verdict.kind == Kind.CRISIS:
        return Decision(Kind.CRISIS, Reason.CRISIS, Rule.CRISIS)
    question = text if len(text) <= config.max_question_chars else find_question(text, config.max_question_chars)
    if question is None:
        return Decision(Kind.REFERRAL, Reason.TOO_LONG, Rule.TOO_LONG)
    if verdict is not None:
        return Decision(Kind.REFERRAL, Reason(verdict.reason), Rule.TRIAGE)
    if not language_ok:
        return Decision(Kind.REFERRAL, Reason.LANGUAGE, Rule.LANGUAGE)
    return judge(retrieve(question), config)


def judge(found: Retrieved, config: BotConfig) -> Decision:
    """The retrieval gates alone: quote the top passage, or refer (reason "no_match")."""
    top = found.top
    if top is None:
        return _refer(found, Rule.NOTHING)
    if top.doc.not_covered is not None:
        return Decision(Kind.REFERRAL, Reason.NO_MATCH, Rule.NOT_COVERED, found, top.doc.not_covered)
    if found.features["coverage"] < config.abstention.min_coverage:
        return _refer(found, Rule.COVERAGE)
    if found.features[FULL_MATCH]:
        return Decision(Kind.ANSWER, Reason.MATCHED, Rule.FULL_MATCH, found)
    if found.confidence >= config.abstention.threshold:
        return Decision(Kind.ANSWER, Reason.MATCHED, Rule.MODEL_ANSWER, found)
    return _refer(found, Rule.MODEL_REFER)


def _refer(found: Retrieved, rule: Rule) -> Decision:
    return Decision(Kind.REFERRAL, Reason.NO_MATCH, rule, found)
