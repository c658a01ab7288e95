"""The passage classifier (faqbot.passage_model): fitted by `faqbot calibrate`, stored, read back, and noted by
`faqbot check` when a curation edit leaves it behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import KNOWLEDGE

from faqbot.check import check
from faqbot.errors import KnowledgeError
from faqbot.knowledge import load_knowledge
from faqbot.passage_model import MODEL, documents, documents_digest
from faqbot.text import normalize


@pytest.fixture(scope="module")
def shipped():
    return load_knowledge(KNOWLEDGE)


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    dest = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, dest, ignore=shutil.ignore_patterns("*.sqlite3", "sealed", "corpus"))
    return dest


def test_the_shipped_model_matches_the_shipped_documents(shipped):
    model = shipped.passage_model
    assert model is not None
    assert model.digest == documents_digest(documents(shipped.passages, shipped.not_covered))
    assert set(model.doc_ids) == {p.id for p in shipped.passages} | {n.id for n in shipped.not_covered}


def test_a_curated_question_mostly_gets_its_own_passage_first(shipped):
    """What the fit learned: the curated questions' own documents (a sanity bound, not a measure of new questions)."""
    model = shipped.passage_model
    pairs = [(q, p.id) for p in shipped.passages for q in p.questions]
    right = sum(model.doc_ids[int(model.probabilities(normalize(q)).argmax())] == pid for q, pid in pairs)
    assert right / len(pairs) > 0.9


def test_probabilities_are_a_distribution_and_an_unknown_passage_scores_zero(shipped):
    p = shipped.passage_model.probabilities(normalize("how long do the side effects last"))
    assert p.shape == (len(shipped.passage_model.doc_ids),) and np.isclose(p.sum(), 1.0) and (p >= 0).all()
    assert shipped.passage_model.probability("how long", "no-such-passage") == 0.0
    assert shipped.passage_model.probabilities("") .sum() == pytest.approx(1.0)  # nothing known: the biases alone


# Fitting, and the written file read back as fitted: tests/test_calibrate.py (calibrate does both).


def test_a_missing_model_is_a_problem_that_names_the_fix(kb):
    (kb / MODEL).unlink()
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb)
    assert any(p.file == MODEL and "faqbot calibrate" in p.message for p in err.value.problems)


def test_check_notes_a_model_fitted_before_a_curation_edit(kb):
    assert not [n for n in check(kb).notes if n.file == MODEL]
    path = kb / "passages" / "about.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("      - what is ketamine used for?\n",
                                 "      - what is ketamine used for?\n      - what is ketamine given for\n", 1),
                    encoding="utf-8")
    notes = [n for n in check(kb).notes if n.file == MODEL]
    assert len(notes) == 1 and "faqbot calibrate" in notes[0].message


def test_a_model_file_with_keys_outside_the_hash_space_is_a_problem_not_a_traceback(kb):
    with np.load(kb / MODEL) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["keys"] = arrays["keys"].copy()
    arrays["keys"][-1] = 1 << 30
    np.savez_compressed(kb / MODEL, **arrays)
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb)
    assert any(p.file == MODEL and "faqbot calibrate" in p.message for p in err.value.problems)


def test_triage_and_the_classifier_share_one_hashing_of_the_question():
    """The cached buckets are read-only, so no caller can change what another reads."""
    from faqbot.triage_features import buckets

    b = buckets(" is ketamine safe ")
    assert buckets(" is ketamine safe ") is b and not b.flags.writeable
