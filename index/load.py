"""Read a folder of news articles (.txt, .md, .html, .jsonl, .pdf) into `SourceDocument`s."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from index.decode import decode_source_bytes
from index.errors import SourceFolderError
from index.markdown import read_markdown
from index.models import Skipped, SourceDocument
from index.source_files import (
    DEFAULT_LIMITS,
    SourceLimits,
    UnreadableSource,
    drop_long_words,
    file_size,
    iter_capped_lines,
    line_too_long,
    read_capped_bytes,
)

logger = logging.getLogger("newsbot.index")

SOURCE_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".jsonl", ".pdf"})
_JSONL_FIELDS = ("text", "title", "url", "date", "source")
# Lone surrogates ("\ud800" in JSON) are no text: they cannot even be encoded as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class ReadResult:
    """Documents read from a file or folder, and what was skipped on the way."""

    documents: tuple[SourceDocument, ...] = ()
    skipped: tuple[Skipped, ...] = ()


def list_source_files(folder: Path) -> list[Path]:
    """Article files under `folder`, recursively, sorted.

    Hidden files and folders are ignored, and so are README files (README.md, README.txt,
    any case): they describe a corpus rather than belong to it. Broken symlinks are listed
    so that the loader reports them instead of silently dropping them.
    """
    return list_folder(folder)[0]


def list_unsupported_files(folder: Path) -> list[Path]:
    """Files under `folder` that `list_source_files` leaves out for their type (.pdf,
    .docx…): a build warns about each rather than ignore them silently."""
    return list_folder(folder)[1]


def list_folder(folder: Path) -> tuple[list[Path], list[Path]]:
    """`list_source_files(folder)` and `list_unsupported_files(folder)`, in one walk,
    each sorted as paths sort (by their parts). Strings until the end: at 32,000 files
    pathlib's parsing and comparisons cost seconds."""
    if not folder.is_dir():
        raise SourceFolderError(
            f"no source folder at {folder} — create it or set NEWSBOT_SOURCE_DIR"
        )
    sources: list[str] = []
    others: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        for name in filenames:
            stem, suffix = _stem_and_suffix(name)
            if name.startswith(".") or stem == "readme":
                continue
            found = sources if suffix in SOURCE_SUFFIXES else others
            found.append(os.path.join(dirpath, name))
    return _sorted_paths(sources), _sorted_paths(others)


def _sorted_paths(paths: list[str]) -> list[Path]:
    return [Path(path) for path in sorted(paths, key=lambda path: path.split(os.sep))]


def read_source_file(path: Path, root: Path, limits: SourceLimits = DEFAULT_LIMITS) -> ReadResult:
    """The documents in one file, plus any broken .jsonl lines; raises `UnreadableSource`."""
    origin = path.relative_to(root).as_posix()
    suffix = path.suffix.lower()
    if suffix not in SOURCE_SUFFIXES:
        raise UnreadableSource(f"unsupported file type {suffix or '(no extension)'}")
    if suffix == ".jsonl" and file_size(path, root) > limits.max_file_bytes:
        # Too big to hold at once: read line by line (UTF-8, as JSON Lines must be).
        lines = iter_capped_lines(path, root, limits.max_line_chars)
        return _with_short_words(_read_jsonl(lines, origin), limits, origin)
    data = read_capped_bytes(path, root, limits.max_file_bytes)
    if suffix == ".pdf":
        from index.sources.pdf import pdf_text

        text, title = pdf_text(data)
        document = SourceDocument(text=text, origin=origin, title=title)
        return _with_short_words(ReadResult(documents=(document,)), limits, origin)
    text = decode_source_bytes(data)
    if suffix == ".jsonl":
        numbered = (
            (
                n,
                raw,
                line_too_long(limits.max_line_chars) if len(raw) > limits.max_line_chars else "",
            )
            for n, raw in enumerate(text.split("\n"), start=1)
        )
        return _with_short_words(_read_jsonl(numbered, origin), limits, origin)
    if suffix in {".html", ".htm"}:
        document = read_html(text, origin)
    elif suffix == ".md":
        document = read_markdown(text, origin)
    else:
        document = SourceDocument(text=text, origin=origin)
    return _with_short_words(ReadResult(documents=(document,)), limits, origin)


def _with_short_words(result: ReadResult, limits: SourceLimits, origin: str) -> ReadResult:
    """Over-long words removed, with one warning per document that had any."""
    documents: list[SourceDocument] = []
    for document in result.documents:
        text, removed = drop_long_words(document.text, limits.max_word_chars)
        if removed:
            where = origin if document.line is None else f"{origin}#L{document.line}"
            logger.warning(
                "%s: removed %d words over %d characters (NEWSBOT_MAX_WORD_CHARS)",
                where,
                removed,
                limits.max_word_chars,
            )
            document = replace(document, text=text)
        documents.append(document)
    return ReadResult(documents=tuple(documents), skipped=result.skipped)


