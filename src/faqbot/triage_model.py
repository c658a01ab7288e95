"""Applying the fitted triage classifier: per-label probabilities and the message's language, numpy only.

The model is a weight table over hashed character n-grams (faqbot.triage_features) with one logistic
output per label (crisis and each referral category) and a softmax over languages, fitted by
`faqbot fit-triage` (faqbot.triage_fit, scikit-learn) on the corpus in triage/corpus/ and stored in the
machine-owned fitted/triage.npz together with the digest of the corpus it was fitted on: loading refuses
a model that does not match its corpus. Applying it never imports scikit-learn.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import Problem
from .npzfile import read_npz
from .triage_features import BITS, buckets, normalize, vectorize

MODEL = "fitted/triage.npz"
CORPUS = "triage/corpus"
# 5: a logit offset per label for long messages; 4: every label's threshold per language; 3: crisis's only;
# 2: weights as int16 with a scale per output; 1: float16
FORMAT = 5
LONG = 160  # characters: a longer message is also scored sentence by sentence, so one line is not diluted
WINDOW = 400  # characters: a message longer than this is scored only in windows of sentences up to this long
# Sentence ends only: splitting at "and" or "but" too left fragments ("and I have many questions") that the
# classifier, never shown such scraps, read as distress.
_SENTENCES = re.compile(r"(?<=[.!?。！？;:\n])\s+|[。！？]")


@dataclass(frozen=True)
class Scores:
    """One message's scores: probability per label, its language and how sure that is."""

    probs: dict[str, float]
    language: str
    language_p: float
    long: bool = False  # scored in parts as well as whole (over LONG characters): see TriageModel.thresholds_in


@dataclass(frozen=True)
class TriageModel:
    labels: tuple[str, ...]
    languages: tuple[str, ...]
    thresholds: dict[str, float]  # per label, over all languages
    # per language, per label: at most the overall threshold (faqbot.triage_fit sets each for the same recall)
    language_thresholds: dict[str, dict[str, float]]
    weights: np.ndarray  # buckets x (labels + languages), int16: each column times its `scale` is the weight
    # (see `quantize`). float32 would double the file and the cold start's load; float16 rows cost 5 µs a
    # message to widen, int16 ones a fifth of that, at a logit error below 0.001.
    scale: np.ndarray
    bias: np.ndarray
    idf: np.ndarray
    corpus_sha256: str
    # per language and label, added to the threshold's logit for a long message: its score is the highest of
    # several parts', which sits above one whole message's (faqbot.triage_fit sets each where it was measured)
    long_offsets: dict[str, dict[str, float]]

    def thresholds_in(self, language: str | None, long: bool = False) -> dict[str, float]:
        """The probability at which each label fires for a message in `language` (None: the language is unsure,
        or one the model does not know: the overall thresholds); `long`: for a message scored in parts."""
        t = self.thresholds if language is None else self.language_thresholds.get(language, self.thresholds)
        offsets = self.long_offsets.get(language or "", {}) if long else {}
        return {label: _shift(p, offsets.get(label, 0.0)) for label, p in t.items()} if offsets else t

    def score(self, text: str) -> Scores:
        """The highest score per label over the message's parts (see `message_parts`), and the message's language."""
        n = len(self.labels)
        parts = message_parts(text)
        whole = self._logits(normalize(parts[0]))
        top = whole[:n]
        for part in parts[1:]:  # the highest logit is the highest probability: compare logits
            top = np.maximum(top, self._logits(normalize(part))[:n])
        probs = 1.0 / (1.0 + np.exp(-top.clip(-60.0, 60.0)))
        lang = whole[n:]
        best = int(lang.argmax())
        share = 1.0 / float(np.exp(lang - lang[best]).sum())  # the softmax at the most likely language
        return Scores(dict(zip(self.labels, probs.tolist(), strict=True)), self.languages[best], share,
                      long=len(text) > LONG)

    def _logits(self, normalized: str) -> np.ndarray:
        b, v = vectorize(self.idf, buckets(normalized))
        if not len(b):
            return self.bias.copy()
        # take() rather than weights[b]: the same rows at a quarter of the cost
        return (v.astype(np.float32) @ self.weights.take(b, axis=0)) * self.scale + self.bias


