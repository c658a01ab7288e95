"""The one exception a caller needs to catch, and the problem records it carries.

A curator fixing a knowledge base wants every problem at once, each pointing at a file and line, so
loading collects `Problem`s and raises a single `KnowledgeError` holding all of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a knowledge base, located for a person with an editor."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class KnowledgeError(Exception):
    """A knowledge base that cannot be served; `problems` lists every reason, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid knowledge base")
