"""Applying the passage classifier: how likely each passage (or not-covered entry) is to be the one a question
asks for, numpy only.

BM25 ranks well but says little about whether its top passage is right: on questions written apart from the
curation its scale-free features let through few quotes at the precision the product needs. A linear
classifier over the curated questions, fitted by `faqbot calibrate` (faqbot.passage_fit, scikit-learn), reads
the same hashed words, word pairs and character n-grams as triage (faqbot.triage_features), so typos and
inflections still match; its probability for BM25's top passage is one of the abstention features
(faqbot.abstain). It never chooses the quote: BM25 does.

The weights live in the machine-owned fitted/passages.npz with the digest of the documents they were fitted
on. A model fitted before a curation edit still applies (a passage it has never seen scores 0, so it is
referred rather than quoted) and `faqbot check` notes it: re-run `faqbot calibrate`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import Problem
from .npzfile import read_npz
from .triage_features import BITS, buckets, normalize, vectorize

if TYPE_CHECKING:
    from .records import NotCovered, Passage

MODEL = "fitted/passages.npz"
FORMAT = 1


@dataclass(frozen=True)
class PassageModel:
    doc_ids: tuple[str, ...]  # one output per passage or not-covered entry
    keys: np.ndarray  # sorted hash buckets seen in fitting (faqbot.triage_features), int64
    idf: np.ndarray  # over all 2**BITS buckets; 0 where the fit never saw one
    rows: np.ndarray  # over all 2**BITS buckets: the bucket's row of `weights`, -1 where the fit never saw one
    weights: np.ndarray  # keys x docs, int16; column j times scale[j] is the weight (see triage_model.quantize)
    scale: np.ndarray
    bias: np.ndarray
    digest: str  # of the documents it was fitted on (`documents_digest`)

    def probabilities(self, text: str) -> np.ndarray:
        """The softmax over `doc_ids` for `text` (a question as faqbot.text.normalize leaves it)."""
        rows, values = features(self.idf, self.rows, text)
        z = self.bias.copy()
        if len(rows):
            z += (values.astype(np.float32) @ self.weights.take(rows, axis=0)) * self.scale
        z = np.exp(z - z.max())
        return z / z.sum()

    def probability(self, text: str, doc_id: str) -> float:
        """The probability that `doc_id` is what `text` asks for; 0 for a document the model never saw."""
        try:
            at = self.doc_ids.index(doc_id)
        except ValueError:
            return 0.0
        return float(self.probabilities(text)[at])


def features(idf: np.ndarray, rows: np.ndarray, text: str) -> tuple[np.ndarray, np.ndarray]:
    """The weight rows `text` reaches and their unit-length tf-idf values (fitting and answering share it).
    `idf` and `rows` are the dense tables of `dense_tables`."""
    b, v = vectorize(idf, buckets(normalize(text)))
    r = rows[b]
    seen = r >= 0
    return r[seen], v[seen]


def dense_tables(keys: np.ndarray, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`idf` (one per key) spread over every bucket (0 for the rest), and each bucket's row (-1 for the rest):
    one lookup per bucket where a search of the sorted keys cost four times as much."""
    full = np.zeros(1 << BITS, dtype=np.float32)
    full[keys] = idf
    rows = np.full(1 << BITS, -1, dtype=np.int32)
    rows[keys] = np.arange(len(keys), dtype=np.int32)
    return full, rows


def documents(passages: Iterable[Passage], not_covered: Iterable[NotCovered]) -> list[tuple[str, tuple[str, ...]]]:
    """What the model learns from: each passage's questions and quote, each not-covered entry's questions."""
    return [*((p.id, (*p.questions, p.text)) for p in passages), *((n.id, n.questions) for n in not_covered)]


def documents_digest(docs: Iterable[tuple[str, tuple[str, ...]]]) -> str:
    """The digest of what the model learns from: each document's id and its texts (questions and quote)."""
    h = hashlib.sha256(f"format={FORMAT};bits={BITS}".encode())
    for doc_id, texts in docs:
        h.update(doc_id.encode() + b"\0" + "\0".join(texts).encode() + b"\1")
    return h.hexdigest()


def load_passage_model(base: Path, problems: list[Problem]) -> PassageModel | None:
    """The fitted model at `base`, or None (with a problem) when it is missing or unreadable."""
    path = base / MODEL
    fix = "run `faqbot calibrate`"
    if not path.exists():
        problems.append(Problem(MODEL, 1, f"missing: the passage classifier the abstention model reads; {fix}"))
        return None
    read = read_npz(path, MODEL, lambda data: (
        data["keys"].astype(np.int64), data["idf"].astype(np.float32), data["weights"],
        tuple(str(x) for x in data["doc_ids"]), data["scale"].astype(np.float32), data["bias"].astype(np.float32),
        str(data["digest"]), int(data["format"])), problems, fix)
    if read is None:
        return None
    keys, key_idf, weights, doc_ids, scale, bias, digest, fmt = read
    n = len(doc_ids)
    if (fmt != FORMAT or weights.dtype != np.int16 or weights.shape != (len(keys), n) or key_idf.shape != keys.shape
            or scale.shape != (n,) or bias.shape != (n,) or not n
            or (len(keys) and (keys.min() < 0 or keys.max() >= 1 << BITS))):
        problems.append(Problem(MODEL, 1, f"written by another version of faqbot; {fix}"))
        return None
    idf, rows = dense_tables(keys, key_idf)
    return PassageModel(doc_ids=doc_ids, keys=keys, idf=idf, rows=rows, weights=weights, scale=scale, bias=bias,
                        digest=digest)


def write_passage_model(base: Path, model: PassageModel) -> Path:
    """Store a fitted model in the machine-owned fitted/passages.npz (the idf of its keys only), uncompressed as
    fitted/triage.npz is: decompressing costs every cold start; git and wheels compress it anyway."""
    path = base / MODEL
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        np.savez(f, format=FORMAT, doc_ids=np.array(model.doc_ids), keys=model.keys.astype(np.int32),
                            idf=model.idf[model.keys], weights=model.weights, scale=model.scale,
                            bias=model.bias, digest=np.array(model.digest))
    return path
