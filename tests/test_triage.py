"""Safety triage: the rules in safety.yaml against the phrasings they were written for, and the whole
triage (rules and classifier) on what a patient sees.

tests/fixtures/triage_cases.yaml holds crisis messages in patients' words (indirect, typos, Spanish, buried
in long messages), idioms and informational near-misses, and for each of six referral categories messages
that must be referred and near-misses that must not. The rules were written against it, so it is the rules'
regression test (run on the rules alone), not a measure of triage: that is the sealed eval/sealed/triage.yaml.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import FIXTURES

from faqbot.text import fold
from faqbot.triage import Triage

CASES = yaml.safe_load((FIXTURES / "triage_cases.yaml").read_text(encoding="utf-8"))
CATEGORIES = sorted(CASES["referrals"])


@pytest.fixture(scope="module")
def rules(bot):
    """The rules of safety.yaml alone, without the fitted classifier."""
    return Triage(bot.knowledge.safety)


def _verdict(rules, text):
    v = rules.check(text)
    return None if v is None else (v.kind, v.reason)


def test_corpus_is_big_enough():
    assert len(CASES["crisis"]) >= 40 and len(CASES["not_crisis"]) >= 40
    for cat in CATEGORIES:
        assert len(CASES["referrals"][cat]["refer"]) >= 40
        assert len(CASES["referrals"][cat]["answer"]) >= 40


def test_every_category_has_a_rule(bot):
    assert set(CATEGORIES) <= {r.reason for r in bot.knowledge.safety.referrals}


@pytest.mark.parametrize("text", CASES["crisis"])
def test_crisis_is_detected(rules, text):
    assert _verdict(rules, text) == ("crisis", "crisis")


@pytest.mark.parametrize("text", CASES["not_crisis"])
def test_not_crisis_and_not_referred(rules, text):
    assert _verdict(rules, text) is None


@pytest.mark.parametrize(("cat", "text"), [(c, t) for c in CATEGORIES for t in CASES["referrals"][c]["refer"]])
def test_referral_category(rules, cat, text):
    assert _verdict(rules, text) == ("referral", cat)


@pytest.mark.parametrize(("cat", "text"), [(c, t) for c in CATEGORIES for t in CASES["referrals"][c]["answer"]])
def test_near_miss_is_not_referred(rules, cat, text):
    assert _verdict(rules, text) is None


def test_rules_and_classifier_together_keep_every_crisis_the_rules_find(bot):
    """The classifier can only add alarms: every fixture crisis is still a crisis with both."""
    assert all(_verdict(bot.triage, t) == ("crisis", "crisis") for t in CASES["crisis"])


def test_crisis_buried_in_a_long_message_still_counts(bot):
    long = "What is ketamine used for? " * 400 + "honestly i dont want to be here anymore"
    reply = bot.ask(long)
    assert reply.kind == "crisis" and reply.passages == ()


def test_crisis_reply_carries_resources_and_no_quote(bot):
    reply = bot.ask("i gave my dog away and the pills are counted out")
    assert reply.kind == "crisis"
    assert "988" in reply.message and "911" in reply.message and "local emergency number" in reply.message
    assert reply.passages == () and reply.disclaimer


def test_referral_reply_names_its_reason_and_why(bot):
    reply = bot.ask("how many mg of ketamine should i take")
    assert (reply.kind, reply.reason) == ("referral", "dose")
    assert "clinician" in reply.message and bot.config.clinic_name in reply.message
    assert reply.passages == ()


def test_informational_questions_with_the_same_words_are_answered(bot):
    assert bot.ask("What is ketamine used for?").kind == "answer"
    assert bot.ask("What are the side effects?").kind == "answer"
    assert bot.ask("How does ketamine help suicidal thoughts?").kind in ("answer", "crisis")


def test_fold_makes_patterns_simple():
    assert fold("I Don’t want to be HERE anymore!") == " i dont want to be here anymore "
    assert fold("Ya no quiero estar aquí") == " ya no quiero estar aqui "


def test_dispatch_agrees_with_plain_search(bot):
    """PatternSet tries patterns only where they can start; it must find exactly what a plain search finds."""
    import re

    from faqbot.prefilter import PatternSet

    texts = [fold(t) for t in CASES["crisis"] + CASES["not_crisis"]]
    texts += [fold(t) for c in CATEGORIES for side in ("refer", "answer") for t in CASES["referrals"][c][side]]
    rules = bot.knowledge.safety
    groups = [rules.crisis, rules.crisis_unless_informational, rules.informational]
    groups += [g for r in rules.referrals for g in (r.patterns, r.unless)]
    for patterns in groups:
        fast = PatternSet(patterns)
        for text in texts:
            slow = any(all(re.search(x, text) for x in (p.regex, *p.also)) for p in patterns)
            assert fast.search(text) == slow, (text, patterns[0].line)
