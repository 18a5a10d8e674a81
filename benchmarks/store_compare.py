"""Both stores on one built index, in one run: ingest time, a 1 % change, search latency.

.venv/bin/python -m benchmarks.store_compare --index data/index --database-url URL \
    --qa tests/data/gold.jsonl [--copies N]

The FAISS build at --index gives the rows and vectors (nothing is embedded here, so
the figures are the stores' own). Ingest: writing the whole build into an empty FAISS
folder and an empty PostgreSQL schema. A 1 % change: 1 % of the articles removed and as
many added (the removed ones under new ids, with the same vectors), written as the next
build. Search: `HybridSearcher.search(question, 5)` with the question vectors computed
once beforehand (embedding excluded), both stores interleaved question by question;
answer latency includes the query embedding and the whole answer core.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bot.answer import answer_question
from bot.answer.ranker import load_answer_model
from index.embed import load_embedder
from index.models import Chunk
from index.search import HybridSearcher
from index.store.base import BuildUpdate, IndexStore
from index.store.faiss import load_index
from index.store.faiss_store import FaissStore, update_of
from index.store.postgres import PostgresStore


def changed(update: BuildUpdate, fraction: float) -> BuildUpdate:
    """`fraction` of the articles replaced by new ones (new ids, same texts and vectors)."""
    count = max(1, round(len(update.articles) * fraction))
    # Appended, not substituted: copies of one article differ only in their last digits.
    renamed = {a.id: a.id + "c0de" for a in update.articles[:count]}
    articles = [replace(a, id=renamed.get(a.id, a.id)) for a in update.articles]
    chunks = [
        Chunk(c.id, renamed.get(c.article_id, c.article_id), c.start, c.end, c.text)
        for c in update.chunks
    ]
    sentences = [(renamed.get(a, a), s, e) for a, s, e in update.sentences]
    return replace(update, articles=articles, chunks=chunks, sentences=sentences)


def copies(update: BuildUpdate, count: int) -> BuildUpdate:
    """`count` copies of every article under new ids (the same texts and vectors): a larger
    corpus from one build, to time the stores, not retrieval."""
    if count <= 1:
        return update
    articles, chunks, sentences = [], [], []
    for n in range(count):
        articles += [
            replace(a, id=f"{a.id}{n:04x}", source=f"{a.source}#{n}") for a in update.articles
        ]
        chunks += [
            Chunk(len(chunks) + i, f"{c.article_id}{n:04x}", c.start, c.end, c.text)
            for i, c in enumerate(update.chunks)
        ]
        sentences += [(f"{a}{n:04x}", s, e) for a, s, e in update.sentences]
    return replace(
        update,
        articles=articles,
        chunks=chunks,
        vectors=np.tile(update.vectors, (count, 1)),
        sentences=sentences,
        sentence_vectors=np.tile(update.sentence_vectors, (count, 1)),
    )


def timed_write(store: IndexStore, update: BuildUpdate) -> float:
    started = time.perf_counter()
    with store.lock():
        store.write(update)
    return time.perf_counter() - started


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--qa", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--copies", type=int, default=1, help="copies of every article")
    args = parser.parse_args()
    update = copies(update_of(load_index(args.index)), args.copies)
    edit = changed(update, 0.01)
    schema = f"bench_{int(time.time())}"
    postgres = PostgresStore(args.database_url, schema=schema)
    with tempfile.TemporaryDirectory() as folder:
        faiss = FaissStore(Path(folder) / "index")
        print(f"{len(update.articles)} articles, {len(update.chunks)} chunks, "
              f"{len(update.sentences)} sentences")  # fmt: skip
        print(f"ingest: FAISS {timed_write(faiss, update):.2f} s, "
              f"PostgreSQL {timed_write(postgres, update):.2f} s")  # fmt: skip
        print(f"1 % change ({len(update.articles) // 100 or 1} articles): "
              f"FAISS {timed_write(faiss, edit):.2f} s, "
              f"PostgreSQL {timed_write(postgres, edit):.2f} s")  # fmt: skip
        embedder = load_embedder()
        lines = args.qa.read_text(encoding="utf-8").splitlines()[: args.questions]
        questions = [json.loads(line)["question"] for line in lines]
        vectors = [embedder.embed_question(q) for q in questions]
        searchers = {
            "FAISS": HybridSearcher(faiss.open_reader(embedder.name, embedder.dimension), embedder),
            "PostgreSQL": HybridSearcher(
                postgres.open_reader(embedder.name, embedder.dimension), embedder
            ),
        }
        search: dict[str, list[float]] = {name: [] for name in searchers}
        answer: dict[str, list[float]] = {name: [] for name in searchers}
        model = load_answer_model()
        for searcher in searchers.values():  # warm-up
            searcher.search(questions[0], 5, vector=vectors[0])
        for _ in range(args.rounds):
            for question, vector in zip(questions, vectors, strict=True):
                for name, searcher in searchers.items():
                    started = time.perf_counter()
                    searcher.search(question, 5, vector=vector)
                    search[name].append(time.perf_counter() - started)
        for question in questions:
            for name, searcher in searchers.items():
                started = time.perf_counter()
                with searcher.reader.snapshot():
                    answer_question(question, searcher, model)
                answer[name].append(time.perf_counter() - started)
        for name in searchers:
            print(f"search ({name}, {len(search[name])} searches): {percentiles(search[name])}")
        for name in searchers:
            print(f"answer ({name}, {len(answer[name])} questions, query embedding included): "
                  f"{percentiles(answer[name])}")  # fmt: skip
    postgres.close()


if __name__ == "__main__":
    main()
