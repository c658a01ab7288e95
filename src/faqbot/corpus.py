"""The documents retrieval ranks: the passages (quotable) and the not-covered entries (never quoted).

Each ranked document is a `Doc` that says what it is, so no code tells the two apart by index arithmetic
or string ids. The corpus also owns what is derived per document (its terms per field, overlaps, question
keys), computed on first use: only documents that reach the top need them, so a large base does not pay
for all of them at load time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .records import Knowledge, NotCovered, Passage
from .text import Analyzer, normalize

_NOT_WORD = re.compile(r"[\W_]+")
_CACHE = 50_000  # per-document entries kept (a base larger than this recomputes the rarest on demand)


@dataclass(frozen=True)
class Doc:
    """One ranked document: a passage, or a not-covered entry (exactly one of the two is set)."""

    index: int
    passage: Passage | None = None
    not_covered: NotCovered | None = None

    @property
    def id(self) -> str:
        """The passage's id, or the not-covered entry's id (ids are unique across both; see the loader)."""
        item = self.passage or self.not_covered
        assert item is not None
        return item.id

    @property
    def questions(self) -> tuple[str, ...]:
        item = self.passage or self.not_covered
        assert item is not None
        return item.questions


@dataclass(frozen=True)
class Ranked:
    """A document as retrieval ranked it for one question."""

    doc: Doc
    score: float


def question_key(text: str) -> str:
    """A question as compared for repeats: case, punctuation and spacing ignored."""
    return _NOT_WORD.sub(" ", text.casefold()).strip()


class Corpus:
    """The passages then the not-covered entries of a knowledge base, as BM25 documents."""

    def __init__(self, knowledge: Knowledge, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.docs: tuple[Doc, ...] = tuple(
            [Doc(i, passage=p) for i, p in enumerate(knowledge.passages)]
            + [Doc(len(knowledge.passages) + i, not_covered=n) for i, n in enumerate(knowledge.not_covered)])
        self.field_terms = lru_cache(maxsize=_CACHE)(self._field_terms)
        self.overlap = lru_cache(maxsize=2 * _CACHE)(self._overlap)
        self.question_keys = lru_cache(maxsize=_CACHE)(self._question_keys)
        self._exact: dict[tuple[str, ...], frozenset[int]] = {}  # filled by tokens()

    def exact_docs(self, terms: tuple[str, ...]) -> frozenset[int]:
        """The documents with a curated question whose sorted terms are exactly `terms` (see `tokens`)."""
        return self._exact.get(terms, frozenset())

    def tokens(self) -> list[list[str]]:
        """Each document's terms, as BM25 indexes them: a passage's quote and questions, an entry's questions.

        Analysing the questions one by one here also files each document under its questions' exact terms.
        """
        analyze = self.analyzer.analyze
        exact: dict[tuple[str, ...], set[int]] = {}
        out = []
        for d in self.docs:
            terms = analyze(normalize(d.passage.text)) if d.passage else []
            for q in d.questions:
                qt = analyze(normalize(q))
                terms += qt
                if qt:
                    exact.setdefault(tuple(sorted(qt)), set()).add(d.index)
            out.append(terms)
        self._exact = {k: frozenset(v) for k, v in exact.items()}
        return out

    def _field_terms(self, index: int) -> tuple[dict[str, tuple[int, ...]], frozenset[str]]:
        """Which fields (a passage's quote, then each question) hold each term, and all the document's terms."""
        doc = self.docs[index]
        texts = (doc.passage.text, *doc.passage.questions) if doc.passage else doc.questions
        in_fields: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            for term in set(self.analyzer.analyze(normalize(text))):
                in_fields.setdefault(term, []).append(i)
        return {t: tuple(f) for t, f in in_fields.items()}, frozenset(in_fields)

    def _overlap(self, a: int, b: int) -> float:
        """Jaccard overlap of two documents' terms: high means the second adds little to the first."""
        ta, tb = self.field_terms(a)[1], self.field_terms(b)[1]
        return len(ta & tb) / len(ta | tb) if ta or tb else 1.0

    def _question_keys(self, index: int) -> tuple[str, ...]:
        return tuple(question_key(q) for q in self.docs[index].questions)
