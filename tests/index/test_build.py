"""Incremental builds with the real embedder: what is embedded again, bad inputs, a kill."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.build import BuildReport, build_index
from index.chunk import ChunkSettings, chunk_article, split_sentences
from index.clean import make_article
from index.embed import Matrix, VectorEmbeddings
from index.errors import IndexBusyError, SourceFolderError
from index.models import Article, SourceDocument
from index.search import HybridSearcher
from index.store.faiss import LoadedIndex, current_build_id, load_index

pytestmark = pytest.mark.slow  # every test here embeds with the real model

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ChunkSettings()
QUERIES = ["Qui accompagne Poutine ?", "Quand Poutine va-t-il en Corée du Nord ?", "accord"]


class CountingEmbedder(VectorEmbeddings):
    """The real embedder, recording every passage a build asks it to embed."""

    def __init__(self, inner: VectorEmbeddings) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.passages: list[str] = []

    def embed_passages(self, texts: list[str]) -> Matrix:
        self.passages.extend(texts)
        return self.inner.embed_passages(texts)

    def embed_question(self, text: str) -> Matrix:
        return self.inner.embed_question(text)


@pytest.fixture
def counting(embedder: VectorEmbeddings) -> CountingEmbedder:
    return CountingEmbedder(embedder)


@pytest.fixture
def sources(seed_dir: Path, tmp_path: Path) -> Path:
    """A private copy of seeds/ (same names and bytes, so the seed index is up to date)."""
    folder = tmp_path / "sources"
    shutil.copytree(seed_dir, folder)
    return folder


def short_article(n: int) -> str:
    return (
        f"Dépêche numéro {n} sur la coopération entre Moscou et Pyongyang.\n"
        f"Le texte {n} cite un diplomate russe anonyme. Il évoque un accord de sécurité."
    )


def article_of(path: Path) -> Article:
    made = make_article(SourceDocument(text=path.read_text(encoding="utf-8"), origin=path.name))
    assert made is not None
    return made


def spans_to_embed(article: Article) -> int:
    """How many distinct texts one new article costs: its chunks and its sentences."""
    chunks = {(c.start, c.end) for c in chunk_article(article, SETTINGS)}
    return len(chunks | set(split_sentences(article.text)))


def load(index_dir: Path, embedder: VectorEmbeddings) -> LoadedIndex:
    return load_index(index_dir, embedder=embedder.name, dimension=embedder.dimension)


def results(index: LoadedIndex, embedder: VectorEmbeddings) -> list[list[tuple[int, str, float]]]:
    searcher = HybridSearcher.from_index(index, embedder)
    return [
        [(h.chunk.id, h.article.id, round(h.score, 9)) for h in searcher.search(q, 5)]
        for q in QUERIES
    ]


def chunk_vectors_by_span(index: LoadedIndex) -> dict[tuple[str, int, int], Matrix]:
    vectors = index.vectors()
    return {(c.article_id, c.start, c.end): vectors[c.id] for c in index.chunks}


def test_full_build_of_the_seeds(seed_build_report: BuildReport, seed_index: LoadedIndex) -> None:
    report = seed_build_report
    assert (report.added, report.changed, report.removed, report.unchanged) == (5, 0, 0, 0)
    assert report.articles == 5
    assert report.chunks == len(seed_index.chunks)
    assert report.skipped == ()  # README.md is not an article
    assert not report.up_to_date
    assert report.build_id == seed_index.build_id
    expected = sum(spans_to_embed(a) for a in seed_index.articles.values())
    assert report.embedded == expected
    assert report.words_embedded == len(seed_index.words.words) > 400
    assert {a.origin for a in seed_index.articles.values()} == {
        p.name for p in (ROOT / "seeds").glob("*.txt")
    }


def test_unchanged_rerun_embeds_nothing_and_is_fast(
    sources: Path,
    seed_index_copy: Path,
    counting: CountingEmbedder,
    seed_build_report: BuildReport,
) -> None:
    before = current_build_id(seed_index_copy)
    report = build_index(sources, seed_index_copy, counting, SETTINGS)
    assert report.up_to_date
    assert report.embedded == 0 and counting.passages == []
    assert report.build_id == before == current_build_id(seed_index_copy)
    assert (report.unchanged, report.articles) == (5, 5)
    assert report.seconds < seed_build_report.seconds / 10


def test_changing_one_article_re_embeds_only_that_article(
    sources: Path, seed_index_copy: Path, counting: CountingEmbedder
) -> None:
    old = load(seed_index_copy, counting)
    path = sources / "004_e9cc385765b94f2b.txt"
    text = path.read_text(encoding="utf-8")
    assert "visite officielle de deux jours" in text
    path.write_text(text.replace("visite officielle de deux jours", "visite protocolaire"))

    report = build_index(sources, seed_index_copy, counting, SETTINGS)

    changed = article_of(path)
    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 1, 0, 4)
    assert report.embedded == spans_to_embed(changed)
    spans, words = counting.passages[: report.embedded], counting.passages[report.embedded :]
    assert all(p in changed.text for p in spans)
    # Of the corpus words only the new one is embedded; the others keep their vectors.
    assert words == ["protocolaire"]
    assert report.words_embedded == 1
    new = load(seed_index_copy, counting)
    assert new.build_id == report.build_id != old.build_id
    assert changed.id in new.articles
    # The other four articles keep the very same vectors.
    old_vectors, new_vectors = chunk_vectors_by_span(old), chunk_vectors_by_span(new)
    kept = [span for span in new_vectors if span[0] != changed.id]
    assert kept and all(np.array_equal(new_vectors[s], old_vectors[s]) for s in kept)
    hit = new.lexical.search("protocolaire", 1)[0]
    assert new.chunks[hit.row].article_id == changed.id


def test_removing_one_article_embeds_nothing(
    sources: Path, seed_index_copy: Path, counting: CountingEmbedder
) -> None:
    gone = article_of(sources / "001_9094e598d010c395.txt")
    (sources / "001_9094e598d010c395.txt").unlink()
    report = build_index(sources, seed_index_copy, counting, SETTINGS)
    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 0, 1, 4)
    assert report.embedded == 0 and counting.passages == []
    new = load(seed_index_copy, counting)
    assert gone.id not in new.articles and len(new.articles) == 4
    assert all(c.article_id != gone.id for c in new.chunks)
    assert HybridSearcher.from_index(new, counting).search("Qui accompagne Poutine ?", 3)


def test_adding_one_article_embeds_only_it(
    sources: Path, seed_index_copy: Path, counting: CountingEmbedder
) -> None:
    (sources / "new.txt").write_text(short_article(1), encoding="utf-8")
    report = build_index(sources, seed_index_copy, counting, SETTINGS)
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 0, 0, 5)
    assert report.embedded == spans_to_embed(article_of(sources / "new.txt"))
    assert report.articles == 6
    # The previous build stays for readers that resolved CURRENT before the swap.
    builds = sorted(p.name for p in (seed_index_copy / "builds").iterdir())
    assert len(builds) == 2 and report.build_id in builds


def test_rebuild_re_embeds_everything(tmp_path: Path, counting: CountingEmbedder) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    for n in range(2):
        (sources / f"{n}.txt").write_text(short_article(n), encoding="utf-8")
    index_dir = tmp_path / "index"
    first = build_index(sources, index_dir, counting, SETTINGS)
    once = len(counting.passages)  # the spans, then the corpus words
    assert 0 < first.embedded < once
    again = build_index(sources, index_dir, counting, SETTINGS, rebuild=True)
    assert not again.up_to_date
    assert again.embedded == first.embedded
    assert len(counting.passages) == 2 * once
    assert again.build_id != first.build_id
    # New chunk settings also mean new vectors for every chunk.
    smaller = build_index(sources, index_dir, counting, ChunkSettings(size=60, overlap=0))
    assert smaller.embedded > 0 and smaller.chunks > again.chunks
    # After three builds only the live one and the one before it are kept.
    kept = {p.name for p in (index_dir / "builds").iterdir()}
    assert kept == {again.build_id, smaller.build_id}


def test_bad_inputs_are_skipped_with_reasons(tmp_path: Path, counting: CountingEmbedder) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "good.txt").write_text(short_article(1), encoding="utf-8")
    (sources / "empty.txt").write_text("")
    (sources / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    lines = [
        json.dumps({"text": short_article(2), "url": "https://example.org/2"}),
        '{"text": "broken',
    ]
    (sources / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (sources / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    index_dir = tmp_path / "index"

    report = build_index(sources, index_dir, counting, SETTINGS)

    reasons = {s.origin: s.reason for s in report.skipped}
    assert set(reasons) == {"empty.txt", "binary.txt", "feed.jsonl#L2", "gone.txt"}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "invalid JSON" in reasons["feed.jsonl#L2"]
    assert "broken symbolic link" in reasons["gone.txt"]
    assert report.articles == 2
    index = load(index_dir, counting)
    assert {a.source for a in index.articles.values()} == {"good.txt", "https://example.org/2"}
    assert index.manifest.skipped == reasons

    again = build_index(sources, index_dir, counting, SETTINGS)
    assert again.up_to_date
    assert {s.origin: s.reason for s in again.skipped} == reasons


def test_missing_source_folder(tmp_path: Path, embedder: VectorEmbeddings) -> None:
    with pytest.raises(SourceFolderError) as caught:
        build_index(tmp_path / "nowhere", tmp_path / "index", embedder, SETTINGS)
    assert "\n" not in str(caught.value) and "NEWSBOT_SOURCE_DIR" in str(caught.value)
    assert not (tmp_path / "index").exists()


def test_nothing_readable_is_an_error_and_keeps_the_index(
    tmp_path: Path, seed_index_copy: Path, embedder: VectorEmbeddings
) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "empty.txt").write_text("   \n")
    (sources / "binary.html").write_bytes(bytes(range(256)) * 4)
    (sources / "notes.odt").write_bytes(b"PK")  # not a source type: not even listed
    before = current_build_id(seed_index_copy)
    with pytest.raises(SourceFolderError) as caught:
        build_index(sources, seed_index_copy, embedder, SETTINGS)
    assert "\n" not in str(caught.value)
    assert "no readable article" in str(caught.value)
    assert current_build_id(seed_index_copy) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceFolderError):
        build_index(empty, seed_index_copy, embedder, SETTINGS)


# --- A build killed with SIGKILL -------------------------------------------------------

CHILD = """
import sys, time
from pathlib import Path
import index.store.faiss
from index.build import build_index
from index.chunk import ChunkSettings
from index.embed import load_embedder

