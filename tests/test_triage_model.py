"""The fitted triage classifier: what a patient sees from it, and how a clinic refits and checks it.

Its quality is measured on the sealed eval/sealed/triage.yaml (`faqbot eval`, reported in the README), not
here: these tests check behaviour that must hold whatever the figures (a model that does not match its
corpus is refused, the reply's language, long messages read sentence by sentence, refitting works).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from faqbot import FAQBot, KnowledgeError, load_knowledge
from faqbot.triage import Triage
from faqbot.triage_fit import LABELS, fit_triage, load_corpus
from faqbot.triage_model import MODEL


def test_the_shipped_base_has_a_model_fitted_on_its_corpus(bot):
    model = bot.triage.model
    assert model is not None and model.labels == LABELS
    assert {"en", "es", "fr", "pt", "de", "zh", "ar", "vi", "tl", "ru"} <= set(model.languages)
    assert all(0 < t < 1 for t in model.thresholds.values())


def test_corpus_is_large_varied_and_multilingual():
    examples = [e for e in load_corpus(Path(__file__).resolve().parents[1] / "knowledge", with_passages=False)]
    crisis = [e for e in examples if "crisis" in e.labels]
    assert len(crisis) >= 3000 and len(examples) - len(crisis) >= 6000
    for label in LABELS[1:]:
        assert sum(label in e.labels for e in examples) >= 300, label
    assert len({e.batch for e in examples}) >= 6
    assert len({e.language for e in examples}) >= 10


def test_a_model_that_does_not_match_its_corpus_is_refused(kb_copy):
    batch = next((kb_copy / "triage" / "corpus").glob("*.yaml"))
    batch.write_text(batch.read_text(encoding="utf-8") + '  - {text: "one more message", labels: [], lang: en}\n',
                     encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"fitted/triage.npz:1: does not match triage/corpus/"):
        load_knowledge(kb_copy)


def test_a_missing_model_is_reported_with_the_command_to_fit_it(kb_copy):
    (kb_copy / MODEL).unlink()
    with pytest.raises(KnowledgeError, match=r"run `faqbot fit-triage`"):
        load_knowledge(kb_copy)


def test_a_clinic_can_refit_on_its_own_examples(kb_copy):
    corpus = kb_copy / "triage" / "corpus"
    for path in corpus.glob("*.yaml"):
        if path.name != "b00-rules-fixtures.yaml":
            path.unlink()  # a small corpus keeps the test fast
    (corpus / "clinic.yaml").write_text(
        "batch: clinic\nbrief: >-\n  the clinic's own examples\nmessages:\n"
        '  - {text: "can i bring my emotional support parrot to the infusion", labels: [], lang: en}\n'
        '  - {text: "my parrot ate my pills and now i want to end it all tonight", labels: [crisis], lang: en}\n',
        encoding="utf-8")
    report = fit_triage(kb_copy, cross_validate=False)
    assert report.path == kb_copy / MODEL and report.path.exists()
    bot = FAQBot.load(kb_copy)
    assert bot.ask("i have decided to end my life tonight").kind == "crisis"
    assert bot.ask("What is ketamine used for?").kind == "answer"


@pytest.mark.parametrize("text", [
    "ya no quiero vivir, tengo las pastillas aquí",
    "mi hermano dice que se va a tirar del puente esta noche",
])
def test_a_spanish_crisis_gets_the_crisis_reply_in_spanish(bot, text):
    reply = bot.ask(text)
    assert reply.kind == "crisis" and reply.language == "es"
    assert "988" in reply.message and "español" in reply.message
    assert reply.disclaimer == bot.config.translations["es"].disclaimers["crisis"]


def test_a_question_in_a_language_the_bot_cannot_answer_in_says_which_it_can(bot):
    reply = bot.ask("¿Cuánto tiempo duran los efectos de la ketamina después de una sesión?")
    assert (reply.kind, reply.reason) == ("referral", "language") and reply.passages == ()
    assert "inglés" in reply.message


def test_english_questions_are_never_sent_away_for_their_language(bot):
    for q in ["What is ketamine used for?", "side effects?", "how long does it last", "is ketamine safe",
              "Can ketamine help PTSD?", "ketamine infusion cost"]:
        assert bot.ask(q).reason != "language", q


def test_one_line_of_ideation_in_a_long_practical_message_is_not_diluted(bot):
    practical = ("Hi, I have my third infusion on Thursday and wanted to ask about parking near the clinic, "
                 "whether I should eat beforehand, what to wear, and if my partner can wait in the lobby. ")
    message = practical * 3 + "Honestly I have the pills saved up and tonight feels like the night. " + practical
    assert bot.ask(message).kind == "crisis"


def test_a_long_message_is_judged_by_thresholds_set_on_long_messages(bot):
    """A long message is scored by its most alarming part, so more of its parts can cross a threshold set on
    whole short messages: where the corpus has enough long messages, its language has a stricter long one."""
    model = bot.triage.model
    assert model.long_offsets["en"]["crisis"] > 0
    assert model.thresholds_in("en", long=True)["crisis"] > model.thresholds_in("en")["crisis"]
    assert all(model.thresholds_in("en", long=True)[label] >= t for label, t in model.thresholds_in("en").items())
    # too few long messages to set their own: the other languages share one crisis offset, and no referral one
    zh_long, zh = model.thresholds_in("zh", long=True), model.thresholds_in("zh")
    assert zh_long["crisis"] > zh["crisis"] and model.long_offsets["zh"]["crisis"] == model.long_offsets["de"]["crisis"]
    assert all(zh_long[label] == t for label, t in zh.items() if label != "crisis")
    assert model.thresholds_in(None, long=True) == model.thresholds
    worried = ("My mom starts ketamine infusions next month for her depression and I'm trying to help her plan "
               "ahead. She works until five on weekdays. I want to know before I call whether you have evening "
               "appointments. Can she bring her own blanket and headphones?")
    flat = Triage(bot.knowledge.safety, replace(model, long_offsets={}), "en")
    assert flat.assess(worried).kind == "crisis"  # a false crisis under the short thresholds
    assert bot.triage.assess(worried).kind == "none"


def test_languages_with_few_long_crises_share_one_offset_set_on_their_own_messages():
    """A language with MIN_LONG long crises of its own gets its own long-message offset; the others share one,
    set on their long messages pooled, each measured against its own language's threshold."""
    import numpy as np

    from faqbot.triage_fit import MIN_LONG, POOLED, Example, _long_offsets

    long_text = "x" * 200
    examples, scores = [], []
    # "aa": MIN_LONG long crises scoring 0.9 and ordinary ones 0.6; "bb" and "cc": half as many each, scoring
    # high against their own short thresholds (0.5 and 0.2), so one margin in logits fits both
    for lang, n, crisis_p, none_p in (("aa", MIN_LONG, 0.9, 0.6), ("bb", MIN_LONG // 2, 0.8, 0.55),
                                      ("cc", MIN_LONG // 2, 0.5, 0.25)):
        for _ in range(n):
            examples += [Example(long_text, frozenset({"crisis"}), lang, "b"),
                         Example(long_text, frozenset(), lang, "b")]
            scores += [crisis_p, none_p]
    examples.append(Example("short", frozenset({"crisis"}), "dd", "b"))  # no long message: in the pool, adds none
    scores.append(0.99)
    scored = {label: np.array(scores) if label == "crisis" else np.zeros(len(scores)) for label in LABELS}
    short = {"aa": 0.5, "bb": 0.5, "cc": 0.2, "dd": 0.5}
    thresholds = {lang: {label: t for label in LABELS} for lang, t in short.items()}
    per_label = {label: {"recall": 0.95} for label in LABELS}
    offsets, figures = _long_offsets(examples, list(range(len(examples))), scored, thresholds, per_label)

    def logit(p):
        return float(np.log(p / (1 - p)))

    # aa: its own, just under its crises' score; bb, cc and dd: one, just under the lower margin of bb's and cc's
    assert offsets["aa"]["crisis"] == pytest.approx(logit(0.9) - logit(0.5), abs=1e-4)
    pooled = min(logit(0.8) - logit(0.5), logit(0.5) - logit(0.2))
    assert offsets["bb"]["crisis"] == offsets["cc"]["crisis"] == offsets["dd"]["crisis"] == pytest.approx(pooled,
                                                                                                         abs=1e-4)
    assert figures[POOLED]["crisis"]["recall"] == 1.0 and figures[POOLED]["crisis"]["support"] == MIN_LONG
    assert figures["aa"]["crisis"]["false_positive_rate"] == 0.0
    assert all(set(o) == {"crisis"} for o in offsets.values())  # too few long referral messages: no offset


def test_held_out_predictions_never_come_from_a_model_that_saw_the_message():
    """out_of_batch (the harsher estimate in the README) holds out whole batches: a message seen by no other
    batch gets no help from itself, so a word that only its own batch uses cannot flag it."""
    from faqbot.triage_fit import Example, out_of_batch

    def ex(text, labels, batch):
        return Example(text, frozenset(labels), "en", batch)

    examples = [ex(f"i want to end my life tonight {i}", ["crisis"], "a") for i in range(6)]
    examples += [ex(f"what are the side effects of ketamine {i}", [], "a") for i in range(6)]
    examples += [ex(f"i want to end my life tonight, pills ready {i}", ["crisis"], "b") for i in range(6)]
    examples += [ex(f"how long does an infusion take {i}", [], "b") for i in range(6)]
    examples += [ex("zqxj zqxj zqxj", ["crisis"], "c"), ex("parking validation please", [], "c")]
    long = "what are the side effects of ketamine, and how long does an infusion take? " * 3
    examples.append(ex(long + "i want to end my life tonight.", ["crisis"], "d"))
    held_out = out_of_batch(examples)
    probs = held_out.whole["crisis"]
    assert probs[:6].mean() > probs[6:12].mean()  # learnt from batch b, applied to batch a
    assert probs[-3] < 0.5  # a word no other batch uses teaches nothing about its own message
    # As answering scores it, a long message's score is its most alarming part's: here its last sentence's.
    scored = held_out.scored["crisis"]
    assert scored[-1] > probs[-1]
    assert (scored[:-1] == probs[:-1]).all()  # a short message: scored whole


def test_the_crisis_threshold_is_that_of_the_messages_language(bot):
    """Each language with enough crisis messages has its own threshold, set for the same recall; a message
    whose language the head is sure of is judged by it, an English one by English's."""
    model = bot.triage.model
    assert set(model.language_thresholds) == set(model.languages)
    crisis = {lang: t["crisis"] for lang, t in model.language_thresholds.items()}
    assert all(0 < t < 1 for t in crisis.values())
    assert len(set(crisis.values())) > 1  # not one threshold copied ten times
    assert all(t <= model.thresholds["crisis"] for t in crisis.values())  # never less sensitive
    question = "¿La ketamina tiene efectos secundarios?"
    assert (bot.triage.assess(question).kind, bot.triage.assess(question).language) == ("none", "es")
    eager = replace(model, language_thresholds={**model.language_thresholds,
                                                "es": {**model.language_thresholds["es"], "crisis": 0.0}})
    triage = Triage(bot.knowledge.safety, eager, "en")
    assert triage.assess(question).kind == "crisis"
    assert triage.assess("What is ketamine used for?").kind == "none"
    assert model.thresholds_in(None) == model.thresholds  # an unsure language: the overall ones
    assert model.thresholds_in("xx") == model.thresholds  # one the model does not know, too


def test_each_referral_category_has_a_threshold_per_language(bot):
    """A referral category's threshold in a language with enough of its messages is set for the category's
    overall recall, never less sensitive than the overall one; a message is judged by its language's."""
    model = bot.triage.model
    referral = [label for label in model.labels if label != "crisis"]
    for label in referral:
        per_language = [model.language_thresholds[lang][label] for lang in model.languages]
        assert all(0 < t <= model.thresholds[label] for t in per_language), label
    # Some category, in some language with fewer examples than English, is lowered to reach the same recall.
    assert any(model.language_thresholds[lang][label] < model.thresholds[label]
               for lang in model.languages for label in referral)
    question = "Quels sont les effets secondaires de la kétamine ?"
    verdict = bot.triage.assess(question)
    assert (verdict.kind, verdict.language) == ("none", "fr")
    eager = replace(model, language_thresholds={**model.language_thresholds,
                                                "fr": {**model.language_thresholds["fr"], "driving": 1e-6}})
    triage = Triage(bot.knowledge.safety, eager, "en")
    assert (triage.assess(question).kind, triage.assess(question).reason) == ("referral", "driving")
    assert triage.assess("What are the side effects of ketamine?").kind == "none"  # English: its own thresholds


def test_the_nb_scaled_fit_folds_its_scale_into_plain_weights():
    """Crisis is fitted on features scaled by their log-count ratio; the stored weights must give the scaled
    model's very decisions on unscaled features, since answering applies them to unscaled features."""
    import numpy as np
    from scipy.sparse import diags
    from sklearn.linear_model import LogisticRegression

    from faqbot.triage_fit import NB_C, Example, _binary, features, nb_ratio

    texts = [("i have the pills counted out tonight", 1), ("nobody would miss me if i was gone", 1),
             ("i took the whole bottle and feel strange", 1), ("what are the side effects of ketamine", 0),
             ("how long does an infusion take", 0), ("is the clinic open tonight", 0),
             ("the pills for my blood pressure, can i take them", 0), ("i feel strange after my session", 0)]
    x, _ = features([Example(t, frozenset(["crisis"] if y else []), "en", "t") for t, y in texts])
    y = np.array([label for _, label in texts])
    r = nb_ratio(x, y)
    only_crisis, everywhere = x[0].indices, set(x[0].indices) & set(x[3].indices) & set(x[5].indices)
    assert r[only_crisis].max() > r[list(everywhere)].max()  # words of crises weigh more than shared ones
    w, b = _binary(x, y, scaled=True)
    reference = LogisticRegression(C=NB_C, class_weight="balanced", solver="liblinear", max_iter=200)
    reference.fit(x @ diags(r), y)
    np.testing.assert_allclose(x @ w + b, reference.decision_function(x @ diags(r)), rtol=1e-4, atol=1e-4)
    assert (x @ w + b)[y == 1].min() > (x @ w + b)[y == 0].max()

