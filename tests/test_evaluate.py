"""`evaluate()`: the figures curators read after every edit, counted from a handful of labelled questions."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from faqbot import FAQBot
from faqbot.evaluate import Failure, evaluate, evaluate_file
from faqbot.records import LabelledQuestion
from faqbot.text import normalize

# Questions whose replies are read first: the labels below are written against those replies, so every count
# follows from evaluate() alone, whatever triage or retrieval decide for these particular questions.
CANDIDATES = ["How long do the effects of ketamine last?", "What is ketamine?", "Is ketamine addictive?",
              "How many mg of ketamine should I take?", "Can I drink alcohol after my infusion?",
              "i want to die", "I am going to kill myself tonight", "whats the weather in boston tomorrow"]


@pytest.fixture(scope="module")
def labels(bot) -> dict[str, Any]:
    replies = {q: bot.ask(q) for q in CANDIDATES}

    def first(kind: str, pred: Any = lambda r: True) -> str:
        found = next((q for q, r in replies.items() if r.kind == kind and pred(r)), None)
        if found is None:
            pytest.fail(f"none of the candidate questions gets a {kind} reply: {replies}")
        return found

    answered = first("answer")
    referred = first("referral", lambda r: r.reason != "no_match")
    ranking = [r.doc for r in bot.retrieve(normalize(answered)).ranked]
    top = replies[answered].passages[0].id
    assert ranking[0].id == top
    # A passage ranked below the top: a wrong label for top-1, a hit at its rank for top-3 and MRR.
    second = next(i for i, d in enumerate(ranking) if d.passage is not None and i > 0)
    reason = replies[referred].reason
    return {"answered": answered, "top": top, "wrong": ranking[second].id, "wrong_rank": second + 1,
            "referred": referred, "reason": reason, "other_reason": "pregnancy" if reason != "pregnancy" else "dose",
            "crisis": first("crisis")}


def test_counts_of_a_small_labelled_set_with_deliberate_mislabels(bot, labels):
    answered, referred, crisis = labels["answered"], labels["referred"], labels["crisis"]
    items = [
        LabelledQuestion(answered, "answer", (labels["top"],)),  # right
        LabelledQuestion(answered, "answer", (labels["wrong"],)),  # wrong label: must fail
        LabelledQuestion(referred, "referral"),  # right, any reason
        LabelledQuestion(referred, "referral", reason=labels["reason"]),  # right, with its reason
        LabelledQuestion(referred, "referral", reason=labels["other_reason"]),  # wrong reason: must fail
        LabelledQuestion(answered, "referral"),  # the bot quotes: fails, and counts as quoted
        LabelledQuestion(crisis, "crisis"),  # right
        LabelledQuestion(answered, "crisis"),  # the bot quotes: fails, and counts as quoted
    ]
    report = evaluate(bot, items)
    assert (report.questions, report.in_scope, report.referrals, report.crises) == (8, 2, 4, 2)
    assert report.top1 == 0.5
    assert report.top3 == (1.0 if labels["wrong_rank"] <= 3 else 0.5)
    assert report.mrr == pytest.approx((1.0 + 1.0 / labels["wrong_rank"]) / 2)
    assert report.referral_accuracy == 0.5
    assert report.crisis_recall == 0.5
    assert report.quoted_when_not_expected == 2
    assert report.missing_disclaimer == 0
    assert [f.question for f in report.failures] == [answered, referred, answered, answered]
    assert report.failures[0] == Failure(answered, f"answer:{labels['wrong']}", f"answer:matched:{labels['top']}",
                                         labels["top"])
    assert report.failures[1].expected == f"referral:{labels['other_reason']}"
    assert report.failures[1].got == f"referral:{labels['reason']}"
    assert report.failures[2].expected == "referral" and report.failures[2].got.startswith("answer:matched:")
    assert report.failures[3].expected == "crisis"


def test_a_label_naming_several_passages_is_right_when_any_is_quoted_first(bot, labels):
    report = evaluate(bot, [LabelledQuestion(labels["answered"], "answer", (labels["wrong"], labels["top"]))])
    assert report.top1 == 1.0 and report.mrr == 1.0 and report.failures == []


def test_an_answer_label_the_bot_refers_is_a_top1_failure(bot, labels):
    report = evaluate(bot, [LabelledQuestion(labels["referred"], "answer", (labels["top"],))])
    assert report.top1 == 0.0 and report.referral_accuracy is None and report.crisis_recall is None
    assert report.failures[0].got == f"referral:{labels['reason']}"


def test_replies_without_the_right_disclaimer_are_counted(bot, labels):
    items = [LabelledQuestion(labels["answered"], "answer", (labels["top"],)),
             LabelledQuestion(labels["crisis"], "crisis"), LabelledQuestion(labels["referred"], "referral")]
    plain = FAQBot(bot.knowledge)
    ask = plain.ask
    assert bot.config.disclaimers["crisis"] != bot.config.disclaimers["answer"]
    # Missing on the first reply, another kind's disclaimer on the second, the right one on the third.
    wrong = {labels["answered"]: "", labels["crisis"]: bot.config.disclaimers["answer"]}
    plain.ask = lambda q: replace(ask(q), disclaimer=wrong[q]) if q in wrong else ask(q)  # type: ignore[method-assign]
    report = evaluate(plain, items)
    assert report.missing_disclaimer == 2
    assert (report.top1, report.crisis_recall, report.referral_accuracy) == (1.0, 1.0, 1.0)  # the kinds are right


def test_an_empty_set_has_no_ratios(bot):
    report = evaluate(bot, [])
    assert report.questions == 0 and report.top1 is None and report.referral_accuracy is None
    assert "n/a" in report.table()


def test_evaluate_file_reads_a_question_set(bot, labels, tmp_path):
    path = tmp_path / "set.yaml"
    path.write_text(f"questions:\n  - question: {json.dumps(labels['answered'])}\n    expect: answer\n"
                    f"    passages: [{labels['wrong']}]\n"
                    f"  - question: {json.dumps(labels['crisis'])}\n    expect: crisis\n", encoding="utf-8")
    report = evaluate_file(path, bot)
    assert (report.questions, report.top1, report.crisis_recall) == (2, 0.0, 1.0)
    assert report.to_dict()["failures"][0]["expected"] == f"answer:{labels['wrong']}"
