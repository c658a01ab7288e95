"""The verbatim guarantee: a quote is served only as the exact span of its source that it reproduces.

This is the product's first promise. Loading a knowledge base calls `find_quote` for every passage; a
quote it cannot find is refused with `near_miss` telling the curator where it departs from the source.
The only liberty a quote may take is whitespace (YAML folds lines, sources break them), and what is
served is the source's own characters, never the curator's copy.
"""

from __future__ import annotations

import re

_WHITESPACE = re.compile(r"\s+")


def collapse_whitespace(text: str) -> str:
    """Collapse every whitespace run to one space: the only liberty a quote may take with its source."""
    return _WHITESPACE.sub(" ", text).strip()


def find_quote(source: str, quote: str) -> str | None:
    """The span of `source` that `quote` reproduces with whitespace runs treated as equal, or None."""
    span = locate(source, quote)
    return source[span[0]:span[1]] if span else None


def near_miss(quote: str, source: str) -> str:
    """Where `quote` departs from the closest text of `source`: "; it matches up to '…' then differs at '…'".

    Empty when not even its first word is in the source, or when all of it is (whole words only).
    """
    collapsed = collapse_whitespace(source)
    words = collapse_whitespace(quote).split(" ")
    best = 0
    for n in range(1, len(words) + 1):
        if re.search(re.escape(" ".join(words[:n])) + r"(?=\s|$)", collapsed):
            best = n
        else:
            break
    if best == 0 or best == len(words):
        return ""
    return f"; it matches up to '{' '.join(words[max(0, best - 3):best])}' then differs at '{words[best]}'"


def locate(source: str, quote: str) -> tuple[int, int] | None:
    """Character offsets [start, end) of the span of `source` that `quote` reproduces, or None.

    Most quotes match character for character and a plain `find` settles them; a quote whose line breaks
    differ from the source's (YAML folding, a bulleted list) is matched with any whitespace between words.
    """
    needle = collapse_whitespace(quote)
    if not needle:
        return None
    at = source.find(needle)
    if at >= 0:
        return at, at + len(needle)
    match = re.search(r"\s+".join(map(re.escape, needle.split(" "))), source)
    return (match.start(), match.end()) if match else None
