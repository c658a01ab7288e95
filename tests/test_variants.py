"""Words the knowledge base has never seen reach a known inflection or a one-swap typo of it."""

from __future__ import annotations

from faqbot.text import english_stemmer, normalize
from faqbot.variants import Variants

VOCABULARY = {"floating": 0, "float": 1, "watch": 2, "infusion": 3, "form": 4, "lasting": 5}
IDF = [2.0, 3.0, 1.5, 0.5, 2.5, 1.0]


def variants() -> Variants:
    return Variants(VOCABULARY, IDF, english_stemmer())


def test_an_unknown_inflection_maps_to_the_most_common_known_one():
    v = variants()
    assert v.known("floats") == "floating"  # "floating" and "float" share the stem; "floating" is commoner
    assert v.known("watched") == "watch"
    assert v.known("lasts") == "lasting"


def test_a_swapped_pair_of_letters_is_forgiven_in_longer_words_only():
    v = variants()
    assert v.known("infusoin") == "infusion"
    assert v.known("ifnusion") == "infusion"
    assert v.known("from") is None  # four letters: "form" and "from" are both words
    assert v.known("recipe") is None


def test_the_bot_reads_an_unknown_inflection_as_the_known_word(bot):
    """Only words the index lacks are replaced; BM25 and its features then match asking with the known word.
    (The passage classifier reads the patient's own words: its character n-grams carry the inflection.)"""
    vocabulary = bot.index.vocabulary
    unknown = "disrupts"  # the addiction passage: "disrupting harmful thought patterns"
    assert unknown not in vocabulary and bot.analyzer.group_of(unknown) is None
    [known] = bot.retriever._with_variants([unknown])
    assert known in vocabulary and known.startswith("disrupt")
    with_unknown = bot.retrieve(normalize(f"is it true ketamine {unknown} harmful thought patterns"))
    with_known = bot.retrieve(normalize(f"is it true ketamine {known} harmful thought patterns"))
    assert with_known.top is not None and with_known.top.doc.id == "substance-use-addiction"
    assert [(r.doc.id, r.score) for r in with_unknown.ranked] == [(r.doc.id, r.score) for r in with_known.ranked]
    bm25 = {k: v for k, v in with_known.features.items() if k != "passage_p"}
    assert {k: v for k, v in with_unknown.features.items() if k != "passage_p"} == bm25
    ask = bot.ask(f"is it true ketamine {unknown} harmful thought patterns")
    assert ask.kind == bot.ask(f"is it true ketamine {known} harmful thought patterns").kind


def test_known_words_are_never_changed(bot):
    terms = bot.analyzer.analyze(normalize("what are the side effects of ketamine infusions"))
    assert all(t in bot.index.vocabulary for t in terms)
    assert bot.retriever._with_variants(terms) == terms
