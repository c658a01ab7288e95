"""The settings a clinic writes in bot.yaml, their one set of defaults, and the checks on their values.

Defaults here equal the shipped knowledge/bot.yaml, so a setting left out behaves as shipped. Each check
returns a message (or nothing) and the loader (faqbot.botfile) reports it at the value's own line.
Constants that tune behaviour but are no clinic's business stay here too, named and explained, so that
no module hides a magic number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# --- tuning that is not in bot.yaml (measured; see README "Evaluation") ---
RELATED_SHARE = 0.35  # a related question's passage must score at least this share of the best one
REPEAT_OVERLAP = 0.5  # a further passage sharing this share of the top one's terms (Jaccard) adds too little
# The product's goal is that 95 % of out-of-scope questions are referred. Fitting to exactly that edge left
# new questions below it, so calibration keeps a margin: 0.97 cost 0.014 of dev top-1 and raised held-out
# referral from 0.973 to 0.986.
REFERRAL_TARGET = 0.97
# Of the quotes the abstention model lets through on the sets it is fitted on, at least this share must be
# right: a quote that does not answer the question is worse than a referral (issue: "right answers or none").
# Fitted on dev.yaml alone (0.97 there), the sealed set got 0.78: dev's questions were written in the same
# rounds as the passages' questions and flatter the model. eval/calibration.yaml, written apart from the
# passages, now joins the fit, and the goal itself (0.95) is the target; the sealed set stays the measure.
PRECISION_TARGET = 0.95
PLACEHOLDERS = ("clinic_name", "clinic_contact", "max_chars")
LINK_SCHEMES = ("tel:", "sms:", "mailto:", "https://")


@dataclass(frozen=True)
class Link:
    """A tappable way to reach help: `href` is a tel:, sms:, mailto: or https: address."""

    label: str
    href: str


@dataclass(frozen=True)
class Resource:
    """One place to get help in a crisis, e.g. name "988 Suicide & Crisis Lifeline", contact "Call or text 988"."""

    name: str
    contact: str
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Retrieval:
    """BM25 parameters (as rank_bm25.BM25Okapi names them) and how answers are composed."""

    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25
    stemming: bool = False  # Snowball stemming lowered rank-1 on eval/dev.yaml once synonyms were in
    max_passages: int = 3
    close_ratio: float = 0.85
    related: int = 3

    def problems(self) -> list[str]:
        out = []
        if self.k1 < 0 or not 0 <= self.b <= 1 or self.epsilon < 0:
            out.append("retrieval: k1 and epsilon must be >= 0 and b between 0 and 1")
        if not 1 <= self.max_passages <= 3 or not 0 < self.close_ratio <= 1 or not 0 <= self.related <= 10:
            out.append("retrieval: max_passages must be 1 to 3, close_ratio in (0, 1], related 0 to 10")
        return out


@dataclass(frozen=True)
class Abstention:
    """The answer-or-refer model: a logistic model over retrieval features, and the rule beside it.

    The model (`features` … `threshold`) is fitted by `faqbot calibrate` and stored in the machine-owned
    fitted/abstention.json; `min_coverage` is a hand-set rule in bot.yaml: never quote a passage that holds
    less than this share of the question's idf mass, however confident the model is.
    """

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float
    min_coverage: float = 0.3


@dataclass(frozen=True)
class Translation:
    """What the bot says in another language: used when a message is written in it (see faqbot.language)."""

    disclaimers: dict[str, str]
    messages: dict[str, str]
    crisis_message: str
    crisis_resources: tuple[Resource, ...]
    referrals: dict[str, str]


@dataclass(frozen=True)
class BotConfig:
    """Everything in bot.yaml: what the bot says besides quotes, and its settings."""

    title: str
    intro: str
    examples: tuple[str, ...]
    clinic_name: str
    clinic_contact: str
    disclaimers: dict[str, str]  # by reply kind: "answer", "referral", "crisis"
    messages: dict[str, str]
    crisis_message: str
    crisis_resources: tuple[Resource, ...]
    abstention: Abstention
    retrieval: Retrieval = field(default_factory=Retrieval)
    max_question_chars: int = 2000
    cors_origins: tuple[str, ...] = ()
    frame_ancestors: tuple[str, ...] = ()
    log_unanswered: bool = False
    unanswered_db: str = "unanswered.sqlite3"
    languages: tuple[str, ...] = ("en",)  # the languages the bot can answer in (its sources' language)
    translations: dict[str, Translation] = field(default_factory=dict)
    clinic_phone: str = ""  # tel: target for the clinic, e.g. "+15550100199"
    clinic_email: str = ""

    @property
    def disclaimer(self) -> str:
        """The disclaimer under a quote (the one most replies carry)."""
        return self.disclaimers["answer"]


_ORIGIN = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")


def origin_problem(value: str) -> str | None:
    """Why `value` is not an exact web origin, or None. A typo must not widen or break the policy."""
    if _ORIGIN.match(value):
        return None
    return (f"{value!r} is not an origin like 'https://www.clinic.example' "
            "(scheme and host, optional port, no path, no trailing slash, no wildcard)")


def link_problem(href: str) -> str | None:
    """Why `href` cannot be a crisis-resource link, or None."""
    if href.startswith(LINK_SCHEMES) and len(href) > len(href.split(":")[0]) + 1 and not any(c.isspace() for c in href):
        return None
    return f"link {href!r} must start with {', '.join(LINK_SCHEMES)} and hold no spaces"
