"""Fitting: the ranker learns a signal, deterministically; the threshold keeps its rule."""

from __future__ import annotations

import numpy as np

from bot.answer.learn import RankerParams, Sample, choose_threshold, fit_logistic, fit_ranker


def _samples(seed: int, n: int = 60, width: int = 5) -> list[Sample]:
    """Questions of 8 candidates; the answer is the one with the highest column 2 (+noise)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        x = rng.normal(size=(8, width)).astype(np.float32)
        labels = np.zeros(8, dtype=bool)
        answerable = i % 4 != 0
        if answerable:
            labels[int(np.argmax(x[:, 2] + 0.3 * rng.normal(size=8)))] = True
        out.append(Sample(x, labels, answerable, f"g{i}"))
    return out


def _top1(ranker, samples: list[Sample]) -> float:  # type: ignore[no-untyped-def]
    hits = [s.labels[int(np.argmax(ranker.logits(s.features)))] for s in samples if s.answerable]
    return float(np.mean(hits))


def test_the_ranker_learns_which_column_holds_the_answer() -> None:
    ranker = fit_ranker(_samples(1), RankerParams(hidden=4, epochs=200), seed=7)
    assert _top1(ranker, _samples(2)) >= 0.5  # chance is 1/8


def test_training_is_deterministic_with_a_seed() -> None:
    params = RankerParams(hidden=4, epochs=50)
    a = fit_ranker(_samples(1), params, seed=7)
    b = fit_ranker(_samples(1), params, seed=7)
    c = fit_ranker(_samples(1), params, seed=8)
    assert np.array_equal(a.w1, b.w1) and a.b2 == b.b2
    assert not np.array_equal(a.w1, c.w1)


def test_logistic_regression_is_calibrated_on_its_data() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 2))
    p = 1 / (1 + np.exp(-(2 * x[:, 0] - 1)))
    y = (rng.random(2000) < p).astype(float)
    mean, scale, w, b = fit_logistic(x, y, l2=0.1)
    fitted = 1 / (1 + np.exp(-(((x - mean) / scale) @ w + b)))
    # Within bins of predicted probability, the share of positives matches the prediction.
    for low in (0.1, 0.3, 0.5, 0.7):
        band = (fitted >= low) & (fitted < low + 0.2)
        assert abs(y[band].mean() - fitted[band].mean()) < 0.08


def test_the_threshold_refuses_at_most_a_tenth_of_answerable_questions() -> None:
    probabilities = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.08, 0.07]
    right = [True, True, True, False, True, False, True, False, False, False, False, False]
    answerable = [True] * 10 + [False, False]
    cut = choose_threshold(probabilities, right, answerable)
    refused = sum(p < cut and a for p, a in zip(probabilities, answerable, strict=True))
    assert refused <= 1
    # Within the rule, the cut takes the most right answers plus refusals.
    assert cut == 0.1


def test_a_looser_rule_lets_the_threshold_refuse_more() -> None:
    probabilities = [0.9, 0.8, 0.2, 0.1, 0.5, 0.4]
    right = [True, True, False, False, False, False]
    answerable = [True, True, True, True, False, False]
    assert choose_threshold(probabilities, right, answerable, 0.5) == 0.8
