"""Architecture checks: answering stays light, imports run one way, and no module grows past 450 lines."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "src" / "faqbot"
HEAVY = ("gradio", "sklearn", "scipy", "fastapi")
MAX_LINES = 450

_ASK = f"""
import json, sys
import faqbot
bot = faqbot.FAQBot.load()
replies = [bot.ask(q).kind for q in ("What is ketamine?", "i want to die", "how many mg should i take",
                                     "asdf qwer zxcv", "what does ketamin feel like", "")]
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
print(json.dumps({{"replies": replies, "heavy": heavy}}))
"""


def test_answering_imports_no_web_or_fitting_library():
    proc = subprocess.run([sys.executable, "-c", _ASK], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["replies"][:3] == ["answer", "crisis", "referral"]  # the pipeline really ran
    assert out["heavy"] == []


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, inside functions too, except under `if TYPE_CHECKING:` (never run)."""
    out: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package modules it imports, from every import statement (inside functions too)."""
    files = {module_name(p): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        here = name.split(".") if is_package else name.split(".")[:-1]
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                base = (".".join(here[: len(here) - node.level + 1]) if node.level else "")
                base = ".".join(x for x in (base, node.module or "") if x)
                # `from . import x` names a module when x is one; otherwise the import is of the package.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                while target and target not in files:  # `import faqbot.web.api` imports faqbot.web.api
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_graph_sees_the_imports_it_should():
    graph = import_graph()
    assert {"faqbot.decision", "faqbot.retrieval", "faqbot.triage"} <= graph["faqbot.bot"]
    assert "faqbot.bot" in graph["faqbot"]
    assert "faqbot.unanswered" in graph["faqbot.web.serve"]  # `from ..unanswered import load_bot` in a subpackage
    assert "faqbot.web.api" in graph["faqbot.web.serve"]  # imported inside serve()


def test_imports_only_for_type_checkers_are_not_edges():
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import A\nelse:\n"
                     "    from .b import B\ndef f():\n    from .c import C\n")
    assert [n.module for n in _runtime_imports(tree) if isinstance(n, ast.ImportFrom)] == ["typing", "b", "c"]


def test_find_cycle_finds_a_cycle_and_only_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_among_faqbot_modules():
    assert find_cycle(import_graph()) is None


def test_no_module_is_over_450_lines():
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text(encoding="utf-8").splitlines())
             for p in PACKAGE.rglob("*.py")}
    assert len(sizes) > 20
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
