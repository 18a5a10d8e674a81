"""PDF files (press releases, reports): their text, extracted with pypdf."""

from __future__ import annotations

import io
import logging
import re

from index.source_files import UnreadableSource

_SPACES = re.compile(r"[ \t]+")
_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")


def pdf_text(data: bytes) -> tuple[str, str | None]:
    """The text of a PDF and its metadata title; `UnreadableSource` when it has none
    (a scan, an encrypted or broken file)."""
    # pypdf is imported only when a PDF turns up, and its chatter about odd files goes
    # to its own logger at debug level rather than to the user.
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableSource("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata is not None else None
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableSource(f"unreadable PDF ({exc})") from exc
    text = "\n\n".join(_SPACES.sub(" ", p).strip() for p in pages if p.strip())
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    if not text.strip():
        raise UnreadableSource("PDF without a text layer (a scan?)")
    return text, (title.strip() if isinstance(title, str) and title.strip() else None)
