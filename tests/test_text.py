"""Normalising and folding text: the ASCII fast paths must give exactly what the general paths give."""

from __future__ import annotations

import random
import unicodedata

import faqbot.text as T
from faqbot.text import fold


def _normalize_general(text: str) -> str:
    text = T._WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text).translate(T._FOLD))
    if not text.isprintable():
        text = T._WHITESPACE.sub(" ", "".join(c for c in text if unicodedata.category(c) not in T._DROP_CATEGORIES))
    return text.strip()


def _ascii_samples(n: int) -> list[str]:
    rng = random.Random(7)
    common = list("abc XYZ'`\t\n\r\x0b\x0c\x1c\x1f\x00\x07\x7f-.,?!")
    return [''.join(rng.choice(common) if rng.random() < 0.6 else chr(rng.randrange(128))
                    for _ in range(rng.randrange(0, 40))) for _ in range(n)]


def test_ascii_normalize_equals_the_general_path():
    for text in _ascii_samples(20_000):
        assert T.normalize(text) == _normalize_general(text), repr(text)


def test_ascii_fold_equals_the_general_path():
    for text in _ascii_samples(5_000):
        general = unicodedata.normalize("NFKD", text.lower())
        general = "".join(c for c in general if not unicodedata.combining(c))
        general = " " + _non_word_to_space(_strip_apostrophes(general)).strip() + " "
        assert fold(text) == general, repr(text)


def _strip_apostrophes(text: str) -> str:
    import faqbot.text as tx

    return tx._APOSTROPHES.sub("", text)


def _non_word_to_space(text: str) -> str:
    import faqbot.text as tx

    return tx._NON_ASCII_WORD.sub(" ", text)


def test_contractions_typed_without_an_apostrophe_are_stop_words_too():
    analyzer = T.Analyzer()
    for typed, proper in [("who shouldnt get ketamine", "who shouldn't get ketamine"),
                          ("theyre saying it wont work", "they're saying it won't work"),
                          ("whos watching me and whys that", "who's watching me and why's that")]:
        assert analyzer.analyze(typed) == analyzer.analyze(proper)


def test_bare_spellings_that_are_words_of_their_own_are_kept():
    analyzer = T.Analyzer(stemming=False)
    for word in ("ill", "well", "shed", "hell"):
        assert word in analyzer.analyze(f"i feel {word}"), word
