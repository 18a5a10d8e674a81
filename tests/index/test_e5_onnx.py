"""The int8 e5 encoder through onnxruntime (index/e5_onnx.py) against the float32 one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.chunk import split_sentences
from index.e5 import E5Embeddings
from index.e5_file import load_e5_file
from index.e5_forward import E5Forward, embedded
from index.embed import load_embedder

pytest.importorskip("onnxruntime")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def int8() -> E5Embeddings:
    return E5Embeddings(questions="ours", engine="onnx")


@pytest.fixture(scope="module")
def float32() -> E5Embeddings:
    return E5Embeddings(questions="ours")


def _seed_sentences() -> list[str]:
    out: list[str] = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        out += [text[a:b] for a, b in split_sentences(text, 0, len(text))]
    return out


def test_the_graph_in_float_is_the_numpy_encoder() -> None:
    # The graph itself (before int8) computes exactly what E5Forward does.
    import onnxruntime

    from index.e5_onnx import encoder_graph

    weights = load_e5_file(E5Embeddings()._file)
    session = onnxruntime.InferenceSession(
        encoder_graph(weights).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    windows = [[0, 1000, 2000, 2], [0, 35, 2], [0, 7, 8, 9, 10, 2]]
    ours = np.vstack(
        [
            session.run(["pooled"], {"x": embedded(weights, np.array(w), np.arange(len(w)))[None]})[
                0
            ]
            for w in windows
        ]
    )
    numpy = E5Forward(load_e5_file(E5Embeddings()._file))
    expected = np.vstack([numpy.pooled([w]) for w in windows])
    np.testing.assert_allclose(ours, expected, atol=2e-4)


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
    one_thread = E5Embeddings(questions="ours", engine="onnx", threads=1)
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
