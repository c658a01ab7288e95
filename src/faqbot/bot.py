"""`FAQBot.ask`: normalise, triage, retrieve, abstain or answer, always with the disclaimer.

This is the one place the pipeline is wired together; the CLI, the web chat and the JSON API all call
`ask` and serialise `Answer.to_dict()`, so every interface gives the same reply.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .abstain import FULL_MATCH, features, probability
from .index import BM25Index, Hits
from .knowledge import Knowledge, Passage, load_knowledge, paused_gc
from .text import Analyzer, normalize
from .triage import Triage

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
        self._field_cache: dict[int, tuple[list[frozenset[str]], frozenset[str]]] = {}
        self.index = BM25Index(docs, k1=cfg.k1, b=cfg.b, epsilon=cfg.epsilon)
        self.triage = Triage(knowledge.safety)
        self._fill = {"clinic_name": self.config.clinic_name, "clinic_contact": self.config.clinic_contact,
                      "max_chars": str(self.config.max_question_chars)}
        self._crisis_message = self.config.crisis_message.format_map(self._fill) + "\n" + "\n".join(
            f"- {r.name}: {r.contact}" for r in self.config.crisis_resources)
        self._referral_messages = {r.reason: r.message.format_map(self._fill) for r in knowledge.safety.referrals}
        self._messages = {k: v.format_map(self._fill) for k, v in self.config.messages.items()}
        self._sources = {sid: SourceRef(sid, s.title) for sid, s in knowledge.sources.items()}
        self._examples = self.config.examples[: cfg.related]

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
        model = self.config.abstention
        weak = (found.confidence < model.threshold and not found.features[FULL_MATCH]) or (
            found.features["coverage"] < model.min_coverage)
        if not len(hits.docs) or weak:
            if self.on_unanswered is not None:
                self.on_unanswered(text)
            return self._reply(text, REFERRAL, "no_match", self._messages["no_match"],
                               related=self._related(hits, skip=(), asked=text) or self._examples,
                               confidence=found.confidence)
        chosen = self._choose(hits)
        quotes = tuple(self._quote(d, s) for d, s in chosen)
        related = self._related(hits, skip={d for d, _ in chosen}, asked=text)
        return self._reply(text, ANSWER, "matched", self._messages["answer"], quotes, related, found.confidence)

    def retrieve(self, text: str) -> Retrieved:
        """BM25 retrieval and abstention features for already-normalised `text`."""
        cfg = self.config.retrieval
        terms = self.analyzer.analyze(text)
        hits = self.index.search(terms, k=cfg.max_passages + cfg.related + 2)
        feats = features(hits, self._qmatch(terms, int(hits.docs[0])) if len(hits.docs) else 0.0)
        return Retrieved(hits, feats, probability(self.config.abstention, feats))

    def _qmatch(self, terms: list[str], doc: int) -> float:
        """Share of the question's idf mass found in the best single question (or the quote) of passage `doc`."""
        index = self.index
        weights = {t: (max(index.idf[j], 0.0) if (j := index.vocabulary.get(t)) is not None else index.unseen_idf)
                   for t in terms}
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        return float(max(sum(w for t, w in weights.items() if t in fields) for fields in self._fields(doc)) / total)

    def _fields(self, doc: int) -> list[frozenset[str]]:
        """The term sets of a passage's quote and of each of its questions."""
        return self._passage_terms(doc)[0]

    def _doc_terms(self, doc: int) -> frozenset[str]:
        """All terms of a passage (quote and questions): the union of its fields."""
        return self._passage_terms(doc)[1]

    def _passage_terms(self, doc: int) -> tuple[list[frozenset[str]], frozenset[str]]:
        """Fields and their union, analysed on first use (only passages that reach the top need them)."""
        cached = self._field_cache.get(doc)
        if cached is None:
            p = self.passages[doc]
            fields = [frozenset(self.analyzer.analyze(normalize(t))) for t in (p.text, *p.questions)]
            cached = (fields, frozenset().union(*fields))
            if len(self._field_cache) < 50_000:
                self._field_cache[doc] = cached
        return cached

    # ------------------------------------------------------------------ composing

    def _choose(self, hits: Hits) -> list[tuple[int, float]]:
        """The top passage, plus up to two more that score close to it and are not near-repeats of it."""
        cfg = self.config.retrieval
        top = float(hits.scores[0])
        chosen = [(int(hits.docs[0]), top)]
        for d, s in zip(hits.docs[1:], hits.scores[1:], strict=True):
            if len(chosen) >= cfg.max_passages or s < cfg.close_ratio * top:
                break
            terms = self._doc_terms(int(d))
            if all(_overlap(terms, self._doc_terms(c)) < 0.5 for c, _ in chosen):
                chosen.append((int(d), float(s)))
        return chosen

    def _related(self, hits: Hits, skip: set[int] | tuple[()], asked: str) -> tuple[str, ...]:
        """First questions of the next-best passages that still share a good part of the top score.

        A passage's first question that repeats what was just asked is passed over for its second.
        """
        out: list[str] = []
        same = _question_key(asked)
        floor = RELATED_SHARE * float(hits.scores[0]) if len(hits.scores) else 0.0
        for d, score in zip(hits.docs, hits.scores, strict=True):
            if int(d) in skip:
                continue
            if score < floor:
                break
            q = next((x for x in self.passages[int(d)].questions if _question_key(x) != same), "")
            if q and q not in out:
                out.append(q)
            if len(out) >= self.config.retrieval.related:
                break
        return tuple(out)

    def _quote(self, doc: int, score: float) -> Quote:
        p = self.passages[doc]
        return Quote(p.id, p.text, self._sources[p.source], score)

    def _reply(self, text: str, kind: str, reason: str, message: str, passages: tuple[Quote, ...] = (),
               related: tuple[str, ...] = (), confidence: float = 0.0) -> Answer:
        return Answer(text, kind, reason, message, passages, tuple(related), self.config.disclaimer, confidence)


def _question_key(text: str) -> str:
    """A question as compared for repeats: case, punctuation and spacing ignored."""
    return " ".join("".join(c if c.isalnum() else " " for c in text.casefold()).split())


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
