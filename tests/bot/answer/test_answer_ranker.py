"""The answer model's files: saved, loaded, and refused in one line when wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.answer.abstain import ABSTAIN_FEATURES
from bot.answer.features import CANDIDATE_FEATURES
from bot.answer.ranker import (
    Abstainer,
    AnswerModel,
    AnswerModelError,
    Ranker,
    load_answer_model,
    save_answer_model,
)

ROOT = Path(__file__).resolve().parents[3]


def _model() -> AnswerModel:
    rng = np.random.default_rng(0)
    d, h, a = len(CANDIDATE_FEATURES), 3, len(ABSTAIN_FEATURES)
    ranker = Ranker(
        np.zeros(d), np.ones(d), rng.normal(size=(d, h)), np.zeros(h), rng.normal(size=h), 0.1
    )
    abstainer = Abstainer(np.zeros(a), np.ones(a), rng.normal(size=a), -0.2, 0.4)
    return AnswerModel(ranker, abstainer, 0.5, {"seed": 1})


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    save_answer_model(tmp_path, _model())
    return tmp_path


def test_a_saved_model_loads_back_the_same(saved: Path) -> None:
    loaded = load_answer_model(saved)
    original = _model()
    x = np.random.default_rng(1).normal(size=(4, len(CANDIDATE_FEATURES))).astype(np.float32)
    assert np.allclose(loaded.ranker.logits(x), original.ranker.logits(x))
    assert loaded.abstainer.threshold == 0.4
    assert loaded.manifest["seed"] == 1


def test_the_shipped_model_loads() -> None:
    model = load_answer_model()
    assert model.manifest["figures"]  # its manifest records what it scored
    assert 0.0 < model.abstainer.threshold < 1.0


def test_the_shipped_model_was_trained_on_the_shipped_data() -> None:
    # A question file or corpus changed without `make model`: the shipped model no longer
    # is what the documented command gives (docs/calibration.md, Retraining).
    from bot.answer.train import data_hash, every_set, training_sets
    from index.embed import DEFAULT_EMBEDDER, load_embedder

    manifest = load_answer_model().manifest
    assert data_hash(every_set(training_sets(ROOT))) == manifest["data_sha256"]
    assert manifest["embedder"] == load_embedder(DEFAULT_EMBEDDER).name


def test_a_missing_model_names_the_command_to_run(tmp_path: Path) -> None:
    with pytest.raises(AnswerModelError, match="newsbot train"):
        load_answer_model(tmp_path)


def test_a_damaged_weights_file_is_refused(saved: Path) -> None:
    path = saved / "answer_model.npz"
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(AnswerModelError, match=r"damaged.*newsbot train"):
        load_answer_model(saved)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("format", 99, "another format"), ("features", ["dense"], "other features")],
)
def test_a_model_of_another_version_is_refused(
    saved: Path, field: str, value: object, message: str
) -> None:
    path = saved / "answer_model.json"
    manifest = json.loads(path.read_text())
    manifest[field] = value
    path.write_text(json.dumps(manifest))
    with pytest.raises(AnswerModelError, match=message):
        load_answer_model(saved)


def test_a_manifest_that_is_not_json_is_refused(saved: Path) -> None:
    (saved / "answer_model.json").write_text("{not json")
    with pytest.raises(AnswerModelError, match="unreadable"):
        load_answer_model(saved)


def test_the_probability_is_a_probability() -> None:
    model = _model()
    for z in (-1e4, 0.0, 1e4):
        p = model.abstainer.probability(np.full(len(ABSTAIN_FEATURES), z))
        assert 0.0 <= p <= 1.0
