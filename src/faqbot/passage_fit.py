"""Fitting the passage classifier (faqbot.passage_model) on the curated questions; `faqbot calibrate` runs it.

One example per curated question and per quote, labelled with its passage or not-covered entry; features are
sublinear tf-idf over the hashed words, word pairs and character n-grams of faqbot.triage_features, kept
where at least MIN_DF texts hold them (a bucket one question holds mostly memorises it, and the table
halves). A multinomial logistic regression (scikit-learn) learns the weights.

Chosen on the labelled sets, never on a sealed one: as the top-1 passage of the answerable questions in
eval/calibration.yaml (written apart from the curation), BM25 is right for 0.774 of them and this
classifier for 0.832 (C=30; 0.819 at C=3, 0.836 with every bucket kept); its probability of BM25's top
passage, added to the abstention features, raised the quotes let through at the product's precision rule
from 0.242 to 0.301 of the answerable questions, precision 0.920 to 0.931 (five-fold, out of fold, over
dev.yaml and calibration.yaml).
"""

from __future__ import annotations

import numpy as np

from .passage_model import PassageModel, dense_tables, documents, documents_digest, features
from .records import Knowledge
from .text import normalize
from .triage_model import quantize

MIN_DF = 2
C = 30.0


def fit_passage_model(kb: Knowledge) -> PassageModel:
    """The classifier for `kb`'s documents."""
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    from .triage_features import buckets
    from .triage_features import normalize as hashed_text

    docs = documents(kb.passages, kb.not_covered)
    texts = [normalize(t) for _, ts in docs for t in ts]
    labels = [i for i, (_, ts) in enumerate(docs) for _ in ts]
    seen = [np.unique(buckets(hashed_text(t))) for t in texts]
    keys, df = np.unique(np.concatenate(seen), return_counts=True)
    keep = df >= MIN_DF
    keys, df = keys[keep].astype(np.int64), df[keep]
    idf = (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)
    full, table = dense_tables(keys, idf)
    rows, cols, vals = [], [], []
    for i, t in enumerate(texts):
        r, v = features(full, table, t)
        rows.append(np.full(len(r), i))
        cols.append(r)
        vals.append(v)
    x = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(len(texts), len(keys)))
    model = LogisticRegression(C=C, max_iter=3000)
    model.fit(x, labels)
    # Outputs in the order of `docs` (every document has at least its quote or one question, so all appear).
    weights, scale = quantize(model.coef_.T.astype(np.float32))
    return PassageModel(doc_ids=tuple(docs[int(c)][0] for c in model.classes_), keys=keys, idf=full, rows=table,
                        weights=weights, scale=scale, bias=model.intercept_.astype(np.float32),
                        digest=documents_digest(docs))
