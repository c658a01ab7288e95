"""A reply and its JSON contract, defined once.

`Answer.to_dict()` is what the library, the CLI and the HTTP API all give; `AnswerJSON` (a TypedDict) is
its shape, which the web layer turns into the OpenAPI schema and the tests validate replies against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from typing_extensions import TypedDict  # pydantic (the web layer) reads the schema from it on Python 3.11

from .records import Kind, Reason

KindName = Literal["answer", "referral", "crisis"]
ReasonName = Literal["matched", "crisis", "no_match", "empty", "too_long", "language", "dose", "prescribing",
                     "no_prescription", "mixing", "pregnancy", "child", "recreational", "driving"]


class SourceJSON(TypedDict):
    id: str
    title: str


class PassageJSON(TypedDict):
    id: str
    text: str
    source: SourceJSON
    link: str  # the quote inside its source, relative to the server's root: "source/{source}?passage={id}#passage"
    score: float


class AnswerJSON(TypedDict):
    """One reply as JSON: exactly these keys, whatever was asked."""

    question: str
    kind: KindName
    reason: ReasonName
    message: str
    passages: list[PassageJSON]
    related: list[str]
    disclaimer: str


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
    kind: Kind
    reason: Reason
    message: str
    passages: tuple[Quote, ...]
    related: tuple[str, ...]
    disclaimer: str
    confidence: float = field(default=0.0, compare=False)  # abstention probability; not part of the JSON
    not_covered: str = field(default="", compare=False)  # the not-covered entry that matched; not in the JSON
    rule: str = field(default="", compare=False)  # the decision's gate that fired (faqbot.decision.Rule)
    language: str = field(default="", compare=False)  # the language the reply was written for

    def to_dict(self) -> AnswerJSON:
        return {
            "question": self.question,
            "kind": self.kind.value,
            "reason": self.reason.value,
            "message": self.message,
            "passages": [
                {"id": q.id, "text": q.text, "source": {"id": q.source.id, "title": q.source.title},
                 "link": passage_link(q.source.id, q.id), "score": round(q.score, 4)}
                for q in self.passages
            ],
            "related": list(self.related),
            "disclaimer": self.disclaimer,
        }


def passage_link(source_id: str, passage_id: str) -> str:
    """Where the web server shows a quote in its source, relative to its root (ids are URL-safe by the loader)."""
    return f"source/{source_id}?passage={passage_id}#passage"
