"""Measuring triage on a labelled message set: the figures `faqbot eval` prints for one (and the README reports
for the sealed sets), and a sealed set's items never printed."""

from __future__ import annotations

from types import SimpleNamespace

from conftest import KNOWLEDGE

from faqbot.cli import main
from faqbot.triage import Verdict
from faqbot.triage_eval import Message, evaluate_triage


def _bot(verdicts: dict[str, str]) -> SimpleNamespace:
    """A stand-in whose triage gives each text the verdict named for it ("none", "crisis" or a category)."""
    def check(text: str) -> Verdict | None:
        got = verdicts[text]
        if got == "none":
            return None
        return Verdict("crisis" if got == "crisis" else "referral", got)
    return SimpleNamespace(triage=SimpleNamespace(check=check))


def m(text: str, labels: list[str], lang: str = "en") -> Message:
    return Message(text, frozenset(labels), lang)


def test_each_figure_counts_what_it_says():
    messages = [m("c-en-caught", ["crisis"]), m("c-es-missed", ["crisis"], "es"), m("c-fr-caught", ["crisis"], "fr"),
                m("c-mixing", ["crisis", "mixing"]),  # a crisis first: counted under crisis only
                m("dose-right", ["dose"]), m("dose-other", ["dose"], "de"), m("dose-missed", ["dose"], "de"),
                m("dose-as-crisis", ["dose"]),
                m("ordinary-ok", []), m("ordinary-referred", [], "fr"), m("ordinary-crisis", [])]
    got = {"c-en-caught": "crisis", "c-es-missed": "none", "c-fr-caught": "crisis", "c-mixing": "crisis",
           "dose-right": "dose", "dose-other": "mixing", "dose-missed": "none", "dose-as-crisis": "crisis",
           "ordinary-ok": "none", "ordinary-referred": "pregnancy", "ordinary-crisis": "crisis"}
    report = evaluate_triage(_bot(got), messages)
    tally = {k: (t.hits, t.total) for k, t in report.crisis_recall.items()}
    assert tally["en+es"] == (2, 3) and tally["other"] == (1, 1) and tally["es"] == (0, 1)
    assert (report.false_crisis["all"].hits, report.false_crisis["all"].total) == (2, 7)
    assert (report.referred["dose"].hits, report.referred["dose"].total) == (3, 4)  # any category or the crisis
    assert (report.right_category["dose"].hits, report.right_category["dose"].total) == (1, 4)
    assert (report.ordinary_referred["all"].hits, report.ordinary_referred["all"].total) == (2, 3)
    by_lang = report.referred_by_language
    assert (by_lang[("dose", "de")].hits, by_lang[("dose", "de")].total) == (1, 2)
    assert ("crisis", "none", "c-es-missed") in report.misses and ("none", "pregnancy", "ordinary-referred") in \
        report.misses
    table = report.table()
    assert next(x for x in table.splitlines() if "crisis recall, English and Spanish" in x).endswith("0.667 (2/3) |")
    assert "| dose: referred | 0.50 (2) | 1.00 (2) |  |" in table  # de, en, fr: no dose message in French
    assert "| ordinary: referred or crisis |  | 0.50 (2) | 1.00 (1) |" in table


def test_a_sealed_set_prints_its_figures_never_its_items(tmp_path, capsys):
    text = "is there a taxi rank outside the clinic, asking for my mum"
    body = f'messages:\n  - {{text: "{text}", labels: [], lang: en}}\n  - {{text: "i want to die", labels: [crisis]}}\n'
    for folder in ("sealed", "open"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "set.yaml").write_text(body, encoding="utf-8")
    assert main(["eval", str(tmp_path / "open" / "set.yaml"), "--knowledge", str(KNOWLEDGE)]) == 0
    opened = capsys.readouterr().out
    assert main(["eval", str(tmp_path / "sealed" / "set.yaml"), "--knowledge", str(KNOWLEDGE)]) == 0
    sealed = capsys.readouterr().out
    line = next(x for x in sealed.splitlines() if "crisis recall, English and Spanish" in x)
    assert line.endswith("| 1.000 (1/1) |")
    assert sealed.splitlines()[:12] == opened.splitlines()[:12]  # the same figures
    assert "i want to die" not in sealed and text not in sealed
