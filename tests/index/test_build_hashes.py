"""A build keeps its source files' hashes beside the index and trusts only unchanged stats."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from index.build import build_index
from index.chunk import ChunkSettings
from index.embed import VectorEmbeddings
from index.file_hashes import RACY_NS, hash_table_path

pytestmark = pytest.mark.slow  # the changed article is embedded with the real model


def _settle(table: Path) -> None:
    """Move the table's hashing time past the files' writes, as a later run would see it."""
    data = json.loads(table.read_text(encoding="utf-8"))
    data["hashed_at_ns"] += 3 * RACY_NS
    table.write_text(json.dumps(data), encoding="utf-8")


def test_a_change_under_a_forced_back_mtime_is_still_indexed(
    seed_dir: Path, seed_index_copy: Path, tmp_path: Path, embedder: VectorEmbeddings
) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(seed_dir, sources)
    table = hash_table_path(seed_index_copy)
    assert build_index(sources, seed_index_copy, embedder, ChunkSettings()).up_to_date
    assert table.is_file()
    _settle(table)
    path = sources / "003_461a80f96c7b2d8d.txt"
    text = path.read_text(encoding="utf-8")
    before = os.stat(path)
    path.write_text(text.replace("Poutine", "Putin!!"), encoding="utf-8")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_size == before.st_size

    report = build_index(sources, seed_index_copy, embedder, ChunkSettings())

    assert not report.up_to_date and report.changed == 1


def test_a_damaged_table_hashes_everything_and_is_replaced(
    seed_dir: Path, seed_index_copy: Path, tmp_path: Path, embedder: VectorEmbeddings
) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(seed_dir, sources)
    table = hash_table_path(seed_index_copy)
    table.write_text('{"version": 1, "hashed_at_ns": ', encoding="utf-8")

    report = build_index(sources, seed_index_copy, embedder, ChunkSettings())

    assert report.up_to_date
    assert len(json.loads(table.read_text(encoding="utf-8"))["files"]) == 5
