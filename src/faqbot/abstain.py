"""Deciding "answer or refer" from retrieval features that mean the same thing for every question.

Raw BM25 scores are only comparable within one question (they grow with its length and rarity of
its words), so the decision reads scale-free features instead and feeds them to a logistic model
whose weights `faqbot calibrate` fits on the labelled development set (see faqbot.calibrate).
Applying the model is a dot product: scikit-learn is needed only to fit it.
"""

from __future__ import annotations

import math

from .config import Abstention
from .index import Hits

FEATURES: dict[str, str] = {
    "ratio": "top score / the best score the question's terms could reach in this knowledge base",
    "coverage": "share of the question's idf mass found in the top passage (unknown words count against)",
    "margin": "(top score - second score) / top score",
    "known": "share of the question's terms that occur anywhere in the knowledge base",
    "length": "log(1 + number of question terms)",
    "qmatch": "share of the question's idf mass in the best-matching single question (or quote) of the top passage",
    "reverse": "share of that best-matching question's (or quote's) idf mass found in the question",
    "passage_p": "the passage classifier's probability of the top passage (faqbot.passage_model)",
}
# Not a model input but a rule (faqbot.decision): a question all of whose words occur in one curated
# question of the top passage is answered. Fitted on a small dev set the model can learn to distrust
# such exact matches (short questions are rarer in scope there), which would refuse "What is ketamine?".
FULL_MATCH = "full"
FULL_REVERSE = 0.5


def features(hits: Hits, qmatch: float = 0.0, reverse: float = 0.0, passage_p: float = 0.0) -> dict[str, float]:
    """The abstention features of one retrieval; all zero when nothing matched.

    `qmatch`, `reverse` and `passage_p` are computed by the retriever, which knows the top passage's separate
    questions and holds the passage classifier (see FEATURES).
    """
    if not len(hits.scores):
        return {"ratio": 0.0, "coverage": 0.0, "margin": 0.0, "known": hits.known_share,
                "length": math.log1p(hits.n_terms), "qmatch": 0.0, "reverse": 0.0, "passage_p": 0.0,
                FULL_MATCH: 0.0}
    top = float(hits.scores[0])
    second = float(hits.scores[1]) if len(hits.scores) > 1 else 0.0
    return {
        "ratio": top / hits.best_possible if hits.best_possible > 0 else 0.0,
        "coverage": hits.matched_idf / hits.query_idf if hits.query_idf > 0 else 0.0,
        "margin": (top - second) / top if top > 0 else 0.0,
        "known": hits.known_share,
        "length": math.log1p(hits.n_terms),
        "qmatch": qmatch,
        "reverse": reverse,
        "passage_p": passage_p,
        FULL_MATCH: 1.0 if qmatch >= 0.999 and hits.known_share >= 0.999 and reverse >= FULL_REVERSE else 0.0,
    }


def probability(model: Abstention, feats: dict[str, float]) -> float:
    """The model's probability that quoting the top passage answers the question."""
    z = model.bias + sum(w * feats[name] for name, w in zip(model.features, model.weights, strict=True))
    if z < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))
