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

from index.lexical import QUESTION_WORDS, analyze, fold_accents, stopwords

# "Qui est le …", "Qui sont les …", "C'est qui la …", "Quel est le nom du …", "Comment
# s'appelle le …": a role after a definite article.
_ROLE_QUESTION = re.compile(
    r"^(?:(?:qui (?:est|etait|sont|etaient|sera|seront)|c ?est qui|qui c ?est|"
    r"comment s appelle(?:nt)?) (?:le|la|les|l)|"
    r"quels? (?:est|etait|sont) (?:le|les) noms? (?:du|des|de la|de l|d))"
    r" (?P<role>.+?)[\s?!.]*$"
)
# "Selon X, …", "d'après X", "qu'a dit X", "qu'a déclaré X": X ends at a comma or a verb.
_SPEAKER_QUESTION = re.compile(
    r"(?:\bselon|\bd apres|\bqu a (?:dit|declare|affirme|annonce|repondu|ecrit)|"
    r"\bqu ont (?:dit|declare|affirme|annonce|repondu|ecrit)|"
    # "Qu'espère Ouchakov ?", "Que pensent les Occidentaux de…": the subject speaks.
    r"^(?:que|qu) (?:dit|disent|declare|declarent|affirme|affirment|repond|repondent|"
    r"pense|pensent|espere|esperent|craint|craignent|souhaite|souhaitent|"
    r"veut(?! dire\b)|veulent(?! dire\b)|"
    r"estime|estiment|redoute|redoutent|propose|proposent|promet|promettent|reproche|"
    r"reprochent|denonce|denoncent|demande|demandent|ecrit|ecrivent)) "
    r"(?P<speaker>[^,?!.;:]+?)(?= ?[,?!.;:]|$)"
)
# "Pour la Maison-Blanche, quelle région…": "pour X" then a comma, at the start.
_FOR_SPEAKER_QUESTION = re.compile(
    r"^pour (?!(?:quoi|qui|quel|quels|quelle|quelles|combien|quand|ou|que|qu)\b)"
    r"(?P<speaker>[^,?!.;:]+?) ,"
)
_FOR_NAME = re.compile(r"\s*[Pp]our\s+(?:(?:[Ll]e|[Ll]a|[Ll]es|[Ll]['’])\s*)?[A-ZÀ-Ý]")
# "Comment le Kremlin décrit-il…", "Comment Kim a-t-il qualifié…": the subject speaks.
_HOW_SAYS_QUESTION = re.compile(
    r"^comment (?:(?:le|la|les|l) )?(?P<speaker>[\w ]+?) (?:a t (?:il|elle) |ont ils |ont elles )?"
    r"(?:decrit|decrivent|qualifie|qualifient|voit|voient|juge|jugent|presente|presentent|"
    r"considere|considerent|appelle|appellent)\b"
)
_SPEAKER_END = re.compile(r" (?:a|ont|est|sont|au sujet|a propos|sur|concernant|de quoi)\b.*$")
# After "qu'a dit X", X also ends where the topic starts: "qu'a dit Peskov de la Corée".
# But "le chef du renseignement" and "le ministre de la Défense" are one speaker.
_SAID_END = re.compile(
    r"(?<!\bchef)(?<!\bministre)(?<!\bparole)(?<!\bpresident)(?<!\bsecretaire)(?<!\bgeneral)"
    r"(?<!\bconseiller)(?<!\bdirecteur)(?<!\bresponsable)(?<!\bdirigeant)(?<!\bambassadeur)"
    r"(?<!\bministere)(?<!\bservices)(?<!\bpatron)"
    r" (?:dans|de|du|des|en|lors|pendant|sur|pour|a|au|aux|apres|avant|concernant)\b.*$"
)
# A role ends where a clause starts: "la personne qui accompagne Poutine".
_ROLE_END = re.compile(
    r" (?:qui|que|qu|dont|cite|citee|mentionne|mentionnee|ou|selon|d apres|en (?:\w+ )?\d+|"
    r"dans (?:les|l|cet|cette|ces) (?:articles?|textes?))\b.*$"
)
# Words of a role or speaker that name nobody in particular.
_VAGUE = frozenset(
    "actuel actuelle actuels actuelles nouveau nouvelle nouveaux nouvelles personne personnes "
    "homme femme gens article articles texte textes presse source sources vous document "
    "documents information informations".split()
)
_MAX_SPEAKER_WORDS = 6
_WORD = re.compile(r"\w+")
# The short last part of a hyphenated name: "Jong-il", "Jong-un".
_NAME_END = re.compile(r"\b[A-ZÀ-Ý]\w*-(\w{1,2})\b")


