"""Where a build's articles come from: the files of each `--source`, listed, and each
article read anew, or taken from the previous build when its file did not change."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from index.clean import make_article
from index.file_hashes import LocalFile
from index.load import (
    SOURCE_SUFFIXES,
    list_folder,
    read_source_file,
)
from index.models import Article, RemoteDocument, Skipped, SourceDocument
from index.source_files import SourceLimits, UnreadableSource
from index.store.base import PreviousBuild


def _relative(path: Path, root: Path) -> str:
    """`path.relative_to(root).as_posix()`, by string when `path` was listed under `root`."""
    prefix = os.path.join(str(root), "")
    text = str(path)
    if os.sep == "/" and text.startswith(prefix) and prefix != "/":
        return text[len(prefix) :]
    return path.relative_to(root).as_posix()


def list_local_files(sources: Sequence[Path]) -> tuple[list[LocalFile], list[Skipped]]:
    """The article files of each `--source` folder or file, and the unsupported ones.

    With one folder, origins are paths inside it (as they always were); with several
    sources each origin starts with its source's own name, so two `a.txt` never clash."""
    prefix = len(sources) > 1
    files: list[LocalFile] = []
    unsupported: list[Skipped] = []
    for source in sources:
        if source.is_dir():
            root, label = source, f"{source.name}/" if prefix else ""
            listed, others = list_folder(source)
        else:
            root, label = source.parent, ""
            supported = source.suffix.lower() in SOURCE_SUFFIXES
            listed, others = ([source], []) if supported else ([], [source])
        files.extend(LocalFile(root, p, label + _relative(p, root)) for p in listed)
        unsupported.extend(
            Skipped(
                label + p.relative_to(root).as_posix(),
                f"unsupported file type {p.suffix or '(none)'}",
            )
            for p in others
        )
    return files, unsupported


def articles_of_sources(
    files: list[LocalFile],
    remote: Sequence[RemoteDocument],
    hashes: dict[str, str],
    previous: PreviousBuild | None,
    limits: SourceLimits,
    progress: Callable[[str, int, int], None],
) -> tuple[list[Article], list[Skipped]]:
    """Articles of every source, reusing the previous build's for unchanged ones.

    Nothing is logged here: the caller names every skipped item, on every run."""
    old_by_origin: dict[str, list[Article]] = {}
    if previous is not None:
        for article in previous.articles.values():
            old_by_origin.setdefault(article.origin, []).append(article)
    old_files = previous.state.files if previous is not None else {}
    old_skipped = previous.state.skipped if previous is not None else {}
    articles: list[Article] = []
    skipped: list[Skipped] = []
    total = len(files) + len(remote)
    for done, file in enumerate(files):
        progress("reading articles", done, total)
        origin = file.origin
        if old_files.get(origin) == hashes[origin]:
            articles.extend(old_by_origin.get(origin, []))
            skipped.extend(
                Skipped(where, why)
                for where, why in old_skipped.items()
                if where == origin or where.startswith(origin + "#")
            )
            continue
        try:
            result = read_source_file(file.path, file.root, limits)
        except UnreadableSource as exc:
            skipped.append(Skipped(origin, str(exc)))
            continue
        skipped.extend(
            replace(s, origin=origin + s.origin.removeprefix(s.origin.split("#")[0]))
            for s in result.skipped
        )
        documents = [replace(d, origin=origin) for d in result.documents]
        articles.extend(_made(documents, skipped))
    for done, page in enumerate(remote, len(files)):
        progress("reading articles", done, total)
        if old_files.get(page.origin) == page.digest:
            articles.extend(old_by_origin.get(page.origin, []))
        else:
            articles.extend(_made(page.documents, skipped))
    progress("reading articles", total, total)
    return _unique_ids(articles), skipped


def _made(documents: Sequence[SourceDocument], skipped: list[Skipped]) -> list[Article]:
    made: list[Article] = []
    for document in documents:
        article = make_article(document)
        if article is None:
            origin = document.origin
            where = origin if document.line is None else f"{origin}#L{document.line}"
            skipped.append(Skipped(where, "no text left after removing boilerplate"))
        else:
            made.append(article)
    return made


def _unique_ids(articles: list[Article]) -> list[Article]:
    """Keep every copy of a text that several sources publish, each with its own id."""
    seen: set[str] = set()
    unique: list[Article] = []
    for article in articles:
        if article.id in seen:
            salted = hashlib.sha256(f"{article.text}\0{article.source}".encode()).hexdigest()
            article = replace(article, id=salted[:16])
        seen.add(article.id)
        unique.append(article)
    return unique
