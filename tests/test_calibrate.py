"""Calibration: fitting the abstention model, placing its threshold, and storing it in fitted/abstention.json."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import KNOWLEDGE

from faqbot import FAQBot
from faqbot.abstain import FEATURES, FULL_MATCH
from faqbot.calibrate import _best_threshold, calibrate, fit
from faqbot.config import PRECISION_TARGET, REFERRAL_TARGET
from faqbot.decision import MODEL_RULES
from faqbot.errors import KnowledgeError
from faqbot.knowledge import load_knowledge
from faqbot.passage_model import load_passage_model
from faqbot.questionset import load_question_set
from faqbot.records import LabelledQuestion
from faqbot.text import normalize


@pytest.fixture(scope="module")
def unfitted() -> FAQBot:
    """The base as `faqbot calibrate` fits abstention on it: the neutral stand-in, and the passage classifier
    (the shipped one: refitting it on the same documents gives the same weights)."""
    shipped = load_knowledge(KNOWLEDGE).passage_model
    return FAQBot(replace(load_knowledge(KNOWLEDGE, abstention=False), passage_model=shipped))


@pytest.fixture(scope="module")
def dev(unfitted) -> list[LabelledQuestion]:
    """What `faqbot calibrate` fits on: dev.yaml and calibration.yaml."""
    kb = unfitted.knowledge
    assert len(kb.calibration_sets) == 2
    return [q for path in kb.calibration_sets for q in load_question_set(path, kb)]


@pytest.fixture(scope="module")
def fitted(unfitted, dev):
    return fit(unfitted, dev)


def _model_rows(bot: FAQBot, items: list[LabelledQuestion]):
    """The rows fit() learns from: questions reaching retrieval that are not full matches, with their decisions."""
    for item in items:
        if item.expect == "crisis" or (item.expect == "referral" and item.reason not in ("", "no_match")):
            continue
        d = bot.decide(normalize(item.question))
        if d.found is not None and not d.found.features[FULL_MATCH]:
            yield item, d


def test_fit_refers_the_target_share_of_out_of_scope_rows_and_keeps_quotes_precise(unfitted, dev, fitted):
    abst, n, positives, cv = fitted
    assert abst.features == tuple(FEATURES) and len(abst.weights) == len(FEATURES)
    assert abst.min_coverage == unfitted.config.abstention.min_coverage
    assert 0.0 < abst.threshold < 1.0
    assert 0 < positives < n and cv is not None and 0.5 < cv <= 1.0
    bot = FAQBot(replace(unfitted.knowledge, bot=replace(unfitted.config, abstention=abst)))
    rows = list(_model_rows(bot, dev))
    assert len(rows) == n
    out = [d for item, d in rows if item.expect != "answer"]
    referred = sum(d.kind != "answer" for d in out)
    assert out and referred / len(out) >= REFERRAL_TARGET
    # ... while of the quotes the model lets through at least PRECISION_TARGET are right, and some are.
    right = [d for item, d in rows if item.expect == "answer" and d.found.top.doc.id in item.passages]
    assert len(right) == positives
    quoted = [(item, d) for item, d in rows if d.kind == "answer" and d.rule in MODEL_RULES]
    good = sum(item.expect == "answer" and d.found.top.doc.id in item.passages for item, d in quoted)
    assert quoted and good / len(quoted) >= PRECISION_TARGET


def test_fit_is_deterministic(unfitted, dev, fitted):
    assert fit(unfitted, dev) == fitted


def test_fit_on_a_tiny_set_refers_all_its_out_of_scope_rows(unfitted, dev):
    answerable = [i for i in dev if i.expect == "answer"][:12]
    off_topic = [i for i in dev if i.expect == "referral" and i.reason in ("", "no_match")][:12]
    abst, n, positives, _ = fit(unfitted, answerable + off_topic)
    assert n <= 24 and positives > 0
    bot = FAQBot(replace(unfitted.knowledge, bot=replace(unfitted.config, abstention=abst)))
    # With fewer than 34 out-of-scope rows, a 97 % target allows no guess at all.
    assert all(d.kind == "referral" for item, d in _model_rows(bot, off_topic))


def test_fit_needs_both_kinds_of_row(unfitted, dev):
    off_topic = [i for i in dev if i.expect == "referral" and i.reason in ("", "no_match")]
    with pytest.raises(KnowledgeError, match="both answerable and out-of-scope"):
        fit(unfitted, off_topic)


def threshold(prob, y, out_of_scope) -> float:
    return _best_threshold(np.asarray(prob, dtype=float), np.asarray(y), np.asarray(out_of_scope, dtype=bool))


def test_the_threshold_goes_midway_in_the_gap():
    # answerable 0.9 and 0.7; out of scope 0.5 and 0.2: every cut-off in (0.5, 0.7] gives the same result.
    assert threshold([0.9, 0.7, 0.5, 0.2], [1, 1, 0, 0], [0, 0, 1, 1]) == pytest.approx(0.6)


def test_a_wrong_passage_on_top_is_a_neighbour_too():
    # An answerable question with the wrong passage on top (y 0, in scope) at 0.65 narrows the gap.
    assert threshold([0.9, 0.7, 0.65, 0.2], [1, 1, 0, 0], [0, 0, 0, 1]) == pytest.approx(0.675)


def test_rule_referred_rows_are_no_neighbour():
    # -1 marks a row a rule refers: it counts as referred and does not pull the threshold down to -0.15.
    assert threshold([0.9, 0.7, -1.0], [1, 1, 0], [0, 0, 1]) == pytest.approx(0.7)


def test_the_target_tolerates_one_guess_in_forty_one():
    oos = [round(0.01 * k, 2) for k in range(1, 41)] + [0.8]  # 41 out of scope, the highest above the answers
    right = [round(0.6 + 0.005 * k, 3) for k in range(40)]  # 40 right quotes keep precision at 40/41 with the guess
    prob = [*right, *oos]
    y = [1] * 40 + [0] * 41
    assert PRECISION_TARGET <= 40 / 41
    assert threshold(prob, y, [0] * 40 + [1] * 41) == pytest.approx((0.40 + 0.6) / 2)
    assert 1 - 1 / 41 >= REFERRAL_TARGET > 1 - 2 / 41


def test_precision_wins_over_coverage():
    """Two right quotes and one wrong above them: answering all would be right 2 times in 3, so refer more."""
    oos = [round(0.01 * k, 2) for k in range(1, 41)] + [0.8]
    prob, y = [0.9, 0.6, *oos], [1, 1] + [0] * 41
    assert threshold(prob, y, [0, 0] + [1] * 41) == pytest.approx((0.8 + 0.9) / 2)


def test_an_out_of_scope_row_above_every_answer_refers_everything_the_model_decides():
    assert threshold([0.95, 0.9, 0.3], [0, 1, 1], [1, 0, 0]) == 1.0


def test_with_no_right_answer_the_threshold_is_the_lowest_meeting_the_target():
    # Out of scope 0.2, an in-scope question with the wrong passage on top at 0.5: refer both (a quote of the
    # wrong passage would break the precision target, so nothing the model decides is answered).
    assert threshold([0.2, 0.5], [0, 0], [1, 0]) == 1.0


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge base (without the sealed test sets, which nothing here reads)."""
    dest = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, dest, ignore=shutil.ignore_patterns("*.sqlite3", "sealed"))
    return dest


