"""The build's bookkeeping of reused spans and vectors, without a model."""

from __future__ import annotations

import numpy as np

from index.build import _by_article
from index.build_vectors import lazy_zeros


def test_spans_are_grouped_by_article_in_order_even_when_out_of_order() -> None:
    ordered = [("a", 0, 5), ("a", 5, 9), ("b", 0, 3)]
    shuffled = [("a", 0, 5), ("b", 0, 3), ("a", 5, 9)]

    expected = {"a": [("a", 0, 5), ("a", 5, 9)], "b": [("b", 0, 3)]}
    assert _by_article(ordered) == expected
    assert _by_article(shuffled) == expected


def test_lazy_zeros_are_a_writable_zero_matrix() -> None:
    matrix = lazy_zeros(1000, 8)
    matrix[[3, 700]] = 1.0

    assert matrix.shape == (1000, 8) and matrix.dtype == np.float32
    assert matrix.sum() == 16.0 and not matrix[:3].any()
    assert lazy_zeros(0, 8).shape == (0, 8)
