"""Fitting the ranker and the abstainer: plain numpy, deterministic with a seed.

The ranker is trained listwise (softmax over one question's candidates, so the sentence
holding the answer should come first) plus pointwise (every sentence of an unanswerable
question is a negative), so that its logits also mean something across questions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bot.answer.ranker import Abstainer, Ranker

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Sample:
    """One question's candidates: features and whether each sentence holds the answer."""

    features: NDArray[np.float32]
    labels: NDArray[np.bool_]
    answerable: bool
    group: str  # the article (or question file) it came from, for splits by document


@dataclass(frozen=True)
class RankerParams:
    # Chosen on PIAF's calib split (best sentence first): 4 to 32 hidden units, L2 0.001 to
    # 0.1 and 150 or 400 epochs were tried; gradient-boosted trees (LightGBM lambdarank)
    # did no better (docs/calibration.md).
    hidden: int = 4
    epochs: int = 150
    learning_rate: float = 0.01
    l2: float = 1e-2
    pointwise: float = 0.3  # weight of the pointwise loss beside the listwise one


def _standardise(x: Array) -> tuple[Array, Array]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    return mean, scale


def fit_ranker(samples: Sequence[Sample], params: RankerParams, seed: int) -> Ranker:
    """Full-batch Adam over every candidate of every question."""
    kept = [s for s in samples if len(s.labels)]
    x = np.concatenate([s.features for s in kept]).astype(np.float64)
    y = np.concatenate([s.labels for s in kept]).astype(np.float64)
    question = np.concatenate([np.full(len(s.labels), i) for i, s in enumerate(kept)])
    listwise = np.array([s.answerable and bool(s.labels.any()) for s in kept])
    mean, scale = _standardise(x)
    x = (x - mean) / scale
    rng = np.random.default_rng(seed)
    d = x.shape[1]
    w1 = rng.normal(0, 1 / np.sqrt(d), (d, params.hidden))
    b1 = np.zeros(params.hidden)
    w2 = rng.normal(0, 1 / np.sqrt(params.hidden), params.hidden)
    b2 = np.zeros(1)
    weights = [w1, b1, w2, b2]
    moments = [np.zeros_like(w) for w in weights]
    squares = [np.zeros_like(w) for w in weights]
    n_questions = len(kept)
    in_list = listwise[question]
    for step in range(1, params.epochs + 1):
        hidden = np.tanh(x @ w1 + b1)
        logit = hidden @ w2 + b2[0]
        # Listwise: -log of the softmax mass on the sentences holding the answer.
        peak = np.full(n_questions, -np.inf)
        np.maximum.at(peak, question, logit)
        e = np.exp(logit - peak[question])
        z = np.bincount(question, e, n_questions)
        p = e / z[question]
        pos = np.bincount(question, p * y, n_questions)
        grad = np.where(in_list, p - p * y / np.maximum(pos[question], 1e-12), 0.0)
        grad /= max(listwise.sum(), 1)
        # Pointwise: binary cross-entropy of every sentence.
        sig = 1 / (1 + np.exp(-logit))
        grad += params.pointwise * (sig - y) / len(y)
        g_hidden = np.outer(grad, w2) * (1 - hidden**2)
        grads = [
            x.T @ g_hidden + params.l2 * w1,
            g_hidden.sum(axis=0),
            hidden.T @ grad + params.l2 * w2,
            np.array([grad.sum()]),
        ]
        for i, (w, g) in enumerate(zip(weights, grads, strict=True)):
            moments[i] = 0.9 * moments[i] + 0.1 * g
            squares[i] = 0.999 * squares[i] + 0.001 * g**2
            m = moments[i] / (1 - 0.9**step)
            v = squares[i] / (1 - 0.999**step)
            w -= params.learning_rate * m / (np.sqrt(v) + 1e-8)
    return Ranker(mean, scale, w1, b1, w2, float(b2[0]))


def fit_logistic(
    x: Array, y: Array, l2: float = 1.0, steps: int = 50, weights: Array | None = None
) -> tuple[Array, Array, Array, float]:
    """L2-regularised logistic regression by Newton's method: (mean, scale, weights, bias)."""
    mean, scale = _standardise(x)
    xs = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(xs.shape[1])
    penalty = np.full(xs.shape[1], l2)
    penalty[-1] = 0.0
    sw = np.ones(len(y)) if weights is None else weights
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(xs @ w)))
        gradient = xs.T @ (sw * (p - y)) + penalty * w
        hessian = (xs.T * (sw * p * (1 - p))) @ xs + np.diag(penalty) + 1e-9 * np.eye(len(w))
        w -= np.linalg.solve(hessian, gradient)
    return mean, scale, w[:-1], float(w[-1])


def choose_threshold(
    probabilities: Sequence[float],
    right: Sequence[bool],
    answerable: Sequence[bool],
    max_answerable_refused: float = 0.10,
    weights: Sequence[float] | None = None,
) -> float:
    """The cut with the most right answers plus refused unanswerable questions, among those
    that refuse at most `max_answerable_refused` of the answerable ones."""
    p = np.asarray(probabilities)
    ok = np.asarray(right)
    has = np.asarray(answerable)
    w = np.ones(len(p)) if weights is None else np.asarray(weights, dtype=float)
    best: tuple[float, float] | None = None
    for cut in sorted({0.0, *p.tolist()}):
        answered = p >= cut
        refused_share = w[~answered & has].sum() / max(w[has].sum(), 1e-12)
        if refused_share > max_answerable_refused + 1e-12:
            break
        gained = float(w[answered & ok].sum() + w[~answered & ~has].sum())
        if best is None or gained > best[0]:
            best = (gained, cut)
    return 0.0 if best is None else best[1]


def abstainer_from(
    x: Array, y: Array, threshold: float, l2: float = 1.0, weights: Array | None = None
) -> Abstainer:
    mean, scale, coefficients, bias = fit_logistic(x, y, l2, weights=weights)
    return Abstainer(mean, scale, coefficients, bias, threshold)
