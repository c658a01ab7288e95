"""2. Scale: generated knowledge bases of 1,000 to 100,000 passages, each measured in a fresh process.

    .venv/bin/python benchmarks/bench_scale.py worker KB_DIR [--questions N] [--rounds R] ...

The worker loads the base with `FAQBot.load`, times `ask` over a few hundred questions (the dev set's and
variants of the base's own), reads its memory with psutil, then builds rank_bm25 on the same analysed
passages and times its `get_scores` on a few of the same questions (bounded: at 100,000 passages one query
takes about 0.2 s and building it takes a while). It prints one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import signal
import sys
import time
from pathlib import Path
from typing import Any

from common import PY, Report, fmt_mb, fmt_time, run_json, summarize, temp_dir

ASK_TARGET_MS = 1.0
LOAD_TARGET_S = 30.0
MEMORY_TARGET = 2**30


def _questions(bot: Any, dev: list[str], n: int, rng: random.Random) -> list[str]:
    """Half the dev set's questions, half the base's own questions with a word dropped or swapped."""
    half = n // 2
    out = [dev[i % len(dev)] for i in range(half)]
    passages = bot.passages
    while len(out) < n:
        p = passages[rng.randrange(len(passages))]
        words = rng.choice(p.questions).split()
        if len(words) > 3:
            del words[rng.randrange(len(words))]
        if rng.random() < 0.3:
            other = passages[rng.randrange(len(passages))].questions[0].split()
            words.append(rng.choice(other))
        out.append(" ".join(words))
    return out


class _Bound(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Bound


def worker(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("kb")
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bm25-queries", type=int, default=50)
    ap.add_argument("--bm25-build-seconds", type=int, default=120)
    ap.add_argument("--bm25-query-seconds", type=float, default=15.0)
    args = ap.parse_args(argv)

    # Everything FAQBot.load imports, imported first: the growth below is the knowledge base's, not the libraries'.
    import numpy as np
    import psutil
    import scipy.sparse  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401
    import snowballstemmer  # noqa: F401

    from faqbot import FAQBot
    from faqbot.text import normalize

    proc = psutil.Process()
    gc.collect()
    rss_base = proc.memory_info().rss
    t0 = time.perf_counter()
    bot = FAQBot.load(args.kb)
    load_s = time.perf_counter() - t0
    peak_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    gc.collect()
    rss_loaded = proc.memory_info().rss

    from bench_ask import dev_questions

    rng = random.Random(7)
    questions = _questions(bot, dev_questions(), args.questions, rng)
    for q in questions:  # warm-up
        bot.ask(q)
    clock = time.perf_counter_ns
    ask_ns: list[int] = []
    kinds: dict[str, int] = {}
    for r in range(args.rounds):
        for q in questions:
            t = clock()
            a = bot.ask(q)
            ask_ns.append(clock() - t)
            if r == 0:
                kinds[a.kind] = kinds.get(a.kind, 0) + 1
    gc.collect()
    rss_asked = proc.memory_info().rss
    out: dict[str, Any] = {
        "passages": len(bot.passages), "vocabulary": len(getattr(bot.index, "vocabulary", ())),
        "load_s": load_s, "rss_base": rss_base, "rss_after_load": rss_loaded, "rss_after_asks": rss_asked,
        "memory_growth": rss_asked - rss_base, "peak_growth": peak_after_load - rss_base,
        "ask_us": summarize(ask_ns), "questions": len(questions), "rounds": args.rounds, "replies": kinds,
    }
    print(json.dumps(out), flush=True)  # the bot's figures are safe even if rank_bm25 below is cut short

    from rank_bm25 import BM25Okapi

    cfg = bot.config.retrieval
    docs = [bot.analyzer.analyze_all([normalize(p.text), *map(normalize, p.questions)]) for p in bot.passages] + [
        bot.analyzer.analyze_all(map(normalize, n.questions)) for n in bot.not_covered]
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(args.bm25_build_seconds)
    t0 = time.perf_counter()
    try:
        bm25 = BM25Okapi(docs, k1=cfg.k1, b=cfg.b, epsilon=cfg.epsilon)
    except _Bound:
        out["rank_bm25_build_s"] = None
        out["rank_bm25_note"] = f"building BM25Okapi took over {args.bm25_build_seconds} s; stopped"
        print(json.dumps(out), flush=True)
        return 0
    finally:
        signal.alarm(0)
    out["rank_bm25_build_s"] = time.perf_counter() - t0
    tokens = [bot.analyzer.analyze(normalize(q)) for q in questions]
    picked = [t for t in tokens if t][: args.bm25_queries]
    bm_ns: list[int] = []
    diff = 0.0
    started = time.perf_counter()
    for t in picked:
        t1 = clock()
        scores = bm25.get_scores(t)
        bm_ns.append(clock() - t1)
        if hasattr(bot.index, "get_scores"):
            diff = max(diff, float(np.max(np.abs(bot.index.get_scores(t) - scores))))
        if time.perf_counter() - started > args.bm25_query_seconds:
            break
    out["rank_bm25_get_scores_us"] = summarize(bm_ns)
    out["max_score_difference"] = diff
    print(json.dumps(out), flush=True)
    return 0


def run(report: Report, sizes: list[int], quick: bool) -> dict[str, Any]:
    from gen_kb import generate

    section = "2. scale"
    print(f"\n== {section}", flush=True)
    results: dict[str, Any] = {}
    for n in sizes:
        with temp_dir(f"faqbot-kb-{n}-") as kb:
            gen = generate(n, kb)
            print(f"  generated {n} passages ({gen['questions']} questions, {gen['bytes'] / 2**20:.1f} MB) "
                  f"in {gen['seconds']:.1f} s", flush=True)
            bm25_queries = 10 if n >= 100_000 else 50 if n >= 10_000 else 200
            args = [PY, str(Path(__file__)), "worker", str(kb), "--questions", "100" if quick else "300",
                    "--rounds", "1" if quick else "3", "--bm25-queries", str(bm25_queries),
                    "--bm25-build-seconds", "60" if quick else "150"]
            data, err = run_json(args, timeout=900)
        if data is None:
            report.add(section, f"{n:,} passages", f"FAILED: {err}", met=False)
            results[str(n)] = {"error": err, "generated": gen}
            continue
        if err:
            report.note(f"{n:,} passages: worker {err}")
        data["generated"] = gen
        results[str(n)] = data
        ask, bm = data["ask_us"], data.get("rank_bm25_get_scores_us") or {}
        bm_txt = (f"rank_bm25 get_scores {fmt_time(bm['median'] / 1e6)} (n={bm['n']})" if bm.get("n")
                  else f"rank_bm25: {data.get('rank_bm25_note', 'not measured')}")
        big = n >= 100_000
        report.add(section, f"{n:,} passages: ask median", fmt_time(ask["median"] / 1e6), bm_txt,
                   f"<= {ASK_TARGET_MS:.0f} ms" if big else "", ask["median"] <= ASK_TARGET_MS * 1e3 if big else None)
        report.add(section, f"{n:,} passages: ask p99", fmt_time(ask["p99"] / 1e6),
                   f"rank_bm25 p99 {fmt_time(bm['p99'] / 1e6)}" if bm.get("n") else "")
        build = data.get("rank_bm25_build_s")
        report.add(section, f"{n:,} passages: FAQBot.load", fmt_time(data["load_s"]),
                   f"BM25Okapi(docs) build {fmt_time(build)}" if build else "",
                   f"<= {LOAD_TARGET_S:.0f} s" if big else "", data["load_s"] <= LOAD_TARGET_S if big else None)
        report.add(section, f"{n:,} passages: memory growth (RSS after load and asks)", fmt_mb(data["memory_growth"]),
                   f"process base {fmt_mb(data['rss_base'])}", "<= 1 GB" if big else "",
                   data["memory_growth"] <= MEMORY_TARGET if big else None)
        report.add(section, f"{n:,} passages: peak memory growth during load", fmt_mb(data["peak_growth"]),
                   "", "<= 1 GB" if big else "", data["peak_growth"] <= MEMORY_TARGET if big else None)
    return results


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        sys.exit(worker(sys.argv[2:]))
    sys.exit("usage: bench_scale.py worker KB_DIR [options]  (the scale benchmark runs from benchmarks/run.py)")
