"""`FAQBot.ask`: normalise, triage, decide, and compose the reply, always with the disclaimer.

This is where the pipeline is wired together; the CLI, the web chat and the JSON API all call `ask` and
serialise `Answer.to_dict()`, so every interface gives the same reply. What is decided lives elsewhere
(faqbot.triage, faqbot.decision); this module only builds the pieces and writes the reply.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .config import RELATED_SHARE, REPEAT_OVERLAP, BotConfig
from .corpus import Corpus, Ranked, question_key
from .decision import Decision, decide
from .index import BM25Index
from .knowledge import load_knowledge, paused_gc
from .records import Kind, Knowledge, Passage, Reason
from .reply import Answer, Quote, SourceRef
from .retrieval import Retrieved, Retriever
from .text import Analyzer, normalize
from .triage import Triage, Verdict

__all__ = ["Answer", "FAQBot", "Quote", "SourceRef"]


class FAQBot:
    """Answers questions from one checked knowledge base. Read-only after construction: safe to share."""

    def __init__(self, knowledge: Knowledge, on_unanswered: Callable[[str], None] | None = None) -> None:
        with paused_gc():
            self.knowledge = knowledge
            self.config: BotConfig = knowledge.bot
            self.passages: tuple[Passage, ...] = knowledge.passages
            self.on_unanswered = on_unanswered
            cfg = knowledge.bot.retrieval
            self.analyzer = Analyzer(stemming=cfg.stemming, synonyms=knowledge.synonyms)
            self.corpus = Corpus(knowledge, self.analyzer)
            self.index = BM25Index(self.corpus.tokens(), k1=cfg.k1, b=cfg.b, epsilon=cfg.epsilon)
            self.retriever = Retriever(self.corpus, self.index, self.analyzer, cfg.max_passages + cfg.related + 2,
                                       knowledge.passage_model)
            self.triage = Triage(knowledge.safety, knowledge.triage_model, self.config.languages[0])
            self.passages_by_id = {p.id: p for p in self.passages}
            self._doc_of = {d.passage.id: d for d in self.corpus.docs if d.passage is not None}
            self._sources = {sid: SourceRef(sid, s.title) for sid, s in knowledge.sources.items()}
            self._texts = _Texts(self.config, knowledge)

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
        decision, verdict = self._decide(text)
        return self.compose(text, decision, verdict)

    def retrieve(self, text: str) -> Retrieved:
        """BM25 retrieval and abstention features for already-normalised `text`."""
        return self.retriever.retrieve(text, self.config.abstention)

    def decide(self, text: str) -> Decision:
        """The decision for already-normalised `text`, without composing a reply (for eval and calibration)."""
        return self._decide(text)[0]

    def _decide(self, text: str) -> tuple[Decision, Verdict | None]:
        verdict = self.triage.assess(text) if text else None  # whole text, before the length limit
        language_ok = verdict is None or verdict.language in self.config.languages
        pre_empts = verdict if verdict is not None and verdict.kind != "none" else None
        return decide(text, pre_empts, self.config, self.retrieve, language_ok), verdict

    # ------------------------------------------------------------------ composing

    def compose(self, text: str, decision: Decision, verdict: Verdict | None = None) -> Answer:
        """The reply for `decision`: its message, quotes and related questions, and the disclaimer."""
        lang = verdict.language if verdict is not None else "en"
        texts = self._texts
        found = decision.found
        quotes: tuple[Quote, ...] = ()
        related: tuple[str, ...] = ()
        if decision.kind == Kind.CRISIS:
            message = texts.crisis(lang)
        elif decision.kind == Kind.ANSWER:
            assert found is not None
            chosen = self._with_warnings(self._choose(found.ranked), found.ranked)
            quotes = tuple(self._quote(r) for r in chosen)
            related = self._related(found.ranked, skip={r.doc.index for r in chosen}, asked=text)
            message = texts.message("answer", lang)
        elif decision.reason == Reason.NO_MATCH:
            if self.on_unanswered is not None:
                self.on_unanswered(text)
            message = texts.message("no_match", lang)
            # "Did you mean…" only for a weak match: after a not-covered topic the nearest passages would lead
            # straight back to what was just referred.
            near = found is not None and decision.not_covered is None
            related = (self._related(found.ranked, skip=set(), asked=text) if near and found else ()) \
                or texts.examples
        elif decision.reason == Reason.EMPTY:
            message, related = texts.message("empty", lang), texts.examples
        elif decision.reason in (Reason.TOO_LONG, Reason.LANGUAGE):
            message = texts.message(decision.reason.value, lang)
        else:
            message = texts.referral(decision.reason.value, lang)
        return Answer(text, decision.kind, decision.reason, message, quotes, related,
                      texts.disclaimer(decision.kind, lang), decision.confidence,
                      decision.not_covered.id if decision.not_covered else "", decision.rule.value, lang)

    def _choose(self, ranked: tuple[Ranked, ...]) -> list[Ranked]:
        """The top passage, plus up to two more that score close to it and are not near-repeats of it."""
        cfg = self.config.retrieval
        top = ranked[0]
        chosen = [top]
        for r in ranked[1:]:
            if len(chosen) >= cfg.max_passages or r.score < cfg.close_ratio * top.score:
                break
            if r.doc.passage is None:
                continue  # not covered: never quoted
            if all(self.corpus.overlap(r.doc.index, c.doc.index) < REPEAT_OVERLAP for c in chosen):
                chosen.append(r)
        return chosen

    def _with_warnings(self, chosen: list[Ranked], ranked: tuple[Ranked, ...]) -> list[Ranked]:
        """`chosen` plus the warning passages its passages name (`warn_with`): both sides, verbatim."""
        have = {r.doc.index for r in chosen}
        scores = {r.doc.index: r.score for r in ranked}
        out = list(chosen)
        for r in chosen:
            assert r.doc.passage is not None
            for wid in r.doc.passage.warn_with:
                doc = self._doc_of[wid]
                if doc.index not in have:
                    have.add(doc.index)
                    out.append(Ranked(doc, scores.get(doc.index, 0.0)))
        return out

    def _related(self, ranked: tuple[Ranked, ...], skip: set[int], asked: str) -> tuple[str, ...]:
        """First questions of the next-best passages that still share a good part of the top score.

        A passage's first question that repeats what was just asked is passed over for its second.
        """
        out: list[str] = []
        same = question_key(asked)
        floor = RELATED_SHARE * ranked[0].score if ranked else 0.0
        for r in ranked:
            if r.doc.index in skip or r.doc.passage is None:
                continue
            if r.score < floor:
                break
            keys = self.corpus.question_keys(r.doc.index)
            q = next((x for x, key in zip(r.doc.questions, keys, strict=True) if key != same), "")
            if q and q not in out:
                out.append(q)
            if len(out) >= self.config.retrieval.related:
                break
        return tuple(out)

    def _quote(self, r: Ranked) -> Quote:
        p = r.doc.passage
        assert p is not None
        return Quote(p.id, p.text, self._sources[p.source], r.score)


class _Texts:
    """What the bot says besides quotes, placeholders filled, in the patient's language where it has one."""

    def __init__(self, config: BotConfig, knowledge: Knowledge) -> None:
        fill = {"clinic_name": config.clinic_name, "clinic_contact": config.clinic_contact,
                "max_chars": str(config.max_question_chars)}
        self.config = config
        self.examples = config.examples[: config.retrieval.related]
        self._messages = {k: v.format_map(fill) for k, v in config.messages.items()}
        self._referrals = {r.reason: r.message.format_map(fill) for r in knowledge.safety.referrals}
        self._crisis = _crisis_text(config.crisis_message.format_map(fill), config.crisis_resources)
        self._tr_messages = {lang: {k: v.format_map(fill) for k, v in t.messages.items()}
                             for lang, t in config.translations.items()}
        self._tr_referrals = {lang: {k: v.format_map(fill) for k, v in t.referrals.items()}
                              for lang, t in config.translations.items()}
        self._tr_crisis = {lang: _crisis_text(t.crisis_message.format_map(fill), t.crisis_resources)
                           for lang, t in config.translations.items() if t.crisis_message}

    def message(self, key: str, lang: str) -> str:
        return self._tr_messages.get(lang, {}).get(key) or self._messages[key]

    def referral(self, reason: str, lang: str) -> str:
        return self._tr_referrals.get(lang, {}).get(reason) or self._referrals[reason]

    def crisis(self, lang: str) -> str:
        return self._tr_crisis.get(lang) or self._crisis

    def disclaimer(self, kind: Kind, lang: str) -> str:
        t = self.config.translations.get(lang)
        return (t.disclaimers.get(kind.value) if t else None) or self.config.disclaimers[kind.value]


def _crisis_text(message: str, resources: tuple[Any, ...]) -> str:
    """The crisis message as text: the message, then one line per resource (the web renders the links)."""
    return message + "\n" + "\n".join(f"- {r.name}: {r.contact}" for r in resources)


def _as_text(question: Any) -> str:
    """Accept what callers actually send: str, bytes in any encoding, None or other objects."""
    if isinstance(question, str):
        return question
    if question is None:
        return ""
    if isinstance(question, (bytes, bytearray, memoryview)):
        return bytes(question).decode("utf-8", "replace")
    return str(question)
