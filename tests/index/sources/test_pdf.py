"""PDF files: their text layer read with pypdf; scans and broken files skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.load import read_source_file
from index.source_files import UnreadableSource
from index.sources.pdf import pdf_text


def make_pdf(lines: list[str], title: str | None = None) -> bytes:
    """A minimal valid PDF with one page of text in Helvetica (WinAnsi accents)."""
    ops = ["BT /F1 12 Tf 72 720 Td 14 TL"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("cp1252")
    info = f"<< /Title ({title}) >>" if title else "<< >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        info.encode(),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_a_pdf_press_release_is_read(tmp_path: Path) -> None:
    path = tmp_path / "communique.pdf"
    path.write_bytes(
        make_pdf(
            ["Communiqué de presse", "Le ministère annonce une hausse de 5 % du budget."],
            title="Budget 2025",
        )
    )
    (doc,) = read_source_file(path, tmp_path).documents
    assert "hausse de 5 % du budget" in doc.text
    assert "Communiqué" in doc.text
    assert doc.title == "Budget 2025"


def test_a_pdf_without_text_is_skipped_with_its_reason() -> None:
    with pytest.raises(UnreadableSource, match="without a text layer"):
        pdf_text(make_pdf([]))
    with pytest.raises(UnreadableSource, match="unreadable PDF"):
        pdf_text(b"%PDF-1.7 this is not really a PDF")
