"""Learning curve of the triage classifier: crisis recall and false crises against corpus size.

Fits the classifier on growing random shares of triage/corpus/ (with the shipped model's thresholds, so only
the weights learn from more data) and measures whole triage (rules and classifier) on a labelled message
set, by default the sealed eval/sealed/triage.yaml: aggregate figures only, no item is printed.

    .venv/bin/python scripts/triage_learning_curve.py [SET] > learning_curve.md
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from faqbot.bot import FAQBot
from faqbot.knowledge import load_knowledge
from faqbot.triage_eval import evaluate_triage, load_messages
from faqbot.triage_fit import LABELS, features, fit_labels, load_corpus
from faqbot.triage_model import TriageModel, quantize

ROOT = Path(__file__).resolve().parents[1] / "knowledge"


def model_for(examples, languages_model: TriageModel) -> TriageModel:
    x, idf = features(examples)
    weights = languages_model.weights * languages_model.scale
    bias = languages_model.bias.copy()
    n = len(LABELS)
    weights[:, :n], bias[:n] = fit_labels(x, examples)  # as `faqbot fit-triage` fits them (crisis NB-scaled)
    # the language head is the shipped one, refitted weights would only change which language replies
    quantized, scale = quantize(weights)
    return replace(languages_model, weights=quantized, scale=scale, bias=bias, idf=idf)


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "eval" / "sealed" / "triage.yaml"
    kb = load_knowledge(ROOT)
    assert kb.triage_model is not None
    messages = load_messages(target)
    examples = load_corpus(ROOT)
    rng = np.random.RandomState(1)
    order = rng.permutation(len(examples))
    print("| corpus share | messages | crisis recall en+es | crisis recall other | false crises | ordinary referred |")
    print("|---|---|---|---|---|---|")
    for share in (0.1, 0.25, 0.5, 0.75, 1.0):
        subset = [examples[i] for i in order[: int(share * len(examples))]]
        model = model_for(subset, kb.triage_model)
        report = evaluate_triage(FAQBot(replace(kb, triage_model=model)), messages)
        r = report
        print(f"| {share:.0%} | {len(subset)} | {r.crisis_recall['en+es'].rate():.3f} | "
              f"{r.crisis_recall['other'].rate():.3f} | {r.false_crisis['all'].rate():.3f} | "
              f"{r.ordinary_referred['all'].rate():.3f} |", flush=True)


if __name__ == "__main__":
    main()
