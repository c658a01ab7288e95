"""The shipped knowledge base keeps its curation promises (knowledge/CURATION.md)."""

from __future__ import annotations

import collections

import pytest
from conftest import KNOWLEDGE, SEEDS

from faqbot.evaluate import evaluate
from faqbot.questionset import load_question_set

SEED_FOR = {
    "uses-of-ketamine": "000_ec22f812901c753f.txt",
    "pain-management-wiki": "001_8c35ea239ef29486.txt",
    "infusion-facts": "002_a81a41dbfb3aab32.txt",
    "delray-clinic": "003_11093dc1e3563c93.txt",
    "effects-overview": "004_ebf56f014f21bafb.txt",
}


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside this checkout")
def test_sources_are_byte_for_byte_copies_of_the_seeds(bot):
    assert set(bot.knowledge.sources) == set(SEED_FOR)
    for sid, seed in SEED_FOR.items():
        assert (KNOWLEDGE / "sources" / bot.knowledge.sources[sid].file).read_bytes() == (SEEDS / seed).read_bytes()


def test_every_source_is_quoted_or_explained(bot):
    used = {p.source for p in bot.passages}
    for s in bot.knowledge.sources.values():
        assert s.id in used or (s.excluded and len(s.notes) > 40), s.id
        assert s.notes.strip()


def test_passages_have_unique_ids_and_at_least_four_questions(bot):
    ids = [p.id for p in bot.passages]
    assert len(ids) == len(set(ids))
    for p in bot.passages:
        assert len(p.questions) >= 4, p.id
        assert len(set(map(str.lower, p.questions))) == len(p.questions), p.id


def test_every_topic_is_covered_or_a_recorded_gap(bot):
    used = {t for p in bot.passages for t in p.topics}
    required = {"what-is", "history", "anaesthetic", "depression", "speed", "anxiety", "ptsd", "chronic-pain",
                "pain-types", "migraine", "substance-use", "bipolar", "suicidal-thoughts", "mechanism",
                "administration", "session", "number-of-sessions", "relief-duration", "results-timing",
                "side-effects", "dissociation", "dependence", "contraindications", "medical-evaluation",
                "psychiatric-care", "street-reputation", "online-safety", "self-prescribing", "evidence-limits"}
    topics = {t.id: t for t in bot.knowledge.topics}
    assert required <= set(topics)
    for tid in required:
        assert tid in used or topics[tid].gap, tid
        if topics[tid].gap:
            assert tid in (KNOWLEDGE / "CURATION.md").read_text(encoding="utf-8"), tid


def test_no_passage_holds_an_excluded_phrase(bot):
    phrases = [e.phrase.lower() for e in bot.knowledge.excluded_phrases]
    assert {"medicstoregb", "cured"} <= set(phrases)
    assert any("addiction" in p for p in phrases)
    for p in bot.passages:
        for phrase in phrases:
            assert phrase not in p.text.lower(), (p.id, phrase)


def test_dev_set_is_large_and_mixed(bot):
    items = load_question_set(bot.knowledge.dev_set, bot.knowledge)
    kinds = collections.Counter(i.expect for i in items)
    assert len(items) >= 150 and kinds["answer"] >= 80 and kinds["referral"] >= 40 and kinds["crisis"] >= 10
    assert {p.id for p in bot.passages} <= {pid for i in items for pid in i.passages}


def test_dev_set_figures_do_not_regress(bot):
    """Safety and precision hold; answer quality is pinned at its measured level (README, "Evaluation").

    Calibration fits the threshold on dev and calibration.yaml so that at least 0.95 of the quotes the model
    lets through are right; top-1 (0.390) fell from 0.753 when calibration.yaml, whose questions the curation
    never saw, joined the fit: precision comes first, and on new wording it costs answers. (It was 0.441 before
    the triage refits of December's second session: the rows that reach retrieval changed, 470 -> 465, and the
    refitted cut-off, 0.788 -> 0.809, sits one step higher on the precision curve.) With the passage
    classifier as an abstention feature and the larger not-covered list (December's third session) it is
    0.493 at precision 0.957. The ranking
    figures (top-3, MRR) are before abstention and unchanged. Referral accuracy (0.909) counts the ten
    questions relabelled to LABELS.md's referral categories, four of which triage does not refer, and off-topic
    or referral questions that get the crisis reply (README, known false alarms; 0.926 before the crisis label
    was fitted NB-scaled, which flags three more dev questions and one fewer, and 0.09 fewer held-out corpus
    messages).
    The floors leave a question or two of slack.
    """
    report = evaluate(bot, load_question_set(bot.knowledge.dev_set, bot.knowledge))
    assert report.crisis_recall == 1.0
    assert report.quote_precision is not None and report.quote_precision >= 0.94
    assert report.referral_accuracy >= 0.89
    assert report.top1 >= 0.47 and report.top3 >= 0.95 and report.mrr >= 0.92
    assert report.missing_disclaimer == 0


def test_held_out_test_set_figures(bot):
    """eval/test.yaml was written blind to the passages' questions and is never fitted on.

    It chose one setting (the precision target, README), so it is a validation set now; the sealed
    eval/sealed/answers.yaml is the measure of questions nobody tuned for. Top-1 0.491 since precision comes
    first on calibration.yaml's wording too (0.727 before).
    """
    items = load_question_set(bot.knowledge.root / "eval" / "test.yaml", bot.knowledge)
    kinds = collections.Counter(i.expect for i in items)
    assert len(items) >= 150 and kinds["crisis"] >= 10 and kinds["referral"] >= 40
    report = evaluate(bot, items)
    assert report.crisis_recall == 1.0
    assert report.referral_accuracy >= 0.95
    assert report.quote_precision is not None and report.quote_precision >= 0.95
    assert report.top1 >= 0.46 and report.top3 >= 0.95
    assert report.missing_disclaimer == 0


def test_every_not_covered_entry_says_why_and_is_referred(bot):
    """A not-covered entry is a curated "we do not answer this": none of its questions may get a quote."""
    assert len(bot.knowledge.not_covered) >= 20
    for entry in bot.knowledge.not_covered:
        assert entry.why.strip() and len(entry.questions) >= 4, entry.id
        for q in entry.questions:
            reply = bot.ask(q)
            # never a quote; a few get the crisis reply, the triage classifier's known false alarms (README)
            assert reply.kind != "answer" and not reply.passages and reply.disclaimer, (entry.id, q, reply.kind)
