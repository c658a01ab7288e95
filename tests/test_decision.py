"""`decide()`: the gates of the answer-or-refer decision, in order, each reporting the Rule that fired."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from faqbot.abstain import FULL_MATCH
from faqbot.config import BotConfig
from faqbot.corpus import Doc, Ranked
from faqbot.decision import MODEL_RULES, Rule, decide, judge
from faqbot.index import Hits
from faqbot.records import Kind, NotCovered, Passage, Reason
from faqbot.retrieval import Retrieved
from faqbot.text import normalize
from faqbot.triage import Verdict

PASSAGE = Passage("p1", "s1", "Ketamine is an anesthetic.", ("what is ketamine",), ("basics",), "p.yaml", 1)
ENTRY = NotCovered("nc1", "the sources do not say", ("how much does it cost",))
CRISIS = Verdict("crisis", "crisis")
DOSE = Verdict("referral", "dose")


@pytest.fixture(scope="module")
def config(bot) -> BotConfig:
    """The shipped settings with a known threshold and coverage floor."""
    cfg = bot.config
    return replace(cfg, abstention=replace(cfg.abstention, threshold=0.5, min_coverage=0.3))


def retrieved(top: Doc | None = None, coverage: float = 1.0, full: float = 0.0, confidence: float = 0.9) -> Retrieved:
    ranked = (Ranked(top, 3.0), Ranked(Doc(7, passage=PASSAGE), 1.0)) if top is not None else ()
    hits = Hits(tuple(r.doc.index for r in ranked), tuple(r.score for r in ranked), 4.0, 5.0, 5.0 * coverage, 1.0, 3)
    feats = {"ratio": 0.75, "coverage": coverage, "margin": 0.66, "known": 1.0, "length": math.log(4),
             "qmatch": full, FULL_MATCH: full}
    return Retrieved(ranked, hits, feats, confidence)


class Spy:
    """A retrieve callable that records what it was asked."""

    def __init__(self, result: Retrieved | None = None) -> None:
        self.calls: list[str] = []
        self.result = result or retrieved(Doc(0, passage=PASSAGE))

    def __call__(self, text: str) -> Retrieved:
        self.calls.append(text)
        return self.result


# ------------------------------------------------------------------ the gates before retrieval


def test_empty_text_is_referred_first_even_with_a_verdict(config):
    spy = Spy()
    for verdict in (None, CRISIS):
        d = decide("", verdict, config, spy)
        assert (d.kind, d.reason, d.rule) == (Kind.REFERRAL, Reason.EMPTY, Rule.EMPTY)
    assert spy.calls == [] and d.found is None and d.confidence == 0.0


def test_crisis_beats_too_long(config):
    spy = Spy()
    text = "x" * (config.max_question_chars + 1)
    d = decide(text, CRISIS, config, spy, language_ok=False)
    assert (d.kind, d.reason, d.rule) == (Kind.CRISIS, Reason.CRISIS, Rule.CRISIS)
    assert spy.calls == []


def test_too_long_is_referred_before_triage_and_language(config):
    spy = Spy()
    text = "x" * (config.max_question_chars + 1)  # no question in it to answer
    for verdict, language_ok in ((None, True), (DOSE, True), (None, False)):
        d = decide(text, verdict, config, spy, language_ok=language_ok)
        assert (d.kind, d.reason, d.rule) == (Kind.REFERRAL, Reason.TOO_LONG, Rule.TOO_LONG)
    assert spy.calls == []


def test_a_question_of_exactly_the_limit_is_not_too_long(config):
    spy = Spy()
    d = decide("x" * config.max_question_chars, None, config, spy)
    assert d.rule != Rule.TOO_LONG and spy.calls == ["x" * config.max_question_chars]


def test_a_long_message_is_answered_from_its_last_question(config):
    spy = Spy()
    story = "I have been feeling low for a long time and my doctor suggested something new. " * 40
    assert len(story) > config.max_question_chars
    d = decide(story + "Is that a good idea? How long does a session take?", None, config, spy)
    assert d.rule == Rule.MODEL_ANSWER and spy.calls == ["How long does a session take?"]


def test_a_triage_referral_carries_its_category_and_skips_retrieval(config):
    spy = Spy()
    d = decide("how many mg should i take", DOSE, config, spy)
    assert (d.kind, d.reason, d.rule) == (Kind.REFERRAL, Reason.DOSE, Rule.TRIAGE)
    assert spy.calls == [] and d.found is None


def test_a_triage_referral_comes_before_the_language_gate(config):
    spy = Spy()
    d = decide("cuantos mg debo tomar", DOSE, config, spy, language_ok=False)
    assert (d.kind, d.reason, d.rule) == (Kind.REFERRAL, Reason.DOSE, Rule.TRIAGE)
    d = decide("cuanto dura una sesion", None, config, spy, language_ok=False)
    assert (d.kind, d.reason, d.rule) == (Kind.REFERRAL, Reason.LANGUAGE, Rule.LANGUAGE)
    assert spy.calls == []


# ------------------------------------------------------------------ the retrieval gates


def test_nothing_matched_is_referred_with_no_match(config):
    found = retrieved(None)
    d = decide("asdf qwer", None, config, Spy(found))
    assert (d.kind, d.reason, d.rule) == (Kind.REFERRAL, Reason.NO_MATCH, Rule.NOTHING)
    assert d.found is found


def test_a_not_covered_entry_on_top_is_referred_whatever_the_other_figures(config):
    found = retrieved(Doc(3, not_covered=ENTRY), coverage=1.0, full=1.0, confidence=1.0)
    d = decide("how much does it cost", None, config, Spy(found))
    assert (d.kind, d.reason, d.rule) == (Kind.REFERRAL, Reason.NO_MATCH, Rule.NOT_COVERED)
    assert d.not_covered == ENTRY and d.confidence == 1.0


def test_low_coverage_refers_even_a_full_confident_match(config):
    d = judge(retrieved(Doc(0, passage=PASSAGE), coverage=0.29, full=1.0, confidence=0.99), config)
    assert (d.kind, d.reason, d.rule) == (Kind.REFERRAL, Reason.NO_MATCH, Rule.COVERAGE)
    assert judge(retrieved(Doc(0, passage=PASSAGE), coverage=0.3, full=1.0), config).rule == Rule.FULL_MATCH


def test_a_full_match_answers_even_below_the_threshold(config):
    d = judge(retrieved(Doc(0, passage=PASSAGE), full=1.0, confidence=0.01), config)
    assert (d.kind, d.reason, d.rule) == (Kind.ANSWER, Reason.MATCHED, Rule.FULL_MATCH)
    assert d.found is not None and d.found.top.doc.passage == PASSAGE


def test_the_model_answers_at_the_threshold_and_refers_just_below(config):
    t = config.abstention.threshold
    at = judge(retrieved(Doc(0, passage=PASSAGE), confidence=t), config)
    below = judge(retrieved(Doc(0, passage=PASSAGE), confidence=math.nextafter(t, 0.0)), config)
    assert (at.kind, at.reason, at.rule) == (Kind.ANSWER, Reason.MATCHED, Rule.MODEL_ANSWER)
    assert (below.kind, below.reason, below.rule) == (Kind.REFERRAL, Reason.NO_MATCH, Rule.MODEL_REFER)
    assert set(MODEL_RULES) == {Rule.MODEL_ANSWER, Rule.MODEL_REFER}


# ------------------------------------------------------------------ through the shipped bot


@pytest.mark.parametrize(("question", "kind", "reason", "rule"), [
    ("", "referral", "empty", Rule.EMPTY),
    ("   \n\t ", "referral", "empty", Rule.EMPTY),
    ("i want to die", "crisis", "crisis", Rule.CRISIS),
    ("How many mg of ketamine should I take?", "referral", "dose", Rule.TRIAGE),
    ("asdf qwer zxcv", "referral", "no_match", Rule.NOTHING),
    ("What is ketamine?", "answer", "matched", Rule.FULL_MATCH),
])
def test_the_shipped_bot_reports_the_rule_that_fired(bot, question, kind, reason, rule):
    reply = bot.ask(question)
    assert (reply.kind, reply.reason, reply.rule) == (kind, reason, rule)


def test_a_crisis_at_the_end_of_an_overlong_message_is_still_a_crisis(bot):
    # (The classifier reads "I have a question about my appointment times and parking." as a crisis at 0.36,
    # over its 0.23 threshold: a known false alarm, see README "Safety triage".)
    long = "I have read the leaflet about ketamine infusions twice now. " * 50
    assert len(long) > bot.config.max_question_chars
    assert bot.ask(long).rule == Rule.TOO_LONG
    reply = bot.ask(long + " honestly i want to die")
    assert (reply.kind, reply.rule) == ("crisis", Rule.CRISIS)


def retrieval_gates(bot, question, config=None):
    """The decision of the retrieval gates alone, on the shipped bot's real retrieval."""
    return judge(bot.retrieve(normalize(question)), config or bot.config)


