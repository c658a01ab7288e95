"""The risk-coverage curve a curator opens after `faqbot eval --curve`."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from faqbot.curve import draw, risk_coverage
from faqbot.evaluate import Point


def test_lower_thresholds_cover_more_and_rules_hold_whatever_the_threshold():
    points = [Point(0.9, True, False, True, True), Point(0.6, True, False, False, True),
              Point(0.3, True, False, False, False), Point(0.0, False, True, True, True),
              Point(0.95, False, False, False, False)]  # decided by a rule that refers: never answered
    curve = risk_coverage(points)
    coverages = [c.coverage for c in curve]
    assert coverages == sorted(coverages, reverse=True)  # thresholds ascend, coverage falls
    assert curve[0].coverage == 1.0 and curve[0].precision == 2 / 4  # everything the model decides answered
    assert curve[-1].coverage == 1 / 3 and curve[-1].precision == 1.0  # only the full match is left


def test_the_svg_is_self_contained_and_marks_the_threshold(tmp_path, bot):
    points = [Point(0.9, True, False, True, True), Point(0.2, True, False, False, False)]
    path = draw(risk_coverage(points), 0.5, "dev <set>", tmp_path / "curve.svg")
    root = ET.parse(path).getroot()  # well-formed XML
    text = path.read_text(encoding="utf-8")
    assert root.tag.endswith("svg") and "<script" not in text and "href" not in text
    assert "threshold 0.500" in text and "dev &lt;set&gt;" in text
