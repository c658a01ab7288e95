"""`faqbot check` as a library call: load a knowledge base, build the bot, and find what loading cannot.

Loading (faqbot.knowledge) reports every fault of a single file. What needs the whole bot is checked here:
a curated question on the wrong side of the line between passages and not-covered entries (an error), and
a curated question that triage refers or calls a crisis, so that its passage never answers it (a note),
and a passage classifier fitted before the latest curation edit (a note).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .bot import FAQBot
from .errors import KnowledgeError, Problem
from .knowledge import load_knowledge
from .passage_model import MODEL, documents, documents_digest
from .questionset import load_question_set
from .records import Kind, Knowledge
from .text import normalize
from .triage_features import normalize as triage_text
from .triage_fit import labelled_texts, load_corpus


@dataclass(frozen=True)
class CheckReport:
    """A knowledge base that passed every check, and what it holds."""

    knowledge: Knowledge
    dev_questions: int
    notes: tuple[Problem, ...] = ()  # worth a look, not wrong: see `preempted_questions`

    def summary(self) -> str:
        kb = self.knowledge
        gaps = sum(1 for t in kb.topics if t.gap)
        return (f"{len(kb.passages)} passages from {len(kb.sources)} sources, {len(kb.not_covered)} not-covered "
                f"topics, {len(kb.safety.referrals)} referral categories, {self.dev_questions} dev questions"
                + (f", {len(kb.topics)} topics ({gaps} with a recorded gap)" if kb.topics else ""))


def check(root: str | os.PathLike[str] | None = None) -> CheckReport:
    """Check the knowledge base at `root` completely. Raises KnowledgeError listing every problem."""
    kb = load_knowledge(root)
    dev = load_question_set(kb.dev_set, kb) if kb.dev_set.exists() else []
    bot = FAQBot(kb)  # builds the index and compiles the rules: what the server does at start
    problems = shadowed_questions(bot)
    if problems:
        raise KnowledgeError(problems)
    return CheckReport(kb, len(dev), (*stale_classifier(kb), *preempted_questions(bot)))


def stale_classifier(kb: Knowledge) -> list[Problem]:
    """A note when the passages or not-covered entries changed since `faqbot calibrate` fitted the passage
    classifier: it still applies (a passage it never saw scores 0, so it is referred), but refitting it is
    what makes an edit count."""
    model = kb.passage_model
    if model is None or model.digest == documents_digest(documents(kb.passages, kb.not_covered)):
        return []
    return [Problem(MODEL, 1, "the passage classifier was fitted before the latest edit of passages or not-covered "
                    "entries (new questions do not count yet, and a passage it never saw is never quoted); run "
                    "`faqbot calibrate`")]


def preempted_questions(bot: FAQBot) -> list[Problem]:
    """Passage questions that triage refers or calls a crisis: their passage never answers them.

    A question the triage corpus labels (LABELS.md refers its kind, and it stays on a warning passage as the
    fallback) is meant to be pre-empted and is not reported. Any other is a false alarm of the classifier or
    a question of a kind LABELS.md refers, and the curator decides which.
    """
    if bot.knowledge.triage_model is None:
        return []
    labelled = labelled_texts(load_corpus(bot.knowledge.root, with_passages=False))
    notes: list[Problem] = []
    for p in bot.passages:
        for q in p.questions:
            verdict = bot.triage.check(normalize(q))
            if verdict is not None and triage_text(q) not in labelled:
                what = "a crisis" if verdict.kind == Kind.CRISIS else f"a '{verdict.reason}' referral"
                notes.append(Problem(p.file, p.line, f"passage '{p.id}': triage reads its question {q!r} as "
                                     f"{what}, so the passage never answers it. If LABELS.md gives it that label, "
                                     "list it in triage/corpus/b25-curated-referral-kinds.yaml; if not, reword it "
                                     "or add ordinary messages like it to the corpus and run `faqbot fit-triage`"))
    return notes


def shadowed_questions(bot: FAQBot) -> list[Problem]:
    """Questions on the wrong side of the line between passages and not-covered entries.

    A passage question that a not-covered entry matches best would be referred although the passage was
    written to answer it; a not-covered question that gets a quote would be answered with a passage
    about something else. Both are reported, so the curator rewords one of the two.
    """
    problems: list[Problem] = []
    for p in bot.passages:
        for q in p.questions:
            text = normalize(q)
            if bot.triage.check(text) is not None:
                continue
            top = bot.retrieve(text).top
            entry = top.doc.not_covered if top else None
            if entry is not None:
                problems.append(Problem(p.file, p.line, f"passage '{p.id}': its question {q!r} matches "
                                        f"not-covered entry '{entry.id}' ({entry.file}:{entry.line}) best; "
                                        "reword one of them"))
    for entry in bot.knowledge.not_covered:
        for q in entry.questions:
            reply = bot.ask(q)
            if reply.kind == Kind.ANSWER:
                passage = bot.passages_by_id[reply.passages[0].id]
                problems.append(Problem(entry.file, entry.line, f"not-covered entry '{entry.id}': its "
                                        f"question {q!r} is answered by passage '{passage.id}' ({passage.file}:"
                                        f"{passage.line}); reword it, or drop it if the passage does answer it"))
    return problems
