"""Matching a question's words that the knowledge base has never seen to words it has.

Stemming every word lowered accuracy here (it merges words patients keep apart), so words are indexed as
written. A word the index does not know would then count for nothing, and "floats", "watched" or a typed
"infusoin" would miss "floating", "watch" and "infusion". Only for such unknown words, this looks for a known
word with the same Snowball stem, then for a known word that differs by two neighbouring letters swapped
(the commonest typo, which seldom turns one real word into another). Known words are never changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

MIN_SWAP_LENGTH = 5  # shorter words swap into other real words too easily ("form" / "from")
_CACHE_LIMIT = 50_000


class Variants:
    """Maps unknown words to a known variant, choosing the most common one (the lowest idf) on ties."""

    def __init__(self, vocabulary: Mapping[str, int], idf: list[float], stem: Callable[[str], str]) -> None:
        self._vocabulary = vocabulary
        self._stem = stem
        by_stem: dict[str, str] = {}
        # Most common first, so the first word seen for a stem is the one patients' words map to.
        for term in sorted((t for t in vocabulary if not t.startswith("~")), key=lambda t: (idf[vocabulary[t]], t)):
            by_stem.setdefault(stem(term), term)
        self._by_stem = by_stem
        self._cache: dict[str, str | None] = {}

    def known(self, word: str) -> str | None:
        """A known word standing for unknown `word`, or None when there is none."""
        if word in self._cache:
            return self._cache[word]
        found = self._by_stem.get(self._stem(word))
        if found is None and len(word) >= MIN_SWAP_LENGTH:
            found = next((w for w in _swaps(word) if w in self._vocabulary), None)
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[word] = found
        return found


def _swaps(word: str) -> list[str]:
    """`word` with each pair of neighbouring (different) letters swapped, left to right."""
    return [word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1) if word[i] != word[i + 1]]
