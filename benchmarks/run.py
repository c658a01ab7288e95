"""`make bench`: faqbot's speed and scale, each figure beside its anchor measured in the same run and its target.

    .venv/bin/python benchmarks/run.py                   # everything (about 6 to 10 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick           # a smoke run of everything in under 2 minutes
    .venv/bin/python benchmarks/run.py --sections ask,http --load-seconds 30

Sections: ask (1, the shipped base beside rank_bm25), scale (2, generated bases of 1,000 to 100,000
passages), http (3, 4 and 6: the server's start-up and memory, /api/ask beside /api/health, Gradio's chat
API, 1 versus 2 uvicorn workers, the bounded load test), startup (4: import and load), hostile (5).

A full run writes benchmarks/results.json and benchmarks/RESULTS.md; --quick writes them to a temporary
directory (or to --out) so a smoke run never replaces the real figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_DIR, Report, fmt_mb, machine

SECTIONS = ("ask", "startup", "hostile", "scale", "http")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="faqbot benchmarks (make bench)")
    ap.add_argument("--quick", action="store_true", help="shorten everything: a smoke run in under 2 minutes")
    ap.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {', '.join(SECTIONS)}")
    ap.add_argument("--sizes", default=None, help="scale sizes (default 1000,10000,100000; --quick: 1000,10000)")
    ap.add_argument("--load-seconds", type=float, default=None, help="load-test duration (default 60; --quick: 5)")
    ap.add_argument("--seconds", type=float, default=None, help="each throughput run (default 5; --quick: 1)")
    ap.add_argument("--no-workers", action="store_true", help="skip the 1 vs 2 uvicorn workers comparison")
    ap.add_argument("--profile", action="store_true", help="print a pyinstrument profile of ask (if installed)")
    ap.add_argument("--out", default=None, help="directory for results.json and RESULTS.md (default benchmarks/)")
    args = ap.parse_args(argv)
    args.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    q = args.quick
    args.sizes = [int(x) for x in (args.sizes or ("1000,10000" if q else "1000,10000,100000")).split(",")]
    args.load_seconds = args.load_seconds if args.load_seconds is not None else (5.0 if q else 60.0)
    args.seconds = args.seconds if args.seconds is not None else (1.0 if q else 5.0)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    report = Report()
    info = machine()
    print(f"faqbot benchmarks on {info['cpu_model']} ({info['cpu_count']} cores), Python {info['python']}, "
          f"{info['date']}{' [quick]' if args.quick else ''}; load average {info['loadavg_start']}", flush=True)
    if info["loadavg_start"][0] > 0.5:
        report.note(f"the machine was busy when the run started (load average {info['loadavg_start'][0]:.2f}): "
                    "figures are pessimistic")
    q = args.quick

    def section(name: str, fn: Any) -> None:
        if name not in args.sections:
            return
        t0 = time.perf_counter()
        try:
            report.sections[name] = fn()
        except Exception as exc:  # one broken section must not lose the others' figures
            traceback.print_exc()
            report.sections[name] = {"error": repr(exc)}
            report.note(f"section {name} failed: {exc!r}")
        print(f"  ({name}: {time.perf_counter() - t0:.0f} s)", flush=True)

    import bench_ask
    import bench_hostile
    import bench_http
    import bench_scale
    import bench_startup

    section("ask", lambda: bench_ask.run(report, rounds=5 if q else 40))
    if args.profile and "ask" in args.sections:
        _profile()
    section("startup", lambda: bench_startup.run(report, repeats=2 if q else 7))
    section("hostile", lambda: bench_hostile.run(report, repeats=1 if q else 3, timeout=120 if q else 300))
    section("scale", lambda: bench_scale.run(report, args.sizes, quick=q))
    section("http", lambda: bench_http.run(
        report, bench_ask.dev_questions(), seconds=args.seconds, warmup=0.3 if q else 1.0, starts=1 if q else 3,
        gradio_calls=5 if q else 30, load_seconds=args.load_seconds, load_clients=32, gradio_clients=4,
        workers=not args.no_workers))

    elapsed = time.perf_counter() - started
    info["loadavg_end"] = list(os.getloadavg())
    out = Path(args.out) if args.out else (Path(tempfile.mkdtemp(prefix="faqbot-bench-")) if q else BENCH_DIR)
    out.mkdir(parents=True, exist_ok=True)
    payload = {"machine": info, "quick": q, "arguments": {k: v for k, v in vars(args).items()},
               "duration_s": round(elapsed, 1), "figures": [dataclasses.asdict(r) for r in report.rows],
               "notes": report.notes, "sections": report.sections}
    (out / "results.json").write_text(json.dumps(payload, indent=2, default=_json_default) + "\n", encoding="utf-8")
    (out / "RESULTS.md").write_text(markdown(payload), encoding="utf-8")
    missed = [r for r in report.rows if r.met is False]
    print(f"\n{len(report.rows)} figures, {sum(r.met is True for r in report.rows)} targets met, {len(missed)} missed"
          f" ({elapsed:.0f} s). Wrote {out / 'results.json'} and {out / 'RESULTS.md'}", flush=True)
    for r in missed:
        print(f"  MISSED: {r.section}: {r.name}: {r.value} (target {r.target})")
    return 0


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    return str(o)


def _profile() -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("  (--profile needs pyinstrument: .venv/bin/pip install pyinstrument)")
        return
    from bench_ask import dev_questions

    from faqbot import FAQBot

    bot = FAQBot.load()
    qs = dev_questions()
    profiler = Profiler(interval=0.0001)
    profiler.start()
    for _ in range(20):
        for question in qs:
            bot.ask(question)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False))


def _load(values: list[float] | None) -> str:
    return "n/a" if not values else " / ".join(f"{x:.2f}" for x in values)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(p: dict[str, Any]) -> str:
    m = p["machine"]
    v = m["versions"]
    lines = [
        "# faqbot benchmark results",
        "",
        "Written by `make bench` (`benchmarks/run.py`); do not edit by hand. Every figure stands beside its anchor "
        "(measured in the same run, on the same machine) and its target. Latencies are medians and 99th "
        "percentiles over many calls (`time.perf_counter_ns`, after a warm-up).",
        "",
        "| Machine | |",
        "|---|---|",
        f"| CPU | {m['cpu_model']} |",
        f"| Cores | {m['cpu_count']} ({m['cpus_usable']} usable) |",
        f"| Memory | {fmt_mb(m['memory_bytes'])} |",
        f"| OS | {m['os']} |",
        f"| Python | {m['python']} ({m['python_impl']}) |",
        f"| Date | {m['date']} |",
        f"| Load average (1, 5, 15 min) | at start {_load(m.get('loadavg_start'))}; at end "
        f"{_load(m.get('loadavg_end'))} (other work on the machine inflates every figure) |",
        f"| Packages | numpy {v['numpy']}, scipy {v['scipy']}, scikit-learn {v['scikit-learn']}, rank-bm25 "
        f"{v['rank-bm25']}, fastapi {v['fastapi']}, uvicorn {v['uvicorn']}, gradio {v['gradio']} |",
        f"| Run | {'quick smoke run' if p['quick'] else 'full run'}, {p['duration_s']:.0f} s |",
        "",
    ]
    figures = p["figures"]
    met = sum(f["met"] is True for f in figures)
    missed = [f for f in figures if f["met"] is False]
    lines += [f"**{met} targets met, {len(missed)} missed.**", ""]
    if missed:
        lines += ["Missed:", ""]
        lines += [f"- {f['section']}: {f['name']}: {f['value']} (target {f['target']}; anchor {f['anchor']})"
                  for f in missed]
        lines.append("")
    order: list[str] = []
    for f in figures:
        if f["section"] not in order:
            order.append(f["section"])
    for name in sorted(order):
        lines += [f"## {name}", "", "| Figure | Measured | Anchor (same run) | Target | |", "|---|---|---|---|---|"]
        for f in figures:
            if f["section"] == name:
                verdict = {True: "met", False: "**missed**", None: ""}[f["met"]]
                lines.append(f"| {_cell(f['name'])} | {_cell(f['value'])} | {_cell(f['anchor'])} | "
                             f"{_cell(f['target'])} | {verdict} |")
        lines.append("")
    lines += _details(p["sections"])
    if p["notes"]:
        lines += ["## Notes", ""] + [f"- {_cell(n)}" for n in p["notes"]] + [""]
    lines += ["## How the figures are made", "",
              "- **ask**: `FAQBot.load()` on `knowledge/`, then every question of `knowledge/eval/dev.yaml`, "
              "interleaved with `rank_bm25.BM25Okapi(docs).get_scores(tokens)` on the same analysed passages and "
              "question terms (the documents rebuilt exactly as `FAQBot.__init__` builds them).",
              "- **scale**: `benchmarks/gen_kb.py` writes real knowledge directories (one source per 1,000 "
              "passages, sha256 and notes in sources.yaml, verbatim quotes, varied questions, Zipf-distributed "
              "numbered word variants so that vocabulary and idf grow as in real text). Each size runs in a fresh "
              "process: RSS growth is measured from a baseline taken after importing every library `load` uses.",
              "- **HTTP**: `faqbot serve` in a subprocess on 127.0.0.1; keep-alive HTTP/1.1 clients in threads "
              "(a minimal socket client, so the load generator costs the shared 2 cores little); each run is "
              "bounded by a duration and a request count, after a warm-up. Workers: "
              "`uvicorn --factory faqbot.web:create_app --workers N`.",
              "- **load test**: 32 clients send unique questions to /api/ask; every reply's `question` must equal "
              "what was sent (normalised); a few clients use Gradio's chat API alongside.",
              "- **hostile inputs**: each sent to `ask` directly (not over HTTP, where `/api/ask` refuses bodies over "
              "16 KiB), in a separate process bounded by a timeout; `normalize` and triage are also timed alone.", ""]
    return "\n".join(lines)


def _details(sections: dict[str, Any]) -> list[str]:
    out: list[str] = []
    ask = sections.get("ask") or {}
    if ask.get("stages_median_us"):
        out += ["## Where the time of one `ask` goes (stage medians, µs)", "",
                "| Stage | Median µs |", "|---|---|"]
        out += [f"| {k} | {v:.1f} |" for k, v in ask["stages_median_us"].items()]
        out += ["", f"Replies over the dev set: {ask.get('replies')}.", ""]
    scale = sections.get("scale") or {}
    rows = [(n, d) for n, d in scale.items() if isinstance(d, dict) and "ask_us" in d]
    if rows:
        out += ["## Scale details", "",
                "| Passages | Vocabulary | Load | ask median | ask p99 | rank_bm25 build | rank_bm25 get_scores median "
                "(n) | RSS growth | Peak growth |", "|---|---|---|---|---|---|---|---|---|"]
        for n, d in rows:
            bm = d.get("rank_bm25_get_scores_us") or {}
            build = d.get("rank_bm25_build_s")
            out.append(f"| {int(n):,} | {d['vocabulary']:,} | {d['load_s']:.2f} s | {d['ask_us']['median']:.0f} µs | "
                       f"{d['ask_us']['p99']:.0f} µs | {f'{build:.2f} s' if build else 'n/a'} | "
                       f"{bm.get('median', float('nan')) / 1e3:.2f} ms ({bm.get('n', 0)}) | "
                       f"{fmt_mb(d['memory_growth'])} | {fmt_mb(d['peak_growth'])} |")
        out.append("")
    http = sections.get("http") or {}
    if http.get("throughput"):
        out += ["## HTTP runs", "", "| Run | Clients | Requests | Seconds | req/s | median ms | p99 ms | statuses |",
                "|---|---|---|---|---|---|---|---|"]
        for name, r in http["throughput"].items():
            out.append(f"| {name} | {r['clients']} | {r['requests']:,} | {r['seconds']:.1f} | {r['rps']:,.0f} | "
                       f"{r['latency_ms']['median']:.2f} | {r['latency_ms']['p99']:.2f} | {r['status']} |")
        for n, r in (http.get("workers") or {}).items():
            if "rps" in r:
                label = "2, TCP_NODELAY (diagnostic launcher)" if n == "2-nodelay" else n
                out.append(f"| uvicorn --workers {label}, /api/ask | {r['clients']} | {r['requests']:,} | "
                           f"{r['seconds']:.1f} | {r['rps']:,.0f} | {r['latency_ms']['median']:.2f} | "
                           f"{r['latency_ms']['p99']:.2f} | {r['status']} |")
        lt = http.get("load_test")
        if lt:
            out.append(f"| load test /api/ask | {lt['clients']} | {lt['requests']:,} | {lt['seconds']:.1f} | "
                       f"{lt['rps']:,.0f} | {lt['latency_ms']['median']:.2f} | {lt['latency_ms']['p99']:.2f} | "
                       f"{lt['status']} |")
        out.append("")
    return out


if __name__ == "__main__":
    sys.exit(main())
