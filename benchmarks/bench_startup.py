"""4. Start-up: `import faqbot` in a fresh interpreter, `FAQBot.load()` on the shipped base (cold and warm).

The server's start (process start to the first /api/health 200) and its memory are measured with the HTTP
benchmarks (bench_http.py), which start the server anyway.
"""

from __future__ import annotations

import compileall
import contextlib
import shutil
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common import KNOWLEDGE, PY, ROOT, Report, fmt_mb, fmt_time, run_json, temp_dir

IMPORT_TARGET_S = 0.150

_IMPORT = """
import json, sys, time
t = time.perf_counter()
import {module}
dt = time.perf_counter() - t
rss = None
try:
    import psutil
    rss = psutil.Process().memory_info().rss
except ImportError:
    pass
print(json.dumps({{"seconds": dt, "gradio": "gradio" in sys.modules, "sklearn": "sklearn" in sys.modules,
                  "fastapi": "fastapi" in sys.modules, "scipy": "scipy" in sys.modules, "modules": len(sys.modules),
                  "rss": rss}}))
"""

_COLD_LOAD = """
import json, time
t = time.perf_counter()
from faqbot import FAQBot
t1 = time.perf_counter()
bot = FAQBot.load({kb!r})
t2 = time.perf_counter()
print(json.dumps({{"import": t1 - t, "load": t2 - t1, "passages": len(bot.passages)}}))
"""


def _fresh(code: str, repeats: int, timeout: float = 120, env: dict[str, str] | None = None,
           ) -> tuple[list[dict[str, Any]], str]:
    out, err = [], ""
    for _ in range(repeats):
        data, err = run_json([PY, "-c", code], timeout=timeout, env=env)
        if data is not None:
            out.append(data)
    return out, err


def import_profile() -> dict[str, float]:
    """Seconds of `import faqbot` per top-level package: the cumulative time of its outermost import
    (python -X importtime), so a package's time includes what it imports in turn."""
    proc = subprocess.run([PY, "-X", "importtime", "-c", "import faqbot"], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    per: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[0].startswith("import time:") and parts[1].strip().isdigit():
            top = parts[2].strip().split(".")[0]
            per[top] = max(per.get(top, 0.0), int(parts[1]) / 1e6)
    return dict(sorted(per.items(), key=lambda kv: -kv[1])[:8])


@contextlib.contextmanager
def compiled_copy() -> Iterator[dict[str, str]]:
    """faqbot's sources copied and byte-compiled, first on the path: `import faqbot` as installed from a wheel.

    (This machine's environment may set PYTHONDONTWRITEBYTECODE, so a checkout never caches faqbot's bytecode;
    the libraries' bytecode was written when pip installed them.)"""
    import faqbot

    with temp_dir("faqbot-compiled-") as tmp:
        shutil.copytree(Path(faqbot.__file__).parent, tmp / "faqbot",
                        ignore=shutil.ignore_patterns("__pycache__", "knowledge"))
        compileall.compile_dir(tmp / "faqbot", quiet=1)
        yield {"PYTHONPATH": str(tmp)}


def run(report: Report, repeats: int) -> dict[str, Any]:
    from faqbot import FAQBot

    section = "4. start-up"
    print(f"\n== {section}", flush=True)
    res: dict[str, Any] = {}
    t0 = time.perf_counter()
    run_json([PY, "-c", "pass"], timeout=60)
    interp = time.perf_counter() - t0

    runs, err = _fresh(_IMPORT.format(module="faqbot"), repeats)
    if not runs:
        report.add(section, "import faqbot", f"FAILED: {err}", met=False)
        return {"error": err}
    imp = statistics.median(r["seconds"] for r in runs)
    heavy = [m for m in ("gradio", "fastapi", "sklearn", "scipy") if runs[0][m]]
    numpy_runs, _ = _fresh(_IMPORT.format(module="numpy"), repeats)
    numpy_s = statistics.median(r["seconds"] for r in numpy_runs) if numpy_runs else None
    res["import_faqbot_s"] = [r["seconds"] for r in runs]
    res["import_faqbot_imports"] = {m: runs[0][m] for m in ("gradio", "fastapi", "sklearn", "scipy")}
    res["import_numpy_s"] = [r["seconds"] for r in numpy_runs]
    res["interpreter_start_s"] = interp
    with compiled_copy() as env:
        comp_runs, _ = _fresh(_IMPORT.format(module="faqbot"), repeats, env=env)
    comp = statistics.median(r["seconds"] for r in comp_runs) if comp_runs else None
    res["import_faqbot_compiled_s"] = [r["seconds"] for r in comp_runs]
    res["import_faqbot_by_package_s"] = by_pkg = import_profile()
    top = ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in list(by_pkg.items())[:4] if k != "faqbot")
    report.add(section, f"import faqbot, this checkout (fresh interpreter, median of {len(runs)})", fmt_time(imp),
               f"import numpy alone {fmt_time(numpy_s)}; interpreter start {fmt_time(interp)}; "
               f"inside it (-X importtime): {top}",
               f"<= {IMPORT_TARGET_S * 1e3:.0f} ms", imp <= IMPORT_TARGET_S)
    if comp is not None:
        report.add(section, "import faqbot, bytecode compiled (as installed from a wheel)", fmt_time(comp),
                   f"import numpy alone {fmt_time(numpy_s)}", f"<= {IMPORT_TARGET_S * 1e3:.0f} ms",
                   comp <= IMPORT_TARGET_S)
    report.add(section, "import faqbot pulls in gradio?", "yes" if runs[0]["gradio"] else "no",
               f"heavy modules imported: {', '.join(heavy) or 'none'}", "no", not runs[0]["gradio"])

    gradio_runs, _ = _fresh(_IMPORT.format(module="gradio"), max(1, min(repeats, 3)))
    if gradio_runs:
        res["import_gradio_s"] = statistics.median(r["seconds"] for r in gradio_runs)
        res["import_gradio_rss"] = statistics.median(r["rss"] for r in gradio_runs if r["rss"])
        print(f"  (anchor) import gradio alone: {fmt_time(res['import_gradio_s'])}, "
              f"process RSS {fmt_mb(res['import_gradio_rss'])}", flush=True)

    cold, err = _fresh(_COLD_LOAD.format(kb=str(KNOWLEDGE)), max(1, min(repeats, 3)))
    warm_ns = []
    bot = FAQBot.load(KNOWLEDGE)
    for _ in range(10 if repeats > 2 else 3):
        t = time.perf_counter_ns()
        bot = FAQBot.load(KNOWLEDGE)
        warm_ns.append(time.perf_counter_ns() - t)
    warm = statistics.median(warm_ns) / 1e9
    cold_s = statistics.median(r["load"] for r in cold) if cold else None
    res["load_cold_s"] = [r["load"] for r in cold]
    res["load_warm_s"] = [x / 1e9 for x in warm_ns]
    report.add(section, f"FAQBot.load() shipped base ({len(bot.passages)} passages), first in a fresh process",
               fmt_time(cold_s), f"warm (libraries imported) median {fmt_time(warm)}")
    return res
