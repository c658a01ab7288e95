"""The faqbot command: readable and JSON answers, one-line errors with exit status 1, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import KNOWLEDGE, ROOT

from faqbot.cli import build_parser, main


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "faqbot", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})}, cwd=ROOT)


def test_ask_prints_quote_source_and_disclaimer(capsys, bot):
    assert main(["ask", "What are the side effects of ketamine?"]) == 0
    out = capsys.readouterr().out
    reply = bot.ask("What are the side effects of ketamine?")
    assert reply.passages[0].source.title in out and "  > " in out
    assert "not medical advice" in out


def test_ask_json_is_the_contract(capsys, bot):
    assert main(["ask", "i want to die", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d == bot.ask("i want to die").to_dict() and d["kind"] == "crisis"


def test_check_ok_and_failure(capsys, kb_copy):
    assert main(["check", str(KNOWLEDGE)]) == 0
    assert capsys.readouterr().out.startswith("OK: ")
    (kb_copy / "sources" / "uses-of-ketamine.txt").unlink()
    assert main(["check", str(kb_copy)]) == 1
    err = capsys.readouterr().err
    assert "sources.yaml:" in err and "not found" in err and err.rstrip().endswith("problem(s)")


def test_subprocess_errors_are_one_clear_line_and_exit_1(tmp_path):
    bad = run("ask", "hello", "--knowledge", str(tmp_path / "missing"))
    assert bad.returncode == 1 and "knowledge directory not found" in bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout
    usage = run("ask")
    assert usage.returncode == 1 and usage.stderr.startswith("Error: ") and len(usage.stderr.splitlines()) == 1
    unknown = run("frobnicate")
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr


def test_env_var_points_at_another_knowledge_base(tmp_path):
    result = run("ask", "anything", env={"FAQBOT_KNOWLEDGE": str(tmp_path)})
    assert result.returncode == 1 and "sources.yaml:1: cannot read file" in result.stderr


def test_python_dash_m_and_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("faqbot ")


def test_calibrate_dry_run_reports_figures_and_writes_nothing(capsys, kb_copy):
    fitted = [kb_copy / "fitted" / name for name in ("abstention.json", "passages.npz")]
    stale = fitted[0].read_text().replace('"threshold": ', '"threshold": 0.5, "old": ')
    fitted[0].write_text(stale)
    before = [path.read_bytes() for path in fitted]
    assert main(["calibrate", str(kb_copy), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "top-1 accuracy" in out and "referral accuracy" in out and "crisis recall" in out
    assert [path.read_bytes() for path in fitted] == before


def test_calibrate_repairs_a_stale_fitted_model_and_leaves_bot_yaml_alone(capsys, kb_copy):
    bot_yaml = (kb_copy / "bot.yaml").read_text()
    path = kb_copy / "fitted" / "abstention.json"
    shipped = json.loads(path.read_text())
    path.write_text(path.read_text().replace('"features": [', '"features": ["retired_feature", '))
    assert main(["check", str(kb_copy)]) == 1
    assert "fitted/abstention.json" in capsys.readouterr().err
    assert main(["calibrate", str(kb_copy)]) == 0
    assert main(["check", str(kb_copy)]) == 0
    assert (kb_copy / "bot.yaml").read_text() == bot_yaml
    data = json.loads(path.read_text())
    assert "Written by `faqbot calibrate`" in data["_comment"]
    assert data["threshold"] == pytest.approx(shipped["threshold"], abs=1e-6)  # the shipped fit, re-made from dev


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in commands:
        assert f"faqbot {name}" in readme, name


def test_check_refuses_a_not_covered_entry_that_takes_a_passages_question(capsys, kb_copy, bot):
    """A curator's not-covered entry must not swallow a question a passage was written to answer."""
    from faqbot.text import normalize

    # a question whose own passage is its best match today; the longest, so that an entry repeating it outranks
    # the passage (a short one can stay closer to the long passage that holds each of its words)
    passage, question = max(((p, q) for i, p in enumerate(bot.passages) for q in p.questions
                             if bot.retrieve(normalize(q)).hits.docs[:1] == (i,) and bot.triage.check(q) is None),
                            key=lambda pq: len(pq[1].split()))
    with (kb_copy / "not_covered.yaml").open("a", encoding="utf-8") as f:
        f.write("\n  - id: shadow\n    why: added by a test\n    questions:\n"
                + f"      - {question}\n" * 3)
    assert main(["check", str(kb_copy)]) == 1
    err = capsys.readouterr().err
    assert f"{passage.file}:{passage.line}: passage '{passage.id}': its question {question!r} matches " \
           "not-covered entry 'shadow'" in err
    assert "Traceback" not in err


