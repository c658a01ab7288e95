"""The risk-coverage curve of the answer-or-refer decision, drawn as an SVG file a curator can open.

Each point is one abstention threshold: coverage (the share of answerable questions that get a quote)
against the precision of the quotes given. Rules decide some questions whatever the threshold (a full
match is always answered; nothing matched, a not-covered topic or low coverage never is), so the curve
moves only through the questions the model decides. The fitted threshold is marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from .evaluate import Point


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    coverage: float
    precision: float


def risk_coverage(points: list[Point]) -> list[CurvePoint]:
    """Coverage and precision of quotes at every threshold where they change, lowest threshold first."""
    answerable = sum(p.answerable for p in points) or 1
    out = []
    for t in sorted({0.0, 1.0001, *(p.confidence for p in points if p.decided_by_model)}):
        answered = [p for p in points if p.answered_by_rule or (p.decided_by_model and p.confidence >= t)]
        right = sum(p.right for p in answered)
        out.append(CurvePoint(t, sum(p.answerable for p in answered) / answerable,
                              right / len(answered) if answered else 1.0))
    return out


def draw(curve: list[CurvePoint], threshold: float, title: str, path: Path) -> Path:
    """Write the curve as a self-contained SVG (no script, no external resource)."""
    w, h, m = 640, 420, 56
    def x(c: float) -> float:
        return m + c * (w - 2 * m)

    def y(p: float) -> float:
        return h - m - p * (h - 2 * m)

    line = " ".join(f"{x(c.coverage):.1f},{y(c.precision):.1f}" for c in curve)
    fitted = min(curve, key=lambda c: abs(c.threshold - threshold)) if curve else None
    grid = "".join(f'<line x1="{x(0)}" y1="{y(v):.1f}" x2="{x(1)}" y2="{y(v):.1f}" stroke="#ddd"/>'
                   f'<text x="{m - 8}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="12">{v:.1f}</text>'
                   f'<line x1="{x(v):.1f}" y1="{y(0)}" x2="{x(v):.1f}" y2="{y(1)}" stroke="#ddd"/>'
                   f'<text x="{x(v):.1f}" y="{h - m + 18}" text-anchor="middle" font-size="12">{v:.1f}</text>'
                   for v in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0))
    mark = "" if fitted is None else (
        f'<circle cx="{x(fitted.coverage):.1f}" cy="{y(fitted.precision):.1f}" r="5" fill="#b91c1c"/>'
        f'<text x="{x(fitted.coverage) + (-8 if fitted.coverage > 0.5 else 8):.1f}" '
        f'y="{y(fitted.precision) + 20:.1f}" text-anchor="{"end" if fitted.coverage > 0.5 else "start"}" '
        f'font-size="12" fill="#b91c1c">'
        f'threshold {threshold:.3f}: coverage {fitted.coverage:.2f}, precision {fitted.precision:.2f}</text>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif">'
           f'<rect width="100%" height="100%" fill="white"/>{grid}'
           f'<line x1="{x(0)}" y1="{y(0.95):.1f}" x2="{x(1)}" y2="{y(0.95):.1f}" stroke="#2563eb" '
           f'stroke-dasharray="4 4"/><text x="{x(0) + 4}" y="{y(0.95) - 4:.1f}" font-size="11" fill="#2563eb">'
           f'precision goal 0.95</text>'
           f'<polyline points="{line}" fill="none" stroke="#111" stroke-width="2"/>{mark}'
           f'<text x="{w / 2}" y="24" text-anchor="middle" font-size="15">{escape(title)}</text>'
           f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle" font-size="13">coverage: answerable questions '
           f'quoted</text><text x="16" y="{h / 2}" font-size="13" transform="rotate(-90 16 {h / 2})" '
           f'text-anchor="middle">precision: quotes that answer</text></svg>\n')
    path.write_text(svg, encoding="utf-8")
    return path
