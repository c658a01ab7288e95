"""Reading bot.yaml (hand-written) and fitted/abstention.json (written by `faqbot calibrate`) into a BotConfig.

Every value is checked here, at load, and each fault is reported at its own line, so a setting that would
stop the server (a CORS origin with a trailing slash) is caught by `faqbot check`.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

from .config import (
    PLACEHOLDERS,
    Abstention,
    BotConfig,
    Link,
    Resource,
    Retrieval,
    Translation,
    link_problem,
    origin_problem,
)
from .errors import Problem
from .yamlfile import Reader, line_of, read_required

FITTED = "fitted/abstention.json"
KINDS = ("answer", "referral", "crisis")
MESSAGES = {"answer": "str", "no_match": "text", "empty": "text", "too_long": "text"}
OPTIONAL_MESSAGES = {"language": "text"}
ABSTENTION_FEATURES = ("ratio", "coverage", "margin", "known", "length", "qmatch", "reverse", "passage_p")


def load_bot(base: Path, problems: list[Problem], fitted: bool = True) -> BotConfig | None:
    rel = "bot.yaml"
    d = read_required(base, rel, problems)
    if d is None:
        return None
    r = Reader(rel)
    top = r.fields(d, "bot.yaml", {
        "title": "text", "intro": "text", "examples": "texts", "clinic": "mapping", "messages": "mapping",
        "crisis": "mapping"}, {
        "disclaimer": "text", "disclaimers": "mapping", "retrieval": "mapping", "abstention": "mapping",
        "limits": "mapping", "web": "mapping", "privacy": "mapping", "languages": "texts",
        "translations": "mapping"})
    if top is None:
        problems += r.problems
        return None
    clinic = r.fields(top.get("clinic", {}), "clinic", {"name": "text", "contact": "text"},
                      {"phone": "text", "email": "text"}, line=line_of(d, "clinic")) or {}
    if "phone" in clinic and (p := link_problem("tel:" + clinic["phone"].replace(" ", ""))):
        r.error(line_of(d["clinic"], "phone"), f"clinic.phone: {p}")
    disclaimers = _disclaimers(r, top, d)
    messages = _messages(r, top.get("messages", {}), "messages", line_of(d, "messages"))
    crisis_message, resources = _crisis(r, top.get("crisis", {}), "crisis", line_of(d, "crisis"))
    retrieval = Retrieval()
    if "retrieval" in top:
        f = r.fields(top["retrieval"], "retrieval", {}, {
            "k1": "number", "b": "number", "epsilon": "number", "stemming": "bool", "max_passages": "int",
            "close_ratio": "number", "related": "int"}, line=line_of(d, "retrieval"))
        if f:
            retrieval = Retrieval(**f)
            for message in retrieval.problems():
                r.error(line_of(d, "retrieval"), message)
    rules = r.fields(top.get("abstention", {}), "abstention", {}, {"min_coverage": "number"},
                     line=line_of(d, "abstention")) or {}
    min_coverage = float(rules.get("min_coverage", Abstention.min_coverage))
    if not 0 <= min_coverage <= 1:
        r.error(line_of(top.get("abstention"), "min_coverage"), "abstention: min_coverage must be between 0 and 1")
    limits = r.fields(top.get("limits", {}), "limits", {}, {"max_question_chars": "int"},
                      line=line_of(d, "limits")) or {}
    max_chars = limits.get("max_question_chars", BotConfig.max_question_chars)
    if max_chars < 20:
        r.error(line_of(d, "limits"), "limits: max_question_chars must be at least 20")
    web = r.fields(top.get("web", {}), "web", {}, {"cors_origins": "texts", "frame_ancestors": "texts"},
                   line=line_of(d, "web")) or {}
    for key, values in web.items():
        for value, line in zip(values, getattr(values, "lines", []), strict=False):
            if (why := origin_problem(value)) is not None:
                r.error(line, f"web.{key}: {why}")
    privacy = r.fields(top.get("privacy", {}), "privacy", {}, {"log_unanswered": "bool", "unanswered_db": "text"},
                       line=line_of(d, "privacy")) or {}
    languages = tuple(top.get("languages", BotConfig.languages))
    translations = {code: t for code, item in (top.get("translations") or {}).items()
                    if (t := _translation(r, code, item, line_of(top.get("translations"), code))) is not None}
    abstention = _load_fitted(base, problems, min_coverage) if fitted else \
        Abstention(ABSTENTION_FEATURES, (0.0,) * len(ABSTENTION_FEATURES), 0.0, 0.5, min_coverage)
    problems += r.problems
    if r.problems or abstention is None:
        return None
    return BotConfig(
        title=top["title"], intro=top["intro"], examples=tuple(top["examples"]),
        clinic_name=clinic["name"], clinic_contact=clinic["contact"], disclaimers=disclaimers,
        messages=messages, crisis_message=crisis_message, crisis_resources=resources,
        retrieval=retrieval, abstention=abstention, max_question_chars=max_chars,
        cors_origins=tuple(web.get("cors_origins", ())), frame_ancestors=tuple(web.get("frame_ancestors", ())),
        log_unanswered=privacy.get("log_unanswered", BotConfig.log_unanswered),
        unanswered_db=privacy.get("unanswered_db", BotConfig.unanswered_db), languages=languages,
        translations=translations, clinic_phone=clinic.get("phone", "").replace(" ", ""),
        clinic_email=clinic.get("email", ""))


def _disclaimers(r: Reader, top: dict[str, Any], d: Any) -> dict[str, str]:
    """One disclaimer per reply kind (`disclaimers:`), or the same one for all (`disclaimer:`)."""
    if "disclaimers" in top:
        f = r.fields(top["disclaimers"], "disclaimers", dict.fromkeys(KINDS, "text"),
                     line=line_of(d, "disclaimers")) or {}
        return {k: " ".join(v.split()) for k, v in f.items()}
    if "disclaimer" in top:
        return dict.fromkeys(KINDS, " ".join(top["disclaimer"].split()))
    r.error(getattr(d, "line", 1), "bot.yaml: missing 'disclaimers' (the fixed text under every reply: answer, "
            "referral, crisis)")
    return {}


def _messages(r: Reader, data: Any, where: str, line: int, required: bool = True) -> dict[str, str]:
    f = r.fields(data, where, MESSAGES if required else {}, {**OPTIONAL_MESSAGES, **({} if required else MESSAGES)},
                 line=line) or {}
    for key, msg in f.items():
        check_placeholders(r, msg, f"{where}.{key}", line_of(data, key, line))
    return dict(f)


def _crisis(r: Reader, data: Any, where: str, line: int) -> tuple[str, tuple[Resource, ...]]:
    crisis = r.fields(data, where, {"message": "text", "resources": "list"}, line=line) or {}
    resources = []
    res_list = crisis.get("resources", [])
    for item, at in zip(res_list, getattr(res_list, "lines", []), strict=False):
        f = r.fields(item, "crisis resource", {"name": "text", "contact": "text"}, {"links": "list"}, line=at)
        if not f or "name" not in f or "contact" not in f:
            continue
        links = []
        for link, link_line in zip(f.get("links", []), getattr(f.get("links"), "lines", []), strict=False):
            lf = r.fields(link, "crisis resource link", {"label": "text", "href": "text"}, line=link_line)
            if lf and len(lf) == 2:
                if (why := link_problem(lf["href"])) is not None:
                    r.error(line_of(link, "href", link_line), f"{where}: {why}")
                links.append(Link(lf["label"], lf["href"]))
        resources.append(Resource(f["name"], f["contact"], tuple(links)))
    if "resources" in crisis and not resources:
        r.error(line_of(data, "resources", line), f"{where}: 'resources' must list at least one resource")
    return " ".join(crisis.get("message", "").split()), tuple(resources)


def _translation(r: Reader, code: str, item: Any, line: int) -> Translation | None:
    where = f"translations.{code}"
    f = r.fields(item, where, {"disclaimers": "mapping", "crisis": "mapping"},
                 {"messages": "mapping", "referrals": "mapping"}, line=line)
    if not f:
        return None
    disclaimers = r.fields(f.get("disclaimers", {}), f"{where}.disclaimers", dict.fromkeys(KINDS, "text"),
                           line=line_of(item, "disclaimers", line)) or {}
    messages = _messages(r, f.get("messages", {}), f"{where}.messages", line_of(item, "messages", line), False)
    crisis_message, resources = _crisis(r, f.get("crisis", {}), f"{where}.crisis", line_of(item, "crisis", line))
    referrals = {k: " ".join(v.split()) for k, v in (f.get("referrals") or {}).items() if isinstance(v, str)}
    return Translation({k: " ".join(v.split()) for k, v in disclaimers.items()}, messages, crisis_message,
                       resources, referrals)


def _load_fitted(base: Path, problems: list[Problem], min_coverage: float) -> Abstention | None:
    """The abstention model `faqbot calibrate` wrote; a missing or broken one is a problem to re-calibrate."""
    path = base / FITTED
    fix = "run `faqbot calibrate` to write it"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem(FITTED, 1, f"missing: the fitted abstention model; {fix}"))
        return None
    except (OSError, ValueError) as exc:
        problems.append(Problem(FITTED, 1, f"unreadable ({exc}); {fix}"))
        return None
    try:
        feats = tuple(str(x) for x in data["features"])
        weights = tuple(float(x) for x in data["weights"])
        bias, threshold = float(data["bias"]), float(data["threshold"])
    except (KeyError, TypeError, ValueError):
        problems.append(Problem(FITTED, 1, f"needs features, weights, bias and threshold; {fix}"))
        return None
    if any(x not in ABSTENTION_FEATURES for x in feats) or len(feats) != len(weights):
        problems.append(Problem(FITTED, 1, f"features must be among {', '.join(ABSTENTION_FEATURES)} and match the "
                                f"weights one to one; {fix}"))
        return None
    return Abstention(feats, weights, bias, threshold, min_coverage)


def write_fitted(base: Path, abstention: Abstention, provenance: dict[str, Any]) -> Path:
    """Store a fitted abstention model (machine-owned: never edited by hand)."""
    path = base / FITTED
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"_comment": "Written by `faqbot calibrate`; do not edit. Re-run it after editing passages.",
            "features": list(abstention.features), "weights": list(abstention.weights), "bias": abstention.bias,
            "threshold": abstention.threshold, **provenance}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def check_placeholders(r: Reader, text: str, where: str, line: int) -> None:
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
