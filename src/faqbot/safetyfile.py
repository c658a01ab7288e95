"""Reading safety.yaml: the triage rules, every pattern compile-checked at its own line.

The rules are the overrides beside the fitted classifier (see faqbot.triage): patterns that always mean a
crisis, idioms that never do, and each referral category's patterns and messages.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .botfile import check_placeholders
from .errors import Problem
from .records import REFERRAL_REASONS, Pattern, ReferralRule, SafetyRules
from .yamlfile import Reader, line_of, read_required


def load_safety(base: Path, problems: list[Problem]) -> SafetyRules | None:
    rel = "safety.yaml"
    d = read_required(base, rel, problems)
    if d is None:
        return None
    r = Reader(rel)
    top = r.fields(d, "safety.yaml", {"crisis": "mapping", "referrals": "list"},
                   {"ignore": "list", "informational": "list"})
    if top is None:
        problems += r.problems
        return None
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
        if f["reason"] in seen:
            r.error(line, f"referral '{f['reason']}': reason already used")
        elif f["reason"] not in REFERRAL_REASONS:
            r.error(line, f"referral '{f['reason']}': reason must be one of {', '.join(REFERRAL_REASONS)} "
                    "(the triage labels, see triage/LABELS.md)")
        seen.add(f["reason"])
        check_placeholders(r, f["message"], f"referral '{f['reason']}'.message", line_of(item, "message", line))
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


