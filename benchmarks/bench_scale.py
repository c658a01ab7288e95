"""Scale: generated knowledge bases (benchmarks/gen_kb.py), each loaded and asked in a fresh process.

    .venv/bin/python benchmarks/bench_scale.py load KB_DIR           # prints one JSON line
    .venv/bin/python benchmarks/bench_scale.py ask ROUNDS KB_DIR...  # prints one JSON line

`load` runs once per base in a fresh process: it imports what loading needs, takes its RSS as the baseline,
loads the base and asks it questions (half the dev set's, half the base's own with a word dropped or added),
then builds rank_bm25 on the same documents (the anchor for load time) and times its `get_scores` on some of
them. `ask` loads every base in one process and times `ask` on each in turn, round by round.
"""

from __future__ import annotations

import gc
import itertools
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import PY, Report, fmt_mb, fmt_time, summarize

SMALL, LARGE = 0.5e-3, 1e-3  # ask median targets below and from 10,000 passages (seconds)
CLIFF = 1.5  # a base may not answer more slowly than this many times the next larger one


def _questions(bot: Any, dev: list[str], n: int, rng: random.Random) -> list[str]:
    out = [dev[i % len(dev)] for i in range(n // 2)]
    while len(out) < n:
        words = rng.choice(rng.choice(bot.passages).questions).split()
        if len(words) > 3:
            del words[rng.randrange(len(words))]
        if rng.random() < 0.3:
            words.append(rng.choice(rng.choice(bot.passages).questions[0].split()))
        out.append(" ".join(words))
    return out


def load_worker(kb: str, bm25_queries: int = 40) -> dict[str, Any]:
    """Load time and memory of one base in a fresh process, and rank_bm25 built and queried on its documents."""
    import numpy  # noqa: F401  (everything load needs, imported before the baseline)
    import psutil
    import snowballstemmer  # noqa: F401
    import yaml  # noqa: F401
    from bench_ask import dev_questions

    from faqbot import FAQBot
    from faqbot.text import normalize

    proc = psutil.Process()
    gc.collect()
    base = proc.memory_info().rss
    t0 = time.perf_counter()
    bot = FAQBot.load(kb)
    load_s = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    questions = _questions(bot, dev_questions(), 300, random.Random(7))
    for q in questions:
        bot.ask(q)
    gc.collect()
    after = proc.memory_info().rss

    from rank_bm25 import BM25Okapi

    cfg = bot.config.retrieval
    docs = bot.corpus.tokens()
    t0 = time.perf_counter()
    bm25 = BM25Okapi(docs, k1=cfg.k1, b=cfg.b, epsilon=cfg.epsilon)
    build_s = time.perf_counter() - t0
    bm_ns = []
    for t in [t for t in (bot.analyzer.analyze(normalize(q)) for q in questions) if t][:bm25_queries]:
        t1 = time.perf_counter_ns()
        bm25.get_scores(t)
        bm_ns.append(time.perf_counter_ns() - t1)
    return {"passages": len(bot.passages), "documents": len(docs), "vocabulary": len(bot.index.vocabulary),
            "load_s": load_s, "rss_base": base, "memory_growth": after - base, "peak_growth": peak - base,
            "rank_bm25_build_s": build_s, "rank_bm25_get_scores_us": summarize(bm_ns)}


def ask_worker(kbs: list[str], rounds: int) -> dict[str, Any]:
    """`ask` on every base in one process, round by round in turn, so a busy moment hits every size alike."""
    from bench_ask import dev_questions

    from faqbot import FAQBot

    bots = [FAQBot.load(kb) for kb in kbs]
    asked = [_questions(bot, dev_questions(), 300, random.Random(7)) for bot in bots]
    times: list[list[int]] = [[] for _ in bots]
    clock = time.perf_counter_ns
    for r in range(rounds + 1):
        for bot, questions, out in zip(bots, asked, times, strict=True):
            for q in questions:
                t = clock()
                bot.ask(q)
                if r:  # the first round warms up
                    out.append(clock() - t)
    return {kb: summarize(t) for kb, t in zip(kbs, times, strict=True)}


def _child(*args: str) -> dict[str, Any]:
    proc = subprocess.run([PY, __file__, *args], capture_output=True, text=True, timeout=900,
                          cwd=Path(__file__).parent)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-1500:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(report: Report, sizes: list[int], rounds: int) -> dict[str, Any]:
    from gen_kb import generate

    section = "scale"
    print(f"\n== {section}", flush=True)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="faqbot-kb-") as tmp:
        kbs = {n: str(Path(tmp) / str(n)) for n in sizes}
        for n, kb in kbs.items():
            gen = generate(n, kb)
            results[str(n)] = {**_child("load", kb), "generated": gen}
        asks = _child("ask", str(rounds), *kbs.values())
    for n, kb in kbs.items():
        d = results[str(n)]
        d["ask_us"] = ask = asks[kb]
        bm, target = d["rank_bm25_get_scores_us"], SMALL if n < 10_000 else LARGE
        report.add(section, f"{n:,} passages: `ask` median", fmt_time(ask["median"] / 1e6),
                   f"rank_bm25 `get_scores` {fmt_time(bm['median'] / 1e6)}", f"<= {fmt_time(target)}",
                   ask["median"] <= target * 1e6)
        report.add(section, f"{n:,} passages: load", fmt_time(d["load_s"]),
                   f"rank_bm25 build {fmt_time(d['rank_bm25_build_s'])}")
        report.add(section, f"{n:,} passages: memory growth after load and asks (peak)",
                   f"{fmt_mb(d['memory_growth'])} ({fmt_mb(d['peak_growth'])})",
                   f"its files on disk {fmt_mb(d['generated']['bytes'])}; process before loading "
                   f"{fmt_mb(d['rss_base'])}")
    steps = [(a, b, asks[kbs[a]]["median"] / asks[kbs[b]]["median"]) for a, b in itertools.pairwise(sizes)]
    if steps:
        worst = max(steps, key=lambda s: s[2])
        report.add(section, "no cliff: slowest smaller base against the next larger one",
                   f"{worst[0]:,} vs {worst[1]:,}: {worst[2]:.2f}x",
                   ", ".join(f"{a:,}->{b:,} {1 / r:.2f}x" for a, b, r in steps), f"<= {CLIFF:.1f}x", worst[2] <= CLIFF)
    return results


if __name__ == "__main__":
    if sys.argv[1] == "load":
        print(json.dumps(load_worker(sys.argv[2])))
    else:
        print(json.dumps(ask_worker(sys.argv[3:], rounds=int(sys.argv[2]))))
