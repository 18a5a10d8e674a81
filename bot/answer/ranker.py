"""The learned parts: a small ranker over candidate features and a calibrated abstainer.

Both are plain numpy at serving time. Their weights live in `bot/data/answer_model.npz`
with a manifest, `bot/data/answer_model.json`, that loading checks (format, feature
names, the weights' checksum); `newsbot train` writes both (bot/answer/train.py).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bot.answer.features import CANDIDATE_FEATURES
from index.errors import NewsbotError

FORMAT = 1
MODEL_NAME = "answer_model"
_RETRAIN = "run `newsbot train` (or `make model`) to rebuild it"

Array = NDArray[np.float64]


class AnswerModelError(NewsbotError):
    """The trained answer model is missing, damaged or from another version."""


@dataclass(frozen=True)
class Ranker:
    """A one-hidden-layer network: a logit per candidate sentence."""

    mean: Array
    scale: Array
    w1: Array
    b1: Array
    w2: Array
    b2: float

    def logits(self, features: NDArray[np.float32]) -> Array:
        x = (features.astype(np.float64) - self.mean) / self.scale
        return np.tanh(x @ self.w1 + self.b1) @ self.w2 + self.b2  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Abstainer:
    """Logistic regression over what the ranking looks like: P(the best sentence answers)."""

    mean: Array
    scale: Array
    weights: Array
    bias: float
    threshold: float  # answer when the probability is at least this

    def probability(self, features: Array) -> float:
        z = float(((features - self.mean) / self.scale) @ self.weights + self.bias)
        return 0.5 * (1.0 + math.tanh(z / 2))  # the logistic function, without overflow


@dataclass(frozen=True)
class AnswerModel:
    ranker: Ranker
    abstainer: Abstainer
    second_share: float  # a second sentence is quoted when its probability is this close
    manifest: dict[str, Any]


def default_model_dir() -> Path:
    return Path(str(resources.files("bot.data")))


def load_answer_model(folder: Path | None = None) -> AnswerModel:
    """The shipped (or given) model, checked against its manifest."""
    folder = folder or default_model_dir()
    manifest_path = folder / f"{MODEL_NAME}.json"
    weights_path = folder / f"{MODEL_NAME}.npz"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        blob = weights_path.read_bytes()
    except FileNotFoundError as exc:
        raise AnswerModelError(f"no trained answer model at {exc.filename}: {_RETRAIN}") from exc
    except (OSError, ValueError) as exc:
        raise AnswerModelError(f"the answer model at {folder} is unreadable: {_RETRAIN}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise AnswerModelError(
            f"the answer model at {folder} is of another format "
            f"({manifest.get('format') if isinstance(manifest, dict) else '?'}, "
            f"this newsbot reads {FORMAT}): {_RETRAIN}"
        )
    if manifest.get("features") != list(CANDIDATE_FEATURES):
        raise AnswerModelError(f"the answer model at {folder} has other features: {_RETRAIN}")
    if hashlib.sha256(blob).hexdigest() != manifest.get("weights_sha256"):
        raise AnswerModelError(f"the answer model at {folder} is damaged (checksum): {_RETRAIN}")
    try:
        with np.load(weights_path, allow_pickle=False) as w:
            ranker = Ranker(
                w["r_mean"], w["r_scale"], w["r_w1"], w["r_b1"], w["r_w2"], float(w["r_b2"])
            )
            abstainer = Abstainer(
                w["a_mean"], w["a_scale"], w["a_w"], float(w["a_b"]), float(manifest["threshold"])
            )
    except (KeyError, ValueError, OSError) as exc:
        raise AnswerModelError(
            f"the answer model at {folder} is damaged ({exc}): {_RETRAIN}"
        ) from exc
    return AnswerModel(ranker, abstainer, float(manifest["second_share"]), manifest)


def save_answer_model(folder: Path, model: AnswerModel) -> None:
    """Write the weights, then the manifest naming their checksum."""
    r, a = model.ranker, model.abstainer
    weights_path = folder / f"{MODEL_NAME}.npz"
    with weights_path.open("wb") as handle:
        np.savez(
            handle,
            r_mean=r.mean, r_scale=r.scale, r_w1=r.w1, r_b1=r.b1, r_w2=r.w2,
            r_b2=np.array(r.b2), a_mean=a.mean, a_scale=a.scale, a_w=a.weights,
            a_b=np.array(a.bias),
        )  # fmt: skip
    manifest = {
        **model.manifest,
        "format": FORMAT,
        "features": list(CANDIDATE_FEATURES),
        "threshold": a.threshold,
        "second_share": model.second_share,
        "weights_sha256": hashlib.sha256(weights_path.read_bytes()).hexdigest(),
    }
    (folder / f"{MODEL_NAME}.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
