"""Source bytes to text: a BOM or UTF-8, else the detected encoding, and never binary.

The stage of index/load.py (and index/sources/web.py) that decides what a file's bytes say.
"""

from __future__ import annotations

import codecs
import unicodedata

import charset_normalizer

from index.source_files import UnreadableSource

# Above this share of control characters a "text" is really binary that happened to decode.
_MAX_CONTROL_RATIO = 0.01
# Non-letters that real text puts between two letters: apostrophes, the inclusive-writing
# middle dot ("étudiant·es"), dashes, ellipses and non-breaking spaces.
_WORD_JOINERS = frozenset("’‘·–—…\u00a0\u202f")
_MAX_SUSPICIOUS_RATIO = 0.05


def decode_source_bytes(data: bytes) -> str:
    """Text from raw bytes: UTF-8 (BOM or not) first, else the detected code page."""
    if not data.strip():
        raise UnreadableSource("empty file")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode_strict(data, "utf-16")
    elif b"\x00" in data:
        # Text files never hold NUL bytes; images, archives and PDFs always do.
        raise UnreadableSource("binary content (NUL bytes), not text")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = _decode_detected(data)
    if not text.strip():
        raise UnreadableSource("empty file")
    controls = sum(1 for char in text if char not in "\t\n\r\f\v" and _is_control(char))
    if controls > _MAX_CONTROL_RATIO * len(text):
        raise UnreadableSource("binary content (control characters), not text")
    return text


def _decode_strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableSource(f"undecodable {encoding} content") from exc


def _decode_detected(data: bytes) -> str:
    # charset-normalizer misreads short French cp1252/latin-1 files (as mac_latin2, cp1257,
    # cp437...), and those are by far the commonest non-UTF-8 files in a French corpus:
    # so cp1252 goes first whenever it yields plausible Western text.
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    else:
        if _looks_western(text):
            return text
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise UnreadableSource("binary or undecodable content, not text")
    return str(best)


def _looks_western(text: str) -> bool:
    """Whether `text` reads as Western European text rather than another code page's mojibake.

    Mojibake shows as runs of three or more accented letters ("Ïðèâåò" for Russian) or
    symbols inside words ("Za¿ó³æ" for Polish); French, English or Spanish have almost none.
    """
    non_ascii = suspicious = 0
    for i, char in enumerate(text):
        if char.isascii():
            continue
        non_ascii += 1
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        if char.isalpha():
            suspicious += _is_accented_letter(before) and _is_accented_letter(after)
        elif char not in _WORD_JOINERS:
            suspicious += before.isalpha() and after.isalpha()
    return suspicious <= _MAX_SUSPICIOUS_RATIO * non_ascii


def _is_accented_letter(char: str) -> bool:
    return not char.isascii() and char.isalpha()


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"
