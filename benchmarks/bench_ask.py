"""1. `FAQBot.ask` on the shipped knowledge base over the dev set, beside rank_bm25's scoring alone."""

from __future__ import annotations

import gc
import time
from typing import Any

import yaml
from common import KNOWLEDGE, Report, fmt_time, summarize

ASK_TARGET_US = 50.0


def dev_questions(path=KNOWLEDGE / "eval" / "dev.yaml") -> list[str]:
    """The questions of the labelled development set (knowledge/eval/dev.yaml)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [q["question"] for q in data.get("questions", []) if isinstance(q.get("question"), str)]


def analysed_docs(bot: Any) -> list[list[str]]:
    """The bot's BM25 documents, rebuilt exactly as FAQBot.__init__ builds them."""
    from faqbot.text import normalize

    return [bot.analyzer.analyze_all([normalize(p.text), *map(normalize, p.questions)]) for p in bot.passages] + [
        bot.analyzer.analyze_all(map(normalize, n.questions)) for n in bot.not_covered]


def _time_each(fn: Any, args: list[Any], rounds: int) -> list[int]:
    clock = time.perf_counter_ns
    out: list[int] = []
    for _ in range(rounds):
        for a in args:
            t0 = clock()
            fn(a)
            out.append(clock() - t0)
    return out


def run(report: Report, rounds: int) -> dict[str, Any]:
    import numpy as np
    from rank_bm25 import BM25Okapi

    from faqbot import FAQBot
    from faqbot.text import normalize

    section = "1. ask on the shipped knowledge base"
    print(f"\n== {section}", flush=True)
    bot = FAQBot.load(KNOWLEDGE)
    questions = dev_questions()
    cfg = bot.config.retrieval
    docs = analysed_docs(bot)
    bm25 = BM25Okapi(docs, k1=cfg.k1, b=cfg.b, epsilon=cfg.epsilon)
    tokens = [bot.analyzer.analyze(normalize(q)) for q in questions]
    same = None
    if hasattr(bot.index, "get_scores"):  # the index promises rank_bm25's numbers: check it on every dev question
        same = float(max(np.max(np.abs(bot.index.get_scores(t) - bm25.get_scores(t))) for t in tokens))
    kinds: dict[str, int] = {}
    for q in questions:
        k = bot.ask(q).kind
        kinds[k] = kinds.get(k, 0) + 1

    for _ in range(3):  # warm-up: caches (stemmer), branch predictors, allocator
        _time_each(bot.ask, questions, 1)
        _time_each(bm25.get_scores, tokens, 1)
    gc.collect()
    ask_ns: list[int] = []
    bm_ns: list[int] = []
    for _ in range(rounds):  # interleaved, so both see the same machine state
        ask_ns += _time_each(bot.ask, questions, 1)
        bm_ns += _time_each(bm25.get_scores, tokens, 1)
    ask = summarize(ask_ns)
    bm = summarize(bm_ns)

    # Where the time of one ask goes (each stage timed on its own over the same questions).
    stages: dict[str, float] = {}
    normalized = [normalize(q) for q in questions]
    k = cfg.max_passages + cfg.related + 2
    parts = {
        "normalize": (normalize, questions),
        "triage": (getattr(getattr(bot, "triage", None), "check", None), normalized),
        "analyze": (bot.analyzer.analyze, normalized),
        "index.search": ((lambda t: bot.index.search(t, k=k)) if hasattr(bot.index, "search") else None, tokens),
        "retrieve (analyze+search+abstain)": (getattr(bot, "retrieve", None), normalized),
        "Answer.to_dict": (lambda a: a.to_dict(), [bot.ask(q) for q in questions]),
    }
    for name, (fn, args) in parts.items():
        if fn is None:
            continue
        try:
            _time_each(fn, args, 1)
            stages[name] = summarize(_time_each(fn, args, max(3, rounds // 4)))["median"]
        except Exception as exc:  # a renamed internal must not break the benchmark
            stages[name] = float("nan")
            report.note(f"stage {name} not timed: {exc!r}")

    n = len(questions)
    met = ask["median"] <= ASK_TARGET_US
    report.add(section, f"ask median ({n} dev questions x {rounds})", fmt_time(ask["median"] / 1e6),
               f"rank_bm25 get_scores {fmt_time(bm['median'] / 1e6)}", f"<= {ASK_TARGET_US:.0f} µs", met)
    report.add(section, "ask p99", fmt_time(ask["p99"] / 1e6), f"rank_bm25 get_scores p99 {fmt_time(bm['p99'] / 1e6)}")
    ratio = ask["median"] / bm["median"]
    report.add(section, "ask time / rank_bm25 scoring time (medians)", f"{ratio:.2f}x",
               f"rank_bm25 {fmt_time(bm['median'] / 1e6)} on {len(docs)} passages", "< 1.00x (faster)", ratio < 1)
    report.add(section, "stage medians (µs)", ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
    if same is not None:
        report.add(section, "max |BM25Index - rank_bm25| score difference", f"{same:.2e}", "", "~0 (same numbers)",
                   same < 1e-9)
    return {"questions": n, "rounds": rounds, "passages": len(docs), "replies": kinds, "ask_us": ask,
            "rank_bm25_get_scores_us": bm, "ratio": ratio, "stages_median_us": stages,
            "max_score_difference": same, "target_median_us": ASK_TARGET_US}