def test_each_not_covered_entrys_own_question_is_referred_as_not_covered(bot):
    for entry in bot.knowledge.not_covered:
        d = retrieval_gates(bot, entry.questions[0])
        assert (d.kind, d.rule, d.not_covered) == (Kind.REFERRAL, Rule.NOT_COVERED, entry), entry.id


def test_a_question_sharing_little_with_the_top_passage_is_referred_by_coverage(bot):
    d = retrieval_gates(bot, "pretend you are a pirate and describe the ocean")
    assert (d.kind, d.rule) == (Kind.REFERRAL, Rule.COVERAGE)
    assert d.found.features["coverage"] < bot.config.abstention.min_coverage


def test_raising_the_threshold_refers_model_answers_but_not_full_matches(bot):
    cfg = bot.config
    strict = replace(cfg, abstention=replace(cfg.abstention, threshold=1.0))
    full = retrieval_gates(bot, "What is ketamine?")
    assert full.rule == Rule.FULL_MATCH and full.confidence < 1.0
    assert retrieval_gates(bot, "What is ketamine?", strict).rule == Rule.FULL_MATCH
    lenient = replace(cfg, abstention=replace(cfg.abstention, threshold=0.0))
    question = "isnt ketamine just an anaesthetic? why are they using it for mental health now"
    assert retrieval_gates(bot, question, lenient).rule == Rule.MODEL_ANSWER
    d = retrieval_gates(bot, question, strict)
    assert (d.kind, d.reason, d.rule) == (Kind.REFERRAL, Reason.NO_MATCH, Rule.MODEL_REFER)
