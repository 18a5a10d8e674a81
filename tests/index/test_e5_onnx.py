"""The e5 encoder through onnxruntime (index/e5_onnx.py), float32 and int8, against numpy's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.chunk import split_sentences
from index.e5 import E5Embeddings
from index.e5_file import load_e5_file
from index.e5_forward import E5Forward, embedded
from index.embed import load_embedder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def int8() -> E5Embeddings:
    return E5Embeddings(questions="ours", engine="onnx-int8")


@pytest.fixture(scope="module")
def float32() -> E5Embeddings:
    return E5Embeddings(questions="ours")


@pytest.fixture(scope="module")
def onnx_float() -> E5Embeddings:
    return E5Embeddings(questions="ours", engine="onnx")


def _seed_sentences() -> list[str]:
    out: list[str] = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        out += [text[a:b] for a, b in split_sentences(text, 0, len(text))]
    return out


def test_the_graph_in_float_is_the_numpy_encoder() -> None:
    # The graph itself (before int8) computes exactly what E5Forward does.
    import onnxruntime

    from index.e5_graph import encoder_graph

    weights = load_e5_file(E5Embeddings()._file)
    session = onnxruntime.InferenceSession(
        encoder_graph(weights).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    windows = [[0, 1000, 2000, 2], [0, 35, 2], [0, 7, 8, 9, 10, 2]]

    def alone(w: list[int]) -> np.ndarray:
        x = embedded(weights, np.array(w), np.arange(len(w)))[None]
        return session.run(["pooled"], {"x": x, "mask": np.ones((1, len(w)), np.float32)})[0]

    ours = np.vstack([alone(w) for w in windows])
    numpy = E5Forward(load_e5_file(E5Embeddings()._file))
    expected = np.vstack([numpy.pooled([w]) for w in windows])
    np.testing.assert_allclose(ours, expected, atol=2e-4)
    # All three in one call, padded to the longest: the padding is masked out.
    x = np.zeros((3, 6, weights.hidden), np.float32)
    mask = np.zeros((3, 6), np.float32)
    for row, w in enumerate(windows):
        x[row, : len(w)] = embedded(weights, np.array(w), np.arange(len(w)))
        mask[row, : len(w)] = 1.0
    batched = session.run(["pooled"], {"x": x, "mask": mask})[0]
    np.testing.assert_allclose(batched, ours, atol=1e-5)


def test_float32_through_onnxruntime_is_the_numpy_encoder(
    onnx_float: E5Embeddings, float32: E5Embeddings
) -> None:
    sentences = _seed_sentences()
    ours = onnx_float.embed_passages(sentences)
    cosine = (ours * float32.embed_passages(sentences)).sum(axis=1)
    assert cosine.min() >= 0.99999
    assert onnx_float.name == float32.name  # one index serves both
    # Padded batches: a sentence alone gets its vector from the batch, to float rounding.
    for i in (0, 17, len(sentences) - 1):
        alone = onnx_float.embed_passages([sentences[i]])[0]
        np.testing.assert_allclose(alone, ours[i], atol=1e-5)
    # Other passes on one thread, so other batches: the same vectors, to float rounding.
    one_thread = E5Embeddings(questions="ours", engine="onnx", threads=1)
    np.testing.assert_allclose(one_thread.embed_passages(sentences), ours, atol=1e-5)


def test_batches_pad_little_and_stay_bounded() -> None:
    from index.e5_onnx import _PADDED_TOKENS, _batches

    lengths = sorted([5, 5, 6, 7, 9, 30, 31, 33, 40, 200, 510, 510, 510, 510, 510] + [12] * 40)
    batches = _batches(lengths, 16)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        assert batch == list(range(batch[0], batch[-1] + 1))  # runs, in order
        assert len(batch) <= 16
        assert lengths[batch[-1]] <= lengths[batch[0]] * 1.15 + 2
        assert len(batch) == 1 or len(batch) * lengths[batch[-1]] <= _PADDED_TOKENS
    # Sentences of similar lengths share calls; four 510-token windows fill 2,048 tokens.
    assert [len(b) for b in batches] == [4, 16, 16, 9, 3, 1, 1, 4, 1]
    assert [len(b) for b in _batches(lengths, 1)] == [1] * len(lengths)


@pytest.mark.slow
def test_int8_vectors_stay_close_to_float_ones(int8: E5Embeddings, float32: E5Embeddings) -> None:
    sentences = _seed_sentences()
    cosine = (int8.embed_passages(sentences) * float32.embed_passages(sentences)).sum(axis=1)
    assert len(sentences) > 50
    assert cosine.min() >= 0.995
    assert float(np.median(cosine)) >= 0.998
    # Still a retrieval model: each sentence is nearest to its own float vector.
    vectors = int8.embed_passages(sentences) @ float32.embed_passages(sentences).T
    assert (vectors.argmax(axis=1) == np.arange(len(sentences))).mean() >= 0.99


def test_a_text_alone_and_in_a_batch_gives_the_same_vector(int8: E5Embeddings) -> None:
    # Activations are quantised per call: each window is its own call, so a vector never
    # depends on what else is embedded with it (incremental builds score like full ones).
    sentences = _seed_sentences()[:30]
    batch = int8.embed_passages(sentences)
    for i in (0, 11, 29):
        np.testing.assert_array_equal(int8.embed_passages([sentences[i]])[0], batch[i])
    one_thread = E5Embeddings(questions="ours", engine="onnx-int8", threads=1)
    np.testing.assert_array_equal(one_thread.embed_passages(sentences), batch)


def test_names_and_the_choice_by_setting(int8: E5Embeddings) -> None:
    assert int8.name == "e5/multilingual-e5-small-q4-int8" and int8.dimension == 384
    chosen = load_embedder("e5-int8")
    assert isinstance(chosen, E5Embeddings) and chosen.name == int8.name
    assert chosen.embed_passages([]).shape == (0, 384)


def test_without_the_extra_it_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from index.errors import EmbeddingModelError

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails
    with pytest.raises(EmbeddingModelError) as caught:
        load_embedder("e5-int8")
    assert "\n" not in str(caught.value) and "newsbot[onnx]" in str(caught.value)
    # "e5" is the same vectors either way: it falls back to numpy (with a log line).
    fallback = load_embedder("e5")
    assert isinstance(fallback, E5Embeddings) and fallback._engine == "numpy"


def test_e5_runs_on_onnxruntime_when_it_is_installed() -> None:
    chosen = load_embedder("e5")
    assert isinstance(chosen, E5Embeddings) and chosen._engine == "onnx"