def test_check_refuses_a_not_covered_question_that_a_passage_answers(capsys, kb_copy, bot):
    """The other way round: a not-covered question that gets a quote is reported where it is written."""
    passage, question = next((p, q) for i, p in enumerate(bot.passages) for q in p.questions
                             if bot.ask(q).kind == "answer" and bot.ask(q).passages[0].id == p.id)
    filler = [f"      - zebra{i} quartz{i} violin{i} harbour{i} lantern{i}\n" for i in range(40)]
    path = kb_copy / "not_covered.yaml"
    line = path.read_text(encoding="utf-8").count("\n") + 2
    with path.open("a", encoding="utf-8") as f:
        f.write("\n  - id: blurred\n    why: added by a test\n    questions:\n" + "".join(filler)
                + f"      - {question}\n")
    assert main(["check", str(kb_copy)]) == 1
    err = capsys.readouterr().err
    assert f"not_covered.yaml:{line}: not-covered entry 'blurred': its question {question!r} is answered by " \
           f"passage '{passage.id}'" in err


def test_check_notes_a_passage_question_that_triage_pre_empts(capsys, kb_copy, bot):
    """A curated question triage refers or calls a crisis is never answered by its passage: check says so (a
    note, exit 0), except for the questions the triage corpus labels on purpose (b25)."""
    import yaml

    from faqbot.check import preempted_questions

    b25 = yaml.safe_load((KNOWLEDGE / "triage" / "corpus" / "b25-curated-referral-kinds.yaml").read_text("utf-8"))
    labelled = [m["text"] for m in b25["messages"]]
    assert len(labelled) == 42 and sum(bot.triage.check(q) is not None for q in labelled) >= 21
    notes = preempted_questions(bot)
    assert not any(f"its question {q!r}" in str(n) for n in notes for q in labelled)
    assert all(n.message.startswith("passage '") and "never answers it" in n.message for n in notes)
    # a curated question that is plainly a crisis, added to the first passage of about.yaml
    path = kb_copy / "passages" / "about.yaml"
    text = path.read_text(encoding="utf-8")
    crisis = "i have the pills counted out and tonight i will end it, what is ketamine"
    path.write_text(text.replace("    questions:\n", f"    questions:\n      - {crisis}\n", 1), encoding="utf-8")
    assert main(["check", str(kb_copy)]) == 0
    out = capsys.readouterr().out
    assert f"its question {crisis!r} as a crisis, so the passage never answers it" in out
    # and the passage classifier, fitted before the edit, is noted as behind it
    assert "fitted/passages.npz:1: the passage classifier was fitted before the latest edit" in out
    assert f"{len(notes) + 2} note(s), not errors" in out


def test_threshold_sits_midway_between_the_lowest_right_quote_and_the_row_below():
    import numpy as np

    from faqbot.calibrate import _best_threshold

    # Ten out-of-scope rows: REFERRAL_TARGET (0.97) lets none of them be quoted.
    prob = np.array([0.9, 0.8, 0.6, 0.5, 0.3, 0.2, 0.1, 0.1, 0.05, 0.05, 0.02, 0.01, -1.0, -1.0])
    y = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    out = np.array([0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1], dtype=bool)
    # The out-of-scope row at 0.5 must be referred, so 0.6 is the lowest right quote: midway is 0.55.
    assert _best_threshold(prob, y, out) == 0.55
    # Only rule-referred rows (-1) below the lowest right quote: the cut-off is that quote, never below 0.
    prob2, y2, out2 = np.array([0.7, 0.4, -1.0, -1.0]), np.array([1, 1, 0, 0]), np.array([0, 0, 1, 1], dtype=bool)
    assert _best_threshold(prob2, y2, out2) == 0.4


def test_fit_triage_prints_each_label_and_a_row_per_language():
    from pathlib import Path

    from faqbot.cli import fit_report_lines
    from faqbot.triage_fit import FitReport

    def f(recall: float, threshold: float) -> dict[str, float]:
        return {"recall": recall, "false_positive_rate": 0.01, "threshold": threshold, "support": 80.0}
    per_label = {"crisis": f(0.97, 0.15), "dose": f(0.79, 0.47)}
    by_language = {"en": {"crisis": f(0.979, 0.15), "dose": f(0.80, 0.47)},
                   "zh": {"crisis": f(0.971, 0.061), "dose": f(0.734, 0.106)}}
    lines = fit_report_lines(FitReport(36375, 31, per_label, Path("fitted/triage.npz"), by_language))
    assert lines[0] == "Fitted on 36375 messages from 31 batches (and the curated questions)."
    assert any(x.strip().startswith("dose             recall 0.790") and "threshold 0.470" in x for x in lines)
    header = next(i for i, x in enumerate(lines) if x.startswith("Per language"))
    assert lines[header + 1].split() == ["crisis", "dose"]
    assert lines[header + 3].split() == ["zh", "0.97", "/", "0.06", "0.73", "/", "0.11"]
