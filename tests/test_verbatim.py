"""The verbatim guarantee: a quote is served only as the exact span of its source, whitespace the only liberty."""

from __future__ import annotations

import pytest

from faqbot.verbatim import collapse_whitespace, find_quote, locate, near_miss

SOURCE = ("Ketamine is a dissociative anesthetic. It has been used in surgery\n"
          "for over 50 years.\n\n   Typical doses (0.5 mg/kg) are given over 40 minutes.")


def test_an_exact_quote_is_found_as_the_sources_own_span():
    quote = "It has been used in surgery"
    assert find_quote(SOURCE, quote) == quote
    start, end = locate(SOURCE, quote)
    assert (start, end) == (SOURCE.index(quote), SOURCE.index(quote) + len(quote))


def test_a_quote_whose_line_breaks_differ_is_served_with_the_sources_characters():
    # YAML folds the curator's copy onto one line; the source breaks it. What is served is the source's text.
    span = find_quote(SOURCE, "used in surgery for over 50 years. Typical doses")
    assert span == "used in surgery\nfor over 50 years.\n\n   Typical doses"
    assert SOURCE[slice(*locate(SOURCE, "used in surgery for over 50 years. Typical doses"))] == span


def test_a_quote_folded_by_yaml_with_extra_spaces_and_breaks_still_matches():
    quote = "  Ketamine is a\n  dissociative    anesthetic.\n"
    assert find_quote(SOURCE, quote) == "Ketamine is a dissociative anesthetic."
    assert locate(SOURCE, quote) == (0, len("Ketamine is a dissociative anesthetic."))


def test_punctuation_in_a_line_broken_quote_is_matched_literally():
    assert find_quote(SOURCE, "Typical doses (0.5 mg/kg) are\ngiven") == "Typical doses (0.5 mg/kg) are given"
    # "." and "(" are not patterns: a quote differing there is not the source's text.
    assert find_quote(SOURCE, "Typical doses (0.5 mgXkg) are\ngiven") is None
    assert find_quote(SOURCE, "doses 0.5 mg/kg are given") is None


@pytest.mark.parametrize("quote", [
    "Ketamine is a dissociative anaesthetic.",  # one letter changed
    "ketamine is a dissociative anesthetic.",  # case is part of the text
    "It has been used in surgery for over 60 years.",
    "It has been used insurgery",  # whitespace may vary, not vanish
    "Ketamine is a dissociative anesthetic. It has been used in surgery for over 50 years. And more.",
])
def test_a_quote_that_departs_from_the_source_is_refused(quote):
    assert find_quote(SOURCE, quote) is None
    assert locate(SOURCE, quote) is None


@pytest.mark.parametrize("quote", ["", "   ", "\n\t \n"])
def test_an_empty_quote_is_never_found(quote):
    assert find_quote(SOURCE, quote) is None
    assert locate(SOURCE, quote) is None


def test_locate_gives_the_first_occurrence():
    source = "take it slow.\nTake it slow. take it\nslow."
    assert locate(source, "take it slow.") == (0, 13)
    assert locate(source, "take it slow. Take") == (0, 18)
    assert locate(source, "take it slow") == (0, 12)
    assert locate(source, "slow. take it slow.") == (22, 41)


def test_collapse_whitespace():
    assert collapse_whitespace("  a\n\tb   c \u00a0d\n") == "a b c d"
    assert collapse_whitespace("") == ""


def test_near_miss_names_the_last_matching_words_and_the_first_that_differs():
    msg = near_miss("Ketamine is a dissociative anaesthetic used in surgery", SOURCE)
    assert msg == "; it matches up to 'is a dissociative' then differs at 'anaesthetic'"


def test_near_miss_reads_across_the_sources_line_breaks():
    msg = near_miss("It has been used in surgery for over 60 years.", SOURCE)
    assert msg == "; it matches up to 'surgery for over' then differs at '60'"


def test_near_miss_compares_whole_words():
    # "an" is only the start of "anesthetic": the quote departs there, not after it.
    assert near_miss("a dissociative an thing", SOURCE) == "; it matches up to 'a dissociative' then differs at 'an'"


def test_near_miss_is_empty_when_nothing_or_everything_matches():
    assert near_miss("Paracetamol is a painkiller", SOURCE) == ""
    assert near_miss("It has been used\nin surgery", SOURCE) == ""


def test_near_miss_with_one_matching_word():
    assert near_miss("Typical dosing", SOURCE) == "; it matches up to 'Typical' then differs at 'dosing'"
