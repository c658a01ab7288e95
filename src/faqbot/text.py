"""Text handling shared by passages and questions: normalising input and the one BM25 analyser.

`normalize` cleans what a person typed (or a curator wrote) without changing its meaning.
`Analyzer` turns text into index terms; the *same* instance analyses passages at load time and
questions at ask time, so the two can never drift apart.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Typographic punctuation that NFKC leaves alone but people type interchangeably.
_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00a0": " ", "\u2007": " ", "\u202f": " ",
        "\u2013": "-", "\u2014": "-", "\u2212": "-",
    }
)
# Control (Cc), format (Cf, e.g. zero-width), surrogate (Cs), private-use (Co) and unassigned (Cn)
# code points carry no meaning in a question; tab and newline are kept as whitespace.
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_WHITESPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")  # ASCII's Cc characters (whitespace is already single spaces)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def normalize(text: str) -> str:
    """Return `text` in NFKC with quotes and spaces folded, control characters dropped, whitespace collapsed."""
    if text.isascii():  # most questions: NFKC and the folds change nothing in ASCII
        text = _WHITESPACE.sub(" ", text)
        return (text if text.isprintable() else _WHITESPACE.sub(" ", _CONTROL.sub("", text))).strip()
    # Lone surrogates cannot be NFKC-normalised or encoded; remove them first.
    text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if _has_surrogate(text) else text
    text = _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text).translate(_FOLD))
    # isprintable() is False for any Cc, Cf, Cs, Co or Cn character (whitespace is already single spaces),
    # so the per-character pass runs only for text that holds something to drop.
    if not text.isprintable():
        text = _WHITESPACE.sub(" ", "".join(c for c in text if unicodedata.category(c) not in _DROP_CATEGORIES))
    return text.strip()


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


_APOSTROPHES = re.compile(r"['’`´]")
_NON_ASCII_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lowercase ASCII words separated by single spaces, padded: what triage's patterns (safety.yaml) and the
    curation's lure patterns (curation.yaml) are written against.

    Accents and apostrophes are removed ("Don’t", "dont" and "don't" all become "dont"; "aquí" becomes
    "aqui") and every other character becomes a word break.
    """
    text = text.lower()
    if text.isascii():
        text = text.replace("'", "").replace("`", "")
    else:
        text = unicodedata.normalize("NFKD", text)
        text = _APOSTROPHES.sub("", "".join(c for c in text if not unicodedata.combining(c)))
    return " " + _NON_ASCII_WORD.sub(" ", text).strip() + " "


# Function words only: content words such as "long", "many", "often" or "safe" carry meaning in
# patients' questions ("how long", "how many") and stay in.
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
    down during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's
    her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it
    it's its itself let's me more most mustn't my myself no nor not of off on once only or other ought
    our ours ourselves out over own same shan't she she'd she'll she's should shouldn't so some such
    than that that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those through to too under until up very was wasn't we we'd we'll we're we've
    were weren't what what's when when's where where's which while who who's whom why why's will with
    won't would wouldn't you you'd you'll you're you've your yours yourself yourselves im ive dont
    doesnt didnt cant isnt whats hows get got also just really please tell know want like us one thing
    things
    """.split()
)
# People often type contractions without the apostrophe ("shouldnt", "theyre"): those count as stop words
# too, except where the bare spelling is a word of its own ("ill", "well", "shed").
STOP_WORDS |= frozenset(
    w.replace("'", "") for w in STOP_WORDS if "'" in w
) - {"hell", "id", "ill", "lets", "shed", "shell", "wed", "well"}


class Analyzer:
    """Tokenise, drop stop words, stem and add synonym-group terms: one function for passages and questions.

    `synonyms` are groups of words patients use interchangeably (knowledge/synonyms.yaml). Each word of a
    group also yields the group's own term ("~" + the stem of its first word), so "surgery" in a question
    meets "anesthetic" in a passage, while the words themselves still count as they are.
    """

    def __init__(self, stemming: bool = True, synonyms: tuple[tuple[str, ...], ...] = ()) -> None:
        self.stemming = stemming
        self._stem = english_stemmer() if stemming else None
        self._groups: dict[str, str] = {}
        for group in synonyms:
            name = "~" + self._base(group[0])
            for word in group:
                self._groups.setdefault(self._base(word), name)

    def _base(self, word: str) -> str:
        word = word.lower().replace("'", "")
        return self._stem(word) if self._stem is not None else word

    def analyze(self, text: str) -> list[str]:
        """Return the index terms of `text`, in order, repeats kept (BM25 counts them)."""
        words = [w.replace("'", "") for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]
        terms = [w for w in words if w] if self._stem is None else [self._stem(w) for w in words if w]
        if not self._groups:
            return terms
        groups = self._groups
        return terms + [groups[t] for t in terms if t in groups]

    def group_of(self, term: str) -> str | None:
        """The synonym-group term that `term` adds, if it is in a group."""
        return self._groups.get(term)


def english_stemmer():
    """A cached Snowball English stemmer: each distinct word is stemmed once per process."""
    import snowballstemmer  # local import keeps `import faqbot` light

    stemmer = snowballstemmer.stemmer("english")

    @lru_cache(maxsize=65536)
    def stem(word: str) -> str:
        return stemmer.stemWord(word)

    return stem


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def find_question(text: str, limit: int) -> str | None:
    """The question a long message asks: its last sentence with a question mark, if within `limit` characters.

    People explain their situation first and ask last, so the last question is the one to answer; a message
    with no such sentence is refused as too long rather than searched whole.
    """
    for sentence in reversed(_SENTENCE_END.split(text)):
        sentence = sentence.strip()
        if "?" in sentence and 3 <= len(sentence) <= limit:
            return sentence
    return None
