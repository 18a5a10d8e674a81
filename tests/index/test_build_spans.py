"""The build's bookkeeping of reused spans and vectors, without a model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import index.build_vectors
from index.build import _by_article
from index.build_vectors import lazy_zeros, spilled_zeros, vector_matrix
from index.errors import IndexSpaceError


def test_spans_are_grouped_by_article_in_order_even_when_out_of_order() -> None:
    ordered = [("a", 0, 5), ("a", 5, 9), ("b", 0, 3)]
    shuffled = [("a", 0, 5), ("b", 0, 3), ("a", 5, 9)]

    expected = {"a": [("a", 0, 5), ("a", 5, 9)], "b": [("b", 0, 3)]}
    assert _by_article(ordered) == expected
    assert _by_article(shuffled) == expected


def test_lazy_zeros_are_a_writable_zero_matrix() -> None:
    matrix = lazy_zeros(1000, 8)
    matrix[[3, 700]] = 1.0

    assert matrix.shape == (1000, 8) and matrix.dtype == np.float32
    assert matrix.sum() == 16.0 and not matrix[:3].any()
    assert lazy_zeros(0, 8).shape == (0, 8)


def test_spilled_zeros_live_in_a_file_gone_from_its_folder(tmp_path: Path) -> None:
    matrix = spilled_zeros(1000, 8, tmp_path / "spill")
    matrix[[3, 700]] = 1.0

    assert matrix.shape == (1000, 8) and matrix.dtype == np.float32
    assert matrix.sum() == 16.0 and not matrix[:3].any()
    assert list((tmp_path / "spill").iterdir()) == []  # unlinked: nothing left if killed
    assert spilled_zeros(0, 8, tmp_path).shape == (0, 8)


def test_only_a_large_matrix_is_spilled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spilled: list[tuple[int, int]] = []

    def spill(rows: int, dimension: int, folder: Path) -> np.ndarray:
        spilled.append((rows, dimension))
        return spilled_zeros(rows, dimension, folder)

    monkeypatch.setattr(index.build_vectors, "spilled_zeros", spill)
    monkeypatch.setattr(index.build_vectors, "SPILL_BYTES", 20_000 * 384 * 4)
    limit = 20_000
    vector_matrix(limit, 384, tmp_path)
    vector_matrix(limit + 1, 384, None)  # no folder to spill to
    large = vector_matrix(limit + 1, 384, tmp_path)

    assert spilled == [(limit + 1, 384)]
    assert large.shape == (limit + 1, 384) and not large[::5000].any()


def test_no_room_for_the_vectors_is_one_line_before_any_embedding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int, offset: int, length: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index.build_vectors.os, "posix_fallocate", full)
    with pytest.raises(IndexSpaceError) as caught:
        spilled_zeros(1000, 384, tmp_path / "spill")
    message = str(caught.value)
    assert "\n" not in message and "No space left on device" in message
    assert f"no room for this build's 1 MiB of vectors in {tmp_path / 'spill'}" in message
    assert list((tmp_path / "spill").iterdir()) == []


def test_an_unwritable_spill_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(IndexSpaceError, match="--index-dir"):
        spilled_zeros(1000, 8, blocker / "spill")
