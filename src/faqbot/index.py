"""BM25 scoring with the same numbers as `rank_bm25.BM25Okapi`, at a cost that follows the question.

rank_bm25 loops in Python over every document for every query term. Here the BM25 weight of each
(term, document) pair is computed once at load time into term-major postings (numpy arrays), so a
question costs one slice-and-add per query term plus one pass to pick the top documents: work that
follows the postings of its terms, with one code path for every size of knowledge base. Building needs
numpy only: answering must not import scikit-learn or scipy.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Hits:
    """What a question retrieved, best first, plus what abstention needs to judge it."""

    docs: tuple[int, ...]  # document indices with a positive score, best first (at most `k`)
    scores: tuple[float, ...]  # their BM25 scores
    best_possible: float  # the highest score these query terms could reach in this index
    query_idf: float  # idf mass of the query's terms (unknown terms count as never seen)
    matched_idf: float  # the part of that mass present in the top document
    known_share: float  # share of query terms the index has seen
    n_terms: int


class BM25Index:
    """BM25 (Okapi, with rank_bm25's epsilon floor on negative idf) over pre-analysed documents."""

    def __init__(self, docs: list[list[str]], k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> None:
        if not docs:
            raise ValueError("BM25Index needs at least one document")
        self.vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[int] = []
        vocab = self.vocabulary
        for d, tokens in enumerate(docs):
            for term, count in Counter(tokens).items():
                rows.append(d)
                cols.append(vocab.setdefault(term, len(vocab)))
                tfs.append(count)
        n_docs, n_terms = len(docs), len(vocab)
        row = np.asarray(rows, dtype=np.int64)
        col = np.asarray(cols, dtype=np.int64)
        tf = np.asarray(tfs, dtype=np.float64)
        doc_len = np.bincount(row, weights=tf, minlength=n_docs)
        avgdl = float(doc_len.sum()) / n_docs or 1.0
        df = np.bincount(col, minlength=n_terms).astype(np.float64)
        idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
        # rank_bm25: words in more than half the documents get epsilon times the mean idf instead.
        if n_terms:
            idf[idf < 0] = epsilon * (idf.sum() / n_terms)
        self.idf = idf
        self.unseen_idf = math.log(n_docs + 0.5) - math.log(0.5)
        norm = k1 * (1 - b + b * doc_len[row] / avgdl)
        weights = idf[col] * tf * (k1 + 1) / (tf + norm)
        order = np.lexsort((row, col))  # term-major, documents ascending within a term
        self._docs = row[order]
        self._weights = weights[order]
        self._indptr = np.concatenate(([0], np.cumsum(np.bincount(col, minlength=n_terms))))
        starts = self._indptr[:-1]
        self.max_weight = np.maximum.reduceat(self._weights, starts) if len(self._weights) else np.zeros(0)
        self.n_docs = n_docs
        self.k1, self.b, self.epsilon = k1, b, epsilon
        # idf per term id as plain floats, never below 0: read per query term here and by abstention features
        self.idf_list = [max(x, 0.0) for x in idf.tolist()]
        self._max_l = self.max_weight.tolist()
        self._ptr = self._indptr.tolist()

    def get_scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every document for `terms` (repeats count, as in rank_bm25)."""
        counts = Counter(terms)
        return self._scores([(j, c) for t, c in counts.items() if (j := self.vocabulary.get(t)) is not None])

    def search(self, terms: list[str], k: int = 6) -> Hits:
        """The top `k` documents for `terms` (ties: lower index first) and the figures abstention reads."""
        counts = Counter(terms)
        known: list[tuple[int, int]] = []  # (term id, count) of the terms this index has seen
        best_possible = query_idf = 0.0
        for term, count in counts.items():
            j = self.vocabulary.get(term)
            if j is None:
                query_idf += count * self.unseen_idf
            else:
                known.append((j, count))
                best_possible += count * self._max_l[j]
                query_idf += count * self.idf_list[j]
        docs, scores = self._rank(known, k)
        matched = 0.0
        if docs:
            best = docs[0]
            matched = sum(count * self.idf_list[j] for j, count in known if self._contains(j, best))
        n_terms = sum(counts.values())
        share = sum(c for _, c in known) / n_terms if n_terms else 0.0
        return Hits(docs, scores, float(best_possible), float(query_idf), float(matched), share, n_terms)

    def _scores(self, known: list[tuple[int, int]]) -> np.ndarray:
        scores = np.zeros(self.n_docs)
        ptr, docs, weights = self._ptr, self._docs, self._weights
        for j, count in known:
            lo, hi = ptr[j], ptr[j + 1]
            scores[docs[lo:hi]] += count * weights[lo:hi]
        return scores

    def _rank(self, known: list[tuple[int, int]], k: int) -> tuple[tuple[int, ...], tuple[float, ...]]:
        """The `k` best documents with a positive score, best first; ties go to the lower index."""
        if not known:
            return (), ()
        scores = self._scores(known)
        k = min(k, self.n_docs)
        # Every document tied with the k-th score is a candidate, so ties always go to the lower index.
        kth = -np.partition(-scores, k - 1)[k - 1] if k < self.n_docs else 0.0
        cand = np.flatnonzero(scores >= kth) if kth > 0 else np.flatnonzero(scores > 0)
        top = cand[np.lexsort((cand, -scores[cand]))][:k]
        return tuple(top.tolist()), tuple(scores[top].tolist())

    def _contains(self, j: int, doc: int) -> bool:
        """Whether term `j` occurs in document `doc`."""
        lo, hi = self._ptr[j], self._ptr[j + 1]
        at = lo + int(np.searchsorted(self._docs[lo:hi], doc))
        return at < hi and int(self._docs[at]) == doc
