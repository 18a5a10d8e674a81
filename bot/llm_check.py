"""Whether a language model's reply is supported, sentence by sentence, by what it cites.

A reply may be shown only if every sentence cites a passage it was given, every text in
quotation marks occurs verbatim in a cited passage, every number and name it states
occurs there too, and most of its other words do (`MIN_COVERAGE`, measured in
docs/llm-check.md). A reply that repeats the prompt's own instructions is rejected:
their examples carry valid-looking `[1]` markers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.discord.render import split_sentences
from bot.llm import UnsupportedAnswer, check_citations
from bot.llm_markers import find_markers, normalise_markers, strip_markers
from index.lexical import analyze, fold_accents

# Share of a sentence's content terms (stemmed, stopwords dropped) its passages must hold.
MIN_COVERAGE = 0.7
# This many words in a row shared with the instructions is an echo, not an answer.
ECHO_WORDS = 6

_QUOTED = re.compile(r"«\s*([^»]+?)\s*»|“([^”]+)”|\"([^\"]+)\"")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# A capitalised word that does not open the sentence: a name the passages must contain.
_NAME = re.compile(r"(?<=[\w,;:’')»] )[A-ZÀ-Ý][\w’'-]*\w")
_WORDS = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CheckedReply:
    """A reply that passed: its text with `[n]` markers, and each cited passage's claims."""

    text: str
    cited: tuple[int, ...]
    claims: dict[int, tuple[str, ...]]  # passage number -> the sentences that cite it


def check_reply(text: str, passages: Sequence[str], instructions: str) -> CheckedReply:
    """The reply if every sentence is supported; raises `UnsupportedAnswer` otherwise."""
    # First: the instructions hold the NO_ANSWER sentinel and valid-looking markers.
    if _echoes(text, instructions):
        raise UnsupportedAnswer("prompt_echo", "the language model repeated its instructions")
    normalised = normalise_markers(text)
    if "[?]" in normalised:
        raise UnsupportedAnswer("bad_marker", "the language model wrote a marker we cannot read")
    cited = check_citations(normalised, len(passages))
    claims: dict[int, list[str]] = {}
    for sentence in split_sentences(text):
        if not _WORDS.search(strip_markers(sentence)):
            continue
        numbers = sorted({n for m in find_markers(sentence) for n in m.numbers})
        if not numbers:
            raise UnsupportedAnswer("uncited", f"a sentence cites no passage: {_short(sentence)}")
        problem = support_problem(sentence, [passages[n - 1] for n in numbers])
        if problem:
            raise UnsupportedAnswer("unsupported", f"{problem}: {_short(sentence)}")
        for n in numbers:
            claims.setdefault(n, []).append(strip_markers(sentence))
    return CheckedReply(normalised, cited, {n: tuple(c) for n, c in claims.items()})


def support_problem(sentence: str, passages: Sequence[str]) -> str | None:
    """Why the cited passages do not support `sentence` (None when they do)."""
    claim = strip_markers(sentence)
    source = _flat(" ".join(passages))
    for match in _QUOTED.finditer(claim):
        quoted = next(g for g in match.groups() if g is not None)
        if _flat(quoted) not in source:
            return f"the quotation « {_short(quoted)} » is not in the cited passage"
    folded = fold_accents(source)
    stated = _NUMBER.findall(claim) + _NAME.findall(claim)
    missing = [w for w in stated if fold_accents(w) not in folded]
    if missing:
        return f"the cited passage does not say {', '.join(missing[:3])}"
    if coverage(claim, passages) < MIN_COVERAGE:
        return "the cited passage does not say this"
    return None


def coverage(claim: str, passages: Sequence[str]) -> float:
    """Share of the claim's content terms found in the passages (1.0 when it has none)."""
    terms = set(analyze(claim))
    if not terms:
        return 1.0
    held = set(analyze(" ".join(passages)))
    return len(terms & held) / len(terms)


def best_support(claims: Sequence[str], candidates: Sequence[str]) -> int:
    """Index of the candidate sentence that holds most of the claims' terms (the card)."""
    wanted = set(analyze(" ".join(claims)))
    scores = [len(wanted & set(analyze(c))) for c in candidates]
    return max(range(len(candidates)), key=lambda i: (scores[i], -i)) if candidates else 0


def _echoes(reply: str, instructions: str) -> bool:
    said = _WORDS.findall(fold_accents(strip_markers(instructions)))
    runs = {tuple(said[i : i + ECHO_WORDS]) for i in range(len(said) - ECHO_WORDS + 1)}
    words = _WORDS.findall(fold_accents(strip_markers(reply)))
    return any(tuple(words[i : i + ECHO_WORDS]) in runs for i in range(len(words)))


def _flat(text: str) -> str:
    return _SPACE.sub(" ", text.replace("’", "'").replace("\u00a0", " ")).strip().lower()


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