def test_calibrate_writes_the_fitted_file_and_leaves_bot_yaml_alone(kb, fitted):
    (kb / "fitted" / "abstention.json").unlink()  # missing or stale: exactly what calibrate replaces
    bot_yaml = (kb / "bot.yaml").read_bytes()
    result = calibrate(kb, write=True)
    assert (kb / "bot.yaml").read_bytes() == bot_yaml
    stored = json.loads((kb / "fitted" / "abstention.json").read_text(encoding="utf-8"))
    a = result.abstention
    assert (tuple(stored["features"]), tuple(stored["weights"]), stored["bias"], stored["threshold"]) == (
        a.features, a.weights, a.bias, a.threshold)
    assert stored["fitted_on"] == "eval/dev.yaml + eval/calibration.yaml" and stored["examples"] == result.examples
    assert a == fitted[0]  # the copy's sets are the shipped ones
    assert load_knowledge(kb).bot.abstention == a  # read back as written, min_coverage from bot.yaml
    assert result.report.questions == sum(len(load_question_set(kb / "eval" / f)) for f in ("dev.yaml",
                                                                                            "calibration.yaml"))
    assert result.report.top1 is not None and result.report.referral_accuracy is not None
    # the passage classifier it wrote reads back as fitted, and is the shipped one re-made from the same documents
    problems: list = []
    back = load_passage_model(kb, problems)
    assert not problems and back is not None
    assert back.doc_ids == result.passages.doc_ids and back.digest == result.passages.digest
    shipped = load_knowledge(KNOWLEDGE).passage_model
    assert shipped is not None
    for q in ("is ketamine safe", "wat r the side efects", "cuánto dura una sesión"):
        assert np.allclose(back.probabilities(normalize(q)), result.passages.probabilities(normalize(q)), atol=1e-6)
        assert np.allclose(back.probabilities(normalize(q)), shipped.probabilities(normalize(q)), atol=1e-4)
