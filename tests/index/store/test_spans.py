"""Spans as numpy tables: the same chunks, sentences, owners and rows as the lists they replace."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.store.base import chunk_of_sentences
from index.store.faiss import LoadedIndex
from index.store.faiss_store import FaissReader
from index.store.spans import ChunkTable, SpanTable, chunk_rows_of_sentences


def spans_on_disk(index_dir: Path, name: str) -> list[tuple[str, int, int]]:
    build = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    lines = (index_dir / "builds" / build / name).read_text(encoding="utf-8").splitlines()
    return [tuple(json.loads(line)) for line in lines]  # type: ignore[misc]


def test_a_loaded_build_holds_tables_equal_to_its_files(
    seed_index: LoadedIndex, seed_index_dir: Path
) -> None:
    assert isinstance(seed_index.chunks, ChunkTable)
    assert isinstance(seed_index.sentences, SpanTable)
    assert list(seed_index.sentences) == spans_on_disk(seed_index_dir, "sentences.jsonl")
    chunk_spans = spans_on_disk(seed_index_dir, "chunks.jsonl")
    assert [(c.article_id, c.start, c.end) for c in seed_index.chunks] == chunk_spans
    for row, chunk in enumerate(seed_index.chunks):
        assert chunk.id == row and seed_index.chunks[row] == chunk
        assert chunk.text == seed_index.articles[chunk.article_id].text[chunk.start : chunk.end]
    assert seed_index.chunks[-1] == list(seed_index.chunks)[-1]
    with pytest.raises(IndexError):
        seed_index.chunks[len(seed_index.chunks)]


def test_sentence_owners_and_rows_match_the_list_versions(seed_index: LoadedIndex) -> None:
    chunks, sentences = seed_index.chunks, seed_index.sentences
    assert isinstance(chunks, ChunkTable) and isinstance(sentences, SpanTable)
    owners = chunk_rows_of_sentences(chunks.spans, sentences)
    assert owners.tolist() == chunk_of_sentences(list(chunks), list(sentences))
    for row, span in enumerate(sentences):
        assert sentences.row_of(span) == row
    article, start, end = sentences[3]
    assert sentences.row_of((article, start, end + 1)) is None
    assert sentences.row_of(("no such article", start, end)) is None


def test_the_reader_finds_the_same_sentence_vectors(seed_index: LoadedIndex) -> None:
    reader = FaissReader(seed_index)
    spans = [*list(seed_index.sentences)[::7], ("nope", 0, 1)]
    found = reader.sentence_vectors(spans)
    assert set(found) == set(spans[:-1])
    for row, span in enumerate(seed_index.sentences):
        if span in found:
            assert np.array_equal(found[span], seed_index.sentence_index.reconstruct(row))


def test_a_table_round_trips_and_refuses_impossible_spans() -> None:
    spans = [("a", 0, 5), ("a", 6, 9), ("b", 0, 4), ("a", 6, 12)]
    table = SpanTable.of(spans, ["a", "b"])
    assert list(table) == spans and table == spans and table[1:3] == spans[1:3]
    assert table.row_of(("a", 6, 12)) == 3 and table.row_of(("a", 6, 9)) == 1
    with pytest.raises(ValueError, match="32 bits"):
        SpanTable.of([("a", 0, 2**33)], ["a"])
