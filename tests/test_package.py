"""Packaging: `import faqbot` stays light, and an installed wheel finds its shipped knowledge base."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from conftest import ROOT


def test_import_is_light():
    code = "import sys, faqbot; print(sorted(m for m in ('gradio', 'sklearn', 'fastapi', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_wheel_ships_the_knowledge_base_and_finds_it(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("faqbot-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "faqbot/knowledge/bot.yaml" in names and "faqbot/knowledge/sources.yaml" in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    code = ("import faqbot, faqbot.knowledge as k; print(faqbot.__file__); print(k.default_knowledge_dir()); "
            "print(faqbot.FAQBot.load().ask('What is ketamine used for?').kind)")
    env = {k: v for k, v in os.environ.items() if k != "FAQBOT_KNOWLEDGE"} | {"PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                         check=True).stdout.splitlines()
    assert out[0].startswith(str(target)) and out[1].startswith(str(target / "faqbot" / "knowledge"))