def read_source_folder(folder: Path, limits: SourceLimits = DEFAULT_LIMITS) -> ReadResult:
    """Every document under `folder`; bad files and lines are skipped and logged, not raised.

    Raises `SourceFolderError` only when the folder is missing or holds no article files.
    """
    paths = list_source_files(folder)
    if not paths:
        raise SourceFolderError(
            f"no .txt, .md, .html or .jsonl files in {folder} — add articles or set "
            "NEWSBOT_SOURCE_DIR"
        )
    documents: list[SourceDocument] = []
    skipped: list[Skipped] = []
    for path in paths:
        try:
            result = read_source_file(path, folder, limits)
        except UnreadableSource as exc:
            result = ReadResult(skipped=(Skipped(path.relative_to(folder).as_posix(), exc.reason),))
        documents.extend(result.documents)
        skipped.extend(result.skipped)
        for item in result.skipped:
            logger.warning("skipped %s: %s", item.origin, item.reason)
    return ReadResult(documents=tuple(documents), skipped=tuple(skipped))


def _stem_and_suffix(name: str) -> tuple[str, str]:
    """Path(name).stem and .suffix, lower-cased, without building a Path."""
    stem, suffix = os.path.splitext(name)
    if suffix == ".":  # "a." has no suffix for pathlib
        stem, suffix = name, ""
    return stem.lower(), suffix.lower()


def _read_jsonl(lines: Iterable[tuple[int, str, str]], origin: str) -> ReadResult:
    """Documents of (number, line, problem) rows; lines split on "\n" only, since
    str.splitlines() would also break on U+2028 inside JSON strings."""
    documents: list[SourceDocument] = []
    skipped: list[Skipped] = []
    for number, raw, problem in lines:
        if problem:
            skipped.append(Skipped(origin=f"{origin}#L{number}", reason=problem))
            continue
        if not raw.strip():
            continue
        try:
            documents.append(_jsonl_document(raw, origin, number))
        except _BadLine as exc:
            skipped.append(Skipped(origin=f"{origin}#L{number}", reason=str(exc)))
    return ReadResult(documents=tuple(documents), skipped=tuple(skipped))


class _BadLine(ValueError):
    """One .jsonl line that cannot be an article."""


def _jsonl_document(raw: str, origin: str, line: int) -> SourceDocument:
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        # json's messages end mid-phrase ("Unterminated string starting at"): add the column.
        where = "column" if exc.msg.endswith(" at") else "at column"
        raise _BadLine(
            f"invalid JSON: {exc.msg[:1].lower()}{exc.msg[1:]} {where} {exc.colno}"
        ) from exc
    if not isinstance(record, dict):
        raise _BadLine("not a JSON object")
    values: dict[str, str | None] = {}
    for key in _JSONL_FIELDS:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise _BadLine(f"field {key!r} is not a string")
        values[key] = value if value and value.strip() else None
    text = values["text"]
    if text is None:
        raise _BadLine("missing or empty 'text'")
    for key, value in values.items():
        if value is not None and _SURROGATE.search(value):
            raise _BadLine(f"field {key!r} holds a lone surrogate (invalid Unicode)")
    return SourceDocument(
        text=text,
        origin=origin,
        title=_stripped(values["title"]),
        url=_stripped(values["url"]),
        date=_stripped(values["date"]),
        source=_stripped(values["source"]),
        line=line,
    )


def _stripped(value: str | None) -> str | None:
    return value.strip() if value else None


def read_html(html: str, origin: str) -> SourceDocument:
    # trafilatura pulls in lxml and htmldate (~0.2 s): only pay for it when there is HTML.
    import trafilatura

    extracted = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    text = getattr(extracted, "text", None)
    if not isinstance(text, str) or not text.strip():
        raise UnreadableSource("no article text found in the HTML")
    return SourceDocument(
        text=text,
        origin=origin,
        title=_metadata(extracted, "title"),
        url=_metadata(extracted, "url"),
        date=_published_date(html),
        source=_metadata(extracted, "sitename"),
    )


def _published_date(html: str) -> str | None:
    """The publication date the page's markup declares (meta tags, <time>, JSON-LD).

    Not trafilatura's default, which searches the text too and reads "© 2024" in a
    footer as 1 January 2024: a wrong date on a citation is worse than none."""
    from htmldate import find_date

    try:
        found = find_date(html, extensive_search=False, original_date=True)
    except (ValueError, TypeError):
        return None
    return found if isinstance(found, str) else None


def _metadata(extracted: object, name: str) -> str | None:
    value = getattr(extracted, name, None)
    return _stripped(value) if isinstance(value, str) and value.strip() else None
