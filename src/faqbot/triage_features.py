"""The features the triage classifier reads: hashed words, word pairs and character n-grams, any script.

One function serves fitting (faqbot.triage_fit) and answering (faqbot.triage_model), so the two can never
drift apart. Character n-grams (2 to 5, across word breaks) carry typos, inflections and every script
without a tokenizer per language; words and word pairs carry phrases ("kill myself", "not safe"). Hashing
them into a fixed number of buckets keeps the model a plain weight table. Everything is numpy, vectorised
over the message: no Python loop per n-gram. (Measured by 5-fold cross-validation on the corpus, words
and pairs lowered false crises at 98 % recall from 0.163 to 0.139 of ordinary messages.)
"""

from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np

BITS = 18  # 2**18 buckets
N_MIN, N_MAX = 2, 5
_P = np.uint64(0x100000001B3)  # FNV prime: the rolling polynomial's base
_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top bits of h * _MIX are well spread
_SALT = np.uint64(0xC2B2AE3D27D4EB4F)  # makes an n-gram's bucket depend on its length too
_SHIFT = np.uint64(64 - BITS)
# One salt per n-gram length, then words (N_MAX+1) and word pairs (N_MAX+2).
_SALT_ROW = np.array([(n * int(_SALT)) % 2**64 for n in range(N_MIN, N_MAX + 3)], dtype=np.uint64)
_WORD_SPAN = 4096  # words and pairs are read in the first this many characters (n-grams in all of them)
_POW = np.cumprod(np.full(_WORD_SPAN + 1, _P, dtype=np.uint64))  # P**1 … (wrapping, as all the arithmetic)
_INV = np.cumprod(np.full(_WORD_SPAN + 1, np.uint64(pow(int(_P), -1, 2**64)), dtype=np.uint64))  # P**-1 …
# Letters and digits of every script, and emoji and other symbols (a skull or a crying face carries meaning).
_NOT_KEPT = re.compile(r"[^\w\u2600-\u27bf\U0001f000-\U0001faff]+|_+")


def normalize(text: str) -> str:
    """Lowercase, accents and apostrophes removed, every other break one space, padded with spaces."""
    text = text.casefold()
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.replace("'", "").replace("’", "")
    return " " + _NOT_KEPT.sub(" ", text).strip() + " "


@functools.lru_cache(maxsize=8)
def buckets(normalized: str) -> np.ndarray:
    """The bucket of every character n-gram (2 to 5) of already-normalised text, repeats kept (read-only).

    Cached for the last few texts: triage and the passage classifier (faqbot.passage_model) hash the same
    question, and hashing is most of what either costs."""
    c = np.frombuffer(normalized.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    top = min(N_MAX, len(c))
    words = _words(c[:_WORD_SPAN])
    sizes = [len(c) - n + 1 for n in range(N_MIN, top + 1)]
    n_grams = sum(sizes)
    n_words = len(words)
    out = np.empty(n_grams + max(2 * n_words - 1, 0), dtype=np.uint64)
    # Array arithmetic wraps around 2**64 silently, as the hash means it to (no errstate needed: numpy warns
    # only on scalar overflow). Written into one preallocated array: each numpy call costs about half a
    # microsecond however small its array, and this runs on every message.
    h, at = c, 0
    for n, size in zip(range(N_MIN, top + 1), sizes, strict=True):
        seg = out[at:at + size]
        np.multiply(h[:-1], _P, out=seg)
        seg += c[n - 1:]
        h, at = seg, at + size
    if n_words:
        out[at:at + n_words] = words
        np.multiply(words[:-1], _MIX, out=out[at + n_words:])
        out[at + n_words:] += words[1:]
    # Each n-gram length, words and pairs get their own salt, so equal hashes of different kinds part ways.
    out += _SALT_ROW.repeat([*sizes, *[0] * (N_MAX - top), n_words, max(n_words - 1, 0)])
    out *= _MIX
    out >>= _SHIFT
    b = out.astype(np.intp)
    b.flags.writeable = False  # shared by every caller of the cache
    return b


def _words(c: np.ndarray) -> np.ndarray:
    """A hash of each space-separated word of padded text `c` (code points): sum of c[m] * P**(m - start)."""
    spaces = (c == 32).nonzero()[0]
    if len(spaces) < 2:
        return np.zeros(0, dtype=np.uint64)
    # prefix sums of c[m] * P**(m+1); a word's own hash is its slice divided by P**(start+1) (P is odd: invertible)
    prefix = np.empty(len(c) + 1, dtype=np.uint64)
    prefix[0] = 0
    np.multiply(c, _POW[: len(c)], out=prefix[1:])
    prefix[1:].cumsum(out=prefix[1:])
    starts, ends = spaces[:-1] + 1, spaces[1:]  # normalised text has no empty word
    hashes = prefix[ends]
    hashes -= prefix[starts]
    hashes *= _INV[starts]
    return hashes


def vectorize(idf: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The message's non-zero features as (buckets, values): sublinear tf times idf, scaled to unit length.

    Counting each bucket once with 1 + log(count) keeps a message's score the same when it is pasted
    twice: with raw counts a harmless sentence repeated fifty times scored as a crisis.
    """
    # np.unique's work, without its Python-level overhead: sort, mark where a run starts, count each run.
    b = np.sort(b)
    starts = np.empty(len(b), dtype=bool)
    starts[:1] = True
    np.not_equal(b[1:], b[:-1], out=starts[1:])
    first = starts.nonzero()[0]
    counts = np.empty(len(first))
    counts[:-1] = first[1:] - first[:-1]
    counts[-1:] = len(b) - first[-1:]
    u = b[first]
    v = idf[u] * (1.0 + np.log(counts))
    norm = float(np.sqrt(v @ v))
    return u, (v / norm if norm > 0 else v)
