"""What every benchmark shares: paths, medians and percentiles, units, and the report of figures beside anchors."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "benchmarks"
KNOWLEDGE = ROOT / "knowledge"
PY = sys.executable


def summarize(values: Sequence[float], scale: float = 1e3) -> dict[str, float]:
    """n, median, p99 (nearest rank), min and max of `values` divided by `scale` (ns -> µs by default)."""
    s = sorted(values)
    if not s:
        return {"n": 0, "median": math.nan, "p99": math.nan, "min": math.nan, "max": math.nan}
    mid = len(s) // 2
    median = s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
    p99 = s[max(0, min(len(s) - 1, math.ceil(0.99 * len(s)) - 1))]
    return {"n": len(s), "median": median / scale, "p99": p99 / scale, "min": s[0] / scale, "max": s[-1] / scale}


def fmt_time(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_mb(n_bytes: float | None) -> str:
    return "n/a" if n_bytes is None else f"{n_bytes / 2**20:.0f} MB"


@dataclass
class Row:
    """One figure: the measurement, its anchor measured in the same run, its target and whether it was met."""

    section: str
    name: str
    value: str
    anchor: str = ""
    target: str = ""
    met: bool | None = None


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, section: str, name: str, value: str, anchor: str = "", target: str = "",
            met: bool | None = None) -> None:
        self.rows.append(Row(section, name, value, anchor, target, met))
        verdict = {True: " MET", False: " MISSED", None: ""}[met]
        print(f"  {name}: {value}" + (f"  [anchor: {anchor}]" if anchor else "")
              + (f"  [target: {target}]" if target else "") + verdict, flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)
