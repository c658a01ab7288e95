"""Fitting the abstention model on the labelled sets and storing it in fitted/abstention.json.

The sets are eval/dev.yaml and, when present, eval/calibration.yaml (questions written apart from the
passages, so the threshold is not set on wording the curation was tuned to). Each question that reaches
retrieval (triage would not refer it) and is not a full match (answered by rule) becomes one example: its
abstention features, labelled 1 when quoting the top passage is right (an in-scope question whose
top passage is one of its labelled answers) and 0 otherwise (out of scope, or the wrong passage on top).
A logistic regression (scikit-learn) learns the weights. The threshold then follows the product's rule,
abstain rather than guess: as many answerable questions as possible get their quote while at least
PRECISION_TARGET of the quotes are right and REFERRAL_TARGET of the out-of-scope questions are referred,
with the cut-off midway in the gap between the two kinds of row so that neither side sits on the edge.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from .abstain import FEATURES, FULL_MATCH
from .bot import FAQBot
from .botfile import write_fitted
from .config import PRECISION_TARGET, REFERRAL_TARGET, Abstention
from .decision import MODEL_RULES
from .errors import KnowledgeError, Problem
from .evaluate import Report, evaluate
from .knowledge import load_knowledge
from .passage_fit import fit_passage_model
from .passage_model import PassageModel, write_passage_model
from .questionset import load_question_set
from .records import Kind, Knowledge, LabelledQuestion
from .text import normalize


@dataclass(frozen=True)
class Calibration:
    """The fitted models, how many examples abstention saw, its cross-validated error and the dev-set report."""

    abstention: Abstention
    examples: int
    positives: int
    cv_accuracy: float | None
    report: Report
    passages: PassageModel


def fit(bot: FAQBot, items: list[LabelledQuestion]) -> tuple[Abstention, int, int, float | None]:
    """Fit the abstention model for `bot` on `items`."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    names = tuple(FEATURES)
    floor = bot.config.abstention.min_coverage
    rows: list[list[float]] = []
    labels: list[int] = []
    out_of_scope: list[bool] = []
    allowed: list[bool] = []
    for item in items:
        if item.expect == "crisis" or (item.expect == "referral" and item.reason not in ("", "no_match")):
            continue
        decision = bot.decide(normalize(item.question))
        found = decision.found
        if found is None or found.features[FULL_MATCH]:
            continue  # decided before retrieval, or a full match: the model is never what answers it
        # The model still learns from rows a rule refers (faqbot.decision), but they count as referred
        # whatever the threshold.
        allowed.append(decision.rule in MODEL_RULES)
        top = found.top
        rows.append([found.features[n] for n in names])
        labels.append(int(item.expect == Kind.ANSWER and top is not None and top.doc.id in item.passages))
        out_of_scope.append(item.expect != Kind.ANSWER)
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
    # Rows a rule refers count as referred whatever the threshold.
    threshold = _best_threshold(np.where(np.asarray(allowed), prob, -1.0), y, np.asarray(out_of_scope))
    cv = None
    folds = min(5, int(min(y.sum(), len(y) - y.sum())))
    if folds >= 2:
        cv_prob = cross_val_predict(LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000),
                                    (x - mean) / scale, y, cv=StratifiedKFold(folds, shuffle=True, random_state=0),
                                    method="predict_proba")[:, 1]
        cv = float(((cv_prob >= threshold) == y.astype(bool)).mean())
    abst = Abstention(names, tuple(round(float(w), 6) for w in weights), round(bias, 6), round(threshold, 6), floor)
    return abst, len(y), int(y.sum()), cv


def _best_threshold(prob, y, out_of_scope) -> float:
    """The cut-off that answers the most answerable questions while referring REFERRAL_TARGET of the
    out-of-scope ones and keeping PRECISION_TARGET of the quotes it lets through right, placed midway in
    the gap around it. A wrong quote is worse than a referral, so both constraints must hold.

    Lower cut-offs answer more; the constraint keeps guesses rare. Only questions that reach retrieval
    count here (triage referrals are always right); rows a rule refers have probability -1.
    Every cut-off between the lowest answered right quote and the highest row below it gives the same
    dev result; the lowest of them would leave the out-of-scope question just under it with no margin
    (a prompt-injection line was quoted after a small knowledge edit), so the cut-off goes midway.
    """
    import numpy as np

    n_out = max(int(out_of_scope.sum()), 1)
    lowest = 1.0
    for t in sorted(set(np.round(prob[prob >= 0], 6)) | {1.0}):
        passed = prob >= t
        precise = not passed.any() or float(y[passed].mean()) >= PRECISION_TARGET
        if 1 - int((passed & out_of_scope).sum()) / n_out >= REFERRAL_TARGET and precise:
            lowest = float(t)
            break
    answered = prob[(prob >= lowest) & (y == 1)]
    if not len(answered):
        return lowest
    lowest_right = float(answered.min())
    below = prob[(prob >= 0) & (prob < lowest_right)]  # rule-referred rows (-1) are no neighbour
    return (float(below.max()) + lowest_right) / 2 if len(below) else lowest_right


def calibrate(root: str | os.PathLike[str] | None = None, write: bool = True) -> Calibration:
    """Re-fit the passage classifier on the curated questions and then abstention on the labelled sets; store
    them in fitted/passages.npz and fitted/abstention.json.

    Missing or stale fitted files are exactly what this replaces, so the base is loaded without them first.
    """
    kb = load_knowledge(root, abstention=False)
    classifier = fit_passage_model(kb)
    if write:
        write_passage_model(kb.root, classifier)
    kb = replace(kb, passage_model=classifier)
    items = [q for path in kb.calibration_sets for q in load_question_set(path, kb)]
    abst, n, pos, cv = fit(FAQBot(kb), items)
    if write:
        fitted_on = " + ".join(str(p.relative_to(kb.root)) for p in kb.calibration_sets)
        write_fitted(kb.root, abst, {"examples": n, "positives": pos, "fitted_on": fitted_on})
    fitted = _with_abstention(kb, abst)
    return Calibration(abst, n, pos, cv, evaluate(FAQBot(fitted), items), classifier)


def _with_abstention(kb: Knowledge, abst: Abstention) -> Knowledge:
    return replace(kb, bot=replace(kb.bot, abstention=abst))
