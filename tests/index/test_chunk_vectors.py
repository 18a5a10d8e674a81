"""Chunk vectors as the length-weighted means of their sentences' vectors."""

from __future__ import annotations

import numpy as np
import pytest

from index.chunk import ChunkSettings, chunk_articles, split_sentences
from index.chunk_vectors import chunk_vectors_from_sentences
from index.embed import VectorEmbeddings
from index.models import Chunk
from index.store.faiss import LoadedIndex


def test_a_chunk_is_the_weighted_mean_of_the_sentences_inside_it() -> None:
    sentences = [("a", 0, 10), ("a", 11, 41), ("a", 42, 50), ("b", 0, 5)]
    vectors = np.eye(4, dtype=np.float32)
    chunks = [Chunk(0, "a", 0, 41, "x"), Chunk(1, "a", 11, 50, "y"), Chunk(2, "b", 0, 5, "z")]
    made = chunk_vectors_from_sentences(chunks, sentences, vectors)
    expected = np.array([[10, 30, 0, 0], [0, 30, 8, 0], [0, 0, 0, 5]], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(made, expected, rtol=1e-6)


def test_a_chunk_without_sentences_is_an_error() -> None:
    with pytest.raises(ValueError, match="no indexed sentence"):
        chunk_vectors_from_sentences(
            [Chunk(0, "a", 0, 9, "x")], [("b", 0, 9)], np.eye(1, dtype=np.float32)
        )


@pytest.mark.slow
def test_sentence_means_agree_with_embedding_the_chunks(
    seed_index: LoadedIndex, embedder: VectorEmbeddings
) -> None:
    """What retrieval gives up by not embedding chunks: their vectors stay close."""
    articles = list(seed_index.articles.values())
    chunks = chunk_articles(articles, ChunkSettings())
    sentences = [(a.id, s, e) for a in articles for s, e in split_sentences(a.text)]
    means = chunk_vectors_from_sentences(chunks, sentences, seed_index.sentence_vectors)
    embedded = embedder.embed_passages([c.text for c in chunks])
    cosines = np.sum(means * embedded, axis=1)
    assert np.median(cosines) > 0.95 and cosines.min() > 0.9
    # Each mean is nearer its own chunk's embedding than any other chunk's.
    assert (np.argmax(means @ embedded.T, axis=1) == np.arange(len(chunks))).all()
