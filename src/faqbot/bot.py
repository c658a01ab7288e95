"""`FAQBot.ask`: normalise, triage, retrieve, abstain or answer, always with the disclaimer.

This is the one place the pipeline is wired together; the CLI, the web chat and the JSON API all call
`ask` and serialise `Answer.to_dict()`, so every interface gives the same reply.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .abstain import FULL_MATCH, features, probability
from .errors import Problem
from .index import BM25Index, Hits
from .knowledge import Knowledge, NotCovered, Passage, load_knowledge, paused_gc
from .text import Analyzer, english_stemmer, normalize
from .triage import Triage
from .variants import Variants

ANSWER, REFERRAL, CRISIS = "answer", "referral", "crisis"
RELATED_SHARE = 0.35  # a related question's passage must score at least this share of the best one


@dataclass(frozen=True)
class SourceRef:
    id: str
    title: str


@dataclass(frozen=True)
class Quote:
    """A passage as quoted in a reply: `text` is exactly the source's own words."""

    id: str
    text: str
    source: SourceRef
    score: float


@dataclass(frozen=True)
class Answer:
    """One reply. `to_dict()` is the JSON contract shared by the library, the CLI and the HTTP API."""

    question: str
    kind: str  # "answer" | "referral" | "crisis"
    reason: str  # "matched", "crisis", "no_match", "empty", "too_long", or a referral category
    message: str
    passages: tuple[Quote, ...]
    related: tuple[str, ...]
    disclaimer: str
    confidence: float = field(default=0.0, compare=False)  # abstention probability; not part of the JSON
    not_covered: str = field(default="", compare=False)  # the not-covered entry that matched; not in the JSON

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "kind": self.kind,
            "reason": self.reason,
            "message": self.message,
            "passages": [
                {"id": q.id, "text": q.text, "source": {"id": q.source.id, "title": q.source.title},
                 "score": round(q.score, 4)}
                for q in self.passages
            ],
            "related": list(self.related),
            "disclaimer": self.disclaimer,
        }


@dataclass(frozen=True)
class Retrieved:
    """Retrieval for one question before the answer/abstain decision (used by calibrate and eval)."""

    hits: Hits
    features: dict[str, float]
    confidence: float


