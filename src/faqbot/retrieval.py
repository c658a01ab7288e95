"""Retrieval for one question: its terms (unknown words read as known variants), the BM25 ranking, and the
scale-free features the answer-or-refer decision reads (see faqbot.abstain and faqbot.decision)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .abstain import features, probability
from .config import Abstention
from .corpus import Corpus, Ranked
from .index import BM25Index, Hits
from .passage_model import PassageModel
from .text import Analyzer, english_stemmer
from .variants import Variants


@dataclass(frozen=True)
class Retrieved:
    """What one question retrieved, best first, with its abstention features and the model's confidence."""

    ranked: tuple[Ranked, ...]
    hits: Hits
    features: dict[str, float]
    confidence: float

    @property
    def top(self) -> Ranked | None:
        return self.ranked[0] if self.ranked else None


class Retriever:
    """BM25 over a corpus, with the abstention features of each search."""

    def __init__(self, corpus: Corpus, index: BM25Index, analyzer: Analyzer, depth: int,
                 classifier: PassageModel | None = None) -> None:
        self.corpus = corpus
        self.classifier = classifier  # None: the abstention feature `passage_p` reads 0
        self.index = index
        self.analyzer = analyzer
        self.depth = depth  # how many documents a search returns
        self._variants: Variants | None = None  # built on the first unknown word (see faqbot.variants)
        self._masses: dict[int, tuple[float, ...]] = {}

    def retrieve(self, text: str, model: Abstention) -> Retrieved:
        """Rank the corpus for already-normalised `text` and score the top document with `model`."""
        terms = self._with_variants(self.analyzer.analyze(text))
        hits = self._exact_first(terms, self.index.search(terms, k=self.depth))
        docs = self.corpus.docs
        if hits.docs:
            top = docs[hits.docs[0]].id
            p = self.classifier.probability(text, top) if self.classifier is not None else 0.0
            feats = features(hits, *self._qmatch(terms, hits.docs[0]), p)
        else:
            feats = features(hits)
        ranked = tuple(Ranked(docs[d], s) for d, s in zip(hits.docs, hits.scores, strict=True))
        return Retrieved(ranked, hits, feats, probability(model, feats))

    def _exact_first(self, terms: list[str], hits: Hits) -> Hits:
        """Put first the document one of whose curated questions has exactly the question's terms.

        A short generic question ("What is ketamine?") has one content word that every passage holds, so
        BM25 ranks them within a hair of each other and the shortest passage wins; the passage whose curated
        question it repeats is the one written to answer it. Among several, BM25's order decides.
        """
        docs = self.corpus.exact_docs(tuple(sorted(terms)))
        if not docs or not hits.docs or hits.docs[0] in docs:
            return hits
        best = next((d for d in hits.docs if d in docs), None)
        if best is None:
            return hits
        at = hits.docs.index(best)
        order = (best, *hits.docs[:at], *hits.docs[at + 1:])
        scores = (hits.scores[0], *hits.scores[:at], *hits.scores[at + 1:])  # it takes the top score
        return replace(hits, docs=order, scores=scores)

    def _with_variants(self, terms: list[str]) -> list[str]:
        """`terms` with each word the index has never seen replaced by a known variant of it, if one exists."""
        vocabulary = self.index.vocabulary
        if self.analyzer.stemming or all(t in vocabulary for t in terms):
            return terms
        if self._variants is None:
            self._variants = Variants(vocabulary, self.index.idf_list, english_stemmer())
        group_of = self.analyzer.group_of
        out: list[str] = []
        added: list[str] = []  # group terms of the variants, as analysing the known word would add them
        for term in terms:
            # Group terms and words of a synonym group are matched through their group already.
            plain = term not in vocabulary and not term.startswith("~") and group_of(term) is None
            known = self._variants.known(term) if plain else None
            out.append(term if known is None else known)
            if known is not None and (group := group_of(known)) is not None:
                added.append(group)
        return out + added

    def _qmatch(self, terms: list[str], doc: int) -> tuple[float, float]:
        """How well the question matches the best single field (a question or the quote) of `doc`: the share of
        the question's idf mass in that field, and the share of the field's idf mass the question holds."""
        index = self.index
        idf, vocabulary, unseen = index.idf_list, index.vocabulary, index.unseen_idf
        weights = {t: (idf[j] if (j := vocabulary.get(t)) is not None else unseen) for t in terms}
        total = sum(weights.values())
        if total <= 0:
            return 0.0, 0.0
        in_fields = self.corpus.field_terms(doc)[0]
        acc: dict[int, float] = {}
        for t, w in weights.items():
            for f in in_fields.get(t, ()):
                acc[f] = acc.get(f, 0.0) + w
        if not acc:
            return 0.0, 0.0
        best = max(acc.values())
        masses = self._field_masses(doc)
        # Among the fields that match best, the one the question fills most: "how is ketamine given" fills
        # "how is ketamine given" wholly, and a long question that only contains its words far less.
        reverse = max(acc[f] / masses[f] for f in acc if acc[f] >= best - 1e-9 and masses[f] > 0)
        return best / total, min(reverse, 1.0)

    def _field_masses(self, doc: int) -> tuple[float, ...]:
        """The idf mass of each field of `doc` (cached: documents are few, questions many)."""
        masses = self._masses.get(doc)
        if masses is None:
            idf, vocabulary = self.index.idf_list, self.index.vocabulary
            totals: dict[int, float] = {}
            for term, fields in self.corpus.field_terms(doc)[0].items():
                w = idf[j] if (j := vocabulary.get(term)) is not None else 0.0
                for f in fields:
                    totals[f] = totals.get(f, 0.0) + w
            masses = self._masses[doc] = tuple(totals.get(f, 0.0) for f in range(max(totals, default=-1) + 1))
        return masses
