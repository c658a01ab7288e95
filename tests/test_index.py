"""BM25 scores must equal rank_bm25.BM25Okapi's for the same tokens and parameters."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from faqbot.index import BM25Index
from faqbot.text import normalize


def _docs(bot):
    """The bot's documents: each passage (quote and questions), then each not-covered entry's questions."""
    def terms(texts):
        return [t for text in texts for t in bot.analyzer.analyze(normalize(text))]

    docs = [terms([p.text, *p.questions]) for p in bot.passages]
    docs += [terms(n.questions) for n in bot.knowledge.not_covered]
    assert docs == bot.corpus.tokens()
    return docs


def test_shipped_scores_equal_rank_bm25(bot):
    docs = _docs(bot)
    cfg = bot.config.retrieval
    reference = BM25Okapi(docs, k1=cfg.k1, b=cfg.b, epsilon=cfg.epsilon)
    questions = ["How long do the effects last?", "side effects", "ketamine ketamine depression", "zzz unknown",
                 "what is ketamine used for", "Is online treatment safe?", "PTSD and anxiety relief"]
    questions += [q for p in bot.passages for q in p.questions[:2]]
    for q in questions:
        tokens = bot.analyzer.analyze(normalize(q))
        np.testing.assert_allclose(bot.index.get_scores(tokens), reference.get_scores(tokens), rtol=1e-12, atol=1e-12)


PARAMS = [(1.5, 0.75, 0.25), (1.2, 0.5, 0.1), (2.0, 1.0, 0.5), (0.9, 0.0, 0.25)]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("k1", "b", "epsilon"), PARAMS)
def test_random_corpora_equal_rank_bm25(seed, k1, b, epsilon):
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(rng.randint(5, 60))]
    # Small vocabularies make words occur in more than half the documents: the negative-idf floor is exercised.
    # Empty documents only when b < 1: at b = 1 rank_bm25 divides 0 by 0 for them (see the test below).
    shortest = 0 if b < 1 else 1
    sizes = [rng.randint(shortest if i else 1, 30) for i in range(rng.randint(1, 80))]
    docs = [[rng.choice(vocab) for _ in range(n)] for n in sizes]
    index = BM25Index(docs, k1=k1, b=b, epsilon=epsilon)
    reference = BM25Okapi(docs, k1=k1, b=b, epsilon=epsilon)
    for _ in range(20):
        query = [rng.choice([*vocab, "never-seen"]) for _ in range(rng.randint(1, 6))]
        np.testing.assert_allclose(index.get_scores(query), reference.get_scores(query), rtol=1e-12, atol=1e-12)


def test_empty_document_scores_zero_where_rank_bm25_gives_nan():
    index = BM25Index([["a"], [], ["b", "a"]], b=1.0)
    scores = index.get_scores(["a"])
    assert scores[1] == 0 and np.isfinite(scores).all()


def test_search_ranks_by_score_and_reports_features():
    index = BM25Index([["a", "b"], ["a", "c", "c"], ["d"]])
    hits = index.search(["c", "a"], k=3)
    scores = index.get_scores(["c", "a"])
    assert list(hits.docs) == [1, 0]  # document 2 scores 0 and is not a hit
    np.testing.assert_allclose(hits.scores, scores[[1, 0]])
    assert hits.best_possible == pytest.approx(index.max_weight[index.vocabulary["c"]]
                                               + index.max_weight[index.vocabulary["a"]])
    assert 0 < hits.matched_idf <= hits.query_idf
    assert len(index.search(["zzz"]).docs) == 0


def test_question_cost_does_not_loop_over_passages():
    """A term's postings are sliced, not scanned: a 20,000-document index scores a rare term exactly."""
    docs = [["common", f"t{i}"] for i in range(20000)]
    index = BM25Index(docs)
    hits = index.search(["t123"], k=3)
    assert list(hits.docs) == [123]


@pytest.mark.parametrize("seed", range(4))
def test_search_ranks_as_rank_bm25_scores_order_them(seed):
    """The top documents are rank_bm25's best scores, ties to the lower index, with the figures abstention reads."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(40)]
    docs = [[rng.choice(vocab) for _ in range(rng.randint(1, 25))] for _ in range(300)]
    index = BM25Index(docs)
    reference = BM25Okapi(docs)
    for _ in range(30):
        query = [rng.choice([*vocab, "unseen"]) for _ in range(rng.randint(1, 5))]
        hits = index.search(query, k=8)
        scores = reference.get_scores(query)
        expected = sorted((d for d in range(len(docs)) if scores[d] > 0), key=lambda d: (-round(scores[d], 9), d))[:8]
        assert list(hits.docs) == expected
        np.testing.assert_allclose(hits.scores, scores[expected], rtol=1e-12)
        if expected:
            present = {t for t in query if t in docs[expected[0]]}
            idf = {t: max(index.idf_list[index.vocabulary[t]], 0.0) for t in set(query) if t in index.vocabulary}
            assert hits.matched_idf == pytest.approx(sum(query.count(t) * idf[t] for t in present))