class FAQBot:
    """Answers questions from one checked knowledge base. Read-only after construction: safe to share."""

    def __init__(self, knowledge: Knowledge, on_unanswered: Callable[[str], None] | None = None) -> None:
        with paused_gc():
            self._build(knowledge, on_unanswered)

    def _build(self, knowledge: Knowledge, on_unanswered: Callable[[str], None] | None) -> None:
        self.knowledge = knowledge
        self.config = knowledge.bot
        self.passages: tuple[Passage, ...] = knowledge.passages
        self.on_unanswered = on_unanswered
        cfg = knowledge.bot.retrieval
        self.analyzer = Analyzer(stemming=cfg.stemming, synonyms=knowledge.synonyms)
        docs = [self.analyzer.analyze_all([normalize(p.text), *map(normalize, p.questions)]) for p in self.passages]
        # Not-covered entries are ranked with the passages (documents after them) but never quoted.
        self.not_covered = knowledge.not_covered
        self.n_passages = len(self.passages)
        docs += [self.analyzer.analyze_all(map(normalize, n.questions)) for n in self.not_covered]
        # The id of each ranked document, for reports: passages by their id, not-covered entries marked.
        self.doc_ids = tuple(p.id for p in self.passages) + tuple(f"not-covered:{n.id}" for n in self.not_covered)
        self._field_cache: dict[int, tuple[dict[str, tuple[int, ...]], frozenset[str]]] = {}
        self._overlaps: dict[tuple[int, int], float] = {}
        self._keys_cache: dict[int, tuple[str, ...]] = {}
        self.index = BM25Index(docs, k1=cfg.k1, b=cfg.b, epsilon=cfg.epsilon)
        self.triage = Triage(knowledge.safety)
        self._fill = {"clinic_name": self.config.clinic_name, "clinic_contact": self.config.clinic_contact,
                      "max_chars": str(self.config.max_question_chars)}
        self._crisis_message = self.config.crisis_message.format_map(self._fill) + "\n" + "\n".join(
            f"- {r.name}: {r.contact}" for r in self.config.crisis_resources)
        self._referral_messages = {r.reason: r.message.format_map(self._fill) for r in knowledge.safety.referrals}
        self._messages = {k: v.format_map(self._fill) for k, v in self.config.messages.items()}
        self._sources = {sid: SourceRef(sid, s.title) for sid, s in knowledge.sources.items()}
        self.passages_by_id = {p.id: p for p in self.passages}
        self._examples = self.config.examples[: cfg.related]
        self._variants: Variants | None = None  # built on the first unknown word (see faqbot.variants)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, **kwargs: Any) -> FAQBot:
        """Load and check a knowledge base (default: the shipped one) and build the bot.

        Raises KnowledgeError listing every problem in the knowledge base.
        """
        return cls(load_knowledge(path), **kwargs)

    # ------------------------------------------------------------------ asking

    def ask(self, question: Any) -> Answer:
        """Reply to one question. Never raises for any input: odd input is a referral with a reason."""
        text = normalize(_as_text(question))
        if not text:
            return self._reply(text, REFERRAL, "empty", self._messages["empty"],
                               related=self._examples)
        verdict = self.triage.check(text)  # whole text, before the length limit: a crisis always counts
        if verdict is not None and verdict.kind == CRISIS:
            return self._reply(text, CRISIS, "crisis", self._crisis_message)
        if len(text) > self.config.max_question_chars:
            return self._reply(text, REFERRAL, "too_long", self._messages["too_long"])
        if verdict is not None:
            return self._reply(text, REFERRAL, verdict.reason, self._referral_messages[verdict.reason])
        found = self.retrieve(text)
        hits = found.hits
        weak = found.confidence < self.config.abstention.threshold and not found.features[FULL_MATCH]
        if weak or self.refers_by_rule(found):
            not_covered = self.not_covered_at(hits.docs[0]) if hits.docs else None
            if self.on_unanswered is not None:
                self.on_unanswered(text)
            return self._reply(text, REFERRAL, "no_match", self._messages["no_match"],
                               related=self._related(hits, skip=(), asked=text) or self._examples,
                               confidence=found.confidence, not_covered=not_covered.id if not_covered else "")
        chosen = self._choose(hits)
        quotes = tuple(self._quote(d, s) for d, s in chosen)
        related = self._related(hits, skip={d for d, _ in chosen}, asked=text)
        return self._reply(text, ANSWER, "matched", self._messages["answer"], quotes, related, found.confidence)

    def retrieve(self, text: str) -> Retrieved:
        """BM25 retrieval and abstention features for already-normalised `text`."""
        cfg = self.config.retrieval
        terms = self._with_variants(self.analyzer.analyze(text))
        hits = self.index.search(terms, k=cfg.max_passages + cfg.related + 2)
        feats = features(hits, self._qmatch(terms, hits.docs[0]) if hits.docs else 0.0)
        return Retrieved(hits, feats, probability(self.config.abstention, feats))

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

    def refers_by_rule(self, found: Retrieved) -> bool:
        """The rules beside the abstention model: refer when nothing matched, when the top passage holds too
        little of the question (`abstention.min_coverage`), or when a not-covered entry is the best match."""
        docs = found.hits.docs
        return (not docs or found.features["coverage"] < self.config.abstention.min_coverage
                or self.not_covered_at(docs[0]) is not None)

    def not_covered_at(self, doc: int) -> NotCovered | None:
        """The not-covered entry ranked as document `doc`, or None when `doc` is a passage."""
        return self.not_covered[doc - self.n_passages] if doc >= self.n_passages else None

    def _qmatch(self, terms: list[str], doc: int) -> float:
        """Share of the question's idf mass found in the best single question (or the quote) of passage `doc`."""
        index = self.index
        idf, vocabulary, unseen = index.idf_list, index.vocabulary, index.unseen_idf
        weights = {t: (idf[j] if (j := vocabulary.get(t)) is not None else unseen) for t in terms}
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        in_fields = self._passage_terms(doc)[0]
        acc: dict[int, float] = {}
        for t, w in weights.items():
            for f in in_fields.get(t, ()):
                acc[f] = acc.get(f, 0.0) + w
        return max(acc.values(), default=0.0) / total

    def _doc_terms(self, doc: int) -> frozenset[str]:
        """All terms of a passage (quote and questions): the union of its fields."""
        return self._passage_terms(doc)[1]

    def _passage_terms(self, doc: int) -> tuple[dict[str, tuple[int, ...]], frozenset[str]]:
        """Which fields (the quote, then each question) hold each term, and all terms; built on first use.

        Only documents that reach the top need them, so a large base does not pay for all at load time.
        """
        cached = self._field_cache.get(doc)
        if cached is None:
            texts = (self.passages[doc].text, *self.passages[doc].questions) if doc < self.n_passages else \
                self.not_covered[doc - self.n_passages].questions
            in_fields: dict[str, list[int]] = {}
            for i, text in enumerate(texts):
                for term in set(self.analyzer.analyze(normalize(text))):
                    in_fields.setdefault(term, []).append(i)
            cached = ({t: tuple(f) for t, f in in_fields.items()}, frozenset(in_fields))
            if len(self._field_cache) < 50_000:
                self._field_cache[doc] = cached
        return cached

    def _overlap(self, a: int, b: int) -> float:
        """Jaccard overlap of two passages' terms (high: the second adds little), cached per pair."""
        key = (a, b) if a < b else (b, a)
        value = self._overlaps.get(key)
        if value is None:
            value = _overlap(self._doc_terms(a), self._doc_terms(b))
            if len(self._overlaps) < 100_000:
                self._overlaps[key] = value
        return value

    def _question_keys(self, doc: int) -> tuple[str, ...]:
        keys = self._keys_cache.get(doc)
        if keys is None:
            keys = tuple(_question_key(q) for q in self.passages[doc].questions)
            if len(self._keys_cache) < 50_000:
                self._keys_cache[doc] = keys
        return keys

    def shadowed_questions(self) -> list[Problem]:
        """Questions on the wrong side of the line between passages and not-covered entries.

        A passage question that a not-covered entry matches best would be referred although the passage was
        written to answer it; a not-covered question that gets a quote would be answered with a passage
        about something else. `faqbot check` reports both, so the curator rewords one of the two.
        """
        problems: list[Problem] = []
        for p in self.passages:
            for q in p.questions:
                text = normalize(q)
                if self.triage.check(text) is not None:
                    continue
                docs = self.retrieve(text).hits.docs
                entry = self.not_covered_at(docs[0]) if docs else None
                if entry is not None:
                    problems.append(Problem(p.file, p.line, f"passage '{p.id}': its question {q!r} matches "
                                            f"not-covered entry '{entry.id}' ({entry.file}:{entry.line}) best; "
                                            "reword one of them"))
        # And the other way round: a not-covered question must not be answered with a quote.
        for entry in self.not_covered:
            for q in entry.questions:
                reply = self.ask(q)
                if reply.kind == ANSWER:
                    top = self.passages_by_id[reply.passages[0].id]
                    problems.append(Problem(entry.file, entry.line, f"not-covered entry '{entry.id}': its "
                                            f"question {q!r} is answered by passage '{top.id}' ({top.file}:"
                                            f"{top.line}); reword it, or drop it if the passage does answer it"))
        return problems

    # ------------------------------------------------------------------ composing

    def _choose(self, hits: Hits) -> list[tuple[int, float]]:
        """The top passage, plus up to two more that score close to it and are not near-repeats of it."""
        cfg = self.config.retrieval
        top = hits.scores[0]
        chosen = [(hits.docs[0], top)]
        for d, s in zip(hits.docs[1:], hits.scores[1:], strict=True):
            if len(chosen) >= cfg.max_passages or s < cfg.close_ratio * top:
                break
            if d >= self.n_passages:
                continue  # not covered: never quoted
            if all(self._overlap(d, c) < 0.5 for c, _ in chosen):
                chosen.append((d, s))
        return chosen

    def _related(self, hits: Hits, skip: set[int] | tuple[()], asked: str) -> tuple[str, ...]:
        """First questions of the next-best passages that still share a good part of the top score.

        A passage's first question that repeats what was just asked is passed over for its second.
        """
        out: list[str] = []
        same = _question_key(asked)
        floor = RELATED_SHARE * hits.scores[0] if hits.scores else 0.0
        for d, score in zip(hits.docs, hits.scores, strict=True):
            if d in skip or d >= self.n_passages:
                continue
            if score < floor:
                break
            questions = self.passages[d].questions
            q = next((x for x, key in zip(questions, self._question_keys(d), strict=True) if key != same), "")
            if q and q not in out:
                out.append(q)
            if len(out) >= self.config.retrieval.related:
                break
        return tuple(out)

    def _quote(self, doc: int, score: float) -> Quote:
        p = self.passages[doc]
        return Quote(p.id, p.text, self._sources[p.source], score)

    def _reply(self, text: str, kind: str, reason: str, message: str, passages: tuple[Quote, ...] = (),
               related: tuple[str, ...] = (), confidence: float = 0.0, not_covered: str = "") -> Answer:
        return Answer(text, kind, reason, message, passages, tuple(related), self.config.disclaimer, confidence,
                      not_covered)


_NOT_WORD = re.compile(r"[\W_]+")


def _question_key(text: str) -> str:
    """A question as compared for repeats: case, punctuation and spacing ignored."""
    return _NOT_WORD.sub(" ", text.casefold()).strip()


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two passages' terms: high means the second adds little."""
    return len(a & b) / len(a | b) if a or b else 1.0


def _as_text(question: Any) -> str:
    """Accept what callers actually send: str, bytes in any encoding, None or other objects."""
    if isinstance(question, str):
        return question
    if question is None:
        return ""
    if isinstance(question, (bytes, bytearray, memoryview)):
        return bytes(question).decode("utf-8", "replace")
    return str(question)
