"""The records that cross module lines: what a knowledge base holds and what a reply is made of.

Plain frozen dataclasses and enums, with no loading logic, so that triage, retrieval, the decision and
the interfaces can share them without importing the YAML loader (faqbot.knowledge).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from .config import BotConfig

if TYPE_CHECKING:
    from .passage_model import PassageModel
    from .triage_model import TriageModel


class Kind(StrEnum):
    """What a reply is: a quote, a referral to a person, or the crisis reply. The JSON carries the value."""

    ANSWER = "answer"
    REFERRAL = "referral"
    CRISIS = "crisis"


class Reason(StrEnum):
    """Why a reply is what it is: `matched` for a quote, else why nothing was quoted."""

    MATCHED = "matched"
    CRISIS = "crisis"
    NO_MATCH = "no_match"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    LANGUAGE = "language"
    # The referral categories (knowledge/triage/LABELS.md), each with its own message in safety.yaml.
    DOSE = "dose"
    PRESCRIBING = "prescribing"
    NO_PRESCRIPTION = "no_prescription"
    MIXING = "mixing"
    PREGNANCY = "pregnancy"
    CHILD = "child"
    RECREATIONAL = "recreational"
    DRIVING = "driving"


# The reasons a triage referral category may carry (the others are the pipeline's own).
REFERRAL_REASONS: tuple[Reason, ...] = (
    Reason.DOSE, Reason.PRESCRIBING, Reason.NO_PRESCRIPTION, Reason.MIXING, Reason.PREGNANCY, Reason.CHILD,
    Reason.RECREATIONAL, Reason.DRIVING)


@dataclass(frozen=True)
class Source:
    """A source document: its identity for citations and its verbatim text."""

    id: str
    title: str
    file: str
    sha256: str
    notes: str
    text: str
    excluded: bool = False
    url: str = ""  # where the original was published, when known
    publisher: str = ""


@dataclass(frozen=True)
class Passage:
    """A curated passage. `text` is the exact span of the source it quotes (the source's own characters)."""

    id: str
    source: str
    text: str
    questions: tuple[str, ...]
    topics: tuple[str, ...]
    file: str
    line: int
    warn_with: tuple[str, ...] = ()  # warning passages always quoted beside this one (see CURATION.md)


@dataclass(frozen=True)
class NotCovered:
    """Something patients ask that the sources do not answer, with the questions they ask it in.

    Retrieval ranks these beside the passages; when one of them matches a question best, the bot refers
    instead of quoting the nearest passage, which would answer a different question.
    """

    id: str
    why: str
    questions: tuple[str, ...]
    file: str = "not_covered.yaml"
    line: int = 0


@dataclass(frozen=True)
class Pattern:
    """A triage regular expression and where it was written.

    `also` holds further expressions that must all match somewhere too (written in safety.yaml as a
    list inside the list: `- [first, second, third]`).
    """

    regex: str
    file: str
    line: int
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReferralRule:
    """A category a clinician must answer: `patterns` refer the message unless an `unless` pattern matches."""

    reason: str
    label: str
    message: str
    patterns: tuple[Pattern, ...]
    unless: tuple[Pattern, ...]


@dataclass(frozen=True)
class SafetyRules:
    """Everything in safety.yaml."""

    ignore: tuple[Pattern, ...]
    crisis: tuple[Pattern, ...]
    crisis_unless_informational: tuple[Pattern, ...]
    informational: tuple[Pattern, ...]
    referrals: tuple[ReferralRule, ...]


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    gap: str = ""


@dataclass(frozen=True)
class ExcludedPhrase:
    phrase: str
    why: str


@dataclass(frozen=True)
class Knowledge:
    """A fully checked knowledge base."""

    root: Path
    sources: dict[str, Source]
    passages: tuple[Passage, ...]
    bot: BotConfig
    safety: SafetyRules
    topics: tuple[Topic, ...] = ()
    excluded_phrases: tuple[ExcludedPhrase, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()
    not_covered: tuple[NotCovered, ...] = ()
    triage_model: TriageModel | None = None  # fitted/triage.npz; None: the rules alone
    passage_model: PassageModel | None = None  # fitted/passages.npz; None while `faqbot calibrate` refits it

    @property
    def dev_set(self) -> Path:
        return self.root / "eval" / "dev.yaml"

    @property
    def calibration_sets(self) -> tuple[Path, ...]:
        """The sets `faqbot calibrate` fits on: dev.yaml and, when there is one, calibration.yaml (questions
        written apart from the passages, so the threshold is set on wording the curation never saw)."""
        extra = self.root / "eval" / "calibration.yaml"
        return (self.dev_set, extra) if extra.exists() else (self.dev_set,)


EXPECTS = ("answer", "referral", "crisis")


@dataclass(frozen=True)
class LabelledQuestion:
    """A question with the reply it should get: passages for "answer", optionally a reason for "referral"."""

    question: str
    expect: str
    passages: tuple[str, ...] = ()
    reason: str = ""
    line: int = 0
