"""Chunk and sentence spans of a loaded build as numpy arrays, not Python objects.

A served build of 100k chunks has about 480k sentences: as a list of `(id, start, end)`
tuples, plus a dict from span to row, they took about 130 MB, and the chunks' own copies
of their text (`Chunk.text`, already in the article) as much again. Here a span is three
int32 and a chunk is made, text sliced from its article, when it is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import overload

import numpy as np
from numpy.typing import NDArray

from index.models import Article, Chunk

Span = tuple[str, int, int]
Int32 = NDArray[np.int32]


class SpanTable(Sequence[Span]):
    """Rows of `(article id, start, end)`; `row_of` finds a span's row."""

    def __init__(
        self, article_ids: Sequence[str], article: Int32, start: Int32, end: Int32
    ) -> None:
        self.article_ids = list(article_ids)  # article number -> id
        self.article = article
        self.start = start
        self.end = end
        self._number = {a: i for i, a in enumerate(self.article_ids)}
        self._sorted: NDArray[np.int64] | None = None
        self._order: NDArray[np.int64] | None = None

    @classmethod
    def of(cls, spans: Iterable[Span], article_ids: Sequence[str]) -> SpanTable:
        """A table of `spans`, whose article ids are all among `article_ids`."""
        number = {a: i for i, a in enumerate(article_ids)}
        # Column by column with map: a tuple per row took most of a 100k build's load.
        rows = spans if isinstance(spans, list) else list(spans)
        if rows and (min(map(len, rows)) != 3 or max(map(len, rows)) != 3):
            raise ValueError("a span is not (article id, start, end)")
        count = len(rows)
        columns = [
            np.fromiter(map(number.__getitem__, map(itemgetter(0), rows)), np.int64, count),
            np.array(list(map(itemgetter(1), rows)), dtype=np.int64).reshape(count),
            np.array(list(map(itemgetter(2), rows)), dtype=np.int64).reshape(count),
        ]
        if count and any(c.min() < 0 or c.max() > np.iinfo(np.int32).max for c in columns):
            raise ValueError("a span does not fit 32 bits")
        article, start, end = (np.ascontiguousarray(c, dtype=np.int32) for c in columns)
        return cls(article_ids, article, start, end)

    def __len__(self) -> int:
        return len(self.start)

    @overload
    def __getitem__(self, row: int) -> Span: ...

    @overload
    def __getitem__(self, row: slice) -> list[Span]: ...

    def __getitem__(self, row: int | slice) -> Span | list[Span]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        return (self.article_ids[self.article[row]], int(self.start[row]), int(self.end[row]))

    def __iter__(self) -> Iterator[Span]:
        ids = self.article_ids
        for a, s, e in zip(
            self.article.tolist(), self.start.tolist(), self.end.tolist(), strict=True
        ):
            yield (ids[a], s, e)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable-looking sequence, like a list

    def keys(self) -> NDArray[np.int64]:
        """One int64 per row, (article number, start) packed: ordered as the spans are."""
        return (self.article.astype(np.int64) << 32) | self.start.astype(np.int64)

    def row_of(self, span: Span) -> int | None:
        """The row of `span`, None when it is no row of the table."""
        number = self._number.get(span[0])
        if number is None:
            return None
        if self._sorted is None:
            keys = self.keys()
            self._order = np.argsort(keys, kind="stable")
            self._sorted = keys[self._order]
        assert self._order is not None
        key = (number << 32) | int(span[1])
        low = int(np.searchsorted(self._sorted, key, side="left"))
        high = int(np.searchsorted(self._sorted, key, side="right"))
        for position in range(low, high):
            row = int(self._order[position])
            if int(self.end[row]) == span[2]:
                return row
        return None


class ChunkTable(Sequence[Chunk]):
    """The build's chunks, row i = chunk id i, each made when asked for."""

    def __init__(self, spans: SpanTable, articles: Mapping[str, Article]) -> None:
        self.spans = spans
        self._articles = articles

    def __len__(self) -> int:
        return len(self.spans)

    @overload
    def __getitem__(self, row: int) -> Chunk: ...

    @overload
    def __getitem__(self, row: slice) -> list[Chunk]: ...

    def __getitem__(self, row: int | slice) -> Chunk | list[Chunk]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(f"chunk {row} of {len(self)}")
        article_id, start, end = self.spans[row]
        return Chunk(row, article_id, start, end, self._articles[article_id].text[start:end])

    def __iter__(self) -> Iterator[Chunk]:
        articles = self._articles
        for row, (article_id, start, end) in enumerate(self.spans):
            yield Chunk(row, article_id, start, end, articles[article_id].text[start:end])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]


def chunk_rows_of_sentences(chunks: SpanTable, sentences: SpanTable) -> NDArray[np.int64]:
    """For each sentence, the first chunk that contains its start (as
    `index.store.base.chunk_of_sentences`, vectorised): the last chunk of its article that
    starts at or before it, else the article's first chunk."""
    if chunks.article_ids != sentences.article_ids:
        raise ValueError("chunks and sentences number their articles differently")
    keys = chunks.keys()
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    wanted = sentences.keys()
    position = np.searchsorted(ordered, wanted, side="right") - 1
    first = np.searchsorted(ordered, sentences.article.astype(np.int64) << 32, side="left")
    position = np.maximum(position, first)
    found = position < len(ordered)
    if not found.all() or not np.array_equal(chunks.article[order[position]], sentences.article):
        raise ValueError("a sentence lies in an article without chunks")
    return order[position].astype(np.int64)


def valid_spans(table: SpanTable, lengths: Sequence[int], what: str) -> None:
    """Raise ValueError unless every span is a non-empty range inside its article."""
    size = np.asarray(lengths, dtype=np.int64)[table.article] if len(table) else np.zeros(0)
    bad = np.flatnonzero((table.start < 0) | (table.end <= table.start) | (table.end > size))
    if len(bad):
        raise ValueError(f"{what} {int(bad[0])} has an impossible span")
