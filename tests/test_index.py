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
    docs = [bot.analyzer.analyze_all([normalize(p.text), *map(normalize, p.questions)]) for p in bot.passages]
    return docs + [bot.analyzer.analyze_all(map(normalize, n.questions)) for n in bot.not_covered]


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
def test_dense_small_and_large_paths_give_the_same_hits(seed, monkeypatch):
    """A dense table, a dict of postings or numpy over postings: same scores, same order, same figures."""
    import faqbot.index as index_module

    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(40)]
    docs = [[rng.choice(vocab) for _ in range(rng.randint(1, 25))] for _ in range(300)]
    dense = BM25Index(docs)
    monkeypatch.setattr(index_module, "DENSE_CELLS", 0)
    small = BM25Index(docs)
    monkeypatch.setattr(index_module, "SMALL_INDEX", 0)
    large = BM25Index(docs)
    assert dense._dense is not None and small._dense is None and small._small and not large._small
    for _ in range(30):
        query = [rng.choice([*vocab, "unseen"]) for _ in range(rng.randint(1, 5))]
        a = small.search(query, k=8)
        for b in (dense.search(query, k=8), large.search(query, k=8)):
            assert list(a.docs) == list(b.docs)
            np.testing.assert_allclose(a.scores, b.scores, rtol=1e-12)
            assert (a.best_possible, a.query_idf, a.known_share, a.n_terms) == pytest.approx(
                (b.best_possible, b.query_idf, b.known_share, b.n_terms))
            assert a.matched_idf == pytest.approx(b.matched_idf)
