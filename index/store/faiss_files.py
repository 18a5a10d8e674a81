"""The files of one FAISS-store build, written and read: JSON lines of articles and of
chunk and sentence spans, native FAISS indexes (with their slot rows), corpus words."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.models import Article
from index.store.base import Span
from index.store.slots import SlottedIndex
from index.store.spans import ChunkTable, SpanTable, valid_spans
from index.words import WordVectors

LINES_PER_BLOCK = 8192  # JSON lines written or parsed at once


def write_json_lines(path: Path, rows: Any) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False))
            out.write("\n")


def write_span_lines(path: Path, spans: Iterable[Span]) -> None:
    """`[article id, start, end]` lines, byte for byte what `json.dumps` writes, but
    with each id quoted once: a 100k build has about 600k such lines."""
    quoted: dict[str, str] = {}
    with open(path, "w", encoding="utf-8") as out:
        lines: list[str] = []
        for article_id, start, end in spans:
            name = quoted.get(article_id)
            if name is None:
                name = quoted[article_id] = json.dumps(article_id, ensure_ascii=False)
            lines.append(f"[{name}, {int(start)}, {int(end)}]\n")
            if len(lines) >= LINES_PER_BLOCK:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))


def write_faiss_index(index: Any, path: Path) -> None:
    """A FAISS index, plus its slot rows beside it when it has tombstones."""
    if isinstance(index, SlottedIndex):
        faiss.write_index(index.index, str(path))
        np.save(path.with_suffix(".rows.npy"), index.rows, allow_pickle=False)
    else:
        faiss.write_index(index, str(path))


def read_faiss_index(path: Path) -> Any:
    index = faiss.read_index(str(path))
    rows = path.with_suffix(".rows.npy")
    if rows.is_file():
        return SlottedIndex(index, np.load(rows, allow_pickle=False).astype(np.int64))
    return index


def read_words(folder: Path, dimension: int) -> WordVectors:
    words = json.loads((folder / "words.json").read_text(encoding="utf-8"))
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ValueError("words.json is not a list of words")
    vectors = np.load(folder / "words.npy", allow_pickle=False)
    if vectors.ndim != 2 or vectors.shape[1] != dimension:
        raise ValueError(f"word vectors of shape {vectors.shape}, expected {dimension} columns")
    return WordVectors(tuple(words), vectors.astype(np.float32))


def read_articles(path: Path) -> dict[str, Article]:
    articles: dict[str, Article] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            article = Article(**json.loads(line))
            articles[article.id] = article
    return articles


def _read_spans(path: Path, articles: dict[str, Article], what: str) -> SpanTable:
    """The `[article id, start, end]` lines of `path` as a table, each span checked."""
    with open(path, encoding="utf-8") as handle:
        table = SpanTable.of(_span_rows(handle), list(articles))
    valid_spans(table, [len(a.text) for a in articles.values()], what)
    return table


def _span_rows(lines: Iterable[str]) -> Iterator[Any]:
    """The spans of JSON lines, parsed a block of lines per `json.loads` call (one call
    per line took most of a 100k load), in bounded memory."""
    block: list[str] = []
    for line in itertools.chain(lines, [None]):
        if line is not None:
            block.append(line)
        if block and (line is None or len(block) >= LINES_PER_BLOCK):
            rows = json.loads("[" + ",".join(block) + "]")
            block.clear()
            # A row of another shape or type fails in SpanTable.of (unpacking, int32 array).
            yield from rows


def read_chunks(path: Path, articles: dict[str, Article]) -> ChunkTable:
    return ChunkTable(_read_spans(path, articles, "chunk"), articles)


def read_sentences(path: Path, articles: dict[str, Article]) -> SpanTable:
    return _read_spans(path, articles, "sentence")