source, target, phase = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
if phase == "writing":
    # Stop right after the FAISS file of the new build is on disk, so that the kill
    # lands in the middle of writing the build folder (the pause is the only change).
    write_index = index.store.faiss.faiss.write_index
    def write_then_wait(*args):
        write_index(*args)
        print("writing", flush=True)
        time.sleep(300)
    index.store.faiss.faiss.write_index = write_then_wait

def progress(stage, done, total):
    if stage == "embedding passages" and done:
        print(f"progress {done} {total}", flush=True)

build_index(source, target, load_embedder(), ChunkSettings(), rebuild=True, progress=progress)
print("finished", flush=True)
"""


def big_source_folder(folder: Path, seed_dir: Path, files: int) -> Path:
    """`files` one-sentence briefs cut from the seeds, each worded differently.

    One short sentence per file keeps every embedding batch quick, so the first progress
    report comes early while most of the build is still to do.
    """
    folder.mkdir()
    sentences = [
        text[start:end]
        for path in sorted(seed_dir.glob("*.txt"))
        for text in [article_of(path).text]
        for start, end in split_sentences(text)
        if 40 <= end - start <= 250
    ]
    for n in range(files):
        brief = f"Brève {n} du {1 + n % 28} juin : {sentences[n % len(sentences)]}"
        (folder / f"brief-{n:03d}.txt").write_text(brief, encoding="utf-8")
    return folder


@pytest.fixture
def child_build() -> Iterator[type[ChildBuild]]:
    children: list[ChildBuild] = []

    class Tracked(ChildBuild):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)  # type: ignore[arg-type]
            children.append(self)

    yield Tracked
    for child in children:
        child.kill()


class ChildBuild:
    """`build_index(..., rebuild=True)` in another process, whose stdout lines we can await."""

    def __init__(self, source: Path, index_dir: Path, phase: str, log: Path) -> None:
        self._stderr = open(log, "w")  # noqa: SIM115 - closed in kill()
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(source), str(index_dir), phase],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log = log
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put("<eof>")

    def wait_for(self, prefix: str, timeout: float = 180.0) -> str:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"no {prefix!r} line from the child build in {timeout} s")
            if line.startswith(prefix):
                return line
            if line in ("<eof>", "finished"):
                pytest.fail(f"child build ended before {prefix!r}: {self.log.read_text()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()


def test_build_killed_while_embedding_leaves_the_live_index_serving(
    tmp_path: Path,
    seed_dir: Path,
    seed_index_copy: Path,
    seed_index: LoadedIndex,
    embedder: VectorEmbeddings,
    child_build: type[ChildBuild],
) -> None:
    big = big_source_folder(tmp_path / "big", seed_dir, files=200)
    expected = results(seed_index, embedder)
    child = child_build(big, seed_index_copy, "embedding", tmp_path / "child.log")
    done, total = map(int, child.wait_for("progress").split()[1:])
    assert 0 < done < total  # really midway: most of the work is still to do

    # While the child holds the lock, a second build is refused with one clear line.
    with pytest.raises(IndexBusyError) as caught:
        build_index(seed_dir, seed_index_copy, embedder, SETTINGS)
    assert "another `newsbot index` is writing" in str(caught.value)
    assert "\n" not in str(caught.value)

    child.kill()
    assert child.process.returncode == -signal.SIGKILL
    survivor = load(seed_index_copy, embedder)
    assert survivor.build_id == seed_index.build_id
    assert results(survivor, embedder) == expected
    # The kernel dropped the dead child's lock: the next build runs (and is up to date).
    report = build_index(seed_dir, seed_index_copy, embedder, SETTINGS)
    assert report.up_to_date and report.build_id == seed_index.build_id


def test_build_killed_while_writing_is_cleaned_up_by_the_next_build(
    tmp_path: Path,
    seed_dir: Path,
    seed_index_copy: Path,
    seed_index: LoadedIndex,
    embedder: VectorEmbeddings,
    child_build: type[ChildBuild],
) -> None:
    small = tmp_path / "small"
    small.mkdir()
    (small / "one.txt").write_text(short_article(7), encoding="utf-8")
    expected = results(seed_index, embedder)
    child = child_build(small, seed_index_copy, "writing", tmp_path / "child.log")
    child.wait_for("writing")
    child.kill()

    leftovers = list((seed_index_copy / "builds").glob(".tmp-*"))
    assert len(leftovers) == 1 and (leftovers[0] / "dense.faiss").is_file()
    assert not (leftovers[0] / "manifest.json").exists()
    survivor = load(seed_index_copy, embedder)
    assert survivor.build_id == seed_index.build_id
    assert results(survivor, embedder) == expected

    # An up-to-date run already clears what the dead build left behind...
    assert build_index(seed_dir, seed_index_copy, embedder, SETTINGS).up_to_date
    assert not list((seed_index_copy / "builds").glob(".tmp-*"))
    # ...and a build that writes works: here the seeds minus one article.
    fewer = tmp_path / "fewer"
    shutil.copytree(seed_dir, fewer)
    (fewer / "003_461a80f96c7b2d8d.txt").unlink()
    report = build_index(fewer, seed_index_copy, embedder, SETTINGS)
    assert (report.removed, report.embedded, report.articles) == (1, 0, 4)
    assert load(seed_index_copy, embedder).build_id == report.build_id


def test_a_flipped_byte_in_the_live_index_is_rebuilt_not_up_to_date(
    seed_index_copy: Path, seed_dir: Path, counting: CountingEmbedder
) -> None:
    build = seed_index_copy / "builds" / str(current_build_id(seed_index_copy))
    articles = build / "articles.jsonl"
    data = articles.read_bytes()
    at = data.index("Sergueï Lavrov".encode())
    articles.write_bytes(data[:at] + b"T" + data[at + 1 :])  # "Tergueï": same size

    report = build_index(seed_dir, seed_index_copy, counting, SETTINGS)

    assert not report.up_to_date
    texts = [a.text for a in load(seed_index_copy, counting).articles.values()]
    assert any("Sergueï Lavrov" in t for t in texts)
    assert not any("Tergueï" in t for t in texts)


def test_up_to_date_run_counts_the_files_it_warned_about(
    seed_index_copy: Path, seed_dir: Path, tmp_path: Path, embedder: VectorEmbeddings
) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(seed_dir, sources)
    os.mkfifo(sources / "pipe.txt")

    report = build_index(sources, seed_index_copy, embedder, SETTINGS)

    assert report.up_to_date
    assert [s.origin for s in report.skipped] == ["pipe.txt"]
