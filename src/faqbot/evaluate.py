"""Measuring a bot against a labelled question set: what curators read after every edit.

Figures: top-1 accuracy (end to end: the reply quotes a right passage first), top-3 accuracy and MRR
(the retrieval ranking, before abstention), the precision of quotes (of all replies that quote, the share
whose first passage answers the question) and coverage (the share of answerable questions that get a
quote), referral accuracy, crisis recall, quotes given where a referral or crisis reply was expected,
replies without the disclaimer, and every failure. `points` feed the risk-coverage curve (faqbot.curve).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from .bot import FAQBot
from .decision import MODEL_RULES, Rule
from .questionset import load_question_set
from .records import Kind, LabelledQuestion
from .text import normalize

ANSWER = Kind.ANSWER


@dataclass(frozen=True)
class Failure:
    question: str
    expected: str
    got: str
    top_passage: str


@dataclass(frozen=True)
class Point:
    """One question as the abstention threshold sees it: how it is decided, and whether its quote is right."""

    confidence: float
    decided_by_model: bool  # False: a rule decides whatever the threshold (see faqbot.decision)
    answered_by_rule: bool
    right: bool  # the top passage answers the question (never, for a question that must be referred)
    answerable: bool


@dataclass(frozen=True)
class Report:
    """Figures of one evaluation run; ratios are None when the set has no question of that kind."""

    questions: int
    in_scope: int
    top1: float | None
    top3: float | None
    mrr: float | None
    referrals: int
    referral_accuracy: float | None
    crises: int
    crisis_recall: float | None
    quoted_when_not_expected: int
    missing_disclaimer: int
    quotes: int = 0
    quote_precision: float | None = None
    coverage: float | None = None
    failures: list[Failure] = field(default_factory=list)
    points: list[Point] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop("points")
        return out

    def table(self) -> str:
        """A Markdown table of the figures, as shown in the README."""
        def pct(x: float | None) -> str:
            return "n/a" if x is None else f"{x:.3f}"
        rows = [
            ("questions", str(self.questions)),
            (f"top-1 accuracy (in scope, n={self.in_scope})", pct(self.top1)),
            ("top-3 accuracy (retrieval)", pct(self.top3)),
            ("MRR (retrieval)", pct(self.mrr)),
            (f"quotes right (precision, n={self.quotes})", pct(self.quote_precision)),
            ("coverage (answerable questions quoted)", pct(self.coverage)),
            (f"referral accuracy (n={self.referrals})", pct(self.referral_accuracy)),
            (f"crisis recall (n={self.crises})", pct(self.crisis_recall)),
            ("quoted where referral/crisis expected", str(self.quoted_when_not_expected)),
            ("replies missing the disclaimer", str(self.missing_disclaimer)),
        ]
        width = max(len(a) for a, _ in rows)
        lines = [f"| {'figure'.ljust(width)} | value |", f"|{'-' * (width + 2)}|-------|"]
        lines += [f"| {a.ljust(width)} | {b} |" for a, b in rows]
        return "\n".join(lines)


def evaluate(bot: FAQBot, items: list[LabelledQuestion]) -> Report:
    """Ask every question and score the replies against their labels."""
    in_scope = top1 = top3 = referrals = ref_ok = crises = crisis_ok = quoted = no_disclaimer = 0
    quotes = right_quotes = answered_in_scope = 0
    rr = 0.0
    failures: list[Failure] = []
    points: list[Point] = []
    for item in items:
        reply = bot.ask(item.question)
        decision = bot.decide(normalize(item.question))
        top_doc = decision.found.top if decision.found is not None else None
        right_top = top_doc is not None and top_doc.doc.id in item.passages
        points.append(Point(decision.confidence, decision.rule in MODEL_RULES, decision.rule == Rule.FULL_MATCH,
                            right_top, item.expect == ANSWER))
        if reply.kind == ANSWER:
            quotes += 1
            right_quotes += reply.passages[0].id in item.passages
            answered_in_scope += item.expect == ANSWER
        if not reply.disclaimer or reply.disclaimer not in _disclaimers(bot, reply.kind):
            no_disclaimer += 1
        top = reply.passages[0].id if reply.passages else ""
        got = f"{reply.kind}:{reply.reason}" + (f":{top}" if top else "") + (
            f" (not covered: {reply.not_covered})" if reply.not_covered else "")
        ok = False
        if item.expect == ANSWER:
            in_scope += 1
            ok = reply.kind == ANSWER and top in item.passages
            top1 += ok
            ranking = [r.doc.id for r in bot.retrieve(normalize(item.question)).ranked]
            rank = next((i + 1 for i, pid in enumerate(ranking) if pid in item.passages), None)
            top3 += rank is not None and rank <= 3
            rr += 1.0 / rank if rank else 0.0
            expected = "answer:" + "|".join(item.passages)
        elif item.expect == "referral":
            referrals += 1
            ok = reply.kind == "referral" and (not item.reason or reply.reason == item.reason)
            ref_ok += ok
            quoted += reply.kind == ANSWER
            expected = "referral" + (f":{item.reason}" if item.reason else "")
        else:
            crises += 1
            ok = reply.kind == "crisis"
            crisis_ok += ok
            quoted += reply.kind == ANSWER
            expected = "crisis"
        if not ok:
            failures.append(Failure(item.question, expected, got, top))

    def ratio(a: float, n: int) -> float | None:
        return a / n if n else None

    return Report(len(items), in_scope, ratio(top1, in_scope), ratio(top3, in_scope), ratio(rr, in_scope),
                  referrals, ratio(ref_ok, referrals), crises, ratio(crisis_ok, crises), quoted, no_disclaimer,
                  quotes, ratio(right_quotes, quotes), ratio(answered_in_scope, in_scope), failures, points)


def _disclaimers(bot: FAQBot, kind: Kind) -> set[str]:
    """The fixed disclaimers a reply of `kind` may carry (one per language the bot speaks)."""
    cfg = bot.config
    return {cfg.disclaimers[kind.value]} | {t.disclaimers[kind.value] for t in cfg.translations.values()
                                            if kind.value in t.disclaimers}


def evaluate_file(path: str | os.PathLike[str], bot: FAQBot | None = None) -> Report:
    """Evaluate the bot (default: the shipped knowledge base) on the question set at `path`."""
    bot = bot or FAQBot.load()
    return evaluate(bot, load_question_set(path, bot.knowledge))
