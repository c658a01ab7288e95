"""The `faqbot` command: each subcommand is one library call; errors are one line and exit status 1.

    faqbot ask "QUESTION" [--json] [--knowledge DIR]
    faqbot check [DIR]
    faqbot calibrate [DIR] [--dry-run]
    faqbot eval FILE [--json] [--knowledge DIR]
    faqbot serve [--host H] [--port P] [--root-path PATH] [--knowledge DIR]
    faqbot unanswered [--limit N] [--knowledge DIR]
    faqbot init DIR
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from .errors import KnowledgeError

if TYPE_CHECKING:
    from .triage_fit import FitReport


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line and status 1, like every other error here
        self.exit(1, f"Error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="faqbot", description="Answers questions about ketamine therapy by quoting curated "
                     "passages word for word, with their source; refers everything else to a clinician.")
    parser.add_argument("--version", action="version", version=f"faqbot {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question", help="the question, in quotes")
    p.add_argument("--json", action="store_true", help="print the reply as JSON (Answer.to_dict())")
    _knowledge_option(p)

    p = sub.add_parser("check", help="validate a knowledge base; print every problem as file:line: message")
    p.add_argument("dir", nargs="?", help="knowledge directory (default: the shipped one)")

    p = sub.add_parser("calibrate", help="re-fit the passage classifier on the curated questions and "
                       "abstention on eval/dev.yaml and eval/calibration.yaml; store them in fitted/passages.npz "
                       "and fitted/abstention.json (run it after editing passages)")
    p.add_argument("dir", nargs="?", help="knowledge directory (default: the shipped one)")
    p.add_argument("--dry-run", action="store_true", help="fit and report, but write nothing")

    p = sub.add_parser("fit-triage", help="re-fit the triage classifier on triage/corpus/, store it in "
                       "fitted/triage.npz, print out-of-batch figures")
    p.add_argument("dir", nargs="?", help="knowledge directory (default: the shipped one)")
    p.add_argument("--dry-run", action="store_true", help="fit and report, but write nothing")

    p = sub.add_parser("eval", help="measure the bot on a labelled question set (eval/dev.yaml format) or a "
                       "triage message set (triage/LABELS.md format)")
    p.add_argument("file", help="YAML question or message set")
    p.add_argument("--json", action="store_true", help="print the figures and failures as JSON")
    p.add_argument("--rules-only", action="store_true", help="measure triage without the fitted classifier")
    p.add_argument("--curve", metavar="SVG", help="also draw the risk-coverage curve of the abstention threshold")
    _knowledge_option(p)

    p = sub.add_parser("serve", help="start the web chat and JSON API")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    p.add_argument("--root-path", default="", help="URL prefix when served behind a reverse proxy, e.g. /faq")
    _knowledge_option(p)

    p = sub.add_parser("unanswered", help="list the most frequent unanswered questions (if logging is on)")
    p.add_argument("--limit", type=int, default=20, help="how many to list (default: 20)")
    _knowledge_option(p)

    p = sub.add_parser("init", help="start a clinic's own knowledge base in DIR, copied from the shipped one; "
                       "print what to fill in, the next commands and the embed snippet")
    p.add_argument("dir", help="a new (or empty) directory for it")
    return parser


def _knowledge_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--knowledge", metavar="DIR", help="knowledge directory (default: $FAQBOT_KNOWLEDGE or the "
                   "shipped one)")


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 1
    try:
        return _COMMANDS[args.command](args)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"Error: the knowledge base has {len(exc.problems)} problem(s)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `faqbot eval … | head`: the reader left; not an error
        sys.stderr.close()
        return 0
    except Exception as exc:  # the CLI edge: one line, never a traceback
        print(f"Error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _ask(args: argparse.Namespace) -> int:
    from .bot import FAQBot

    reply = FAQBot.load(args.knowledge).ask(args.question)
    if args.json:
        print(json.dumps(reply.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_reply(reply.to_dict()))
    return 0


def format_reply(reply: Mapping[str, Any]) -> str:
    """A reply as readable plain text: message, quotes with their sources, suggestions, disclaimer."""
    out: list[str] = []
    if reply["message"]:
        out.append(reply["message"])
    for p in reply["passages"]:
        quote = textwrap.fill(" ".join(p["text"].split()), width=88, initial_indent="  > ", subsequent_indent="  > ")
        out.append(f"{quote}\n    - {p['source']['title']} [{p['source']['id']}]\n      in context: /{p['link']}")
    if reply["related"]:
        head = "Related questions:" if reply["kind"] == "answer" else "You could ask:"
        out.append(head + "".join(f"\n  * {q}" for q in reply["related"]))
    out.append(textwrap.fill(reply["disclaimer"], width=88))
    return "\n\n".join(out)


def _check(args: argparse.Namespace) -> int:
    from .check import check

    report = check(args.dir)
    print(f"OK: {report.knowledge.root}: {report.summary()}")
    if report.notes:
        print(f"\n{len(report.notes)} note(s), not errors:")
        for note in report.notes:
            print(f"  {note}")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from .calibrate import calibrate

    result = calibrate(args.dir, write=not args.dry_run)
    a = result.abstention
    print(f"Fitted on {result.examples} questions that reach retrieval ({result.positives} answerable).")
    print("Weights: " + ", ".join(f"{n}={w:+.3f}" for n, w in zip(a.features, a.weights, strict=True))
          + f", bias={a.bias:+.3f}, threshold={a.threshold:.3f}")
    if result.cv_accuracy is not None:
        print(f"Cross-validated accuracy of the answer/refer decision: {result.cv_accuracy:.3f}")
    print("Written to fitted/passages.npz and fitted/abstention.json." if not args.dry_run
          else "Dry run: nothing written.")
    print()
    print(result.report.table())
    _print_failures(result.report.failures)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from pathlib import Path

    from .bot import FAQBot
    from .evaluate import evaluate_file
    from .knowledge import load_knowledge
    from .triage_eval import evaluate_triage, is_message_set, load_messages

    kb = load_knowledge(args.knowledge)
    bot = FAQBot(replace(kb, triage_model=None) if args.rules_only else kb)
    # A sealed set is measured, never read: its items are not printed.
    sealed = "sealed" in Path(args.file).resolve().parts
    if is_message_set(args.file):
        triage = evaluate_triage(bot, load_messages(args.file))
        print(triage.table())
        if not sealed and triage.misses:
            print(f"\n{len(triage.misses)} miss(es):")
            for expected, got, text in triage.misses:
                print(f"- expected {expected}, got {got}: {text[:200]!r}")
        return 0
    report = evaluate_file(args.file, bot)
    if args.curve:
        from .curve import draw, risk_coverage

        path = draw(risk_coverage(report.points), bot.config.abstention.threshold,
                    f"Risk and coverage on {Path(args.file).name}", Path(args.curve))
        print(f"Risk-coverage curve written to {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_dict() if not sealed else {**report.to_dict(), "failures": []},
                         ensure_ascii=False, indent=2))
    else:
        print(report.table())
        if not sealed:
            _print_failures(report.failures)
    return 0


def _fit_triage(args: argparse.Namespace) -> int:
    from .triage_fit import fit_triage

    result = fit_triage(args.dir, write=not args.dry_run)
    print("\n".join(fit_report_lines(result)))
    print(f"Written to {result.path}." if not args.dry_run else "Dry run: nothing written.")
    return 0


def fit_report_lines(result: FitReport) -> list[str]:
    """What `faqbot fit-triage` prints: the out-of-fold figures per label, then per language and label, then
    for long messages."""
    from .triage_fit import POOLED
    from .triage_model import LONG

    lines = [f"Fitted on {result.examples} messages from {result.batches} batches (and the curated questions).",
             "Out-of-fold figures (5-fold cross-validation over the corpus; thresholds set for recall):"]
    lines += [f"  {name:16} recall {f['recall']:.3f}  false positives {f['false_positive_rate']:.3f}  "
              f"threshold {f['threshold']:.3f}  (n={int(f['support'])})" for name, f in result.per_label.items()]
    if result.by_language:
        labels = list(result.per_label)
        lines.append("Per language, out of fold: recall / threshold (its own with enough of the label's messages, "
                     "at most the overall one):")
        lines.append("  " + " " * 6 + "".join(f"{label[:15]:>16}" for label in labels))
        for lang, figures in result.by_language.items():
            cells = (f"{figures[label]['recall']:.2f} / {figures[label]['threshold']:.2f}" for label in labels)
            lines.append(f"  {lang:6}" + "".join(f"{c:>16}" for c in cells))
    if result.long:
        lines.append(f"Long messages (over {LONG} characters, scored whole and in parts), out of fold, at their own "
                     "threshold (where the corpus has enough of them; elsewhere the thresholds above):")
        lines += [f"  {lang:3} {name:16} recall {f['recall']:.3f}  false positives {f['false_positive_rate']:.3f}  "
                  + (f"threshold {f['threshold']:.3f}" if lang != POOLED else
                     f"offset {f['threshold']:+.2f} (the other languages, pooled)") + f"  (n={int(f['support'])})"
                  for lang, figures in result.long.items() for name, f in figures.items()]
    return lines


def _print_failures(failures: list) -> None:
    if not failures:
        return
    print(f"\n{len(failures)} failure(s):")
    for f in failures:
        print(f"- {f.question!r}\n    expected {f.expected}, got {f.got}")


def _serve(args: argparse.Namespace) -> int:
    try:
        from .web import serve
    except ImportError as exc:
        raise RuntimeError(f"the web chat needs the 'web' extra: pip install 'faqbot[web]' ({exc})") from None
    serve(knowledge=args.knowledge, host=args.host, port=args.port, root_path=args.root_path)
    return 0


def _unanswered(args: argparse.Namespace) -> int:
    from .knowledge import load_knowledge
    from .unanswered import UnansweredLog

    kb = load_knowledge(args.knowledge)
    log = UnansweredLog.for_knowledge(kb)
    if log is None:
        print("The unanswered-question log is off (privacy.log_unanswered in bot.yaml).")
        return 0
    rows = log.most_frequent(args.limit)
    if not rows:
        print("No unanswered questions logged yet.")
    for count, question in rows:
        print(f"{count:5d}  {question}")
    return 0


def _init(args: argparse.Namespace) -> int:
    from .init import InitError, init_knowledge, init_report

    try:
        created = init_knowledge(args.dir)
    except InitError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(init_report(created))
    return 0


_COMMANDS = {"ask": _ask, "check": _check, "calibrate": _calibrate, "fit-triage": _fit_triage, "eval": _eval,
             "serve": _serve, "unanswered": _unanswered, "init": _init}
