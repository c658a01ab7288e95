"""Fitting the abstention model on the development set and storing it in bot.yaml.

Each development question that reaches retrieval (triage would not refer it) becomes one example:
its abstention features, labelled 1 when quoting the top passage is right (an in-scope question whose
top passage is one of its labelled answers) and 0 otherwise (out of scope, or the wrong passage on top).
A logistic regression (scikit-learn) learns the weights; the threshold is then chosen to make the
fewest mistakes, counting a wrong quote as twice as bad as a needless referral: abstain rather than guess.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .abstain import FEATURES
from .bot import ANSWER, FAQBot
from .errors import KnowledgeError, Problem
from .evaluate import Report, evaluate
from .knowledge import Abstention, Knowledge, LabelledQuestion, load_knowledge, load_question_set
from .text import normalize

WRONG_QUOTE_COST = 2.0
MISSED_ANSWER_COST = 1.0


@dataclass(frozen=True)
class Calibration:
    """The fitted model, how many examples it saw, its cross-validated error and the dev-set report."""

    abstention: Abstention
    examples: int
    positives: int
    cv_accuracy: float | None
    report: Report


def fit(bot: FAQBot, items: list[LabelledQuestion]) -> tuple[Abstention, int, int, float | None]:
    """Fit the abstention model for `bot` on `items`."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    names = tuple(FEATURES)
    ids = [p.id for p in bot.passages]
    rows: list[list[float]] = []
    labels: list[int] = []
    for item in items:
        if item.expect == "crisis" or (item.expect == "referral" and item.reason not in ("", "no_match")):
            continue
        text = normalize(item.question)
        if not text or bot.triage.check(text) is not None:
            continue
        found = bot.retrieve(text)
        top = ids[int(found.hits.docs[0])] if len(found.hits.docs) else None
        rows.append([found.features[n] for n in names])
        labels.append(int(item.expect == ANSWER and top in item.passages))
    x = np.asarray(rows)
    y = np.asarray(labels)
    if len(set(labels)) < 2:
        raise KnowledgeError([Problem("eval/dev.yaml", 1, "calibration needs both answerable and out-of-scope "
                                      "questions that reach retrieval")])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
    model.fit((x - mean) / scale, y)
    # Fold the standardisation into the weights so that applying the model needs no scaler.
    weights = model.coef_[0] / scale
    bias = float(model.intercept_[0] - (model.coef_[0] * mean / scale).sum())
    z = x @ weights + bias
    prob = 1.0 / (1.0 + np.exp(-z))
    threshold = _best_threshold(prob, y)
    cv = None
    folds = min(5, int(min(y.sum(), len(y) - y.sum())))
    if folds >= 2:
        cv_prob = cross_val_predict(LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000),
                                    (x - mean) / scale, y, cv=StratifiedKFold(folds, shuffle=True, random_state=0),
                                    method="predict_proba")[:, 1]
        cv = float(((cv_prob >= threshold) == y.astype(bool)).mean())
    abst = Abstention(names, tuple(round(float(w), 6) for w in weights), round(bias, 6), round(threshold, 6))
    return abst, len(y), int(y.sum()), cv


def _best_threshold(prob, y) -> float:
    """The cut-off with the lowest cost; among equals, the most cautious (highest)."""
    import numpy as np

    candidates = sorted(set(np.round(prob, 6)) | {0.5})
    best, best_cost = 0.5, float("inf")
    for t in candidates:
        answer = prob >= t
        cost = WRONG_QUOTE_COST * (answer & (y == 0)).sum() + MISSED_ANSWER_COST * (~answer & (y == 1)).sum()
        if cost <= best_cost:
            best, best_cost = float(t), cost
    return best


def calibrate(root: str | os.PathLike[str] | None = None, write: bool = True) -> Calibration:
    """Re-fit abstention for the knowledge base at `root` on its eval/dev.yaml; store it in bot.yaml."""
    kb = load_knowledge(root)
    items = load_question_set(kb.dev_set, kb)
    abst, n, pos, cv = fit(FAQBot(kb), items)
    if write:
        write_abstention(kb.root / "bot.yaml", abst)
    fitted = load_knowledge(kb.root) if write else _with_abstention(kb, abst)
    return Calibration(abst, n, pos, cv, evaluate(FAQBot(fitted), items))


def _with_abstention(kb: Knowledge, abst: Abstention) -> Knowledge:
    from dataclasses import replace

    return replace(kb, bot=replace(kb.bot, abstention=abst))


_BLOCK = re.compile(r"^abstention:.*?(?=^\S|\Z)", re.M | re.S)


def write_abstention(path: Path, abst: Abstention) -> None:
    """Replace the `abstention:` block of bot.yaml, leaving the rest of the file (and its comments) alone."""
    block = (
        "abstention:\n"
        "  # Written by `faqbot calibrate` from eval/dev.yaml; re-run it after editing passages.\n"
        f"  features: [{', '.join(abst.features)}]\n"
        f"  weights: [{', '.join(repr(w) for w in abst.weights)}]\n"
        f"  bias: {abst.bias!r}\n"
        f"  threshold: {abst.threshold!r}\n"
    )
    text = path.read_text(encoding="utf-8")
    new = _BLOCK.sub(lambda _: block, text, count=1) if _BLOCK.search(text) else text.rstrip("\n") + "\n\n" + block
    path.write_text(new, encoding="utf-8")
