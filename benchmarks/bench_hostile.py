"""5. Hostile inputs to `ask` (for issue 6): how long does the slowest take?

    .venv/bin/python benchmarks/bench_hostile.py worker [--repeats R]

Runs in its own process (bounded by a timeout in run.py) and prints one JSON line per input as it goes, so
a pathological input cannot hang `make bench` and the inputs before it are still reported.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import time
from pathlib import Path
from typing import Any

from common import KNOWLEDGE, PY, Report, fmt_time, summarize

MB = 1_000_000
_EMOJI = ["😀", "😂", "🥲", "😍", "🤔", "😭", "🙏", "👍", "🔥", "💊", "💉", "🧠", "❤️", "👩‍⚕️", "👨‍👩‍👧",
          "🏳️‍🌈", "👍🏽", "🇺🇸", "🫠", "🤷‍♀️"]


def hostile_inputs(rng: random.Random) -> dict[str, str]:
    alphabet = string.ascii_letters + string.digits + string.punctuation + " " * 12 + "\n\téüßñçø中文العربية😀\u200b"
    crisis = "kill myself suicide overdose want to die end it all pills cut hurt dying dead no reason to live "
    # idioms the rules blank out and informational questions: nothing matches early, the whole text is read
    near_miss = ("dying to know killing time its killing me what is the risk of overdose how common is suicidal "
                 "thinking in studies dead tired ")
    depth = MB // len("<div><b></b></div>")
    return {
        "1 MB random text": "".join(rng.choices(alphabet, k=MB)),
        "1 MB repeated crisis words": (crisis * (MB // len(crisis) + 1))[:MB],
        "1 MB crisis-ish idioms and questions (no early match)": (near_miss * (MB // len(near_miss) + 1))[:MB],
        "deeply nested HTML (~1 MB)": "<div><b>" * depth + "what is ketamine <script>alert(1)</script>"
                                      + "</b></div>" * depth,
        "100k emoji (with ZWJ sequences and flags)": "".join(rng.choices(_EMOJI, k=100_000)),
        "1 MB one word": "a" * MB,
        "1 MB whitespace and control characters": "".join(rng.choices(" \t\n\r\x00\x07\x1b\u200b\u2028", k=MB)),
    }


def worker(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    from bench_ask import dev_questions

    from faqbot import FAQBot
    from faqbot.text import normalize

    bot = FAQBot.load(KNOWLEDGE)
    dev = dev_questions()
    for q in dev:
        bot.ask(q)
    clock = time.perf_counter_ns
    normal = []
    for q in dev:
        t = clock()
        bot.ask(q)
        normal.append(clock() - t)
    print(json.dumps({"anchor_dev_ask_us": summarize(normal)}), flush=True)
    triage = getattr(getattr(bot, "triage", None), "check", None)
    for name, text in hostile_inputs(random.Random(6)).items():
        times = []
        reply = None
        for _ in range(args.repeats):
            t = clock()
            reply = bot.ask(text)
            times.append(clock() - t)
        t = clock()
        clean = normalize(text)
        norm_s = (clock() - t) / 1e9
        triage_s = None
        if triage is not None:
            t = clock()
            triage(clean)
            triage_s = (clock() - t) / 1e9
        assert reply is not None
        print(json.dumps({"input": name, "chars": len(text), "max_s": max(times) / 1e9, "min_s": min(times) / 1e9,
                          "normalize_s": norm_s, "triage_s": triage_s, "kind": reply.kind, "reason": reply.reason,
                          "has_disclaimer": bool(reply.disclaimer)}), flush=True)
    return 0


def run(report: Report, repeats: int, timeout: float) -> dict[str, Any]:
    import subprocess

    section = "5. hostile inputs"
    print(f"\n== {section}", flush=True)
    args = [PY, str(Path(__file__)), "worker", "--repeats", str(repeats)]
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=Path(__file__).parent)
        out, note = proc.stdout, "" if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stderr[-1500:]}"
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        note = f"stopped after {timeout:.0f} s: the next input took longer than that"
    lines = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    anchor = next((x["anchor_dev_ask_us"] for x in lines if "anchor_dev_ask_us" in x), None)
    inputs = [x for x in lines if "input" in x]
    for x in inputs:
        split = f"normalize {fmt_time(x['normalize_s'])}, triage {fmt_time(x['triage_s'])}"
        report.add(section, f"{x['input']}", fmt_time(x["max_s"]), f"{split}; reply {x['kind']}/{x['reason']}")
    if note:
        report.note(f"hostile inputs: {note}")
    worst = max(inputs, key=lambda x: x["max_s"]) if inputs else None
    if worst:
        report.add(section, "slowest hostile input (max over inputs and repeats)", fmt_time(worst["max_s"]),
                   f"dev-set ask median {fmt_time(anchor['median'] / 1e6)}" if anchor else "",
                   "reported (issue 6)", None if not note else False)
    return {"inputs": inputs, "anchor_dev_ask_us": anchor, "repeats": repeats, "note": note,
            "max_s": worst["max_s"] if worst else None, "slowest": worst["input"] if worst else None}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        sys.exit(worker(sys.argv[2:]))
    sys.exit("usage: bench_hostile.py worker [--repeats R]  (the benchmark runs from benchmarks/run.py)")
