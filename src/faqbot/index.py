"""BM25 scoring with the same numbers as `rank_bm25.BM25Okapi`, at a cost that follows the question.

rank_bm25 loops in Python over every document for every query term. Here the BM25 weight of each
(term, document) pair is computed once at load time into a term-major sparse matrix, so a question
costs one slice-and-add per query term: work proportional to the postings of its terms, not to the
size of the knowledge base.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

# Below this many passages, summing postings in a dict beats numpy's per-call overhead...
SMALL_INDEX = 4096
# ...unless the whole terms x documents weight table fits in this many cells (32 MB): then one row
# lookup and one sum over the table answer a question (a clinic's base: about 1,400 x 80 cells).
DENSE_CELLS = 1 << 22


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


def _identity(tokens: list[str]) -> list[str]:
    return tokens


class BM25Index:
    """BM25 (Okapi, with rank_bm25's epsilon floor on negative idf) over pre-analysed documents."""

    def __init__(self, docs: list[list[str]], k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> None:
        from sklearn.feature_extraction.text import CountVectorizer  # load-time only; keeps import light

        if not docs:
            raise ValueError("BM25Index needs at least one document")
        vectorizer = CountVectorizer(analyzer=_identity, dtype=np.float64)
        counts = vectorizer.fit_transform(docs).tocsr()  # documents x terms
        self.vocabulary: dict[str, int] = {t: int(j) for t, j in vectorizer.vocabulary_.items()}
        n_docs, n_terms = counts.shape
        doc_len = np.asarray(counts.sum(axis=1)).ravel()
        avgdl = doc_len.sum() / n_docs or 1.0
        df = np.bincount(counts.indices, minlength=n_terms)
        idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
        # rank_bm25: words in more than half the documents get epsilon times the mean idf instead.
        idf[idf < 0] = epsilon * (idf.sum() / n_terms)
        self.idf = idf
        self.unseen_idf = math.log(n_docs + 0.5) - math.log(0.5)
        coo = counts.tocoo()
        tf = coo.data
        norm = k1 * (1 - b + b * doc_len[coo.row] / avgdl)
        weights = idf[coo.col] * tf * (k1 + 1) / (tf + norm)
        from scipy.sparse import csr_matrix

        by_term = csr_matrix((weights, (coo.col, coo.row)), shape=(n_terms, n_docs))
        by_term.sort_indices()
        self._indptr = by_term.indptr
        self._docs = by_term.indices
        self._weights = by_term.data
        self.max_weight = np.maximum.reduceat(by_term.data, by_term.indptr[:-1]) if by_term.nnz else np.zeros(0)
        self.n_docs = n_docs
        self.k1, self.b, self.epsilon = k1, b, epsilon
        self._small = n_docs <= SMALL_INDEX
        self._dense = by_term.toarray() if n_docs * n_terms <= DENSE_CELLS else None
        # idf per term id as plain floats, never below 0: read per query term here and by abstention features
        self.idf_list = [max(x, 0.0) for x in idf.tolist()]
        self._max_l = self.max_weight.tolist()
        if self._small:  # plain lists: the same additions in the same order, without array overhead
            docs_l, weights_l, ptr = self._docs.tolist(), self._weights.tolist(), self._indptr.tolist()
            self._lists = [(docs_l[a:z], weights_l[a:z]) for a, z in itertools.pairwise(ptr)]

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
        if self._dense is not None:
            docs, scores, matched = self._rank_dense(known, k)
        else:
            docs, scores = self._rank_small(known, k) if self._small else self._rank_large(known, k)
            matched = 0.0
            if docs:
                best = docs[0]
                matched = sum(count * self.idf_list[j] for j, count in known if self._contains(j, best))
        n_terms = sum(counts.values())
        share = sum(c for _, c in known) / n_terms if n_terms else 0.0
        return Hits(docs, scores, float(best_possible), float(query_idf), float(matched), share, n_terms)

    def _scores(self, known: list[tuple[int, int]]) -> np.ndarray:
        scores = np.zeros(self.n_docs)
        for j, count in known:
            lo, hi = self._indptr[j], self._indptr[j + 1]
            scores[self._docs[lo:hi]] += count * self._weights[lo:hi]
        return scores

    def _rank_dense(self, known: list[tuple[int, int]], k: int) -> tuple[tuple[int, ...], tuple[float, ...], float]:
        """Top documents and the idf mass of the query found in the best one, from the dense weight table."""
        if not known:
            return (), (), 0.0
        assert self._dense is not None
        ids = [j for j, _ in known]
        counts = np.array([c for _, c in known], dtype=np.float64)
        rows = self._dense[ids]
        scores = counts @ rows
        order = (-scores).argsort(kind="stable")[:k]  # stable: ties go to the lower index
        top = scores[order].tolist()
        n = sum(1 for x in top if x > 0)
        if not n:
            return (), (), 0.0
        docs = order[:n].tolist()
        present = rows[:, docs[0]].tolist()
        matched = sum(c * self.idf_list[j] for (j, c), w in zip(known, present, strict=True) if w > 0)
        return tuple(docs), tuple(top[:n]), matched

    def _rank_large(self, known: list[tuple[int, int]], k: int) -> tuple[tuple[int, ...], tuple[float, ...]]:
        scores = self._scores(known)
        k = min(k, self.n_docs)
        # Every document tied with the k-th score is a candidate, so ties always go to the lower index.
        kth = -np.partition(-scores, k - 1)[k - 1] if k < self.n_docs else 0.0
        cand = np.flatnonzero(scores >= kth) if kth > 0 else np.flatnonzero(scores > 0)
        top = cand[np.lexsort((cand, -scores[cand]))][:k]
        return tuple(top.tolist()), tuple(scores[top].tolist())

    def _rank_small(self, known: list[tuple[int, int]], k: int) -> tuple[tuple[int, ...], tuple[float, ...]]:
        acc: dict[int, float] = {}
        for j, count in known:
            docs, weights = self._lists[j]
            for d, w in zip(docs, weights, strict=True):
                acc[d] = acc.get(d, 0.0) + count * w
        ranked = sorted(((d, s) for d, s in acc.items() if s > 0), key=lambda ds: (-ds[1], ds[0]))[:k]
        return tuple(d for d, _ in ranked), tuple(s for _, s in ranked)

    def _contains(self, j: int, doc: int) -> bool:
        """Whether term `j` occurs in document `doc`."""
        if self._small:
            return doc in self._lists[j][0]
        lo, hi = self._indptr[j], self._indptr[j + 1]
        row = self._docs[lo:hi]
        at = int(np.searchsorted(row, doc))
        return at < len(row) and row[at] == doc
