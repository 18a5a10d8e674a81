"""Citation markers in a language model's reply, in every form models write them.

`[1]`, `[1, 3]` and `[1][3]` are what the prompt asks for; models also write `(1)`,
`[1-3]`, `[^1]`, `【1】`, `[1†source]`, `[passage 1]` or `¹`. Each form is recognised, so
that none reaches users as a marker without a card: its numbers become `[n]` markers,
and a reply naming a passage that does not exist is rejected by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_NUMBERS = r"\d{1,3}(?:\s*(?:[,;]|et|and|&)\s*\d{1,3})*"
# Order matters: the first alternative that matches at a position wins.
_FORMS = re.compile(
    "|".join(
        [
            rf"\[\s*(?P<plain>{_NUMBERS})\s*\]",
            r"\[\s*(?P<low>\d{1,3})\s*[-–]\s*(?P<high>\d{1,3})\s*\]",
            rf"\[\^\s*(?P<footnote>{_NUMBERS})\s*\]",
            rf"【\s*(?P<lenticular>{_NUMBERS})[^】]{{0,40}}】",
            rf"\[\s*(?P<dagger>{_NUMBERS})\s*†[^\]]{{0,40}}\]",
            rf"[\[(]\s*(?:passages?|sources?|r[ée]f(?:[ée]rences?)?\.?|doc(?:uments?)?|extraits?)"
            rf"\s*(?:n[°o]\s*)?(?P<named>{_NUMBERS})\s*[\])]",
            # "(2)" but not "(2024)": a year in brackets is prose, not a citation.
            rf"\(\s*(?P<paren>{_NUMBERS})\s*\)",
            # "¹²", but not the "²" of "km²" or "m³".
            rf"(?<![mM])(?P<superscript>[{_SUPERSCRIPTS}]+)",
            # What `escape_passage_text` turns an article's own "[3]" into.
            r"⟦(?P<literal>[^⟧]{0,20})⟧",
        ]
    ),
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Marker:
    """One marker-like string in a reply: where it is and the passages it names."""

    start: int
    end: int
    numbers: tuple[int, ...]  # empty for a form that names no passage we can trust


def find_markers(text: str) -> Iterator[Marker]:
    """Every marker-like string in `text`, left to right."""
    for match in _FORMS.finditer(text):
        groups = match.groupdict()
        if groups["low"] is not None:
            low, high = int(groups["low"]), int(groups["high"])
            numbers = tuple(range(low, high + 1)) if low <= high <= low + 20 else ()
        elif groups["superscript"] is not None:
            digits = groups["superscript"].translate(str.maketrans(_SUPERSCRIPTS, "0123456789"))
            numbers = (int(digits),)
        elif groups["literal"] is not None:
            numbers = ()  # only an article's own text is written this way
        else:
            found = next(v for k, v in groups.items() if v is not None)
            numbers = tuple(int(n) for n in _DIGITS.findall(found))
        yield Marker(match.start(), match.end(), numbers)


def normalise_markers(text: str) -> str:
    """`text` with every recognised marker written as `[n]` markers (`[1-2]` -> `[1][2]`)."""
    pieces: list[str] = []
    last = 0
    for marker in find_markers(text):
        pieces.append(text[last : marker.start])
        pieces.append("".join(f"[{n}]" for n in marker.numbers) or "[?]")
        last = marker.end
    pieces.append(text[last:])
    return "".join(pieces)


def strip_markers(text: str) -> str:
    """`text` without any marker, to check what it claims."""
    return _FORMS.sub(" ", text)


_ARTICLE_MARKER = re.compile(
    r"\[\s*(\d{1,3}(?:\s*[,;\-–]\s*\d{1,3})*)\s*\]|【([^】]{0,40})】|(?m:^\s*=+)"
)


def escape_passage_text(text: str) -> str:
    """Article text as shown to the model: its own "[2]" (which could pose as a passage
    header or a citation) becomes "⟦2⟧", and a line of "=" cannot imitate a delimiter."""
    return _ARTICLE_MARKER.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        return f"⟦{match.group(1)}⟧"
    if match.group(2) is not None:
        return f"⟦{match.group(2)}⟧"
    return match.group(0).replace("=", "≡")
