"""Roles and speakers a question names, which its answer must name too.

"Qui est le ministre de la Défense nord-coréen ?" is answered only by a sentence stating
that whole role, not a neighbouring one (the defence minister of another country); "Qu'a
dit le président vietnamien ?" or "Selon Ouchakov, …" only by what that speaker said.
Every word must be found, typos forgiven.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein

from index.lexical import analyze, fold_accents, stopwords

# "Qui est le …", "Qui sont les …", "C'est qui la …": a role after a definite article.
_ROLE_QUESTION = re.compile(
    r"^(?:qui (?:est|etait|sont|etaient|sera|seront)|c ?est qui|qui c ?est) "
    r"(?:le|la|les|l) (?P<role>.+?)[\s?!.]*$"
)
# "Selon X, …", "d'après X", "qu'a dit X", "qu'a déclaré X": X ends at a comma or a verb.
_SPEAKER_QUESTION = re.compile(
    r"(?:\bselon|\bd apres|\bqu a (?:dit|declare|affirme|annonce|repondu|ecrit)|"
    r"\bqu ont (?:dit|declare|affirme|annonce|repondu|ecrit)) "
    r"(?P<speaker>[^,?!.;:]+?)(?= ?[,?!.;:]|$)"
)
# "Comment le Kremlin décrit-il…", "Comment Kim a-t-il qualifié…": the subject speaks.
_HOW_SAYS_QUESTION = re.compile(
    r"^comment (?:(?:le|la|les|l) )?(?P<speaker>[\w ]+?) (?:a t (?:il|elle) |ont ils |ont elles )?"
    r"(?:decrit|decrivent|qualifie|qualifient|voit|voient|juge|jugent|presente|presentent|"
    r"considere|considerent|appelle|appellent)\b"
)
_SPEAKER_END = re.compile(r" (?:a|ont|est|sont|au sujet|a propos|sur|concernant|de quoi)\b.*$")
_WORD = re.compile(r"\w+")


def asked_role(question: str) -> tuple[str, ...]:
    """The folded content words of the role a French who-question defines, else ()."""
    folded = " ".join(_WORD.findall(fold_accents(question)))
    match = _ROLE_QUESTION.match(folded)
    if match is None:
        return ()
    stop = stopwords()
    return tuple(w for w in match.group("role").split() if len(w) > 1 and w not in stop)


def asked_speaker(question: str) -> tuple[str, ...]:
    """The folded content words of whom a French question quotes ("selon X"), else ()."""
    # Words and the punctuation that ends a speaker's name; apostrophes and hyphens go.
    folded = " ".join(re.sub(r"([,?!.;:])", r" \1 ", fold_accents(question)).split())
    folded = re.sub(r"[^\w,?!.;: ]+", " ", folded)
    folded = " ".join(folded.split())
    match = _SPEAKER_QUESTION.search(folded) or _HOW_SAYS_QUESTION.search(folded)
    if match is None:
        return ()
    speaker = _SPEAKER_END.sub("", match.group("speaker"))
    stop = stopwords()
    return tuple(w for w in speaker.split() if len(w) > 1 and w not in stop)


def states_role(text: str, role: tuple[str, ...]) -> bool:
    """Whether every word of `role` is in `text`, close together (same stem, or a typo away).

    "Close": within a window of twice the role's length plus three words, so "ministre de
    la Défense nord-coréen" is not found in "ministre de la Défense … médias nord-coréens"
    spread over a paragraph.
    """
    if not role:
        return True
    words = _WORD.findall(fold_accents(text))
    matches = [{i for i, r in enumerate(role) if _same(r, w)} for w in words]
    width = 2 * len(role) + 3
    for start, found in enumerate(matches):
        if not found:
            continue
        seen: set[int] = set()
        for hit in matches[start : start + width]:
            seen |= hit
        if len(seen) == len(role):
            return True
    return False


@lru_cache(maxsize=100_000)
def _same(word: str, other: str) -> bool:
    """Same stem, or (for words of five letters or more) a typo apart."""
    if word == other or analyze(word) == analyze(other) != []:
        return True
    if len(word) < 5:  # too short to tell a typo from another word
        return False
    allowed = 1 if len(word) < 9 else 2
    return DamerauLevenshtein.distance(word, other, score_cutoff=allowed) <= allowed
