"""Searching many regular expressions over folded text quickly: speed only, no policy.

A folded message is a row of words, and most triage patterns begin with `\\b` and one of a few words,
so `PatternSet` tries each pattern only where a word starts with the characters its matches can start
with, instead of trying every pattern at every character. Patterns whose starts cannot be worked out
are searched as usual; the answer is the same either way (tests/test_triage.py checks this).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

try:  # the regex parser; private, so anything unexpected falls back to plain searching
    from re import _constants as _sre_c  # type: ignore[attr-defined]
    from re import _parser as _sre_p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older or other Pythons
    _sre_c = _sre_p = None

from .records import Pattern

KEY_CHARS = 3  # how many characters of a word's start select the patterns tried there
_MAX_KEYS = 512  # a pattern that could start in more ways than this is searched as usual


def _starts(seq, prefixes: set[str], n: int) -> set[str] | None:
    """Extend each prefix by what parsed pattern `seq` can match next, up to `n` characters, or None if unknown.

    Sound, not exact: a returned set holds every way a match can begin (the first `n` characters, or the
    whole match when shorter), so trying the pattern only where the text begins with one of them loses
    nothing. A word boundary after a letter is a space in folded text; elsewhere it is skipped.
    """
    for op, av in seq:
        if all(len(x) >= n for x in prefixes):
            return prefixes
        done = {x for x in prefixes if len(x) >= n}
        open_ = prefixes - done
        if op is _sre_c.AT:
            if av is _sre_c.AT_BOUNDARY and open_ and all(x and x[-1].isalnum() for x in open_):
                prefixes = done | {x + " " for x in open_}
            continue  # other anchors only narrow what matches
        if op is _sre_c.LITERAL:
            prefixes = done | {x + chr(av) for x in open_}
        elif op is _sre_c.IN:
            chars = _chars(av)
            if chars is None:
                return None
            prefixes = done | {x + c for x in open_ for c in chars}
        elif op is _sre_c.SUBPATTERN:
            got = _starts(av[-1], open_, n)
            if got is None:
                return None
            prefixes = done | got
        elif op is _sre_c.BRANCH:
            out = set(done)
            for branch in av[1]:
                got = _starts(branch, open_, n)
                if got is None:
                    return None
                out |= got
            prefixes = out
        elif op in (_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT):
            low, high, item = av
            out, current = set(done), open_
            for count in range(min(high, n + low) + 1):
                if count >= low:
                    out |= current
                if count == min(high, n + low) or not current:
                    break
                got = _starts(item, current, n)
                if got is None:
                    return None
                current = got
            # More repeats than expanded can only follow prefixes already n long (each repeat adds a character,
            # or, for an item that can match empty, those repeats add nothing).
            prefixes = out
        else:
            return None
        if len(prefixes) > _MAX_KEYS:
            return None
    return prefixes


def _chars(items) -> set[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op is _sre_c.LITERAL:
            chars.add(chr(av))
        elif op is _sre_c.RANGE:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        elif op is _sre_c.CATEGORY and av is _sre_c.CATEGORY_DIGIT:
            chars.update("0123456789")
        else:
            return None
    return chars


@functools.cache  # a pattern sits in several sets (its category's, the triggers', the first pass'): parse it once
def _keys(regex: str) -> frozenset[str] | None:
    """The word starts at which `regex` can match in folded text, or None when they cannot be worked out."""
    if _sre_p is None or not regex.startswith(r"\b"):
        return None
    try:
        parsed = _sre_p.parse(regex)
        # Fewer characters when the pattern is unknowable further in (e.g. r"\bkill \w+" is keyed by "kil").
        keys = next((k for n in range(KEY_CHARS, 0, -1) if (k := _starts(parsed, {""}, n))), None)
    except Exception:  # an unusual construct: search it as usual
        return None
    # Tried only at word starts: every key must begin with a letter or digit (later characters may be
    # anything; one that folded text never holds simply never matches, like the pattern itself).
    if not keys or not all(k and k[0].isascii() and k[0].isalnum() for k in keys):
        return None
    return frozenset(keys)


_Conjunction = tuple[re.Pattern[str], tuple[re.Pattern[str], ...]]  # searched by its first; then the others
_FILL = "abcdefghijklmnopqrstuvwxyz0123456789 "  # what can follow a short key in padded folded text


class _Entry:
    """The patterns filed under one window: plain ones as one alternation (compiled when first needed)."""

    __slots__ = ("compiled", "conjunctions", "source")

    def __init__(self, source: str, conjunctions: tuple[_Conjunction, ...]) -> None:
        self.source = source
        self.compiled: re.Pattern[str] | None = None
        self.conjunctions = conjunctions


def _padded(key: str) -> Iterator[str]:
    """The KEY_CHARS-character windows that begin with `key`."""
    if len(key) >= KEY_CHARS:
        yield key
    else:
        for c in _FILL:
            yield from _padded(key + c)


class PatternSet:
    """Regular expressions searched together over folded text, each tried only where it can start.

    Folded text is a row of words, and most patterns begin with a word boundary and one of a few words,
    so each pattern is filed under the first few characters its matches can begin with (see `_starts`).
    A search then walks the words once and tries only the patterns filed under the characters at hand;
    most words have none. Patterns whose starts cannot be worked out are searched as usual. Either way
    the answer is the same as a plain search (tests/test_triage.py checks this).
    """

    def __init__(self, patterns: tuple[Pattern, ...]) -> None:
        # Each pattern is filed under every KEY_CHARS-character window its matches can begin (a shorter key
        # under all its continuations; the text is padded at its end), so a search looks up each word once.
        windows: dict[str, set[int]] = {}
        conjunctions: dict[int, _Conjunction] = {}
        rest: list[str] = []
        self._rest_conj: list[_Conjunction] = []
        for i, p in enumerate(patterns):
            if p.also:
                conjunctions[i] = (re.compile(p.regex), tuple(re.compile(a) for a in p.also))
            keys = _keys(p.regex)
            if keys is None:
                if p.also:
                    self._rest_conj.append(conjunctions[i])
                else:
                    rest.append(p.regex)
                continue
            for key in keys:
                for window in _padded(key):
                    windows.setdefault(window, set()).add(i)
        # Under each window: one alternation of its plain patterns, compiled on first use (most are never
        # needed by one process, and compiling them all would dominate loading), and its conjunctions.
        self._table: dict[str, _Entry] = {}
        entries: dict[tuple[int, ...], _Entry] = {}
        for window, ids in windows.items():
            group = tuple(sorted(ids))
            if group not in entries:
                plain = "|".join(f"(?:{patterns[i].regex})" for i in group if i not in conjunctions)
                entries[group] = _Entry(plain, tuple(conjunctions[i] for i in group if i in conjunctions))
            self._table[window] = entries[group]
        self._rest = re.compile("|".join(f"(?:{r})" for r in rest)) if rest else None

    def search(self, folded: str) -> bool:
        """Whether any pattern matches `folded` (as produced by `fold`: " word word ")."""
        if self._rest is not None and self._rest.search(folded):
            return True
        if any(first.search(folded) and all(a.search(folded) for a in also) for first, also in self._rest_conj):
            return True
        table = self._table
        if not table:
            return False
        padded = folded + "  "  # every word start then has KEY_CHARS characters to look up
        find, end, at = folded.find, len(folded) - 1, 0
        while 0 <= at < end:
            start = at + 1
            entry = table.get(padded[start:start + KEY_CHARS])
            if entry is not None:
                plain = entry.compiled
                if plain is None and entry.source:
                    plain = entry.compiled = re.compile(entry.source)
                if plain is not None and plain.match(folded, start):
                    return True
                for first, also in entry.conjunctions:
                    if first.match(folded, start) and all(a.search(folded) for a in also):
                        return True
            at = find(" ", start)
        return False


