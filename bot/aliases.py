"""Other names for what a question names, so that it is also read in the articles' words.

French news copy rarely names a thing the same way twice: "le chef de la diplomatie" is
"le ministre des Affaires étrangères", "Pyongyang" is "la Corée du Nord", "l'Alliance
atlantique" is "l'OTAN". A user asks in one set of words, the article answers in another,
and the multilingual-e5-small embeddings do not always bridge the gap. `readings` returns
the question as asked and a few rewrites with one name swapped for another of its group;
the answer core answers the reading it is most confident about. The groups come from
`bot/data/aliases.toml` (language data, the same for every corpus).
"""

from __future__ import annotations

import re
import tomllib
from collections import deque
from functools import cache
from importlib import resources

from index.lexical import analyze, fold_accents

# Readings of one question, the question itself included: each costs an embedding and a
# search, and more readings also mean more chances to be confidently wrong.
MAX_READINGS = 4

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})


@cache
def alias_rules() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(name, what it may be rewritten as) from bot/data/aliases.toml: each name of a group
    as every other name of its group, each periphrase as its plain name."""
    text = resources.files("bot.data").joinpath("aliases.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    rules: list[tuple[str, tuple[str, ...]]] = []
    for group in data.get("groups", []):
        for name in group:
            rules.append((name, tuple(n for n in group if _key(n) != _key(name))))
    rules.extend((name, (plain,)) for name, plain in data.get("periphrases", {}).items())
    return tuple((name, others) for name, others in rules if others)


def _key(name: str) -> str:
    """How a name is compared: folded, with hyphens and spaces alike."""
    return " ".join(re.split(r"[\s-]+", _fold(name)[0].strip()))


def _fold(text: str) -> tuple[str, list[int]]:
    """`text` folded (lower case, no accents, one apostrophe) and, for each folded
    character, the index of the character of `text` it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        folded = fold_accents(char.translate(_APOSTROPHES))
        chars.append(folded)
        origin.extend([i] * len(folded))
    return "".join(chars), origin


@cache
def _pattern(name: str) -> re.Pattern[str]:
    """`name` as a folded whole-word pattern; a hyphen matches a space and vice versa."""
    words = re.split(r"[\s-]+", _fold(name)[0].strip())
    body = r"[\s-]+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![\w-]){body}(?![\w-])")


def _swaps(question: str) -> list[str]:
    """Every rewrite of `question` with one name swapped, longest names first.

    A name inside a longer one that has a rule of its own is left alone: "Corée" in
    "Corée du Nord", "OTAN" in "chef de l'OTAN".
    """
    folded, origin = _fold(question)
    found: list[tuple[int, int, int, tuple[str, ...]]] = []
    for name, others in alias_rules():
        match = _pattern(name).search(folded)
        if match is not None:
            start, end = origin[match.start()], origin[match.end() - 1] + 1
            found.append((-(end - start), start, end, others))
    out: list[str] = []
    taken: list[tuple[int, int]] = []
    for _, start, end, others in sorted(found):
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        matched = _key(question[start:end])
        out.extend(
            question[:start] + other + question[end:] for other in others if _key(other) != matched
        )
    return out


def readings(question: str, limit: int = MAX_READINGS) -> tuple[str, ...]:
    """`question`, then up to `limit - 1` rewrites: single swaps first (longest names
    first), then swaps of swaps ("chef de l'Alliance atlantique" -> "chef de l'OTAN" ->
    "secrétaire général de l'OTAN")."""
    out = [question]
    seen = {_key(question)}
    queue = deque([question])
    while queue and len(out) < limit:
        for rewrite in _swaps(queue.popleft()):
            if _key(rewrite) not in seen:
                seen.add(_key(rewrite))
                out.append(rewrite)
                queue.append(rewrite)
                if len(out) >= limit:
                    break
    return tuple(out)


@cache
def metonyms() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Stem of a one-word name -> the folded words of every other name for the same place
    ("kiev" -> (("kyiv",), ("ukraine",), ("ukrainien",))), from the `[metonyms]` table of
    bot/data/aliases.toml. Entries sharing a name are one group: "Pékin", "Chine" and
    "chinois" all stand for each other."""
    text = resources.files("bot.data").joinpath("aliases.toml").read_text(encoding="utf-8")
    groups: list[set[str]] = []
    for name, others in tomllib.loads(text).get("metonyms", {}).items():
        group = {_key(name), *(_key(other) for other in others)}
        for joined in [g for g in groups if g & group]:
            group |= joined
            groups.remove(joined)
        groups.append(group)
    table: dict[str, tuple[tuple[str, ...], ...]] = {}
    for group in groups:
        for name in group:
            stems = analyze(name)
            if len(name.split()) == 1 and stems:
                others = sorted(tuple(other.split()) for other in group if other != name)
                table[stems[0]] = tuple(others)
    return table
