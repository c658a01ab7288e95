"""`faqbot ask` from a cold start beside a bare Python import, and `FAQBot.ask` beside rank_bm25's scoring alone."""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml
from common import KNOWLEDGE, PY, ROOT, Report, fmt_time, summarize

COLD_RATIO_TARGET = 4.0
QUESTION = "What are the side effects of ketamine?"


def dev_questions(path: Path = KNOWLEDGE / "eval" / "dev.yaml") -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [q["question"] for q in data.get("questions", []) if isinstance(q.get("question"), str)]


def _wall(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return elapsed


def cold(report: Report, repeats: int) -> dict[str, Any]:
    """A fresh `faqbot ask` process, alternated with a fresh `python -c "import numpy, yaml"` (wall time)."""
    section = "cold start"
    print(f"\n== {section}", flush=True)
    exe = Path(PY).parent / "faqbot"
    cli = [str(exe)] if exe.exists() else [PY, "-m", "faqbot"]
    cli += ["ask", QUESTION]
    bare = [PY, "-c", "import numpy, yaml"]
    # Bytecode written and read as Python does by default (this environment sets PYTHONDONTWRITEBYTECODE, which
    # would leave faqbot's own modules to be compiled on every start, unlike any installed copy).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    _wall(cli, env), _wall(bare, env)  # warm-up: the OS file cache and faqbot's bytecode
    cli_s, bare_s = [], []
    for _ in range(repeats):
        cli_s.append(_wall(cli, env))
        bare_s.append(_wall(bare, env))
    c, b = statistics.median(cli_s), statistics.median(bare_s)
    report.add(section, f'`faqbot ask "…"`, fresh process (median of {repeats})', f"{fmt_time(c)} ({c / b:.1f}x)",
               f'`python -c "import numpy, yaml"` {fmt_time(b)}', f"<= {COLD_RATIO_TARGET:.0f}x",
               c / b <= COLD_RATIO_TARGET)
    out = {"faqbot_ask_s": cli_s, "import_numpy_yaml_s": bare_s, "ratio": c / b}
    return out


def _time_each(fn: Any, args: list[Any]) -> list[int]:
    clock = time.perf_counter_ns
    out = []
    for a in args:
        t0 = clock()
        fn(a)
        out.append(clock() - t0)
    return out


def shipped(report: Report, rounds: int) -> dict[str, Any]:
    """`ask` over every dev question, interleaved round by round with rank_bm25 on the same documents and terms."""
    from rank_bm25 import BM25Okapi

    from faqbot import FAQBot
    from faqbot.text import normalize

    section = "ask, shipped knowledge base"
    print(f"\n== {section}", flush=True)
    bot = FAQBot.load(KNOWLEDGE)
    cfg = bot.config.retrieval
    docs = bot.corpus.tokens()  # exactly the documents the index was built from
    bm25 = BM25Okapi(docs, k1=cfg.k1, b=cfg.b, epsilon=cfg.epsilon)
    questions = dev_questions()
    tokens = [bot.analyzer.analyze(normalize(q)) for q in questions]
    for _ in range(3):  # warm-up
        _time_each(bot.ask, questions), _time_each(bm25.get_scores, tokens)
    gc.collect()
    ask_ns: list[int] = []
    bm_ns: list[int] = []
    for _ in range(rounds):
        ask_ns += _time_each(bot.ask, questions)
        bm_ns += _time_each(bm25.get_scores, tokens)
    ask, bm = summarize(ask_ns), summarize(bm_ns)
    normalized = [normalize(q) for q in questions]
    stages = {"triage": (bot.triage.assess, normalized), "retrieve": (bot.retrieve, normalized),
              "decide (both, and the gates)": (bot.decide, normalized)}
    stage_us = {k: summarize(_time_each(fn, args))["median"] for k, (fn, args) in stages.items()}
    ratio = ask["median"] / bm["median"]
    report.add(section, f"`ask` median ({len(questions)} dev questions x {rounds}, {len(docs)} documents)",
               f"{fmt_time(ask['median'] / 1e6)} ({ratio:.2f}x)", f"rank_bm25 `get_scores` alone "
               f"{fmt_time(bm['median'] / 1e6)}", "no slower (<= 1.00x)", ratio <= 1.0)
    report.add(section, "`ask` p99", fmt_time(ask["p99"] / 1e6), f"rank_bm25 p99 {fmt_time(bm['p99'] / 1e6)}")
    report.add(section, "stage medians inside `ask`", ", ".join(f"{k} {v:.1f} µs" for k, v in stage_us.items()))
    return {"ask_us": ask, "rank_bm25_get_scores_us": bm, "ratio": ratio, "stages_median_us": stage_us,
            "questions": len(questions), "rounds": rounds, "documents": len(docs)}
