"""Precomputed vectors for the 100k and 1M runs: perturbed copies of real embeddings."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float32]


def perturbed_vectors(
    base: Matrix,
    count: int,
    *,
    noise: float = 0.35,
    seed: int = 0,
    block: int = 65_536,
    out: Matrix | None = None,
) -> Matrix:
    """Row `j` is base row `j % len(base)` plus Gaussian noise of norm ~`noise`, renormalised.

    Cosine to the base row is about 1 / sqrt(1 + noise²) (0.94 by default), so the
    vectors keep the real embeddings' clusters instead of being uniform on the sphere,
    which would flatter approximate indexes. `out`: where to write them (for instance a
    matrix kept in a file, index/build_vectors.py's `spilled_zeros`).
    """
    rows, dim = base.shape
    if out is None:
        out = np.empty((count, dim), dtype=np.float32)
    if out.shape != (count, dim):
        raise ValueError(f"out has shape {out.shape}, not {(count, dim)}")
    rng = np.random.default_rng(seed)
    scale = np.float32(noise / math.sqrt(dim))
    for start in range(0, count, block):
        stop = min(count, start + block)
        part = base[np.arange(start, stop) % rows]
        part = part + rng.standard_normal((stop - start, dim), dtype=np.float32) * scale
        part /= np.linalg.norm(part, axis=1, keepdims=True)
        out[start:stop] = part
    return out
