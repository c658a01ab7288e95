"""Reading labelled question sets (eval/*.yaml): questions with the reply each should get.

`faqbot eval` measures a bot on them and `faqbot calibrate` fits abstention on eval/dev.yaml.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import KnowledgeError
from .records import EXPECTS, Knowledge, LabelledQuestion, Reason
from .yamlfile import Reader, line_of, read_yaml


def load_question_set(path: str | os.PathLike[str], knowledge: Knowledge | None = None) -> list[LabelledQuestion]:
    """Read a labelled question set; with `knowledge`, passage ids and reasons are checked against it."""
    p = Path(path)
    rel = p.name if knowledge is None or not p.is_relative_to(knowledge.root) else str(p.relative_to(knowledge.root))
    doc = read_yaml(p, rel)
    problems = list(doc.problems)
    r = Reader(rel)
    ids = {x.id for x in knowledge.passages} if knowledge else None
    reasons = {x.reason for x in knowledge.safety.referrals} | {Reason.NO_MATCH, Reason.EMPTY, Reason.TOO_LONG,
                                                                 Reason.LANGUAGE} if knowledge else None
    out: list[LabelledQuestion] = []
    if doc.data is not None or not problems:
        for item, line in r.top_list(doc.data, "questions"):
            f = r.fields(item, "question", {"question": "str", "expect": "text"},
                         {"passages": "texts", "reason": "text"}, line=line)
            if not f or "expect" not in f or "question" not in f:
                continue
            if f["expect"] not in EXPECTS:
                r.error(line, f"expect must be one of {', '.join(EXPECTS)}, found '{f['expect']}'")
                continue
            if f["expect"] == "answer" and "passages" not in f:
                r.error(line, "an 'answer' question needs 'passages': the id(s) of passages that answer it "
                        "([] when the sources answer it but no curated passage does: any quote is then wrong)")
            if f["expect"] != "answer" and f.get("passages"):
                r.error(line, f"'passages' only goes with expect: answer (this one expects {f['expect']})")
            for pid in f.get("passages", []):
                if ids is not None and pid not in ids:
                    r.error(line_of(item, "passages", line), f"unknown passage '{pid}'")
            if "reason" in f and (f["expect"] != "referral" or (reasons is not None and f["reason"] not in reasons)):
                r.error(line_of(item, "reason", line), f"reason '{f['reason']}' needs expect: referral and one of "
                        f"{', '.join(sorted(reasons or []))}")
            out.append(LabelledQuestion(f["question"], f["expect"], tuple(f.get("passages", ())),
                                        f.get("reason", ""), line))
    problems += r.problems
    if problems:
        raise KnowledgeError(problems)
    return out
