"""The knowledge base: load every YAML file, check it completely, and hand out frozen records.

Layout of a knowledge directory (see README and knowledge/CURATION.md):
  sources.yaml        the source documents, with their verbatim text under sources/
  passages/*.yaml     the quotable passages, each a verbatim excerpt of one source
  bot.yaml            disclaimers, messages, crisis resources, retrieval settings (read by faqbot.botfile)
  fitted/             machine-owned: the models `faqbot calibrate` and `faqbot fit-triage` write
  safety.yaml         the triage rules (read by faqbot.safetyfile)
  curation.yaml       optional: the topic list (covered or a recorded gap) and phrases never to quote
  not_covered.yaml    optional: questions patients ask that no source answers (matching one means "refer")
  eval/*.yaml         optional: labelled question sets (read by faqbot.questionset)

Loading never stops at the first fault: it reports every problem as `file:line: message` in one
`KnowledgeError`. A quote that is not in its source is such a problem (faqbot.verbatim), which is what keeps
the bot non-generative by construction.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .botfile import load_bot
from .curationfile import check_passages, load_curation
from .errors import KnowledgeError, Problem
from .passage_model import load_passage_model
from .records import ExcludedPhrase, Knowledge, NotCovered, Passage, Source, Topic
from .safetyfile import load_safety
from .triage_model import load_triage_model
from .verbatim import find_quote, near_miss
from .yamlfile import Reader, line_of, read_yaml

ENV_VAR = "FAQBOT_KNOWLEDGE"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


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


def load_knowledge(root: str | os.PathLike[str] | None = None, abstention: bool = True,
                   triage: bool = True) -> Knowledge:
    """Load and check the knowledge base in `root` (default: `default_knowledge_dir()`).

    Raises KnowledgeError listing every problem found. `abstention=False` or `triage=False` leaves out that
    fitted model (what `faqbot calibrate` or `faqbot fit-triage` is about to replace): a neutral stand-in
    for abstention, the rules alone for triage.
    """
    base = Path(root) if root is not None else default_knowledge_dir()
    if not base.is_dir():
        raise KnowledgeError([Problem(str(base), 1, "knowledge directory not found")])
    with paused_gc():
        return _load(base, abstention, triage)


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


def _load(base: Path, abstention: bool, triage: bool) -> Knowledge:
    problems: list[Problem] = []
    declared: set[str] = set()
    sources = _load_sources(base, problems, declared)
    curation = load_curation(base, problems)
    topics, excluded = curation.topics, curation.excluded_phrases
    passages = _load_passages(base, sources, declared, topics, excluded, problems)
    if passages is not None:
        problems += check_passages(curation, passages)
    bot = load_bot(base, problems, abstention)
    safety = load_safety(base, problems)
    triage_model = load_triage_model(base, problems) if triage else None
    # The abstention model reads the passage classifier; `faqbot calibrate` (abstention=False) refits both.
    passage_model = load_passage_model(base, problems) if abstention else None
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
                     not_covered=not_covered, triage_model=triage_model,
                     passage_model=passage_model)


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
                     {"sha256": "text", "excluded": "bool", "url": "text", "publisher": "text"}, line=line)
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
                           notes=f.get("notes", ""), text=text, excluded=f.get("excluded", False),
                           url=f.get("url", ""), publisher=f.get("publisher", "")), line)
    if not out and not r.problems:
        r.error(1, "no sources: add at least one entry under 'sources:'")
    problems += r.problems
    return out


# ---------------------------------------------------------------- passages


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
                                           "topics": "texts"}, {"warn_with": "texts"}, line=line)
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
                    text = find_quote(texts[sid], f["quote"])
                    if text is None:
                        r.error(line_of(item, "quote", line),
                                f"{where}: quote not found in source '{sid}' (quotes must be verbatim; only "
                                "whitespace may differ)" + near_miss(f["quote"], texts[sid]))
            for ex in excluded:
                if "quote" in f and ex.phrase.lower() in f["quote"].lower():
                    r.error(line_of(item, "quote", line),
                            f"{where}: quote contains excluded phrase '{ex.phrase}' ({ex.why})")
            if text is not None and sid is not None and "id" in f and f.get("questions"):
                out.append(Passage(id=pid, source=sid, text=text, questions=tuple(f["questions"]),
                                   topics=tuple(f.get("topics", ())), file=rel, line=line,
                                   warn_with=tuple(f.get("warn_with", ()))))
        problems += r.problems
    if not seen and not any(p.file.startswith("passages/") for p in problems):
        problems.append(Problem("passages/", 1, "the knowledge base has no passages"))
    return out


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