def asked_role(question: str) -> tuple[str, ...]:
    """The folded content words of the role a French who-question defines, else ()."""
    folded = " ".join(_WORD.findall(fold_accents(question)))
    match = _ROLE_QUESTION.match(folded)
    if match is None:
        return ()
    return _content(_ROLE_END.sub("", match.group("role")))


def asked_speaker(question: str) -> tuple[str, ...]:
    """The folded content words of whom a French question quotes ("selon X"), else ().

    "Selon les articles…" quotes nobody: the articles are where every answer comes from.
    """
    # Words and the punctuation that ends a speaker's name; apostrophes and hyphens go.
    folded = " ".join(re.sub(r"([,?!.;:])", r" \1 ", fold_accents(question)).split())
    folded = re.sub(r"[^\w,?!.;: ]+", " ", folded)
    folded = " ".join(folded.split())
    match = (
        _SPEAKER_QUESTION.search(folded)
        or _HOW_SAYS_QUESTION.search(folded)
        # "Pour résumer, …", "Pour le veto russe, …": only a name is a source.
        or (_FOR_NAME.match(question) and _FOR_SPEAKER_QUESTION.search(folded))
    )
    # "D'après quel site…", "Selon qui…": the question asks who the source is, naming none.
    if match is None or next(iter(match.group("speaker").split()), "") in QUESTION_WORDS:
        return ()
    speaker = _SPEAKER_END.sub("", match.group("speaker"))
    if not match.group(0).startswith(("selon", "d apres", "comment", "pour")):
        speaker = _SAID_END.sub("", speaker)
    # "Kim Jong-il" is not "Kim Jong Un": the short end of a hyphenated name is kept.
    keep = frozenset(fold_accents(p) for p in _NAME_END.findall(question))
    return _content(speaker, keep)[:_MAX_SPEAKER_WORDS]


def _content(phrase: str, keep: frozenset[str] = frozenset()) -> tuple[str, ...]:
    stop = stopwords()
    return tuple(
        w for w in phrase.split() if w in keep or (len(w) > 1 and w not in stop and w not in _VAGUE)
    )


def states_role(text: str, role: tuple[str, ...], *, near: bool = False) -> bool:
    """Whether every word of `role` is in `text` (same stem, or a typo away).

    With `near`, the words must also stand close together: within twice the role's length
    plus three words, so a speaker is not "found" as words spread over a paragraph.
    """
    if not role:
        return True
    if not near:
        words = _WORD.findall(fold_accents(text))
        return {i for w in words for i, r in enumerate(role) if _same(r, w)} == set(
            range(len(role))
        )
    return bool(role_positions(text, role))


def role_positions(text: str, role: tuple[str, ...]) -> list[int]:
    """Where in `text` the words of `role` stand close together (as `states_role` with
    `near`): the character offset of the first word of each such place."""
    if not role:
        return []
    words = [(m.start(), fold_accents(m.group())) for m in _WORD.finditer(text)]
    matches = [{i for i, r in enumerate(role) if _same(r, w)} for _, w in words]
    width = 2 * len(role) + 3
    out = []
    for start, found in enumerate(matches):
        if not found:
            continue
        seen: set[int] = set()
        for hit in matches[start : start + width]:
            seen |= hit
        if len(seen) == len(role):
            out.append(words[start][0])
    return out


@lru_cache(maxsize=100_000)
def _same(word: str, other: str) -> bool:
    """Same stem, or (for words of five letters or more) a typo apart."""
    if word == other or analyze(word) == analyze(other) != []:
        return True
    if len(word) < 5:  # too short to tell a typo from another word
        return False
    allowed = 1 if len(word) < 9 else 2
    return DamerauLevenshtein.distance(word, other, score_cutoff=allowed) <= allowed
