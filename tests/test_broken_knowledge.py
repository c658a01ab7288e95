"""A corpus of broken knowledge bases: every realistic curator mistake is refused as `file:line: message`.

Each case copies the shipped knowledge base, applies one small mistake of the kind a curator makes in a text
editor, and returns the problems it must cause. Expected lines are computed from the edited text (never
hard-coded), and passages/sources are picked from the loaded base, so the corpus follows the base as it grows.

For every case: `load_knowledge` (or, for eval/dev.yaml, `load_question_set`) raises one KnowledgeError listing
exactly the expected problems (plus, where a case says so, knock-on problems matching `allow`); `python -m faqbot
check DIR` exits 1 and prints them as `file:line: message` lines without a traceback; and undoing the edit (copying
back the changed files) makes the base load again.

"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import KNOWLEDGE, ROOT

from faqbot.errors import KnowledgeError, Problem
from faqbot.knowledge import load_knowledge
from faqbot.questionset import load_question_set
from faqbot.records import Knowledge, Passage

IGNORE = shutil.ignore_patterns("*.sqlite3")
PROBLEM_LINE = re.compile(r"^[^:\n]+:\d+: \S.*$")


# ---------------------------------------------------------------- expected problems


@dataclass(frozen=True)
class Expect:
    """A problem that must be reported: this file, this line, a message matching `regex`."""

    file: str
    line: int
    regex: str

    def matches(self, p: Problem) -> bool:
        return p.file == self.file and p.line == self.line and re.search(self.regex, p.message) is not None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: /{self.regex}/"


def _check_problems(problems: list[Problem], expected: list[Expect], allow: str | None) -> None:
    """Every expected problem is there; anything else must be a knock-on that `allow` describes."""
    shown = "\n".join(map(str, problems))
    for e in expected:
        assert any(e.matches(p) for p in problems), f"missing problem {e}\nreported:\n{shown}"
    for p in problems:
        if any(e.matches(p) for e in expected):
            continue
        assert allow is not None and re.search(allow, p.message), f"unexpected problem {p}\nreported:\n{shown}"


# ---------------------------------------------------------------- editing a copy


class Base:
    """A writable copy of the knowledge base with line-aware edits; `kb` is the shipped base, loaded."""

    def __init__(self, root: Path, kb: Knowledge) -> None:
        self.root = root
        self.kb = kb
        counts = Counter(p.source for p in kb.passages)
        # One passage per passages file whose source is also quoted elsewhere, so removing it or breaking it
        # causes no "source has no passages" knock-on.
        picks: dict[str, Passage] = {}
        for p in kb.passages:
            if counts[p.source] >= 2 and p.file not in picks:
                picks[p.file] = p
        self.picks = [picks[f] for f in sorted(picks)]
        assert len(self.picks) >= 3, "the corpus needs passages in at least 3 files"

    def p(self, i: int) -> Passage:
        return self.picks[i]

    # -- files

    def read(self, rel: str) -> str:
        return (self.root / rel).read_bytes().decode("utf-8")

    def write(self, rel: str, text: str) -> None:
        (self.root / rel).write_bytes(text.encode("utf-8"))

    def replace_bytes(self, rel: str, old: bytes, new: bytes) -> None:
        raw = (self.root / rel).read_bytes()
        assert old in raw, (rel, old)
        (self.root / rel).write_bytes(raw.replace(old, new, 1))

    # -- edits

    def sub(self, rel: str, pattern: str, repl: str | Callable[[re.Match[str]], str], start: int = 1,
            end: int | None = None) -> int:
        """Replace the first match of `pattern` (multiline) between lines `start` and `end` (exclusive).

        Returns the line where the match started, which is the line the replacement starts on.
        """
        text = self.read(rel)
        lo = _offset(text, start)
        hi = _offset(text, end) if end is not None else len(text)
        m = re.compile(pattern, re.M).search(text, lo, hi)
        assert m is not None, f"{pattern!r} not found in {rel} lines {start}..{end}"
        new = repl(m) if callable(repl) else repl
        self.write(rel, text[: m.start()] + new + text[m.end():])
        return text[: m.start()].count("\n") + 1

    def line(self, rel: str, pattern: str, start: int = 1, end: int | None = None) -> int:
        """The line of the first match of `pattern` between those lines, in the current text."""
        text = self.read(rel)
        hi = _offset(text, end) if end is not None else len(text)
        m = re.compile(pattern, re.M).search(text, _offset(text, start), hi)
        assert m is not None, f"{pattern!r} not found in {rel} lines {start}..{end}"
        return text[: m.start()].count("\n") + 1

    def block(self, p: Passage) -> tuple[int, int]:
        """The lines [first, end) of passage `p` in its file: from its `- id:` to the next item or EOF."""
        lines = self.read(p.file).split("\n")
        end = next((i + 1 for i in range(p.line, len(lines)) if lines[i].startswith("  - ")), len(lines) + 1)
        return p.line, end

    def sub_in(self, p: Passage, pattern: str, repl: str | Callable[[re.Match[str]], str]) -> int:
        return self.sub(p.file, pattern, repl, *self.block(p))

    def line_in(self, p: Passage, pattern: str) -> int:
        return self.line(p.file, pattern, *self.block(p))

    # -- sources.yaml

    def source_item(self, sid: str) -> int:
        return self.line("sources.yaml", rf"^  - id: {re.escape(sid)}\s*$")

    def source_key(self, sid: str, key: str) -> int:
        start = self.source_item(sid)
        return self.line("sources.yaml", rf"^    {key}:", start)

    def source_file(self, sid: str) -> str:
        return self.kb.sources[sid].file


def _offset(text: str, line: int) -> int:
    """Character offset of the start of 1-based `line` (len(text) past the end)."""
    if line <= 1:
        return 0
    at = 0
    for _ in range(line - 1):
        at = text.find("\n", at)
        if at < 0:
            return len(text)
        at += 1
    return at


# ---------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Case:
    """One curator mistake. `apply` edits the copy and returns the problems it must cause."""

    apply: Callable[[Base], list[Expect]]
    allow: str | None = None  # knock-on problems that may also (correctly) be reported
    dev: bool = False  # the mistake is in eval/dev.yaml, which `faqbot check` reads with load_question_set


def _first_question(b: Base, p: Passage) -> int:
    return b.line_in(p, r"^      - ")


# -- YAML syntax


def yaml_unclosed_quote(b: Base) -> list[Expect]:
    p = b.picks[-1]  # the last pick: nothing after it may close the quote by accident
    line = _first_question(b, p)
    assert '"' not in b.read(p.file)
    b.sub(p.file, r"^      - ", '      - "', line, line + 1)
    return [Expect(p.file, line, r"(?i)quot|unclosed|unterminated|scalar")]


def yaml_apostrophe_in_single_quotes(b: Base) -> list[Expect]:
    p = b.p(0)
    line = b.sub_in(p, r"^      - .*$", "      - 'what's the first session like'")
    return [Expect(p.file, line, r"^YAML syntax error: ")]


def yaml_bad_indentation(b: Base) -> list[Expect]:
    p = b.p(0)
    line = b.sub_in(p, r"^    source:", "     source:")
    return [Expect(p.file, line, r"^YAML syntax error: ")]


def yaml_tab_indentation(b: Base) -> list[Expect]:
    p = b.p(1)
    line = b.sub_in(p, r"^    topics:", "\ttopics:")
    return [Expect(p.file, line, r"^YAML syntax error: .*tab")]


def yaml_duplicate_key(b: Base) -> list[Expect]:
    p = b.p(0)
    first = b.line_in(p, r"^    topics:")
    b.sub(p.file, r"^    topics: .*\n", lambda m: m.group() + "    topics: [side-effects]\n", first, first + 1)
    return [Expect(p.file, first + 1, rf"duplicate key 'topics' \(first at line {first}\)")]


def yaml_colon_in_question(b: Base) -> list[Expect]:
    # `- Telehealth: is it safe` is valid YAML, but a mapping, not a question.
    p = b.p(0)
    line = b.sub_in(p, r"^      - .*$", "      - Telehealth: is ketamine safe at home")
    return [Expect(p.file, line, r"(?i)questions.*(mapping|quot|colon|': ')")]


def yaml_missing_top_key(b: Base) -> list[Expect]:
    p = b.p(0)
    b.sub(p.file, r"^passages:\n", "")
    return [Expect(p.file, b.line(p.file, r"^  - "), r"top level: expected a mapping with keys passages, found a list")]


# -- wrong types


def type_questions_as_text(b: Base) -> list[Expect]:
    p = b.p(0)
    line = b.sub_in(p, r"^    questions:\n(?:      - .*\n)+", "    questions: what is ketamine used for?\n")
    return [Expect(p.file, line, r"'questions' must be a list of non-empty texts, found text")]


def type_topics_as_mapping(b: Base) -> list[Expect]:
    p = b.p(0)
    line = b.sub_in(p, r"^    topics: \[([^,\]]+).*\]$", lambda m: f"    topics: {{{m.group(1)}: true}}")
    return [Expect(p.file, line, r"'topics' must be a list of non-empty texts, found a mapping")]


def type_k1_as_text(b: Base) -> list[Expect]:
    line = b.sub("bot.yaml", r"^  k1: [0-9.]+", "  k1: high")
    return [Expect("bot.yaml", line, r"retrieval: 'k1' must be a number, found text")]


def type_passage_not_a_mapping(b: Base) -> list[Expect]:
    p = b.p(1)
    line = b.sub(p.file, r"^passages:\n", "passages:\n  - what is ketamine used for?\n") + 1
    return [Expect(p.file, line, r"passage: expected a mapping with keys id, source, quote, questions, topics, "
                   r"found text")]


# -- missing fields, typos in keys


def missing_source_field(b: Base) -> list[Expect]:
    p = b.p(0)
    b.sub_in(p, r"^    source: .*\n", "")
    return [Expect(p.file, p.line, r"missing 'source' \(non-empty text\)")]


def missing_disclaimer(b: Base) -> list[Expect]:
    b.sub("bot.yaml", r"^disclaimers:.*\n(?:  .*\n)*", "")
    top = b.line("bot.yaml", r"^[a-z]")
    return [Expect("bot.yaml", top, r"missing 'disclaimers'")]


def _typo_key(key: str, typo: str) -> Callable[[Base], list[Expect]]:
    def apply(b: Base) -> list[Expect]:
        p = b.p(1)
        line = b.sub_in(p, rf"^    {key}:", f"    {typo}:")
        shown = typo.strip('"')
        return [Expect(p.file, p.line, rf"missing '{key}'"),
                Expect(p.file, line, rf"unknown key '{re.escape(shown)}' \(did you mean '{key}'\?\)")]
    return apply


def missing_sha256(b: Base) -> list[Expect]:
    sid = b.p(0).source
    line = b.source_key(sid, "sha256")
    b.sub("sources.yaml", r"^    sha256: .*\n", "", line, line + 1)
    digest = b.kb.sources[sid].sha256
    return [Expect("sources.yaml", b.source_item(sid), rf"missing 'sha256'.*add: sha256: {digest}")]


# -- references between files


def unknown_source_id(b: Base) -> list[Expect]:
    p = b.p(0)
    wrong = p.source[:-1]
    assert wrong not in b.kb.sources
    line = b.sub_in(p, r"^    source: .*$", f"    source: {wrong}")
    return [Expect(p.file, line, rf"passage '{p.id}': unknown source '{wrong}' \(not in sources.yaml\)")]


def unknown_topic(b: Base) -> list[Expect]:
    p = b.p(2)
    wrong = p.topics[0] + "s"
    assert wrong not in {t.id for t in b.kb.topics}
    line = b.sub_in(p, r"^    topics: \[(.*)\]$", lambda m: f"    topics: [{m.group(1)}, {wrong}]")
    return [Expect(p.file, line, rf"unknown topic '{wrong}' \(see curation.yaml\)")]


def duplicate_id_across_files(b: Base) -> list[Expect]:
    first, second = b.p(0), b.p(1)  # in different files, sorted: `first`'s file is read first
    line = b.sub_in(second, r"^  - id: .*$", f"  - id: {first.id}")
    return [Expect(second.file, line, rf"passage '{first.id}': duplicate id \(first at "
                   rf"{re.escape(first.file)}:{first.line}\)")]


def bad_passage_id(b: Base) -> list[Expect]:
    p = b.p(0)
    wrong = p.id.replace("-", " ").title().replace(" ", "-")
    line = b.sub_in(p, r"^  - id: .*$", f"  - id: {wrong}")
    return [Expect(p.file, line, r"id must be lowercase letters, digits, '-' or '_'")]


def dev_unknown_passage(b: Base) -> list[Expect]:
    rel = "eval/dev.yaml"
    ids = {p.id for p in b.kb.passages}
    found: list[str] = []

    def typo(m: re.Match[str]) -> str:
        pid = m.group(1)
        wrong = pid[: len(pid) // 2] + pid[len(pid) // 2 + 1:]  # one letter dropped
        assert wrong not in ids
        found.append(wrong)
        return m.group().replace(pid, wrong, 1)

    line = b.sub(rel, r"^    passages: \[([a-z0-9_-]+)", typo)
    return [Expect(rel, line, rf"unknown passage '{found[0]}'")]


# -- passages: content


def empty_questions(b: Base) -> list[Expect]:
    p = b.p(2)
    line = b.sub_in(p, r"^    questions:\n(?:      - .*\n)+", "    questions: []\n")
    return [Expect(p.file, line, rf"passage '{p.id}': 'questions' is empty")]


def _quote_word_changed(mangle: Callable[[str], str]) -> Callable[[Base], list[Expect]]:
    """One word of a quote changed by `mangle`; the message must name the word where it departs."""

    def apply(b: Base) -> list[Expect]:
        p = b.p(0)
        first = b.line_in(p, r"^    quote:")
        changed: list[str] = []

        def change(m: re.Match[str]) -> str:
            word = re.findall(r"\b[A-Za-z]{6,}\b", m.group())[1]  # a long word, not the quote's first
            changed.append(mangle(word))
            return re.sub(rf"\b{word}\b", changed[0], m.group(), count=1)

        b.sub(p.file, r"^      \S.*$", change, first + 1, first + 2)
        return [Expect(p.file, first, rf"passage '{p.id}': quote not found in source '{p.source}' \(quotes must be "
                       rf"verbatim; only whitespace may differ\); it matches up to .* then differs at '{changed[0]}")]

    return apply


def _swap_letters(word: str) -> str:
    return word[0] + word[2] + word[1] + word[3:]  # a typo: "widely" -> "wdiely"


def _drop_last_letter(word: str) -> str:
    return word[:-1]  # "widely" -> "widel"


def quote_with_excluded_phrase(b: Base) -> list[Expect]:
    kb = b.kb
    for ex in kb.excluded_phrases:
        for src in kb.sources.values():
            at = src.text.find(ex.phrase)
            if src.excluded or at < 0:
                continue
            quote = " ".join(src.text[at:].split("\n", 1)[0].split()[:12])  # verbatim: the phrase and what follows
            p = b.p(0)
            text = b.read(p.file)
            b.write(p.file, text.rstrip("\n") + "\n\n  - id: added-with-excluded-phrase\n"
                    f"    source: {src.id}\n    quote: >-\n      {quote}\n"
                    f"    questions:\n      - is that true?\n    topics: [{p.topics[0]}]\n")
            line = b.line(p.file, r"^    quote:", text.count("\n") + 1)
            return [Expect(p.file, line, rf"quote contains excluded phrase '{re.escape(x.phrase)}'")
                    for x in kb.excluded_phrases if x.phrase.lower() in quote.lower()]
    raise AssertionError("no excluded phrase occurs in a quotable source")


# -- empty knowledge base


def no_passages(b: Base) -> list[Expect]:
    for path in (b.root / "passages").glob("*.y*ml"):
        path.write_text("passages: []\n", encoding="utf-8")
    return [Expect("passages/", 1, r"the knowledge base has no passages")]


def empty_passages_file(b: Base) -> list[Expect]:
    p = b.p(0)
    b.write(p.file, "")
    return [Expect(p.file, 1, r"file is empty: expected a top-level 'passages:' list")]


def no_passage_files(b: Base) -> list[Expect]:
    for path in (b.root / "passages").glob("*.y*ml"):
        path.unlink()
    return [Expect("passages/", 1, r"no passage files")]


# -- encodings


def passages_not_utf8(b: Base) -> list[Expect]:
    p = b.p(1)
    # A question pasted from a word processor and saved as Windows-1252: curly quotes become bytes 0x93/0x94.
    line = b.sub_in(p, r"^      - .*$", lambda m: m.group() + " \ue000like a trip\ue001")
    b.replace_bytes(p.file, "\ue000".encode(), b"\x93")
    b.replace_bytes(p.file, "\ue001".encode(), b"\x94")
    return [Expect(p.file, line, r"not valid UTF-8 \(byte 0x93\); save the file as UTF-8")]


def passages_utf16(b: Base) -> list[Expect]:
    p = b.p(2)
    (b.root / p.file).write_bytes(b.read(p.file).encode("utf-16"))  # "Unicode" in an old Windows editor
    return [Expect(p.file, 1, r"not valid UTF-8 \(byte 0xff\)")]


def source_not_utf8(b: Base) -> list[Expect]:
    sid = b.p(0).source
    rel = f"sources/{b.source_file(sid)}"
    raw = (b.root / rel).read_bytes()
    at = raw.index(b" ", raw.index(b"\n"))
    raw = raw[:at] + b"\xa0" + raw[at + 1:]  # a Latin-1 non-breaking space
    (b.root / rel).write_bytes(raw)
    # The curator re-hashed the file, so the only mistake left is its encoding.
    b.sub("sources.yaml", r"^    sha256: .*$", f"    sha256: {hashlib.sha256(raw).hexdigest()}",
          b.source_key(sid, "sha256"))
    return [Expect("sources.yaml", b.source_key(sid, "file"),
                   rf"source '{sid}': {re.escape(rel)} is not valid UTF-8 \(byte offset {at}\)")]


# -- source files


def source_file_missing(b: Base) -> list[Expect]:
    sid = b.p(0).source
    (b.root / "sources" / b.source_file(sid)).unlink()
    return [Expect("sources.yaml", b.source_key(sid, "file"),
                   rf"source '{sid}': source file 'sources/{re.escape(b.source_file(sid))}' not found")]


def source_file_empty(b: Base) -> list[Expect]:
    sid = b.p(0).source
    rel = f"sources/{b.source_file(sid)}"
    (b.root / rel).write_bytes(b"\n")
    digest = hashlib.sha256(b"\n").hexdigest()
    b.sub("sources.yaml", r"^    sha256: .*$", f"    sha256: {digest}", b.source_key(sid, "sha256"))
    return [Expect("sources.yaml", b.source_key(sid, "file"), rf"{re.escape(rel)} is empty")]


def source_file_outside(b: Base) -> list[Expect]:
    sid = b.p(0).source
    line = b.sub("sources.yaml", r"^    file: .*$", "    file: ../bot.yaml", b.source_item(sid))
    return [Expect("sources.yaml", line, r"file '\.\./bot\.yaml' must be inside sources/")]


def source_changed_after_curation(b: Base) -> list[Expect]:
    sid = b.p(1).source
    path = b.root / "sources" / b.source_file(sid)
    raw = path.read_bytes() + b"\nUpdated: ask us about our new membership prices.\n"
    path.write_bytes(raw)
    return [Expect("sources.yaml", b.source_key(sid, "sha256"),
                   rf"sources/{re.escape(b.source_file(sid))} changed since it was curated "
                   rf"\(sha256 is {hashlib.sha256(raw).hexdigest()}\)")]


def excluded_source_quoted(b: Base) -> list[Expect]:
    sid = b.p(0).source
    b.sub("sources.yaml", r"^    file: .*\n", lambda m: m.group() + "    excluded: true\n", b.source_item(sid))
    return [Expect("sources.yaml", b.source_item(sid), rf"source '{sid}' is marked excluded but passages quote it")]


# -- bot.yaml and safety.yaml


def unknown_placeholder(b: Base) -> list[Expect]:
    line = b.line("bot.yaml", r"^  no_match:")
    b.sub("bot.yaml", r"\{clinic_name\}", "{clinic}", line)
    return [Expect("bot.yaml", line, r"messages\.no_match: unknown placeholder '\{clinic\}'")]


def placeholder_unbalanced_brace(b: Base) -> list[Expect]:
    line = b.line("bot.yaml", r"^  no_match:")
    b.sub("bot.yaml", r"\{clinic_contact\}", "{clinic_contact", line)
    return [Expect("bot.yaml", line, r"messages\.no_match")]


def placeholder_not_a_name(b: Base) -> list[Expect]:
    line = b.line("bot.yaml", r"^  no_match:")
    b.sub("bot.yaml", r"\{clinic_contact\}", "{clinic_contact} {Mon-Fri 9-5}", line)
    return [Expect("bot.yaml", line, r"messages\.no_match")]


def crisis_resources_empty(b: Base) -> list[Expect]:
    line = b.sub("bot.yaml", r"^  resources:\n(?:    .*\n)+", "  resources: []\n")
    return [Expect("bot.yaml", line, r"crisis: 'resources' must list at least one resource")]


def crisis_resources_missing(b: Base) -> list[Expect]:
    b.sub("bot.yaml", r"^  resources:\n(?:    .*\n)+", "")
    return [Expect("bot.yaml", b.line("bot.yaml", r"^crisis:"), r"crisis: missing 'resources'")]


def invalid_regex(b: Base) -> list[Expect]:
    line = b.sub("safety.yaml", r"^ignore:\n", lambda m: m.group() + "  - \\bgoing (crazy|nuts\n") + 1
    return [Expect("safety.yaml", line, r"ignore: invalid pattern .*missing \), unterminated subpattern")]


def regex_inline_flag(b: Base) -> list[Expect]:
    # `(?i)` compiles alone, but triage joins the patterns into one alternation, where it is an error.
    line = b.sub("safety.yaml", r"^ignore:\n", lambda m: m.group() + "  - (?i)\\bbored to death\\b\n") + 1
    return [Expect("safety.yaml", line, r"ignore: invalid pattern '\(\?i\).*global flags")]


def crlf_and_typo(b: Base) -> list[Expect]:
    p = b.p(2)
    line = b.sub_in(p, r"^    topics:", "    topcs:")
    (b.root / p.file).write_bytes(b.read(p.file).replace("\n", "\r\n").encode("utf-8"))  # saved on Windows
    return [Expect(p.file, p.line, r"missing 'topics'"),
            Expect(p.file, line, r"unknown key 'topcs' \(did you mean 'topics'\?\)")]


# -- not_covered.yaml

NC = "not_covered.yaml"


def _nc_ids(b: Base) -> list[tuple[str, int]]:
    return [(m.group(1), b.read(NC)[: m.start()].count("\n") + 1)
            for m in re.finditer(r"^  - id: (\S+)\s*$", b.read(NC), re.M)]


def nc_duplicate_id(b: Base) -> list[Expect]:
    (first, first_line), (_, second_line) = _nc_ids(b)[:2]
    b.sub(NC, r"^  - id: \S+", f"  - id: {first}", second_line, second_line + 1)
    return [Expect(NC, second_line, rf"not-covered entry '{re.escape(first)}': duplicate id \(first at line "
                   rf"{first_line}\)")]


def nc_id_is_a_passage_id(b: Base) -> list[Expect]:
    _, line = _nc_ids(b)[0]
    p = b.p(0)
    b.sub(NC, r"^  - id: \S+", f"  - id: {p.id}", line, line + 1)
    return [Expect(NC, line, rf"'{re.escape(p.id)}': id is also a passage's id \({re.escape(p.file)}:")]


def nc_empty_questions(b: Base) -> list[Expect]:
    _, line = _nc_ids(b)[1]
    end = _nc_ids(b)[2][1]
    b.sub(NC, r"^    questions:\n(      - .*\n)+", "    questions: []\n", line, end)
    at = b.line(NC, r"^    questions: \[\]", line, end)
    return [Expect(NC, at, r"'questions' is empty")]


def nc_why_misspelt(b: Base) -> list[Expect]:
    _, line = _nc_ids(b)[0]
    at = b.sub(NC, r"^    why:", "    whyy:", line)
    return [Expect(NC, line, r"missing 'why'"), Expect(NC, at, r"unknown key 'whyy' \(did you mean 'why'\?\)")]


NO_PASSAGES = r"^source '[^']+' has no passages"

CASES = [
    pytest.param(Case(yaml_unclosed_quote), id="yaml-unclosed-quote"),
    pytest.param(Case(yaml_apostrophe_in_single_quotes), id="yaml-apostrophe-in-single-quotes"),
    pytest.param(Case(yaml_bad_indentation), id="yaml-bad-indentation"),
    pytest.param(Case(yaml_tab_indentation), id="yaml-tab-indentation"),
    pytest.param(Case(yaml_duplicate_key), id="yaml-duplicate-key"),
    pytest.param(Case(yaml_colon_in_question), id="yaml-colon-in-question"),
    pytest.param(Case(yaml_missing_top_key), id="yaml-missing-passages-header"),
    pytest.param(Case(type_questions_as_text), id="type-questions-as-text"),
    pytest.param(Case(type_topics_as_mapping), id="type-topics-as-mapping"),
    pytest.param(Case(type_k1_as_text), id="type-k1-as-text"),
    pytest.param(Case(type_passage_not_a_mapping), id="type-passage-not-a-mapping"),
    pytest.param(Case(missing_source_field), id="missing-field-source"),
    pytest.param(Case(missing_disclaimer), id="missing-field-disclaimer"),
    pytest.param(Case(missing_sha256), id="missing-field-sha256"),
    pytest.param(Case(_typo_key("questions", "qestions")), id="typo-key-qestions"),
    pytest.param(Case(_typo_key("quote", '"quote "')), id="typo-key-quote-trailing-space"),
    pytest.param(Case(_typo_key("quote", "Quote")), id="typo-key-Quote"),
    pytest.param(Case(_typo_key("topics", "topic")), id="typo-key-topic"),
    pytest.param(Case(crlf_and_typo), id="typo-key-in-crlf-file"),
    pytest.param(Case(unknown_source_id), id="unknown-source-id"),
    pytest.param(Case(unknown_topic), id="unknown-topic"),
    pytest.param(Case(duplicate_id_across_files), id="duplicate-id-across-files"),
    pytest.param(Case(bad_passage_id), id="bad-passage-id"),
    pytest.param(Case(dev_unknown_passage, dev=True), id="dev-unknown-passage-id"),
    pytest.param(Case(empty_questions), id="empty-questions"),
    pytest.param(Case(_quote_word_changed(_swap_letters)), id="quote-not-in-source"),
    pytest.param(Case(_quote_word_changed(_drop_last_letter)), id="quote-not-in-source-word-truncated"),
    pytest.param(Case(quote_with_excluded_phrase), id="quote-with-excluded-phrase"),
    pytest.param(Case(no_passages, allow=NO_PASSAGES), id="empty-kb-no-passages"),
    pytest.param(Case(empty_passages_file, allow=NO_PASSAGES), id="empty-passages-file"),
    pytest.param(Case(no_passage_files), id="empty-kb-no-passage-files"),
    pytest.param(Case(passages_not_utf8), id="passages-not-utf8"),
    pytest.param(Case(passages_utf16), id="passages-utf16"),
    pytest.param(Case(source_not_utf8), id="source-not-utf8"),
    pytest.param(Case(source_file_missing), id="source-file-missing"),
    pytest.param(Case(source_file_empty), id="source-file-empty"),
    pytest.param(Case(source_file_outside), id="source-file-outside-sources"),
    pytest.param(Case(source_changed_after_curation), id="source-changed-after-curation"),
    pytest.param(Case(excluded_source_quoted), id="source-excluded-but-quoted"),
    pytest.param(Case(unknown_placeholder), id="bot-unknown-placeholder"),
    pytest.param(Case(placeholder_unbalanced_brace), id="bot-placeholder-unbalanced-brace"),
    pytest.param(Case(placeholder_not_a_name), id="bot-placeholder-not-a-name"),
    pytest.param(Case(crisis_resources_empty), id="bot-crisis-resources-empty"),
    pytest.param(Case(crisis_resources_missing), id="bot-crisis-resources-missing"),
    pytest.param(Case(invalid_regex), id="safety-invalid-regex"),
    pytest.param(Case(regex_inline_flag), id="safety-regex-inline-flag"),
    pytest.param(Case(nc_duplicate_id), id="not-covered-duplicate-id"),
    pytest.param(Case(nc_id_is_a_passage_id), id="not-covered-id-is-a-passage-id"),
    pytest.param(Case(nc_empty_questions), id="not-covered-empty-questions"),
    pytest.param(Case(nc_why_misspelt), id="not-covered-why-misspelt"),
]

# ---------------------------------------------------------------- fixtures and runners


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Knowledge]:
    """One snapshot of the shipped base (others may be editing knowledge/), checked to load."""
    dest = tmp_path_factory.mktemp("pristine") / "knowledge"
    shutil.copytree(KNOWLEDGE, dest, ignore=IGNORE)
    try:
        kb = load_knowledge(dest)
        load_question_set(kb.dev_set, kb)
    except KnowledgeError as exc:
        pytest.fail(f"the shipped knowledge base does not load, so no broken copy can be judged:\n{exc}")
    return dest, kb


@pytest.fixture
def base(pristine: tuple[Path, Knowledge], tmp_path: Path) -> Base:
    dest = tmp_path / "knowledge"
    shutil.copytree(pristine[0], dest, ignore=IGNORE)
    return Base(dest, pristine[1])


@dataclass
class Prepared:
    """A case applied to its own copy, and `faqbot check` on it running in the background."""

    base: Base
    expected: list[Expect]
    cli: Future[subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def prepared(request: pytest.FixtureRequest, pristine: tuple[Path, Knowledge],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Case, Prepared | Exception]]:
    """Every selected case applied to its own copy up front, so the `faqbot check` runs overlap."""
    wanted = [item.callspec.params["case"] for item in request.session.items
              if getattr(item, "originalname", "") == "test_broken_base_is_refused"]
    root = tmp_path_factory.mktemp("broken")
    out: dict[Case, Prepared | Exception] = {}
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        for n, case in enumerate(wanted):
            dest = root / str(n) / "knowledge"
            shutil.copytree(pristine[0], dest, ignore=IGNORE)
            b = Base(dest, pristine[1])
            try:
                expected = case.apply(b)
            except Exception as exc:  # reported by the case's own test, not by every test
                out[case] = exc
                continue
            out[case] = Prepared(b, expected, pool.submit(_cli_check, dest))
        yield out


def _load(root: Path, dev: bool) -> None:
    """What `faqbot check` validates: the base, and eval/dev.yaml against it when the case is about that file."""
    kb = load_knowledge(root)
    if dev:
        load_question_set(kb.dev_set, kb)


def _problems(root: Path, dev: bool) -> list[Problem]:
    with pytest.raises(KnowledgeError) as info:
        _load(root, dev)
    assert info.value.problems, "KnowledgeError without problems"
    assert str(info.value) == "\n".join(map(str, info.value.problems))
    return info.value.problems


def _cli_check(root: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FAQBOT_KNOWLEDGE"}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run([sys.executable, "-m", "faqbot", "check", str(root)], capture_output=True, text=True,
                          encoding="utf-8", cwd=ROOT, env=env, timeout=120)


def _check_cli(run: subprocess.CompletedProcess[str], problems: list[Problem]) -> None:
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "Traceback" not in out, out
    lines = run.stderr.splitlines()
    assert lines and lines[-1] == f"Error: the knowledge base has {len(problems)} problem(s)", out
    assert lines[:-1] == [str(p) for p in problems], out
    assert all(PROBLEM_LINE.match(line) for line in lines[:-1]), out


def _undo(root: Path, pristine: Path) -> list[str]:
    """Copy back every file the mistake touched (and drop added ones); return what changed."""
    changed = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not (pristine / rel).is_file():
            path.unlink()
            changed.append(str(rel))
    for path in sorted(pristine.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(pristine)
        target = root / rel
        if not target.is_file() or target.read_bytes() != path.read_bytes():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            changed.append(str(rel))
    return changed


# ---------------------------------------------------------------- tests


def test_corpus_is_big_enough():
    assert len(CASES) >= 18
    assert len({c.id for c in CASES}) == len(CASES)


def test_the_shipped_base_loads(pristine):
    root, kb = pristine
    assert kb.passages and kb.sources
    assert _cli_check(root).returncode == 0


@pytest.mark.parametrize("case", CASES)
def test_broken_base_is_refused(case: Case, prepared: dict[Case, Prepared | Exception], pristine):
    prep = prepared[case]
    if isinstance(prep, Exception):
        raise prep
    base, expected = prep.base, prep.expected
    assert expected, "a case must expect at least one problem"

    problems = _problems(base.root, case.dev)
    _check_problems(problems, expected, case.allow)
    _check_cli(prep.cli.result(), problems)

    changed = _undo(base.root, pristine[0])
    assert changed, "the mistake changed no file"
    _load(base.root, dev=True)  # fixed: the base (and its dev set) load again


def test_several_mistakes_are_all_reported_at_once(base: Base, pristine):
    expected: list[Expect] = []
    for make in (type_k1_as_text, unknown_placeholder, invalid_regex, source_changed_after_curation,
                 yaml_bad_indentation, _typo_key("questions", "qestions"), unknown_topic):
        expected += make(base)
    assert len({e.file for e in expected}) >= 6  # bot, safety, sources and three passages files

    # a passages file that cannot be parsed does not hide the problems found in the others
    problems = _problems(base.root, dev=False)
    _check_problems(problems, expected, NO_PASSAGES)
    _check_cli(_cli_check(base.root), problems)
    assert _undo(base.root, pristine[0])
    _load(base.root, dev=True)


def test_windows_line_endings_and_bom_still_load(base: Base):
    for path in [*sorted((base.root / "passages").glob("*.yaml")), base.root / "bot.yaml"]:
        text = path.read_bytes().decode("utf-8")
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    kb = load_knowledge(base.root)
    assert len(kb.passages) == len(base.kb.passages)
