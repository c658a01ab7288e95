"""Matching a question's words that the knowledge base has never seen to words it has.

Stemming every word lowered accuracy here (it merges words patients keep apart), so words are indexed as
written. A word the index does not know would then count for nothing, and "floats", "watched" or a typed
"infusoin" would miss "floating", "watch" and "infusion". Only for such unknown words, this looks for a known
word with the same Snowball stem, then for a known word that differs by two neighbouring letters swapped
(the commonest typo, which seldom turns one real word into another). Known words are never changed.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping

MIN_SWAP_LENGTH = 5  # shorter words swap into other real words too easily ("form" / "from")
# Words with one stem share their first letters, so only known words with the unknown word's first PREFIX
# letters are stemmed: stemming the whole vocabulary up front cost 0.38 s on a 10,000-passage base.
PREFIX = 3
_CACHE_LIMIT = 50_000


class Variants:
    """Maps unknown words to a known variant, choosing the most common one (the lowest idf) on ties."""

    def __init__(self, vocabulary: Mapping[str, int], idf: list[float], stem: Callable[[str], str]) -> None:
        self._vocabulary = vocabulary
        self._idf = idf
        self._stem = stem
        self._sorted = sorted(t for t in vocabulary if not t.startswith("~"))  # for prefix ranges
        self._cache: dict[str, str | None] = {}

    def known(self, word: str) -> str | None:
        """A known word standing for unknown `word`, or None when there is none."""
        if word in self._cache:
            return self._cache[word]
        found = self._same_stem(word)
        if found is None and len(word) >= MIN_SWAP_LENGTH:
            found = next((w for w in _swaps(word) if w in self._vocabulary), None)
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[word] = found
        return found

    def _same_stem(self, word: str) -> str | None:
        """The most common known word with the stem of `word` (ties: alphabetical)."""
        stem, prefix, words = self._stem(word), word[:PREFIX], self._sorted
        lo = bisect.bisect_left(words, prefix)
        hi = bisect.bisect_left(words, prefix + "\U0010ffff", lo)
        same = [t for t in words[lo:hi] if self._stem(t) == stem]
        return min(same, key=lambda t: (self._idf[self._vocabulary[t]], t), default=None)


def _swaps(word: str) -> list[str]:
    """`word` with each pair of neighbouring (different) letters swapped, left to right."""
    return [word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1) if word[i] != word[i + 1]]
