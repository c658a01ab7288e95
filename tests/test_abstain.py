"""Abstention features (scale-free figures of one retrieval) and the model's probability over them."""

from __future__ import annotations

import math

import pytest

from faqbot.abstain import FEATURES, FULL_MATCH, FULL_REVERSE, features, probability
from faqbot.config import Abstention
from faqbot.index import Hits
from faqbot.text import normalize


def hits(scores=(4.0, 1.0), best_possible=8.0, query_idf=10.0, matched_idf=6.0, known_share=1.0, n_terms=3):
    return Hits(tuple(range(len(scores))), tuple(scores), best_possible, query_idf, matched_idf, known_share, n_terms)


def test_nothing_matched_gives_zero_features_except_known_and_length():
    f = features(Hits((), (), 0.0, 7.5, 0.0, 0.5, 4), qmatch=0.9)
    assert f == {"ratio": 0.0, "coverage": 0.0, "margin": 0.0, "known": 0.5, "length": math.log1p(4),
                 "qmatch": 0.0, "reverse": 0.0, "passage_p": 0.0, FULL_MATCH: 0.0}


def test_feature_values_of_a_crafted_retrieval():
    f = features(hits(), qmatch=0.5, reverse=0.25)
    assert f["ratio"] == pytest.approx(4.0 / 8.0)
    assert f["coverage"] == pytest.approx(6.0 / 10.0)
    assert f["margin"] == pytest.approx((4.0 - 1.0) / 4.0)
    assert f["known"] == 1.0
    assert f["length"] == pytest.approx(math.log(4))
    assert f["qmatch"] == 0.5
    assert f["reverse"] == 0.25
    assert f[FULL_MATCH] == 0.0
    assert set(f) == set(FEATURES) | {FULL_MATCH}


def test_a_single_hit_has_the_whole_margin():
    assert features(hits(scores=(2.5,)))["margin"] == 1.0


def test_a_tie_at_the_top_has_no_margin():
    assert features(hits(scores=(3.0, 3.0, 1.0)))["margin"] == 0.0


def test_zero_denominators_give_zero_not_an_error():
    f = features(hits(best_possible=0.0, query_idf=0.0))
    assert f["ratio"] == 0.0 and f["coverage"] == 0.0


def test_full_match_needs_every_word_in_one_question_every_word_known_and_half_that_question():
    assert features(hits(), qmatch=1.0, reverse=1.0)[FULL_MATCH] == 1.0
    assert features(hits(), qmatch=1.0, reverse=FULL_REVERSE)[FULL_MATCH] == 1.0
    # an unknown word is not matched
    assert features(hits(known_share=0.75), qmatch=1.0, reverse=1.0)[FULL_MATCH] == 0.0
    assert features(hits(), qmatch=0.99, reverse=1.0)[FULL_MATCH] == 0.0
    # the question's words are all in a curated question that says much more: not a full match
    assert features(hits(), qmatch=1.0, reverse=0.3)[FULL_MATCH] == 0.0


def test_reverse_is_how_much_of_the_matched_question_the_question_fills(bot):
    """The best-matching curated question asked whole fills it; its words inside a longer question do not."""
    passage = next(p for p in bot.passages if any(len(q.split()) >= 8 for q in p.questions))
    long_q = next(q for q in passage.questions if len(q.split()) >= 8)
    assert bot.retrieve(normalize(long_q)).features["reverse"] == pytest.approx(1.0)
    words = long_q.split()
    part = bot.retrieve(normalize(" ".join(words[len(words) // 2:])))
    assert part.features["reverse"] < 1.0


def test_features_of_the_shipped_bot_are_in_range(bot):
    for question in ["What is ketamine?", "how long do the effects last", "asdf qwer zxcv"]:
        f = bot.retrieve(normalize(question)).features
        assert set(f) == set(FEATURES) | {FULL_MATCH}
        assert all(0.0 <= f[name] <= 1.0 + 1e-9 for name in ("ratio", "coverage", "margin", "known", "qmatch",
                                                              "reverse"))


MODEL = Abstention(("ratio",), (1.0,), 0.0, 0.5)


def p(z: float) -> float:
    """The model's probability at z, with the bias carrying z (ratio is 0)."""
    return probability(Abstention(("ratio",), (1.0,), z, 0.5), {"ratio": 0.0})


def test_probability_is_the_logistic_of_the_weighted_sum():
    model = Abstention(("ratio", "coverage"), (2.0, -1.0), 0.5, 0.5)
    z = 0.5 + 2.0 * 0.25 - 1.0 * 0.75
    assert probability(model, {"ratio": 0.25, "coverage": 0.75, "margin": 9.0}) == pytest.approx(1 / (1 + math.exp(-z)))
    assert p(0.0) == 0.5


def test_probability_is_monotone_in_z():
    zs = [-1e308, -1000.0, -710.0, -61.0, -60.0, -59.9, -30.0, -1.0, -1e-9, 0.0, 1e-9, 1.0, 30.0, 37.0, 60.0,
          709.0, 710.0, 1000.0, 1e308]
    ps = [p(z) for z in zs]
    assert ps == sorted(ps)
    assert all(0.0 <= x <= 1.0 for x in ps)
    assert p(-1.0) < p(0.0) < p(1.0)


@pytest.mark.parametrize("z", [-1e308, -1e6, -745.2, -710.0, 710.0, 1e6, 1e308, -math.inf, math.inf])
def test_probability_is_safe_for_extreme_z(z):
    x = p(z)  # no OverflowError
    assert x == (0.0 if z < 0 else 1.0)


def test_a_feature_the_model_lacks_is_an_error_not_a_silent_zero():
    with pytest.raises(KeyError):
        probability(MODEL, {"coverage": 1.0})
