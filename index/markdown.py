"""Markdown sources to plain text, lightly: the stage of index/load.py for `.md` files."""

from __future__ import annotations

import re

from index.models import SourceDocument

_MD_H1 = re.compile(r"\s{0,3}#\s+(.+)")
_MD_LINK_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S.*$", re.M)
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.M)
_MD_RULE = re.compile(r"^ {0,3}([-*_=])(?:[ \t]*\1){2,}[ \t]*$", re.M)
_MD_QUOTE = re.compile(r"^ {0,3}>[ \t]?", re.M)
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EM_STAR = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
_MD_EM_UNDERSCORE = re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])")
_MD_CODE = re.compile(r"`([^`\n]+)`")


def read_markdown(markdown: str, origin: str) -> SourceDocument:
    """Light markdown removal; the `# Title` line stays in the text, like a .txt title line."""
    first_line = next((line for line in markdown.splitlines() if line.strip()), "")
    text = strip_markdown(markdown)
    title = None
    if _MD_H1.fullmatch(first_line):
        title = next((line.strip() for line in text.splitlines() if line.strip()), None)
    return SourceDocument(text=text, origin=origin, title=title)


def strip_markdown(markdown: str) -> str:
    """Markdown to plain text, lightly: headings, emphasis, code ticks, links and rules."""
    text = _MD_LINK_DEF.sub("", markdown)
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_RULE.sub("", text)
    text = _MD_HEADING.sub(r"\1", text)
    text = _MD_QUOTE.sub("", text)
    text = _MD_STRONG.sub(r"\2", text)
    text = _MD_EM_STAR.sub(r"\1", text)
    text = _MD_EM_UNDERSCORE.sub(r"\1", text)
    return _MD_CODE.sub(r"\1", text)