def _shift(p: float, offset: float) -> float:
    """The probability `p` moved by `offset` in logits."""
    if offset == 0.0 or not 0.0 < p < 1.0:
        return p
    return 1.0 / (1.0 + math.exp(-(math.log(p / (1.0 - p)) + offset)))


def quantize(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float weights (buckets x outputs) as int16 and a scale per output: column j is int16[:, j] * scale[j]."""
    peak = np.abs(weights).max(axis=0).astype(np.float32)
    scale = np.where(peak > 0, peak / 32767, 1.0).astype(np.float32)
    return np.round(weights / scale).astype(np.int16), scale


def message_parts(text: str) -> list[str]:
    """What is scored: a short message whole; a longer one whole and by sentence, so one line of ideation is
    not diluted; a message over WINDOW characters only in windows of consecutive sentences up to WINDOW long
    (each starting one sentence later) and by sentence, because a whole essay's score drifts with its length."""
    if len(text) <= LONG:
        return [text]
    sentences = [s for s in _SENTENCES.split(text) if s and s.strip()]
    if len(text) <= WINDOW:
        return [text, *(s for s in sentences if len(s) >= 12)]
    pieces: list[str] = []
    for s in sentences:  # a "sentence" longer than a window is cut into overlapping windows
        pieces += [s[i:i + WINDOW] for i in range(0, max(len(s) - WINDOW // 2, 1), WINDOW // 2)]
    windows = []
    for i in range(len(pieces)):
        window, j = pieces[i], i + 1
        while j < len(pieces) and len(window) + 1 + len(pieces[j]) <= WINDOW:
            window, j = window + " " + pieces[j], j + 1
        windows.append(window)
        if j == len(pieces):
            break
    return windows + [p for p in pieces[1:] if len(p) >= 12 and p not in windows]


def corpus_digest(base: Path) -> str:
    """The digest of the training corpus files (names and bytes) and the feature settings."""
    h = hashlib.sha256(f"format={FORMAT};bits={BITS}".encode())
    for path in sorted((base / CORPUS).glob("*.yaml")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def load_triage_model(base: Path, problems: list[Problem]) -> TriageModel | None:
    """The fitted model of the knowledge base at `base`, or None when it has no corpus (rules only)."""
    path = base / MODEL
    has_corpus = any((base / CORPUS).glob("*.yaml"))
    if not path.exists():
        if has_corpus:
            problems.append(Problem(MODEL, 1, "missing: the triage classifier; run `faqbot fit-triage` to fit it "
                                    "on triage/corpus/"))
        return None
    def build(data: Any) -> tuple[TriageModel, int]:
        return TriageModel(
            labels=tuple(str(x) for x in data["labels"]), languages=tuple(str(x) for x in data["languages"]),
            thresholds=dict(zip((str(x) for x in data["labels"]), data["thresholds"].tolist(), strict=True)),
            language_thresholds={
                str(lang): dict(zip((str(x) for x in data["labels"]), row, strict=True))
                for lang, row in zip(data["languages"], data["language_thresholds"].tolist(), strict=True)},
            weights=data["weights"], scale=data["scale"].astype(np.float32),
            bias=data["bias"].astype(np.float32),
            idf=data["idf"].astype(np.float32), corpus_sha256=str(data["corpus_sha256"]),
            long_offsets={str(lang): dict(zip((str(x) for x in data["labels"]), row, strict=True))
                          for lang, row in zip(data["languages"], data["long_offsets"].tolist(), strict=True)},
        ), int(data["format"])

    read = read_npz(path, MODEL, build, problems, "run `faqbot fit-triage`")
    if read is None:
        return None
    model, fmt = read
    shape = (1 << BITS, len(model.labels) + len(model.languages))
    if fmt != FORMAT or model.weights.dtype != np.int16 or model.weights.shape != shape:
        problems.append(Problem(MODEL, 1, "written by another version of faqbot; run `faqbot fit-triage`"))
        return None
    if has_corpus and model.corpus_sha256 != corpus_digest(base):
        problems.append(Problem(MODEL, 1, "does not match triage/corpus/ (the corpus changed since the model was "
                                "fitted); run `faqbot fit-triage`"))
        return None
    return model
