"""The knowledge base: load every YAML file, check it completely, and hand out frozen records.

Layout of a knowledge directory (see README and knowledge/CURATION.md):
  sources.yaml        the source documents, with their verbatim text under sources/
  passages/*.yaml     the quotable passages, each a verbatim excerpt of one source
  bot.yaml            disclaimer, messages, crisis resources, retrieval and abstention settings
  safety.yaml         the triage rules (crisis, referral categories)
  curation.yaml       optional: the topic list (covered or a recorded gap) and phrases never to quote
  not_covered.yaml    optional: questions patients ask that no source answers (matching one means "refer")
  eval/dev.yaml       optional: the labelled development questions (see faqbot.evaluate)

Loading never stops at the first fault: it reports every problem as `file:line: message` in one
`KnowledgeError`. A quote that is not in its source is such a problem, which is what keeps the bot
non-generative by construction.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import KnowledgeError, Problem
from .text import collapse_whitespace
from .yamlfile import Reader, line_of, read_yaml

ENV_VAR = "FAQBOT_KNOWLEDGE"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Source:
    """A source document: its identity for citations and its verbatim text."""

    id: str
    title: str
    file: str
    sha256: str
    notes: str
    text: str
    excluded: bool = False


@dataclass(frozen=True)
class Passage:
    """A curated passage. `text` is the exact span of the source it quotes (the source's own characters)."""

    id: str
    source: str
    text: str
    questions: tuple[str, ...]
    topics: tuple[str, ...]
    file: str
    line: int


@dataclass(frozen=True)
class Resource:
    """One place to get help in a crisis, e.g. name "988 Suicide & Crisis Lifeline", contact "Call or text 988"."""

    name: str
    contact: str


@dataclass(frozen=True)
class Retrieval:
    """BM25 parameters (as rank_bm25.BM25Okapi names them) and how answers are composed."""

    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25
    stemming: bool = True
    max_passages: int = 3
    close_ratio: float = 0.85
    related: int = 3


@dataclass(frozen=True)
class Abstention:
    """A logistic model over retrieval features: answer when its probability reaches `threshold`."""

    features: tuple[str, ...] = ("ratio", "coverage", "margin")
    weights: tuple[float, ...] = (4.0, 4.0, 1.0)
    bias: float = -5.0
    threshold: float = 0.5
    # A rule beside the model: never quote a passage that holds less than this share of the question's
    # idf mass ("coverage"), however confident the model is (long off-topic questions fool it).
    min_coverage: float = 0.3


@dataclass(frozen=True)
class BotConfig:
    """Everything in bot.yaml: what the bot says besides quotes, and its settings."""

    title: str
    intro: str
    examples: tuple[str, ...]
    clinic_name: str
    clinic_contact: str
    disclaimer: str
    messages: dict[str, str]
    crisis_message: str
    crisis_resources: tuple[Resource, ...]
    retrieval: Retrieval = field(default_factory=Retrieval)
    abstention: Abstention = field(default_factory=Abstention)
    max_question_chars: int = 2000
    cors_origins: tuple[str, ...] = ()
    frame_ancestors: tuple[str, ...] = ()
    log_unanswered: bool = False
    unanswered_db: str = "unanswered.sqlite3"


@dataclass(frozen=True)
class Pattern:
    """A triage regular expression and where it was written.

    `also` holds further expressions that must all match somewhere too (written in safety.yaml as a
    list inside the list: `- [first, second, third]`).
    """

    regex: str
    file: str
    line: int
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReferralRule:
    """A category a clinician must answer: `patterns` refer the message unless an `unless` pattern matches."""

    reason: str
    label: str
    message: str
    patterns: tuple[Pattern, ...]
    unless: tuple[Pattern, ...]


@dataclass(frozen=True)
class SafetyRules:
    """Everything in safety.yaml."""

    ignore: tuple[Pattern, ...]
    crisis: tuple[Pattern, ...]
    crisis_unless_informational: tuple[Pattern, ...]
    informational: tuple[Pattern, ...]
    referrals: tuple[ReferralRule, ...]


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    gap: str = ""


@dataclass(frozen=True)
class ExcludedPhrase:
    phrase: str
    why: str


@dataclass(frozen=True)
class NotCovered:
    """Something patients ask that the sources do not answer, with the questions they ask it in.

    Retrieval ranks these beside the passages; when one of them matches a question best, the bot refers
    instead of quoting the nearest passage, which would answer a different question.
    """

    id: str
    why: str
    questions: tuple[str, ...]
    file: str = "not_covered.yaml"
    line: int = 0


@dataclass(frozen=True)
class Knowledge:
    """A fully checked knowledge base."""

    root: Path
    sources: dict[str, Source]
    passages: tuple[Passage, ...]
    bot: BotConfig
    safety: SafetyRules
    topics: tuple[Topic, ...] = ()
    excluded_phrases: tuple[ExcludedPhrase, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()
    not_covered: tuple[NotCovered, ...] = ()

    @property
    def dev_set(self) -> Path:
        return self.root / "eval" / "dev.yaml"


def default_knowledge_dir() -> Path:
    """`$FAQBOT_KNOWLEDGE`, else the base shipped in the wheel, else ./knowledge of a source checkout."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    packaged = here / "knowledge"
    if packaged.is_dir():
        return packaged
    return here.parents[1] / "knowledge"


def load_knowledge(root: str | os.PathLike[str] | None = None) -> Knowledge:
    """Load and check the knowledge base in `root` (default: `default_knowledge_dir()`).

    Raises KnowledgeError listing every problem found.
    """
    base = Path(root) if root is not None else default_knowledge_dir()
    if not base.is_dir():
        raise KnowledgeError([Problem(str(base), 1, "knowledge directory not found")])
    with paused_gc():
        return _load(base)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Bulk loading makes millions of small objects and no cyclic garbage: collecting meanwhile only costs time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load(base: Path) -> Knowledge:
    problems: list[Problem] = []
    declared: set[str] = set()
    sources = _load_sources(base, problems, declared)
    curation = _load_curation(base, problems)
    topics, excluded = curation
    passages = _load_passages(base, sources, declared, topics, excluded, problems)
    bot = _load_bot(base, problems)
    safety = _load_safety(base, problems)
    synonyms = _load_synonyms(base, problems)
    not_covered = _load_not_covered(base, problems, {p.id: f"{p.file}:{p.line}" for p in passages or ()})
    if sources is not None and passages is not None:
        used = {p.source for p in passages}
        for src, line in sources.values():
            if src.excluded and src.id in used:
                problems.append(Problem("sources.yaml", line,
                                        f"source '{src.id}' is marked excluded but passages quote it"))
            elif not src.excluded and src.id not in used:
                problems.append(Problem("sources.yaml", line, f"source '{src.id}' has no passages: quote it, or "
                                        "set 'excluded: true' and say why in its notes"))
    if problems:
        raise KnowledgeError(problems)
    assert sources is not None and passages is not None and bot is not None and safety is not None
    return Knowledge(root=base, sources={k: s for k, (s, _) in sources.items()}, passages=tuple(passages),
                     bot=bot, safety=safety, topics=topics, excluded_phrases=excluded, synonyms=synonyms,
                     not_covered=not_covered)


# ---------------------------------------------------------------- sources


def _load_sources(base: Path, problems: list[Problem], declared: set[str]) -> dict[str, tuple[Source, int]] | None:
    """The readable sources by id; `declared` receives every id in sources.yaml, readable or not."""
    rel = "sources.yaml"
    doc = read_yaml(base / rel, rel)
    problems += doc.problems
    if doc.data is None and doc.problems:
        return None
    r = Reader(rel)
    out: dict[str, tuple[Source, int]] = {}
    src_dir = (base / "sources").resolve()
    for item, line in r.top_list(doc.data, "sources"):
        f = r.fields(item, "source", {"id": "text", "title": "text", "file": "text", "notes": "text"},
                     {"sha256": "text", "excluded": "bool"}, line=line)
        if f is None or "id" not in f:
            continue
        sid = f["id"]
        where = f"source '{sid}'"
        if not _ID.match(sid):
            r.error(line_of(item, "id", line), f"{where}: id must be lowercase letters, digits, '-' or '_'")
        if sid in out:
            r.error(line, f"{where}: duplicate id (first at line {out[sid][1]})")
            continue
        declared.add(sid)
        if "file" not in f:
            continue
        path = (src_dir / f["file"]).resolve()
        fline = line_of(item, "file", line)
        if not path.is_relative_to(src_dir):
            r.error(fline, f"{where}: file '{f['file']}' must be inside sources/")
            continue
        try:
            raw = path.read_bytes()
        except OSError:
            r.error(fline, f"{where}: source file 'sources/{f['file']}' not found")
            continue
        digest = hashlib.sha256(raw).hexdigest()
        if "sha256" in f and f["sha256"].strip().lower() != digest:
            r.error(line_of(item, "sha256", line),
                    f"{where}: sources/{f['file']} changed since it was curated (sha256 is {digest}); "
                    "re-check its passages, then set sha256 to the new value")
        elif "sha256" not in f:
            r.error(line, f"{where}: missing 'sha256', which records the text that was curated; "
                    f"after checking its passages, add: sha256: {digest}")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            r.error(fline, f"{where}: sources/{f['file']} is not valid UTF-8 (byte offset {exc.start})")
            continue
        if not text.strip():
            r.error(fline, f"{where}: sources/{f['file']} is empty")
            continue
        out[sid] = (Source(id=sid, title=f.get("title", sid), file=f["file"], sha256=digest,
                           notes=f.get("notes", ""), text=text, excluded=f.get("excluded", False)), line)
    if not out and not r.problems:
        r.error(1, "no sources: add at least one entry under 'sources:'")
    problems += r.problems
    return out


# ---------------------------------------------------------------- passages


def _find_quote(source: str, quote: str) -> str | None:
    """The span of `source` that `quote` reproduces with whitespace runs treated as equal, or None.

    Most quotes match character for character and a plain `find` settles them; a quote whose line breaks
    differ from the source's (YAML folding, a bulleted list) is matched with any whitespace between words.
    """
    needle = collapse_whitespace(quote)
    if not needle:
        return None
    if needle in source:
        return needle
    match = re.search(r"\s+".join(map(re.escape, needle.split(" "))), source)
    return match.group(0) if match else None


def _load_passages(base: Path, sources: dict[str, tuple[Source, int]] | None, declared: set[str],
                   topics: tuple[Topic, ...],
                   excluded: tuple[ExcludedPhrase, ...], problems: list[Problem]) -> list[Passage] | None:
    files = sorted((base / "passages").glob("*.yaml")) + sorted((base / "passages").glob("*.yml"))
    if not files:
        problems.append(Problem("passages/", 1, "no passage files: add passages/*.yaml with a 'passages:' list"))
        return None
    texts = {sid: s.text for sid, (s, _) in (sources or {}).items()}
    known_topics = {t.id for t in topics}
    seen: dict[str, str] = {}
    out: list[Passage] = []
    for path in files:
        rel = f"passages/{path.name}"
        doc = read_yaml(path, rel)
        problems += doc.problems
        if doc.data is None and doc.problems:
            continue
        r = Reader(rel)
        for item, line in r.top_list(doc.data, "passages"):
            f = r.fields(item, "passage", {"id": "text", "source": "text", "quote": "text", "questions": "texts",
                                           "topics": "texts"}, line=line)
            if f is None:
                continue
            pid = f.get("id", "?")
            where = f"passage '{pid}'"
            if "id" in f:
                if not _ID.match(pid):
                    r.error(line_of(item, "id", line), f"{where}: id must be lowercase letters, digits, '-' or '_'")
                if pid in seen:
                    r.error(line_of(item, "id", line), f"{where}: duplicate id (first at {seen[pid]})")
                    continue
                seen[pid] = f"{rel}:{line}"
            if "questions" in f and not f["questions"]:
                r.error(line_of(item, "questions", line), f"{where}: 'questions' is empty: add the questions "
                        "patients would ask that this passage answers")
            for t in f.get("topics", []):
                if known_topics and t not in known_topics:
                    r.error(line_of(item, "topics", line), f"{where}: unknown topic '{t}' (see curation.yaml)")
            sid = f.get("source")
            text = None
            if sid is not None and sources is not None:
                if sid not in texts:
                    if sid not in declared:  # a declared but unreadable source is reported once, in sources.yaml
                        r.error(line_of(item, "source", line), f"{where}: unknown source '{sid}' (not in sources.yaml)")
                elif "quote" in f:
                    text = _find_quote(texts[sid], f["quote"])
                    if text is None:
                        r.error(line_of(item, "quote", line),
                                f"{where}: quote not found in source '{sid}' (quotes must be verbatim; only "
                                "whitespace may differ)" + _near_miss(f["quote"], collapse_whitespace(texts[sid])))
            for ex in excluded:
                if "quote" in f and ex.phrase.lower() in f["quote"].lower():
                    r.error(line_of(item, "quote", line),
                            f"{where}: quote contains excluded phrase '{ex.phrase}' ({ex.why})")
            if text is not None and "id" in f and f.get("questions"):
                out.append(Passage(id=pid, source=sid, text=text, questions=tuple(f["questions"]),
                                   topics=tuple(f.get("topics", ())), file=rel, line=line))
        problems += r.problems
    if not seen and not any(p.file.startswith("passages/") for p in problems):
        problems.append(Problem("passages/", 1, "the knowledge base has no passages"))
    return out


def _near_miss(quote: str, collapsed: str) -> str:
    """Point the curator at the first word where the quote departs from the closest source text."""
    words = collapse_whitespace(quote).split(" ")
    best = 0
    for n in range(1, len(words) + 1):
        if re.search(re.escape(" ".join(words[:n])) + r"(?=\s|$)", collapsed):  # whole words only
            best = n
        else:
            break
    if best == 0:
        return ""
    return f"; it matches up to '{' '.join(words[max(0, best - 3):best])}' then differs at '{words[best]}'" \
        if best < len(words) else ""


# ---------------------------------------------------------------- curation.yaml


def _load_curation(base: Path, problems: list[Problem]) -> tuple[tuple[Topic, ...], tuple[ExcludedPhrase, ...]]:
    rel = "curation.yaml"
    if not (base / rel).exists():
        return (), ()
    doc = read_yaml(base / rel, rel)
    problems += doc.problems
    r = Reader(rel)
    top = r.fields(doc.data, "top level", {"topics": "list"}, {"excluded_phrases": "list"}) if doc.data else None
    topics: list[Topic] = []
    excluded: list[ExcludedPhrase] = []
    if top:
        for item, line in zip(top.get("topics", []), getattr(top.get("topics"), "lines", []), strict=False):
            f = r.fields(item, "topic", {"id": "text", "title": "text"}, {"gap": "text"}, line=line)
            if f and "id" in f:
                topics.append(Topic(f["id"], f.get("title", ""), f.get("gap", "")))
        for item, line in zip(top.get("excluded_phrases", []), getattr(top.get("excluded_phrases"), "lines", []),
                              strict=False):
            f = r.fields(item, "excluded phrase", {"phrase": "text", "why": "text"}, line=line)
            if f and "phrase" in f:
                excluded.append(ExcludedPhrase(f["phrase"], f.get("why", "")))
    problems += r.problems
    return tuple(topics), tuple(excluded)


def _optional_list(base: Path, rel: str, key: str,
                   problems: list[Problem]) -> tuple[Reader, list[tuple[Any, int]]] | None:
    """The items (with lines) of the top-level list `key:` in the optional file `rel`; None if it is absent.

    The caller adds `reader.problems` to `problems` once it has checked the items.
    """
    if not (base / rel).exists():
        return None
    doc = read_yaml(base / rel, rel)
    problems += doc.problems
    r = Reader(rel)
    return r, (r.top_list(doc.data, key) if doc.data is not None or not doc.problems else [])


# ---------------------------------------------------------------- synonyms.yaml

_SYNONYM_WORD = re.compile(r"^[a-z0-9]+$")


def _load_synonyms(base: Path, problems: list[Problem]) -> tuple[tuple[str, ...], ...]:
    """Optional groups of single words that retrieval treats as related (see text.Analyzer)."""
    found = _optional_list(base, "synonyms.yaml", "synonyms", problems)
    if found is None:
        return ()
    r, items = found
    groups: list[tuple[str, ...]] = []
    seen: dict[str, int] = {}
    for group, line in items:
        if not isinstance(group, list) or len(group) < 2:
            r.error(line, "a synonym group must be a list of at least two words, e.g. [surgery, operation]")
            continue
        words = []
        for word in group:
            if not isinstance(word, str) or not _SYNONYM_WORD.match(word):
                r.error(line, f"synonym {word!r} must be one lowercase word (letters and digits, no spaces)")
            elif word in seen:
                r.error(line, f"synonym '{word}' is already in the group at line {seen[word]}")
            else:
                seen[word] = line
                words.append(word)
        if len(words) >= 2:
            groups.append(tuple(words))
    problems += r.problems
    return tuple(groups)


# ---------------------------------------------------------------- not_covered.yaml


def _load_not_covered(base: Path, problems: list[Problem], passage_ids: dict[str, str]) -> tuple[NotCovered, ...]:
    """Optional list of topics no source answers, each with why and the questions patients ask about it."""
    found = _optional_list(base, "not_covered.yaml", "not_covered", problems)
    if found is None:
        return ()
    r, items = found
    out: list[NotCovered] = []
    seen: dict[str, int] = {}
    for item, line in items:
        f = r.fields(item, "not-covered entry", {"id": "text", "why": "text", "questions": "texts"}, line=line)
        if f is None or "id" not in f:
            continue
        nid = f["id"]
        where = f"not-covered entry '{nid}'"
        at = line_of(item, "id", line)
        if not _ID.match(nid):
            r.error(at, f"{where}: id must be lowercase letters, digits, '-' or '_'")
        elif nid in seen:
            r.error(at, f"{where}: duplicate id (first at line {seen[nid]})")
            continue
        elif nid in passage_ids:
            r.error(at, f"{where}: id is also a passage's id ({passage_ids[nid]}); ids must be unique")
        seen[nid] = line
        if "questions" in f and not f["questions"]:
            r.error(line_of(item, "questions", line), f"{where}: 'questions' is empty: add the questions patients "
                    "ask about it")
        elif "questions" in f and "why" in f:
            out.append(NotCovered(nid, f["why"], tuple(f["questions"]), r.rel, line))
    problems += r.problems
    return tuple(out)


# ---------------------------------------------------------------- bot.yaml


def _load_bot(base: Path, problems: list[Problem]) -> BotConfig | None:
    rel = "bot.yaml"
    doc = read_yaml(base / rel, rel)
    problems += doc.problems
    if doc.data is None:
        if not doc.problems:
            problems.append(Problem(rel, 1, "file is empty"))
        return None
    r = Reader(rel)
    top = r.fields(doc.data, "bot.yaml", {
        "title": "text", "intro": "text", "examples": "texts", "clinic": "mapping", "disclaimer": "text",
        "messages": "mapping", "crisis": "mapping"}, {
        "retrieval": "mapping", "abstention": "mapping", "limits": "mapping", "web": "mapping",
        "privacy": "mapping"})
    if top is None:
        problems += r.problems
        return None
    d = doc.data
    clinic = r.fields(top.get("clinic", {}), "clinic", {"name": "text", "contact": "text"},
                      line=line_of(d, "clinic")) or {}
    messages = r.fields(top.get("messages", {}), "messages",
                        {"answer": "str", "no_match": "text", "empty": "text", "too_long": "text"},
                        line=line_of(d, "messages")) or {}
    for key, msg in messages.items():
        _check_placeholders(r, msg, f"messages.{key}", line_of(top.get("messages"), key))
    crisis = r.fields(top.get("crisis", {}), "crisis", {"message": "text", "resources": "list"},
                      line=line_of(d, "crisis")) or {}
    resources = []
    res_list = crisis.get("resources", [])
    for item, line in zip(res_list, getattr(res_list, "lines", []), strict=False):
        f = r.fields(item, "crisis resource", {"name": "text", "contact": "text"}, line=line)
        if f and len(f) == 2:
            resources.append(Resource(f["name"], f["contact"]))
    if "resources" in crisis and not resources:
        r.error(line_of(top.get("crisis"), "resources"), "crisis: 'resources' must list at least one resource")
    retrieval = Retrieval()
    if "retrieval" in top:
        f = r.fields(top["retrieval"], "retrieval", {}, {
            "k1": "number", "b": "number", "epsilon": "number", "stemming": "bool", "max_passages": "int",
            "close_ratio": "number", "related": "int"}, line=line_of(d, "retrieval"))
        if f:
            retrieval = Retrieval(**f)
            _check_range(r, line_of(d, "retrieval"), retrieval)
    abstention = Abstention()
    if "abstention" in top:
        f = r.fields(top["abstention"], "abstention", {"features": "texts", "weights": "numbers",
                                                       "bias": "number", "threshold": "number"},
                     {"min_coverage": "number"}, line=line_of(d, "abstention"))
        if f and {"features", "weights", "bias", "threshold"} <= set(f):
            from .abstain import FEATURES

            unknown = [x for x in f["features"] if x not in FEATURES]
            if unknown or len(f["features"]) != len(f["weights"]):
                r.error(line_of(d, "abstention"), f"abstention: features must be among {', '.join(FEATURES)} "
                        "and match the weights one to one (re-run `faqbot calibrate`)")
            else:
                abstention = Abstention(tuple(f["features"]), tuple(float(w) for w in f["weights"]),
                                        float(f["bias"]), float(f["threshold"]),
                                        float(f.get("min_coverage", Abstention.min_coverage)))
    limits = r.fields(top.get("limits", {}), "limits", {}, {"max_question_chars": "int"},
                      line=line_of(d, "limits")) or {}
    max_chars = limits.get("max_question_chars", 2000)
    if max_chars < 20:
        r.error(line_of(d, "limits"), "limits: max_question_chars must be at least 20")
    web = r.fields(top.get("web", {}), "web", {}, {"cors_origins": "texts", "frame_ancestors": "texts"},
                   line=line_of(d, "web")) or {}
    privacy = r.fields(top.get("privacy", {}), "privacy", {}, {"log_unanswered": "bool", "unanswered_db": "text"},
                       line=line_of(d, "privacy")) or {}
    problems += r.problems
    if r.problems:
        return None
    return BotConfig(
        title=top["title"], intro=top["intro"], examples=tuple(top["examples"]),
        clinic_name=clinic["name"], clinic_contact=clinic["contact"], disclaimer=top["disclaimer"].strip(),
        messages=dict(messages), crisis_message=crisis["message"].strip(), crisis_resources=tuple(resources),
        retrieval=retrieval, abstention=abstention, max_question_chars=max_chars,
        cors_origins=tuple(web.get("cors_origins", ())), frame_ancestors=tuple(web.get("frame_ancestors", ())),
        log_unanswered=privacy.get("log_unanswered", False),
        unanswered_db=privacy.get("unanswered_db", "unanswered.sqlite3"))


PLACEHOLDERS = ("clinic_name", "clinic_contact", "max_chars")


def _check_placeholders(r: Reader, text: str, where: str, line: int) -> None:
    """Every {name} must be a known placeholder; a literal brace must be doubled ({{ or }})."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        r.error(line, f"{where}: {exc} (write {{{{ and }}}} for a literal brace)")
        return
    for name in names:
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            r.error(line, f"{where}: unknown placeholder '{{{name}}}' (use {known})")


def _check_range(r: Reader, line: int, cfg: Retrieval) -> None:
    if cfg.k1 < 0 or not 0 <= cfg.b <= 1 or cfg.epsilon < 0:
        r.error(line, "retrieval: k1 and epsilon must be >= 0 and b between 0 and 1")
    if not 1 <= cfg.max_passages <= 3 or not 0 < cfg.close_ratio <= 1 or not 0 <= cfg.related <= 10:
        r.error(line, "retrieval: max_passages must be 1 to 3, close_ratio in (0, 1], related 0 to 10")


# ---------------------------------------------------------------- safety.yaml


def _load_safety(base: Path, problems: list[Problem]) -> SafetyRules | None:
    rel = "safety.yaml"
    doc = read_yaml(base / rel, rel)
    problems += doc.problems
    if doc.data is None:
        if not doc.problems:
            problems.append(Problem(rel, 1, "file is empty"))
        return None
    r = Reader(rel)
    top = r.fields(doc.data, "safety.yaml", {"crisis": "mapping", "referrals": "list"},
                   {"ignore": "list", "informational": "list"})
    if top is None:
        problems += r.problems
        return None
    d = doc.data
    crisis = r.fields(top.get("crisis", {}), "crisis", {"always": "list"}, {"unless_informational": "list"},
                      line=line_of(d, "crisis")) or {}
    rules: list[ReferralRule] = []
    seen: set[str] = set()
    refs = top.get("referrals", [])
    for item, line in zip(refs, getattr(refs, "lines", []), strict=False):
        f = r.fields(item, "referral", {"reason": "text", "label": "text", "message": "text", "patterns": "list"},
                     {"unless": "list"}, line=line)
        if not f or len(f) < 4:
            continue
        if f["reason"] in seen or f["reason"] in ("crisis", "no_match", "empty", "too_long"):
            r.error(line, f"referral '{f['reason']}': reason already used")
        seen.add(f["reason"])
        _check_placeholders(r, f["message"], f"referral '{f['reason']}'.message", line_of(item, "message", line))
        rules.append(ReferralRule(f["reason"], f["label"], f["message"].strip(), _patterns(r, item, "patterns", line),
                                  _patterns(r, item, "unless", line)))
    out = SafetyRules(
        ignore=_patterns(r, d, "ignore", 1),
        crisis=_patterns(r, top.get("crisis"), "always", line_of(d, "crisis")),
        crisis_unless_informational=_patterns(r, top.get("crisis"), "unless_informational", line_of(d, "crisis")),
        informational=_patterns(r, d, "informational", 1),
        referrals=tuple(rules))
    if "always" in crisis and not out.crisis:
        r.error(line_of(d, "crisis"), "crisis: 'always' must hold at least one pattern")
    problems += r.problems
    return None if r.problems else out


def _patterns(r: Reader, data: Any, key: str, default_line: int) -> tuple[Pattern, ...]:
    """Compile-check the regex list `data[key]`; each bad pattern is a problem at its own line.

    An item is one expression, or a list of expressions that must all match (a conjunction).
    """
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        return ()
    items = data[key]
    out = []
    for item, line in zip(items, getattr(items, "lines", [default_line] * len(items)), strict=False):
        group = item if isinstance(item, list) else [item]
        if not group or not all(isinstance(x, str) and x.strip() for x in group):
            r.error(line, f"{key}: each item must be a pattern, or a list of patterns that must all match")
            continue
        ok = True
        for regex in group:
            try:
                # Compiled the way triage joins them, so a pattern that only works alone (e.g. a global
                # inline flag such as "(?i)") is caught here, at its line, not at start-up.
                re.compile(f"(?:{regex})|(?:x)")
            except re.error as exc:
                r.error(line, f"{key}: invalid pattern {regex!r}: {exc}")
                ok = False
        if ok:
            out.append(Pattern(group[0], r.rel, line, tuple(group[1:])))
    return tuple(out)


# ---------------------------------------------------------------- labelled question sets (eval/dev.yaml)


EXPECTS = ("answer", "referral", "crisis")


@dataclass(frozen=True)
class LabelledQuestion:
    """A question with the reply it should get: passages for "answer", optionally a reason for "referral"."""

    question: str
    expect: str
    passages: tuple[str, ...] = ()
    reason: str = ""
    line: int = 0


def load_question_set(path: str | os.PathLike[str], knowledge: Knowledge | None = None) -> list[LabelledQuestion]:
    """Read a labelled question set; with `knowledge`, passage ids and reasons are checked against it."""
    p = Path(path)
    rel = p.name if knowledge is None or not p.is_relative_to(knowledge.root) else str(p.relative_to(knowledge.root))
    doc = read_yaml(p, rel)
    problems = list(doc.problems)
    r = Reader(rel)
    ids = {x.id for x in knowledge.passages} if knowledge else None
    reasons = {x.reason for x in knowledge.safety.referrals} | {"no_match", "empty", "too_long"} if knowledge else None
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
            if f["expect"] == "answer" and not f.get("passages"):
                r.error(line, "an 'answer' question needs 'passages': the id(s) of passages that answer it")
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
