"""Reading the machine-written .npz files in fitted/ (the triage and passage classifiers): a file written by
another version of faqbot or unreadable becomes a Problem at its path, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from .errors import Problem

T = TypeVar("T")


def read_npz(path: Path, rel: str, build: Callable[[Any], T], problems: list[Problem], fix: str) -> T | None:
    """`build` applied to the opened file's arrays; None, with a problem at `rel` ending in `fix`, when an array
    it reads is missing (an older or newer format) or the file or an array is unreadable."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return build(data)
    except KeyError:  # another format, missing a field this one reads
        problems.append(Problem(rel, 1, f"written by another version of faqbot; {fix}"))
    except (OSError, ValueError) as exc:
        problems.append(Problem(rel, 1, f"unreadable ({exc}); {fix}"))
    return None
