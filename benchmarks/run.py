"""`make bench`: what faqbot costs a user, each figure beside an anchor measured in the same run, and its target.

    .venv/bin/python benchmarks/run.py                       # everything (a few minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --sections ask,scale  # a subset: cold, ask, scale, web
    .venv/bin/python benchmarks/run.py --quick               # a smoke run; writes to a temporary directory

A full run writes benchmarks/results.json and benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_DIR, Report

SECTIONS = ("cold", "ask", "scale", "web")
SIZES = (1_000, 4_000, 10_000, 20_000)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    versions = {}
    for pkg in ("numpy", "pyyaml", "rank-bm25", "fastapi", "uvicorn", "gradio"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "os": platform.platform(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "versions": versions,
            "loadavg_start": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="faqbot benchmarks (make bench)")
    ap.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {', '.join(SECTIONS)}")
    ap.add_argument("--quick", action="store_true", help="fewer repeats and sizes; results to a temporary directory")
    ap.add_argument("--out", default=None, help="directory for results.json and RESULTS.md (default benchmarks/)")
    args = ap.parse_args(argv)
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    if set(chosen) - set(SECTIONS):
        ap.error(f"unknown section(s): {', '.join(sorted(set(chosen) - set(SECTIONS)))}")
    q = args.quick
    info = machine()
    print(f"faqbot benchmarks: {info['cpu']} ({info['cores']} cores), Python {info['python']}, {info['date']}, "
          f"load average {info['loadavg_start']}", flush=True)
    report = Report()
    if info["loadavg_start"][0] > 1.0:
        report.note(f"the machine was busy when the run started (load average {info['loadavg_start'][0]:.2f} on "
                    f"{info['cores']} cores): every figure is pessimistic, anchors included")
    started = time.perf_counter()

    import bench_ask
    import bench_http
    import bench_scale

    runs = {
        "cold": lambda: bench_ask.cold(report, repeats=3 if q else 7),
        "ask": lambda: bench_ask.shipped(report, rounds=5 if q else 30),
        "scale": lambda: bench_scale.run(report, list(SIZES[:2] if q else SIZES), rounds=2 if q else 10),
        "web": lambda: bench_http.run(report, bench_ask.dev_questions(), seconds=1.0 if q else 3.0,
                                      soak_seconds=3.0 if q else 10.0),
    }
    for name in chosen:
        t0 = time.perf_counter()
        try:
            report.details[name] = runs[name]()
        except Exception as exc:  # one broken section must not lose the others' figures
            traceback.print_exc()
            report.details[name] = {"error": repr(exc)}
            report.add(name, "section", f"FAILED: {exc!r}", met=False)
        print(f"  ({name}: {time.perf_counter() - t0:.0f} s)", flush=True)

    info["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    info["duration_s"] = round(time.perf_counter() - started, 1)
    out = Path(args.out) if args.out else (Path(tempfile.mkdtemp(prefix="faqbot-bench-")) if q else BENCH_DIR)
    out.mkdir(parents=True, exist_ok=True)
    payload = {"machine": info, "quick": q, "figures": [dataclasses.asdict(r) for r in report.rows],
               "notes": report.notes, "details": report.details}
    (out / "results.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    (out / "RESULTS.md").write_text(markdown(payload), encoding="utf-8")
    met = sum(r.met is True for r in report.rows)
    missed = [r for r in report.rows if r.met is False]
    print(f"\n{met} targets met, {len(missed)} missed ({info['duration_s']:.0f} s); wrote {out}/results.json and "
          "RESULTS.md", flush=True)
    return 1 if any(r.value.startswith("FAILED") for r in report.rows) else 0


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(p: dict[str, Any]) -> str:
    m = p["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    lines = ["# faqbot benchmark results", "",
             "Written by `make bench` (`benchmarks/run.py`); do not edit by hand. Each figure stands beside its "
             "anchor, measured in the same run on the same machine.", "",
             f"{m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['os']}; {versions}. {m['date']}, "
             f"{'quick smoke run, ' if p['quick'] else ''}{m['duration_s']:.0f} s; load average "
             f"{m['loadavg_start']} at the start, {m['loadavg_end']} at the end.", ""]
    figures = p["figures"]
    missed = [f for f in figures if f["met"] is False]
    lines += [f"**{sum(f['met'] is True for f in figures)} targets met, {len(missed)} missed.**", ""]
    sections = list(dict.fromkeys(f["section"] for f in figures))
    for name in sections:
        lines += [f"## {name}", "", "| Figure | Measured | Anchor (same run) | Target | |", "|---|---|---|---|---|"]
        verdict = {True: "met", False: "**missed**", None: ""}
        lines += [f"| {_cell(f['name'])} | {_cell(f['value'])} | {_cell(f['anchor'])} | {_cell(f['target'])} | "
                  f"{verdict[f['met']]} |" for f in figures if f["section"] == name]
        lines.append("")
    if p["notes"]:
        lines += ["## Notes", "", *[f"- {_cell(n)}" for n in p["notes"]], ""]
    lines += ["## How", "",
              "- **cold start**: wall time of a fresh `.venv/bin/faqbot ask \"…\"` (load the shipped base, answer, "
              "print), alternated with a fresh `python -c \"import numpy, yaml\"`; bytecode cached as Python does by "
              "default, after one warm-up run of each.",
              "- **ask**: `FAQBot.load()` on `knowledge/`, then every question of `knowledge/eval/dev.yaml`, round by "
              "round alternated with `rank_bm25.BM25Okapi.get_scores` on the same documents (`Corpus.tokens()`) "
              "and the same analysed question terms.",
              "- **scale**: `benchmarks/gen_kb.py` bases (verbatim quotes of the shipped sources, varied questions, "
              "Zipf-distributed word variants so that vocabulary grows as in real text), each loaded and asked in a "
              "fresh process; memory is RSS growth over a baseline taken after importing what loading needs; the size "
              "on disk leaves out fitted/ (the shipped models, copied). "
              "No cliff: no base answers more slowly than 1.5x the next larger one.",
              "- **web server**: `tests/webserver.py`'s `live_server` (the harness the HTTP tests use) starts "
              "`faqbot.web.serve` on loopback; keep-alive `http.client` threads; the soak sends unique questions "
              "and checks each reply echoes its own.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
